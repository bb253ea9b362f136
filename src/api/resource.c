/* resource.c: the generic layer of the platform resources (see
 * resource.h). SQL is assembled from the static resource tables only;
 * every value a client sent is a parameter. */
#include "api/resource.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/common.h"
#include "api/objects.h"
#include "core/text.h"
#include "events/events.h"
#include "http/body.h"

/* ---- one transaction ---------------------------------------------------- */

void gh_res_txn_init(gh_res_txn *t) { memset(t, 0, sizeof *t); }

int gh_res_stmt(gh_res_txn *t) {
  if (t->n >= GH_RES_STMTS) {
    t->overflow = true;
    return GH_RES_STMTS - 1;
  }
  int k = t->n++;
  t->st[k] = (gh_db_stmt){t->sql[k], 0, t->vals[k], NULL};
  return k;
}

void gh_res_sql(gh_res_txn *t, int k, const char *fmt, ...) {
  size_t room = GH_RES_SQL - t->len[k];
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(t->sql[k] + t->len[k], room, fmt, ap);
  va_end(ap);
  if (w < 0 || (size_t)w >= room) {
    t->overflow = true;
    return;
  }
  t->len[k] += (size_t)w;
}

void gh_res_select(gh_res_txn *t, int k, const gh_res_type *ty) {
  gh_res_sql(t, k, "id, org_id, livemode, floor(extract(epoch from created_at))::bigint");
  for (const gh_res_col *c = ty->cols; c->name; c++)
    gh_res_sql(t, k, c->kind == GH_COL_TIME ? ", floor(extract(epoch from %s))::bigint" : ", %s", c->name);
}

int gh_res_param(gh_res_txn *t, int k, const char *v) {
  gh_db_stmt *s = &t->st[k];
  if (s->nparams >= GH_RES_PARAMS) {
    t->overflow = true;
    return GH_RES_PARAMS;
  }
  t->vals[k][s->nparams] = v;
  return ++s->nparams;
}

int gh_res_param_owned(gh_res_txn *t, int k, char *v) {
  if (!v || t->nowned >= GH_RES_STMTS * GH_RES_PARAMS) {
    free(v);
    t->overflow = true;
    return GH_RES_PARAMS;
  }
  t->owned[t->nowned++] = v;
  return gh_res_param(t, k, v);
}

void gh_res_event(gh_res_txn *t, int k, const gh_res_type *ty, const char *object, const char *verb) {
  if (t->nev >= GH_RES_STMTS) {
    t->overflow = true;
    return;
  }
  int i = t->nev++;
  int w = snprintf(t->ev[i].type, sizeof t->ev[i].type, "%s.%s", object ? object : ty->object, verb);
  if (w < 0 || (size_t)w >= sizeof t->ev[i].type) t->overflow = true;
  t->ev[i].ty = ty;
  t->ev[i].stmt = k;
  t->ev[i].rendered = NULL;
}

/* Inside the open transaction: render the changed rows once, one event
 * each, statement after statement in the order gh_res_event named them. */
static gh_status emit(gh_events_batch *b, PGresult *const *results, void *ctx) {
  gh_res_txn *t = ctx;
  for (int e = 0; e < t->nev; e++) {
    t->ev[e].rendered = gh_res_render_all(t->ev[e].ty, results[t->ev[e].stmt]);
    if (!t->ev[e].rendered) return GH_ERR_NOMEM;
    size_t i;
    json_t *o;
    json_array_foreach(t->ev[e].rendered, i, o) {
      gh_status s = o ? gh_events_add(b, t->ev[e].type, o) : GH_ERR_NOMEM;
      if (s) return s;
    }
  }
  return GH_OK;
}

gh_status gh_res_txn_run(gh_req *r, gh_res_txn *t) {
  if (t->overflow) return GH_ERR_INTERNAL;
  if (t->nev) return gh_events_txn(r, t->st, t->n, t->res, emit, t);
  return gh_db_ctx_txn(r->principal.hash, r->principal.livemode, t->st, t->n, t->res);
}

json_t *gh_res_rows(gh_res_txn *t, const gh_res_type *ty, int k) {
  for (int e = 0; e < t->nev; e++)
    if (t->ev[e].stmt == k && t->ev[e].rendered) return json_incref(t->ev[e].rendered);
  return gh_res_render_all(ty, t->res[k]);
}

void gh_res_txn_free(gh_res_txn *t) {
  for (int e = 0; e < t->nev; e++) {
    json_decref(t->ev[e].rendered);
    t->ev[e].rendered = NULL;
  }
  gh_db_clear(t->res, t->n);
  for (int i = 0; i < t->nowned; i++)
    free(t->owned[i]);
  t->nowned = 0;
}

