/* common.c: see common.h. */
#include "api/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rand.h"
#include "core/text.h"
#include "db/db.h"
#include "db/listen.h"

/* How long a change that ends credentials waits for every node's
 * acknowledgement (see gh_api_wait_invalidated). */
#define WAIT_MS (GH_LISTEN_FRESH_S * 1000 + 1000)

gh_status gh_api_list_params(gh_req *r, const char *prefix, int *limit, const char **starting_after) {
  *limit = GH_LIST_DEFAULT;
  *starting_after = NULL;
  const char *l = gh_req_query(r, "limit");
  if (l) {
    /* Digits only: strtol would also take "+5", " 5" and "-0". */
    unsigned long v;
    if (!gh_text_uint(l, GH_LIST_MAX, &v) || v < 1)
      return gh_req_error(r, GH_ERR_INVALID_REQUEST, "limit", "limit must be an integer from 1 to 100.");
    *limit = (int)v;
  }
  const char *sa = gh_req_query(r, "starting_after");
  if (sa) {
    if (!gh_id_valid(sa, prefix)) return gh_api_bad_cursor(r);
    *starting_after = sa;
  }
  return GH_OK;
}

gh_status gh_api_body_int(gh_req *r, const char *field, long long min, long long max, long long *out, bool *present) {
  json_t *v = json_object_get(gh_req_json(r), field);
  if (present) *present = false;
  if (!json_is_integer(v)) return GH_OK;
  json_int_t n = json_integer_value(v);
  if (n < min || n > max) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be an integer from %lld to %lld.", field, min, max);
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, field, msg);
  }
  *out = (long long)n;
  if (present) *present = true;
  return GH_OK;
}

gh_status gh_api_bad_cursor(gh_req *r) {
  return gh_req_error(r, GH_ERR_INVALID_REQUEST, "starting_after", "starting_after is not an object of this list.");
}

json_t *gh_api_list(json_t *items, int limit) {
  int more = json_array_size(items) > (size_t)limit;
  if (more) json_array_remove(items, (size_t)limit);
  return json_pack("{s:s, s:o, s:b}", "object", "list", "data", items, "has_more", more);
}

gh_status gh_api_missing(gh_req *r, const char *id) {
  static const char *const prefixes[] = {"org_",  "usr_", "inv_", "ses_", "key_", "app_", "rev_", "cmp_",
                                         "lead_", "ctr_", "cex_", "evt_", "aud_", "whe_", "whd_"};
  int known = 0;
  for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
    if (gh_id_valid(id, prefixes[i])) known = 1;
  if (!known) return GH_ERR_NOT_FOUND;
  const char *vals[1] = {id};
  gh_db_stmt q = {"SELECT org_id FROM gh.object_owner($1)", 1, vals, NULL};
  PGresult *res;
  gh_status s = gh_db_exec(&q, &res);
  if (s) return s;
  int other = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), r->principal.org_id) != 0;
  PQclear(res);
  return other ? GH_ERR_ORG_MISMATCH : GH_ERR_NOT_FOUND;
}

void gh_api_wait_invalidated(const PGresult *res) { gh_api_wait_invalidated_at(res, 0); }

void gh_api_wait_invalidated_at(const PGresult *res, int col) {
  if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, col)) (void)gh_listen_wait(gh_db_getll(res, 0, col), WAIT_MS);
}

json_t *gh_api_json_col(const PGresult *res, int row, int col) {
  if (PQgetisnull(res, row, col)) return json_null();
  json_t *v = json_loads(PQgetvalue(res, row, col), JSON_DECODE_ANY, NULL);
  return v ? v : json_null();
}

json_t *gh_api_text_col(const PGresult *res, int row, int col) {
  if (PQgetisnull(res, row, col)) return json_null();
  return json_string(PQgetvalue(res, row, col));
}

gh_status gh_api_list_or_get(gh_req *r, const char *id, const gh_api_reader *rd) {
  int limit = 1;
  const char *after = NULL;
  if (id && !gh_id_valid(id, rd->prefix)) return gh_api_missing(r, id);
  if (!id) {
    gh_status s = gh_api_list_params(r, rd->prefix, &limit, &after);
    if (s) return s;
  }
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit + 1);
  const char *vals[2] = {id ? id : lim, after};
  gh_db_stmt q[2] = {
      {id ? rd->by_id : rd->page, id ? 1 : 2, vals, NULL},
      {rd->cursor_exists, 1, vals + 1, NULL},
  };
  PGresult *res[2] = {0};
  gh_status s = gh_db_ctx_txn(r->principal.hash, r->principal.livemode, q, after ? 2 : 1, res);
  if (s) return s;
  if (after && PQntuples(res[1]) == 0) {
    gh_db_clear(res, 2);
    return gh_api_bad_cursor(r);
  }
  json_t *out;
  if (id) {
    out = PQntuples(res[0]) == 1 ? rd->render(res[0], 0) : NULL;
  } else {
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res[0]); i++)
      json_array_append_new(items, rd->render(res[0], i));
    out = gh_api_list(items, limit);
  }
  gh_db_clear(res, 2);
  if (!out) return gh_api_missing(r, id);
  return gh_req_reply(r, 200, out);
}
