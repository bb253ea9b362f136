/* usage.c: GET /v1/api_keys/{id}/usage and GET /v1/usage (api.md, "API
 * keys"): the counters of usage/counter.c, summed per bucket by SQL under
 * the caller's org context (row-level security keeps other orgs out).
 *
 * Every bucket of the range is present, zero-filled, oldest first
 * (docs/decisions.md 52): a chart needs no gap handling, and the number of
 * buckets is bounded by the range rules of usage/range.c. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "core/clock.h"
#include "db/db.h"
#include "usage/usage.h"

/* $1 first bucket, $2 last bucket (epoch seconds), $3 bucket length in
 * seconds, $4 date_trunc's field; the per-key form adds $5, the key id.
 * generate_series makes every bucket; the aggregate fills those with data. */
#define BUCKETS_SQL(filter)                                                                                            \
  "WITH a AS (SELECT date_trunc($4, u.minute, 'UTC') AS t, sum(u.requests) AS requests, "                              \
  "sum(u.succeeded) AS succeeded, sum(u.client_errors) AS client_errors, sum(u.denied) AS denied, "                    \
  "sum(u.rate_limited) AS rate_limited FROM gh.api_key_usage u "                                                       \
  "WHERE u.minute >= to_timestamp($1::bigint) "                                                                        \
  "AND u.minute < to_timestamp($2::bigint) + $3::bigint * interval '1 s' " filter " GROUP BY 1) "                      \
  "SELECT floor(extract(epoch FROM b.t))::bigint, coalesce(a.requests, 0), coalesce(a.succeeded, 0), "                 \
  "coalesce(a.client_errors, 0), coalesce(a.denied, 0), coalesce(a.rate_limited, 0) "                                  \
  "FROM generate_series(to_timestamp($1::bigint), to_timestamp($2::bigint), $3::bigint * interval '1 s') AS b(t) "     \
  "LEFT JOIN a ON a.t = b.t ORDER BY b.t"

static const char org_sql[] = BUCKETS_SQL("");
static const char key_sql[] = BUCKETS_SQL("AND u.key_id = $5");
static const char key_exists_sql[] = "SELECT 1 FROM gh.api_keys k WHERE k.id = $1";

static json_t *render(const PGresult *res) {
  json_t *data = json_array();
  for (int i = 0; i < PQntuples(res); i++) {
    char t[32];
    gh_rfc3339(gh_db_getll(res, i, 0), t);
    json_array_append_new(
        data,
        json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "t", t, "requests", (json_int_t)gh_db_getll(res, i, 1), "succeeded",
                  (json_int_t)gh_db_getll(res, i, 2), "client_errors", (json_int_t)gh_db_getll(res, i, 3), "denied",
                  (json_int_t)gh_db_getll(res, i, 4), "rate_limited", (json_int_t)gh_db_getll(res, i, 5)));
  }
  return json_pack("{s:s, s:o, s:b}", "object", "list", "data", data, "has_more", 0);
}

/* Answers the usage of key_id (NULL: the whole org). */
static gh_status usage(gh_req *r, const char *key_id) {
  gh_usage_range g;
  const char *param = NULL, *message = NULL;
  gh_status s = gh_usage_range_parse(gh_req_query(r, "from"), gh_req_query(r, "to"), gh_req_query(r, "granularity"),
                                     gh_now(), &g, &param, &message);
  if (s) return gh_req_error(r, s, param, message);
  /* api.md's order: the request's parameters (400), then the addressed
   * object (404, 403 org_mismatch). A malformed id needs no query. */
  if (key_id && !gh_id_valid(key_id, "key_")) return gh_api_missing(r, key_id);
  char first[24], last[24], step[16];
  snprintf(first, sizeof first, "%lld", (long long)g.first);
  snprintf(last, sizeof last, "%lld", (long long)g.last);
  snprintf(step, sizeof step, "%d", g.step);
  const char *vals[5] = {first, last, step, g.unit, key_id};
  const char *kv[1] = {key_id};
  gh_db_stmt q[2] = {
      {key_exists_sql, 1, kv, NULL},
      {key_sql, 5, vals, NULL},
  };
  PGresult *res[2] = {0};
  if (!key_id) {
    q[0] = (gh_db_stmt){org_sql, 4, vals, NULL};
    s = gh_db_ctx_txn(r->principal.hash, r->principal.livemode, q, 1, res);
    if (s) return s;
    json_t *out = render(res[0]);
    PQclear(res[0]);
    return gh_req_reply(r, 200, out);
  }
  s = gh_db_ctx_txn(r->principal.hash, r->principal.livemode, q, 2, res);
  if (s) return s;
  if (PQntuples(res[0]) != 1) {
    gh_db_clear(res, 2);
    return gh_api_missing(r, key_id);
  }
  json_t *out = render(res[1]);
  gh_db_clear(res, 2);
  return gh_req_reply(r, 200, out);
}

/* The key is looked up in the same transaction as its counters. */
gh_status gh_api_key_usage(gh_req *r) { return usage(r, gh_req_param(r, 0)); }

gh_status gh_api_usage(gh_req *r) { return usage(r, NULL); }
