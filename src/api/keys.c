/* keys.c: API key management (api.md, "API keys").
 *
 * Creating, rotating and revoking are sensitive operations (admin session,
 * recent re-authentication: enforced by the route table). The secret exists
 * only in the creation and rotation responses; the database keeps its keyed
 * hash. Revocation (and the revocation that rotation implies) is announced
 * with gh.invalidate() inside the same transaction, and the call returns
 * only once every live node has dropped the key (db/listen.h). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "api/objects.h"
#include "auth/apikey.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/text.h"
#include "db/db.h"
#include "events/events.h"

#define MAX_GRACE (7 * 24 * 3600)

const gh_field gh_api_key_create_body[] = {
    {"name", GH_F_STRING, true, false},
    {"scopes", GH_F_ARRAY, true, false},
    {"mode", GH_F_STRING, true, false},
    {"expires_at", GH_F_STRING, false, true},
    {0},
};
const gh_field gh_api_key_rotate_body[] = {
    {"expire_old_in_seconds", GH_F_INT, false, true},
    {0},
};

#define KEY_COLS                                                                                                       \
  "k.id, k.org_id, k.name, k.redacted, array_to_string(k.scopes, ' '), k.livemode, "                                   \
  "floor(extract(epoch from k.expires_at))::bigint, floor(extract(epoch from k.revoked_at))::bigint, "                 \
  "floor(extract(epoch from k.last_used_at))::bigint, k.last_used_ip, floor(extract(epoch from k.created_at))::bigint"

static json_t *render_key(const PGresult *res, int row) {
  json_t *scopes = json_array();
  char buf[512];
  gh_buf_copy(buf, sizeof buf, PQgetvalue(res, row, 4));
  char *save = NULL;
  for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
    json_array_append_new(scopes, json_string(t));
  int live = !strcmp(PQgetvalue(res, row, 5), "t");
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:b, s:o, s:o, s:o, s:o, s:o}", "object", "api_key", "id",
                   PQgetvalue(res, row, 0), "org_id", PQgetvalue(res, row, 1), "name", PQgetvalue(res, row, 2),
                   "redacted_secret", PQgetvalue(res, row, 3), "scopes", scopes, "mode", live ? "live" : "test",
                   "livemode", live, "expires_at", gh_obj_time(gh_db_getll(res, row, 6)), "revoked_at",
                   gh_obj_time(gh_db_getll(res, row, 7)), "last_used_at", gh_obj_time(gh_db_getll(res, row, 8)),
                   "last_used_ip", gh_api_text_col(res, row, 9), "created_at", gh_obj_time(gh_db_getll(res, row, 10)));
}

/* Validates the body's scopes into a space-separated list (out). */
static gh_status parse_scopes(gh_req *r, char *out, size_t size) {
  json_t *arr = json_object_get(r->json, "scopes");
  size_t i, used = 0;
  json_t *v;
  uint32_t seen = 0;
  if (!json_array_size(arr))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "scopes", "At least one scope is required.");
  out[0] = '\0';
  json_array_foreach(arr, i, v) {
    const char *name = json_string_value(v);
    uint32_t bit = name ? gh_scope_parse(name) : 0;
    if (!bit) return gh_req_error(r, GH_ERR_INVALID_REQUEST, "scopes", "Unknown scope.");
    if (seen & bit) continue;
    seen |= bit;
    int w = snprintf(out + used, size - used, "%s%s", used ? " " : "", name);
    if (w < 0 || (size_t)w >= size - used) return GH_ERR_INTERNAL;
    used += (size_t)w;
  }
  return GH_OK;
}

/* Inserts a new key `id` under the caller's org, then runs the statements
 * of `then` (at most 2) in the same transaction, with c's event and audit
 * entry (the key rendered without its secret). Fills secret; res[0] is the
 * key's row and res[1..] the results of `then` (owned by the caller). */