/* ---- objects ------------------------------------------------------------ */

static json_t *render_col(const gh_res_col *c, const PGresult *res, int row, int col) {
  switch (c->kind) {
  case GH_COL_JSON: return gh_api_json_col(res, row, col);
  case GH_COL_TIME: return gh_obj_time(gh_db_getll(res, row, col));
  default: return gh_api_text_col(res, row, col);
  }
}

json_t *gh_res_render(const gh_res_type *ty, const PGresult *res, int row) {
  json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:o}", "object", ty->object, "id", PQgetvalue(res, row, 0), "org_id",
                        PQgetvalue(res, row, 1), "livemode", !strcmp(PQgetvalue(res, row, 2), "t"), "created_at",
                        gh_obj_time(gh_db_getll(res, row, 3)));
  int col = 4;
  for (const gh_res_col *c = ty->cols; o && c->name; c++)
    json_object_set_new(o, c->name, render_col(c, res, row, col++));
  return o;
}

json_t *gh_res_render_all(const gh_res_type *ty, const PGresult *res) {
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res); i++)
    json_array_append_new(items, gh_res_render(ty, res, i));
  return items;
}

const char *gh_res_path_id(gh_req *r, const gh_res_type *ty) {
  const char *id = gh_req_param(r, 0);
  return id && gh_id_valid(id, ty->prefix) ? id : NULL;
}

/* ---- checks ------------------------------------------------------------- */

static bool in_list(const char *v, const char *const *values) {
  for (; *values; values++)
    if (!strcmp(v, *values)) return true;
  return false;
}

static bool value_ok(const gh_res_col *c, const char *v) {
  switch (c->check) {
  case GH_CHECK_NAME: return gh_text_is_name(v, 200);
  case GH_CHECK_EMAIL: return gh_text_is_email(v);
  case GH_CHECK_ENUM: return in_list(v, c->values);
  case GH_CHECK_ID: return gh_id_valid(v, c->values[0]);
  default: return true;
  }
}

/* "<name> must be one of: a, b, c." and the like. */
static void check_message(const gh_res_col *c, char *out, size_t size) {
  switch (c->check) {
  case GH_CHECK_NAME: snprintf(out, size, "%s must have 1 to 200 characters.", c->name); break;
  case GH_CHECK_EMAIL: snprintf(out, size, "%s is not a valid email address.", c->name); break;
  case GH_CHECK_ID: snprintf(out, size, "%s is not an id of this kind.", c->name); break;
  default: {
    size_t used = (size_t)snprintf(out, size, "%s must be one of:", c->name);
    for (const char *const *v = c->values; *v && used < size; v++)
      used += (size_t)snprintf(out + used, size - used, "%s %s", v == c->values ? "" : ",", *v);
  }
  }
}

gh_status gh_res_check(gh_req *r, const gh_res_type *ty, json_t *obj, const char *prefix) {
  for (const gh_res_col *c = ty->cols; c->name; c++) {
    const char *v = json_string_value(json_object_get(obj, c->name));
    if (!v || value_ok(c, v)) continue;
    char param[64], msg[160];
    snprintf(param, sizeof param, "%s%s", prefix, c->name);
    check_message(c, msg, sizeof msg);
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, param, msg);
  }
  return GH_OK;
}

/* By the dispatcher's own code (gh_body_parse), so that an item of a list
 * follows exactly the rules of a request body. */
gh_status gh_res_check_fields(gh_req *r, json_t *obj, const gh_field *schema, const char *prefix) {
  if (!json_is_object(obj)) return gh_req_error(r, GH_ERR_INVALID_REQUEST, prefix, "Must be a JSON object.");
  char *text = json_dumps(obj, JSON_COMPACT), field[64], msg[256], param[96];
  if (!text) return GH_ERR_NOMEM;
  json_t *parsed = NULL;
  gh_status s = gh_body_parse(text, strlen(text), schema, &parsed, field, sizeof field, msg, sizeof msg);
  free(text);
  json_decref(parsed);
  if (!s) return GH_OK;
  snprintf(param, sizeof param, "%s.%s", prefix, field);
  return gh_req_error(r, s, param, msg);
}

/* ---- answers ------------------------------------------------------------ */

gh_status gh_res_reply_row(gh_req *r, const gh_res_type *ty, gh_res_txn *t, int k, const char *id, int http) {
  gh_status s = gh_res_txn_run(r, t);
  if (s == GH_ERR_INVALID_REQUEST && ty->refused) s = ty->refused(r);
  if (!s && PQntuples(t->res[k]) != 1) s = gh_api_missing(r, id);
  if (!s && http == 204) s = gh_req_reply(r, 204, NULL);
  if (!s && http != 204) {
    json_t *rows = gh_res_rows(t, ty, k), *o = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    s = o ? gh_req_reply(r, http, o) : GH_ERR_NOMEM;
  }
  gh_res_txn_free(t);
  return s;
}

