/* events.c: reading the event outbox and the audit log (api.md: GET
 * /v1/events, GET /v1/events/{id}, GET /v1/audit_log; admin).
 *
 * Both are read under the caller's org context, so row-level security alone
 * decides what is visible: events of the caller's org AND mode (an sk_test_
 * key, or a session with Gatehouse-Mode: test, sees the test events), audit
 * entries of the caller's org in both modes. Written by events/events.c and
 * audit/audit.c in the transaction of each change; never changed here.
 *
 * Lists are newest first with ?limit and ?starting_after like every list;
 * the events list also takes ?type=<type>, the audit log ?action, ?actor
 * (usr_/key_ id), ?from and ?to (RFC 3339, both inclusive at the second
 * the entries show). A bad value is 400 naming its parameter. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "api/objects.h"
#include "core/clock.h"
#include "db/db.h"

#define EVENT_COLS                                                                                                     \
  "e.id, e.org_id, e.livemode, e.type, floor(extract(epoch from e.created_at))::bigint, e.data::text, e.request_id"
#define AUDIT_COLS                                                                                                     \
  "a.id, a.org_id, a.action, a.actor, a.credential_id, a.target, a.ip, a.user_agent, a.request_id, "                   \
  "floor(extract(epoch from a.created_at))::bigint, a.details::text"

/* data is stored as the text the API answered with; parsed back here, it
 * renders to the same text (the JSON that jansson wrote reads back as
 * itself). */
static json_t *render_event(const PGresult *res, int row) {
  return json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, s:o, s:o}", "object", "event", "id", PQgetvalue(res, row, 0),
                   "org_id", PQgetvalue(res, row, 1), "livemode", !strcmp(PQgetvalue(res, row, 2), "t"), "type",
                   PQgetvalue(res, row, 3), "created_at", gh_obj_time(gh_db_getll(res, row, 4)), "data",
                   gh_api_json_col(res, row, 5), "request_id", gh_api_text_col(res, row, 6));
}

static json_t *render_audit(const PGresult *res, int row) {
  json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "object", "audit_entry", "id", PQgetvalue(res, row, 0), "org_id",
                        PQgetvalue(res, row, 1), "action", PQgetvalue(res, row, 2));
  static const char *const text_fields[] = {"actor", "credential_id", "target", "ip", "user_agent", "request_id"};
  for (int i = 0; o && i < 6; i++)
    json_object_set_new(o, text_fields[i], gh_api_text_col(res, row, 3 + i));
  if (o) {
    json_object_set_new(o, "created_at", gh_obj_time(gh_db_getll(res, row, 9)));
    json_object_set_new(o, "details", gh_api_json_col(res, row, 10));
  }
  return o;
}

/* An event type or audit action: `<word>.<word>` in lower case, as the
 * tables' CHECKs require (anything else matches nothing: say so). */
static int dotted_name(const char *s) {
  size_t n = strlen(s);
  const char *dot = strchr(s, '.');
  if (!n || n > 64 || !dot || dot == s || !dot[1] || strchr(dot + 1, '.')) return 0;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || *p == '_' || *p == '.')) return 0;
  return 1;
}

/* Runs a page query ($1 limit + 1, $2 cursor, then the filters) and, with
 * a cursor, whether it exists; answers the list. */
static gh_status list(gh_req *r, const char *prefix, const char *page, const char *cursor_sql,
                      const char *const *filters, int nfilters, gh_api_render_fn render) {
  int limit;
  const char *after;
  gh_status s = gh_api_list_params(r, prefix, &limit, &after);
  if (s) return s;
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit + 1);
  const char *vals[8] = {lim, after};
  for (int i = 0; i < nfilters && i < 6; i++)
    vals[2 + i] = filters[i];
  gh_db_stmt q[2] = {{page, 2 + nfilters, vals, NULL}, {cursor_sql, 1, vals + 1, NULL}};
  PGresult *res[2] = {0};
  s = gh_db_ctx_txn(r->principal.hash, r->principal.livemode, q, after ? 2 : 1, res);
  if (s) return s;
  if (after && PQntuples(res[1]) == 0) {
    s = gh_api_bad_cursor(r);
  } else {
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res[0]); i++)
      json_array_append_new(items, render(res[0], i));
    s = gh_req_reply(r, 200, gh_api_list(items, limit));
  }
  gh_db_clear(res, 2);
  return s;
}

gh_status gh_api_event_list(gh_req *r) {
  const char *type = gh_req_query(r, "type");
  if (type && !dotted_name(type))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "type", "type must be an event type such as application.created.");
  const char *filters[1] = {type};
  return list(r, "evt_",
              "SELECT " EVENT_COLS " FROM gh.events e WHERE ($2::text IS NULL OR e.seq < "
              "(SELECT seq FROM gh.events WHERE id = $2)) AND ($3::text IS NULL OR e.type = $3) "
              "ORDER BY e.seq DESC LIMIT $1::int",
              "SELECT 1 FROM gh.events WHERE id = $1", filters, 1, render_event);
}

static const gh_api_reader event_reader = {
    .by_id = "SELECT " EVENT_COLS " FROM gh.events e WHERE e.id = $1",
    .page = NULL,
    .cursor_exists = "SELECT 1 FROM gh.events WHERE id = $1",
    .prefix = "evt_",
    .render = render_event,
};

gh_status gh_api_event_get(gh_req *r) { return gh_api_list_or_get(r, gh_req_param(r, 0), &event_reader); }

/* ?from / ?to as RFC 3339 UTC text for the query (NULL when absent). */
static gh_status time_param(gh_req *r, const char *name, char out[32], const char **value, int64_t *epoch) {
  const char *v = gh_req_query(r, name);
  *value = NULL;
  if (!v) return GH_OK;
  if (gh_rfc3339_parse(v, epoch)) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be an RFC 3339 time such as 2026-11-28T12:00:00Z.", name);
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, name, msg);
  }
  gh_rfc3339(*epoch, out);
  *value = out;
  return GH_OK;
}

gh_status gh_api_audit_list(gh_req *r) {
  const char *action = gh_req_query(r, "action"), *actor = gh_req_query(r, "actor"), *from, *to;
  char from_s[32], to_s[32];
  int64_t from_t = 0, to_t = 0;
  if (action && !dotted_name(action))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "action", "action must be an action such as api_key.created.");
  if (actor && !gh_id_valid(actor, "usr_") && !gh_id_valid(actor, "key_"))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "actor", "actor must be a user (usr_) or API key (key_) id.");
  gh_status s = time_param(r, "from", from_s, &from, &from_t);
  if (!s) s = time_param(r, "to", to_s, &to, &to_t);
  if (s) return s;
  if (from && to && from_t > to_t) return gh_req_error(r, GH_ERR_INVALID_REQUEST, "to", "to must not be before from.");
  const char *filters[4] = {action, actor, from, to};
  /* `to` covers its whole second: entries show whole seconds. */
  return list(r, "aud_",
              "SELECT " AUDIT_COLS " FROM gh.audit_log a WHERE ($2::text IS NULL OR a.seq < "
              "(SELECT seq FROM gh.audit_log WHERE id = $2)) AND ($3::text IS NULL OR a.action = $3) "
              "AND ($4::text IS NULL OR a.actor = $4) AND ($5::timestamptz IS NULL OR a.created_at >= $5::timestamptz) "
              "AND ($6::timestamptz IS NULL OR a.created_at < $6::timestamptz + interval '1 second') "
              "ORDER BY a.seq DESC LIMIT $1::int",
              "SELECT 1 FROM gh.audit_log WHERE id = $1", filters, 4, render_audit);
}