static gh_status insert_key(gh_req *r, const char *id, const char *name, const char *scopes, bool live,
                            const char *expires, const char *rotated_from, const gh_db_stmt *then, int nthen,
                            gh_events_change *c, char secret[GH_KEY_MAX], PGresult **res) {
  char redacted[GH_KEY_REDACTED_MAX];
  unsigned char hash[GH_HASH_BYTES];
  gh_apikey_new(live, secret);
  gh_token_hash(secret, strlen(secret), hash);
  gh_apikey_redact(secret, redacted);
  const char *vals[9] = {
      id,          name, (const char *)hash, redacted, scopes, live ? "true" : "false", expires, r->principal.user_id,
      rotated_from};
  const int lens[9] = {0, 0, GH_HASH_BYTES, 0, 0, 0, 0, 0, 0};
  gh_db_stmt stmts[3] = {
      {"INSERT INTO gh.api_keys AS k (id, org_id, name, key_hash, redacted, scopes, livemode, expires_at, "
       "created_by, rotated_from) VALUES ($1, (SELECT gh.current_org()), $2, $3::bytea, $4, "
       "string_to_array($5, ' '), $6::boolean, $7::timestamptz, $8, $9) RETURNING " KEY_COLS,
       9, vals, lens},
  };
  for (int i = 0; i < nthen && i < 2; i++)
    stmts[1 + i] = then[i];
  gh_status s = gh_events_change_run(r, stmts, 1 + nthen, res, c);
  sodium_memzero(hash, sizeof hash);
  return s;
}

/* Answers 201 with the key the event carried, plus its secret (only here). */
static gh_status reply_with_secret(gh_req *r, gh_events_change *c, char secret[GH_KEY_MAX]) {
  json_t *key = c->object;
  c->object = NULL;
  if (key) json_object_set_new(key, "secret", json_string(secret));
  sodium_memzero(secret, GH_KEY_MAX);
  return key ? gh_req_reply(r, 201, key) : GH_ERR_INTERNAL;
}

gh_status gh_api_key_create(gh_req *r) {
  const char *name = gh_req_string(r, "name"), *mode = gh_req_string(r, "mode");
  const char *expires = gh_req_string(r, "expires_at");
  char scopes[512], expires_iso[32];
  if (!gh_text_is_name(name, 200))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "name", "The name must have 1 to 200 characters.");
  gh_status s = parse_scopes(r, scopes, sizeof scopes);
  if (s) return s;
  if (strcmp(mode, "live") && strcmp(mode, "test"))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "mode", "mode must be live or test.");
  if (expires) {
    int64_t at;
    if (gh_rfc3339_parse(expires, &at) || at <= gh_now())
      return gh_req_error(r, GH_ERR_INVALID_REQUEST, "expires_at", "expires_at must be a future RFC 3339 time.");
    gh_rfc3339(at, expires_iso);
  }
  char secret[GH_KEY_MAX], id[GH_ID_MAX];
  PGresult *row = NULL;
  gh_events_change c = {.render = render_key, .event = "api_key.created", .action = "api_key.created"};
  gh_id_new(id, "key_");
  s = insert_key(r, id, name, scopes, !strcmp(mode, "live"), expires ? expires_iso : NULL, NULL, NULL, 0, &c, secret,
                 &row);
  PQclear(row);
  if (!s) s = reply_with_secret(r, &c, secret);
  sodium_memzero(secret, sizeof secret);
  gh_events_change_free(&c);
  return s;
}

static const gh_api_reader keys = {
    .by_id = "SELECT " KEY_COLS " FROM gh.api_keys k WHERE k.id = $1",
    .page = "SELECT " KEY_COLS " FROM gh.api_keys k WHERE ($2::text IS NULL OR k.seq < "
            "(SELECT seq FROM gh.api_keys WHERE id = $2)) ORDER BY k.seq DESC LIMIT $1::int",
    .cursor_exists = "SELECT 1 FROM gh.api_keys WHERE id = $1",
    .prefix = "key_",
    .render = render_key,
};

gh_status gh_api_key_list(gh_req *r) { return gh_api_list_or_get(r, NULL, &keys); }

gh_status gh_api_key_get(gh_req *r) { return gh_api_list_or_get(r, gh_req_param(r, 0), &keys); }

