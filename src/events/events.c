/* events.c: a change, its events and its audit entries in one transaction
 * (see events.h). */
#include "events/events.h"

#include <stdlib.h>
#include <string.h>

#include "core/rand.h"

/* Every event of a transaction in one statement, in the order added (seq
 * follows it, so the newest-first list shows the last one first). The
 * object's text travels as a JSON string and becomes `json` unchanged. */
static const char insert_sql[] =
    "INSERT INTO gh.events (id, org_id, livemode, type, data, request_id) "
    "SELECT e.id, (SELECT gh.current_org()), (SELECT gh.current_livemode()), e.type, e.data::json, $2 "
    "FROM ROWS FROM (json_to_recordset($1::json) AS (id text, type text, data text)) "
    "WITH ORDINALITY AS e(id, type, data, ord) ORDER BY e.ord";

gh_status gh_events_add(gh_events_batch *b, const char *type, const json_t *object) {
  char id[GH_ID_MAX], *obj = json_dumps(object, JSON_COMPACT), *data = NULL;
  if (!obj) return GH_ERR_NOMEM;
  size_t len = strlen(obj);
  if ((data = malloc(len + 12))) {
    memcpy(data, "{\"object\":", 10);
    memcpy(data + 10, obj, len);
    memcpy(data + 10 + len, "}", 2);
  }
  free(obj);
  if (!data) return GH_ERR_NOMEM;
  gh_id_new(id, "evt_");
  json_t *row = json_pack("{s:s, s:s, s:s}", "id", id, "type", type, "data", data);
  free(data);
  if (!b->events) b->events = json_array();
  if (!b->events || !row || json_array_append_new(b->events, row)) return GH_ERR_NOMEM;
  return GH_OK;
}

gh_status gh_events_audit(gh_events_batch *b, const char *action, const char *target, json_t *details) {
  return gh_audit_add(&b->audit, b->r, action, target, details);
}

/* Between the round trips: the handler's callback, then its events and
 * audit entries as at most two statements. */
static gh_status then(void *ctx, PGresult *const *results, gh_db_stmt *more, int max, int *nmore) {
  gh_events_batch *b = ctx;
  gh_status s = b->fn(b, results, b->ctx);
  if (s) return s;
  *nmore = 0;
  if (json_array_size(b->events)) {
    if (!(b->text = json_dumps(b->events, JSON_COMPACT))) return GH_ERR_NOMEM;
    b->vals[0] = b->text;
    b->vals[1] = b->r->id;
    more[(*nmore)++] = (gh_db_stmt){insert_sql, 2, b->vals, NULL};
  }
  if (gh_audit_count(&b->audit) && *nmore < max) {
    if ((s = gh_audit_stmt(&b->audit, &more[*nmore]))) return s;
    (*nmore)++;
  }
  return GH_OK;
}

gh_status gh_events_txn(gh_req *r, const gh_db_stmt *stmts, int n, PGresult **results, gh_events_fn fn, void *ctx) {
  gh_events_batch b = {.r = r, .fn = fn, .ctx = ctx};
  gh_audit_init(&b.audit);
  gh_status s = gh_db_ctx_txn_then(r->principal.hash, r->principal.livemode, stmts, n, results, then, &b);
  json_decref(b.events);
  free(b.text);
  gh_audit_free(&b.audit);
  return s;
}

gh_status gh_events_on_row(gh_events_batch *b, PGresult *const *results, void *ctx) {
  gh_events_change *c = ctx;
  const PGresult *res = results[c->stmt];
  if (PQntuples(res) != 1) return GH_OK;
  if (c->changed_col > 0 && strcmp(PQgetvalue(res, 0, c->changed_col), "t")) return GH_OK;
  gh_status s = GH_OK;
  if (c->render) {
    json_decref(c->object);
    if (!(c->object = c->render(res, 0))) return GH_ERR_NOMEM;
    if (c->event) s = gh_events_add(b, c->event, c->object);
  }
  if (!s && c->action) {
    s = gh_events_audit(b, c->action, c->target ? c->target : PQgetvalue(res, 0, 0), c->details);
    c->details = NULL; /* taken by the entry */
  }
  return s;
}

gh_status gh_events_change_run(gh_req *r, const gh_db_stmt *stmts, int n, PGresult **results, gh_events_change *c) {
  return gh_events_txn(r, stmts, n, results, gh_events_on_row, c);
}

void gh_events_change_free(gh_events_change *c) {
  json_decref(c->object);
  json_decref(c->details);
  c->object = c->details = NULL;
}