/* Binds the body's value v of column c to statement k and appends its
 * placeholder to the statement: "$n", or "$n::jsonb" for JSON. */
static void bind_value(gh_res_txn *t, int k, const gh_res_col *c, json_t *v) {
  int n;
  if (json_is_null(v))
    n = gh_res_param(t, k, NULL);
  else if (c->kind == GH_COL_JSON)
    n = gh_res_param_owned(t, k, json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY));
  else
    n = gh_res_param(t, k, json_string_value(v));
  gh_res_sql(t, k, c->kind == GH_COL_JSON ? "$%d::jsonb" : "$%d", n);
}

/* ---- the generic handlers ----------------------------------------------- */

gh_status gh_res_on_object(gh_req *r, const gh_res_type *ty, const char *before, const char *after, int http,
                           const char *verb) {
  const char *id = gh_res_path_id(r, ty);
  if (!id) return GH_ERR_NOT_FOUND;
  gh_res_txn t;
  gh_res_txn_init(&t);
  int k = gh_res_stmt(&t);
  gh_res_param(&t, k, id);
  gh_res_sql(&t, k, before, ty->table);
  gh_res_select(&t, k, ty);
  gh_res_sql(&t, k, after, ty->table);
  if (verb) gh_res_event(&t, k, ty, NULL, verb);
  return gh_res_reply_row(r, ty, &t, k, id, http);
}

gh_status gh_res_get(gh_req *r, const gh_res_type *ty) {
  return gh_res_on_object(r, ty, "SELECT ", " FROM %s WHERE id = $1", 200, NULL);
}

/* RETURNING the row: the deletion event will carry the object. The
 * children first (resource.h): what the foreign keys' actions would do,
 * done by statements whose rows make the events. */
gh_status gh_res_delete(gh_req *r, const gh_res_type *ty) {
  if (!ty->children) return gh_res_on_object(r, ty, "DELETE FROM %s WHERE id = $1 RETURNING ", "", 204, "deleted");
  const char *id = gh_res_path_id(r, ty);
  if (!id) return GH_ERR_NOT_FOUND;
  gh_res_txn t;
  gh_res_txn_init(&t);
  /* From here until COMMIT no other transaction can make a row name the
   * parent (inserting or re-pointing a child takes FOR KEY SHARE on it),
   * and those that did before have committed: the statements below see
   * every child the foreign keys would act on. */
  int lock = gh_res_stmt(&t);
  gh_res_sql(&t, lock, "SELECT 1 FROM %s WHERE id = $%d FOR UPDATE", ty->table, gh_res_param(&t, lock, id));
  for (const gh_res_child *c = ty->children; c->type; c++) {
    int k = gh_res_stmt(&t), p = gh_res_param(&t, k, id);
    bool set_null = c->action == GH_CHILD_SET_NULL;
    if (set_null)
      gh_res_sql(&t, k, "WITH c AS (UPDATE %s SET %s = NULL WHERE %s = $%d RETURNING *) SELECT ", c->type->table,
                 c->col, c->col, p);
    else
      gh_res_sql(&t, k, "WITH c AS (DELETE FROM %s WHERE %s = $%d RETURNING *) SELECT ", c->type->table, c->col, p);
    gh_res_select(&t, k, c->type);
    gh_res_sql(&t, k, " FROM c ORDER BY seq");
    gh_res_event(&t, k, c->type, NULL, set_null ? "updated" : "deleted");
  }
  int k = gh_res_stmt(&t);
  gh_res_sql(&t, k, "DELETE FROM %s WHERE id = $%d RETURNING ", ty->table, gh_res_param(&t, k, id));
  gh_res_select(&t, k, ty);
  gh_res_event(&t, k, ty, NULL, "deleted");
  return gh_res_reply_row(r, ty, &t, k, id, 204);
}