gh_status gh_api_key_revoke(gh_req *r) {
  const char *id = gh_req_param(r, 0);
  if (!gh_id_valid(id, "key_")) return gh_api_missing(r, id);
  const char *vals[1] = {id};
  /* The last column says whether this call revoked it: revoking a revoked
   * key answers the key again but is no new event. */
  gh_db_stmt q[2] = {
      {"UPDATE gh.api_keys k SET revoked_at = coalesce(revoked_at, now()) WHERE k.id = $1 RETURNING " KEY_COLS
       ", k.revoked_at = now()",
       1, vals, NULL},
      {"SELECT gh.invalidate('key', id) FROM gh.api_keys WHERE id = $1", 1, vals, NULL},
  };
  PGresult *res[2] = {0};
  gh_events_change c = {
      .render = render_key, .event = "api_key.revoked", .action = "api_key.revoked", .changed_col = 11};
  gh_status s = gh_events_change_run(r, q, 2, res, &c);
  if (!s && PQntuples(res[0]) != 1) s = gh_api_missing(r, id);
  if (!s) {
    gh_api_wait_invalidated(res[1]);
    json_t *key = c.object ? json_incref(c.object) : render_key(res[0], 0);
    s = gh_req_reply(r, 200, key);
  }
  gh_db_clear(res, 2);
  gh_events_change_free(&c);
  return s;
}

gh_status gh_api_key_rotate(gh_req *r) {
  /* api.md's order: the body (400) before the addressed object (404). */
  long long grace = 0;
  gh_status s = gh_api_body_int(r, "expire_old_in_seconds", 0, MAX_GRACE, &grace, NULL);
  if (s) return s;
  const char *id = gh_req_param(r, 0);
  if (!gh_id_valid(id, "key_")) return gh_api_missing(r, id);
  /* The old key: must exist here and be live. */
  const char *vals[1] = {id};
  gh_db_stmt q = {"SELECT k.name, array_to_string(k.scopes, ' '), k.livemode, "
                  "to_char(k.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM gh.api_keys k "
                  "WHERE k.id = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())",
                  1, vals, NULL};
  PGresult *old = NULL;
  s = gh_db_ctx_txn(r->principal.hash, r->principal.livemode, &q, 1, &old);
  if (s) return s;
  if (PQntuples(old) != 1) {
    PQclear(old);
    return gh_api_missing(r, id);
  }
  char grace_s[24];
  snprintf(grace_s, sizeof grace_s, "%lld", (long long)grace);
  const char *tvals[2] = {id, grace_s};
  /* The old key is revoked now, or expires after the grace period but
   * never later than its own expiry. */
  gh_db_stmt then[2] = {
      {"UPDATE gh.api_keys SET revoked_at = CASE WHEN $2::int = 0 THEN now() END, "
       "expires_at = CASE WHEN $2::int = 0 THEN expires_at "
       "ELSE least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => $2::int)) END "
       "WHERE id = $1 AND revoked_at IS NULL",
       2, tvals, NULL},
      {"SELECT gh.invalidate('key', $1)", 1, tvals, NULL},
  };
  char secret[GH_KEY_MAX], new_id[GH_ID_MAX];
  PGresult *res[3] = {0};
  gh_id_new(new_id, "key_");
  /* The event carries the new key (as answered, without its secret); the
   * audit entry names the old one, which is what was acted on. */
  gh_events_change c = {.render = render_key,
                        .event = "api_key.rotated",
                        .action = "api_key.rotated",
                        .target = id,
                        .details =
                            json_pack("{s:s, s:I}", "new_key_id", new_id, "expire_old_in_seconds", (json_int_t)grace)};
  s = insert_key(r, new_id, PQgetvalue(old, 0, 0), PQgetvalue(old, 0, 1), !strcmp(PQgetvalue(old, 0, 2), "t"),
                 PQgetisnull(old, 0, 3) ? NULL : PQgetvalue(old, 0, 3), id, then, 2, &c, secret, res);
  PQclear(old);
  if (!s) {
    gh_api_wait_invalidated(res[2]);
    s = reply_with_secret(r, &c, secret);
  }
  sodium_memzero(secret, sizeof secret);
  gh_db_clear(res, 3);
  gh_events_change_free(&c);
  return s;
}