gh_status gh_res_create(gh_req *r, const gh_res_type *ty) {
  gh_status s = gh_res_check(r, ty, r->json, "");
  if (s) return s;
  char id[GH_ID_MAX];
  gh_id_new(id, ty->prefix);
  gh_res_txn t;
  gh_res_txn_init(&t);
  int k = gh_res_stmt(&t);
  gh_res_sql(&t, k, "INSERT INTO %s (id, org_id, livemode", ty->table);
  for (const gh_res_col *c = ty->cols; c->name; c++)
    if (json_object_get(r->json, c->name)) gh_res_sql(&t, k, ", %s", c->name);
  gh_res_sql(&t, k, ") VALUES ($%d, (SELECT gh.current_org()), (SELECT gh.current_livemode())",
             gh_res_param(&t, k, id));
  for (const gh_res_col *c = ty->cols; c->name; c++) {
    json_t *v = json_object_get(r->json, c->name);
    if (!v) continue;
    gh_res_sql(&t, k, ", ");
    bind_value(&t, k, c, v);
  }
  gh_res_sql(&t, k, ") RETURNING ");
  gh_res_select(&t, k, ty);
  gh_res_event(&t, k, ty, NULL, "created");
  return gh_res_reply_row(r, ty, &t, k, id, 201);
}

gh_status gh_res_update(gh_req *r, const gh_res_type *ty) { return gh_res_update_as(r, ty, "updated"); }

gh_status gh_res_update_as(gh_req *r, const gh_res_type *ty, const char *verb) {
  const char *id = gh_res_path_id(r, ty);
  gh_status s = gh_res_check(r, ty, r->json, "");
  if (s) return s;
  if (!id) return GH_ERR_NOT_FOUND;
  /* Nothing to change: no UPDATE, so updated_at (set by a trigger on every
   * UPDATE) stays as it was. */
  if (!json_object_size(r->json)) return gh_res_get(r, ty);
  gh_res_txn t;
  gh_res_txn_init(&t);
  int k = gh_res_stmt(&t);
  gh_res_sql(&t, k, "UPDATE %s SET updated_at = now()", ty->table);
  for (const gh_res_col *c = ty->cols; c->name; c++) {
    json_t *v = json_object_get(r->json, c->name);
    if (!v) continue;
    gh_res_sql(&t, k, ", %s = ", c->name);
    bind_value(&t, k, c, v);
  }
  gh_res_sql(&t, k, " WHERE id = $%d RETURNING ", gh_res_param(&t, k, id));
  gh_res_select(&t, k, ty);
  gh_res_event(&t, k, ty, NULL, verb);
  return gh_res_reply_row(r, ty, &t, k, id, 200);
}

gh_status gh_res_list(gh_req *r, const gh_res_type *ty, const gh_res_type *parent, const char *parent_col) {
  int limit;
  const char *after, *pid = NULL;
  gh_status s = gh_api_list_params(r, ty->prefix, &limit, &after);
  if (s) return s;
  if (parent && !(pid = gh_res_path_id(r, parent))) return GH_ERR_NOT_FOUND;
  char fetch[16];
  snprintf(fetch, sizeof fetch, "%d", limit + 1); /* one more: has_more */
  gh_res_txn t;
  gh_res_txn_init(&t);
  int rows = gh_res_stmt(&t), pl = gh_res_param(&t, rows, fetch), pa = gh_res_param(&t, rows, after);
  gh_res_sql(&t, rows, "SELECT ");
  gh_res_select(&t, rows, ty);
  gh_res_sql(&t, rows, " FROM %s WHERE ($%d::text IS NULL OR seq < (SELECT seq FROM %s WHERE id = $%d))", ty->table, pa,
             ty->table, pa);
  if (parent) gh_res_sql(&t, rows, " AND %s = $%d", parent_col, gh_res_param(&t, rows, pid));
  gh_res_sql(&t, rows, " ORDER BY seq DESC LIMIT $%d", pl);
  /* The cursor must be an object of this list, else the page would be
   * silently empty. */
  int cursor = -1, owner = -1;
  if (after) {
    cursor = gh_res_stmt(&t);
    gh_res_sql(&t, cursor, "SELECT 1 FROM %s WHERE id = $%d", ty->table, gh_res_param(&t, cursor, after));
    if (parent) gh_res_sql(&t, cursor, " AND %s = $%d", parent_col, gh_res_param(&t, cursor, pid));
  }
  if (parent) {
    owner = gh_res_stmt(&t);
    gh_res_sql(&t, owner, "SELECT 1 FROM %s WHERE id = $%d", parent->table, gh_res_param(&t, owner, pid));
  }
  s = gh_res_txn_run(r, &t);
  if (!s && parent && PQntuples(t.res[owner]) == 0)
    s = gh_api_missing(r, pid);
  else if (!s && after && PQntuples(t.res[cursor]) == 0)
    s = gh_api_bad_cursor(r);
  else if (!s)
    s = gh_req_reply(r, 200, gh_api_list(gh_res_render_all(ty, t.res[rows]), limit));
  gh_res_txn_free(&t);
  return s;
}
