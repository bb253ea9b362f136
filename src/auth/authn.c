/* authn.c: see authn.h. */
#include "auth/authn.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/apikey.h"
#include "auth/keycache.h"
#include "auth/token.h"
#include "core/clock.h"
#include "db/db.h"
#include "db/listen.h"

#define SESSION_COOKIE "gh_session"

gh_status gh_authn_session_hash(const unsigned char hash[32], gh_principal *p) {
  const char *vals[1] = {(const char *)hash};
  const int lens[1] = {32};
  gh_db_stmt q = {"SELECT session_id, user_id, org_id, role, state, "
                  "extract(epoch from access_expires_at)::bigint, extract(epoch from expires_at)::bigint, "
                  "extract(epoch from idle_expires_at)::bigint, "
                  "coalesce(extract(epoch from reauthenticated_at)::bigint, 0) "
                  "FROM gh.session_lookup($1::bytea)",
                  1, vals, lens};
  PGresult *res;
  gh_status s = gh_db_exec(&q, &res);
  if (s) return s;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return GH_ERR_UNAUTHORIZED;
  }
  const char *state = PQgetvalue(res, 0, 4);
  if (strcmp(state, "live")) {
    s = strcmp(state, "expired") ? GH_ERR_UNAUTHORIZED : GH_ERR_TOKEN_EXPIRED;
    PQclear(res);
    return s;
  }
  p->kind = GH_CRED_SESSION;
  snprintf(p->credential_id, sizeof p->credential_id, "%s", PQgetvalue(res, 0, 0));
  snprintf(p->user_id, sizeof p->user_id, "%s", PQgetvalue(res, 0, 1));
  snprintf(p->org_id, sizeof p->org_id, "%s", PQgetvalue(res, 0, 2));
  snprintf(p->role, sizeof p->role, "%s", PQgetvalue(res, 0, 3));
  p->access_expires_at = gh_db_getll(res, 0, 5);
  p->expires_at = gh_db_getll(res, 0, 6);
  p->idle_expires_at = gh_db_getll(res, 0, 7);
  p->reauthenticated_at = gh_db_getll(res, 0, 8);
  p->scopes = strcmp(p->role, "admin") ? GH_SCOPE_RESOURCES : GH_SCOPE_ALL;
  memcpy(p->hash, hash, 32);
  PQclear(res);
  return GH_OK;
}

/* Scope names separated by spaces (array_to_string) → bits; admin implies
 * every scope. */
uint32_t gh_authn_scope_bits(const char *list) {
  uint32_t bits = 0;
  char buf[512];
  snprintf(buf, sizeof buf, "%s", list);
  char *save = NULL;
  for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
    bits |= gh_scope_parse(t);
  return (bits & GH_SCOPE_ADMIN) ? GH_SCOPE_ALL : bits;
}

/* The key's record from the cache, or from the database (then cached). */
static gh_status key_info(const unsigned char hash[32], gh_keyinfo *k) {
  if (gh_listen_trusted() && gh_keycache_get(hash, k)) return GH_OK;
  uint64_t epoch = gh_keycache_epoch();
  const char *vals[1] = {(const char *)hash};
  const int lens[1] = {32};
  gh_db_stmt q = {"SELECT key_id, org_id, livemode, array_to_string(scopes, ' '), "
                  "coalesce(floor(extract(epoch from expires_at))::bigint, 0), revoked_at IS NOT NULL "
                  "FROM gh.api_key_lookup($1::bytea)",
                  1, vals, lens};
  PGresult *res;
  gh_status s = gh_db_exec(&q, &res);
  if (s) return s;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return GH_ERR_UNAUTHORIZED;
  }
  memset(k, 0, sizeof *k);
  snprintf(k->key_id, sizeof k->key_id, "%s", PQgetvalue(res, 0, 0));
  snprintf(k->org_id, sizeof k->org_id, "%s", PQgetvalue(res, 0, 1));
  k->livemode = !strcmp(PQgetvalue(res, 0, 2), "t");
  k->scopes = gh_authn_scope_bits(PQgetvalue(res, 0, 3));
  k->expires_at = gh_db_getll(res, 0, 4);
  k->revoked = !strcmp(PQgetvalue(res, 0, 5), "t");
  PQclear(res);
  if (gh_listen_trusted()) gh_keycache_put(hash, k, epoch);
  return GH_OK;
}

static gh_status authn_key(gh_req *r, const char *key, size_t n) {
  bool live;
  if (!gh_apikey_parse(key, n, &live)) return gh_req_error(r, GH_ERR_UNAUTHORIZED, NULL, NULL);
  unsigned char hash[32];
  gh_token_hash(key, n, hash);
  gh_keyinfo k;
  gh_status s = key_info(hash, &k);
  if (s) return s;
  /* Revoked, expired, or (impossible unless tampered with) a record whose
   * mode disagrees with the key's prefix: all answer alike. */
  if (k.revoked || (k.expires_at && k.expires_at <= gh_now()) || k.livemode != live) return GH_ERR_UNAUTHORIZED;
  gh_principal *p = &r->principal;
  p->kind = GH_CRED_API_KEY;
  p->livemode = k.livemode;
  p->scopes = k.scopes;
  snprintf(p->org_id, sizeof p->org_id, "%s", k.org_id);
  snprintf(p->credential_id, sizeof p->credential_id, "%s", k.key_id);
  p->expires_at = k.expires_at;
  memcpy(p->hash, hash, 32);
  return GH_OK;
}

gh_status gh_authn_request(gh_req *r) {
  const char *auth = gh_req_header(r, "Authorization");
  if (auth) {
    /* An Authorization header authenticates the request alone, whatever
     * cookies come with it. */
    if (strncasecmp(auth, "Bearer ", 7)) return GH_ERR_UNAUTHORIZED;
    const char *tok = auth + 7;
    while (*tok == ' ')
      tok++;
    return authn_key(r, tok, strlen(tok));
  }
  const char *cookie = gh_req_cookie(r, SESSION_COOKIE);
  if (!cookie || !*cookie || strlen(cookie) > 128) return GH_ERR_UNAUTHORIZED;
  unsigned char hash[32];
  gh_token_hash(cookie, strlen(cookie), hash);
  gh_status s = gh_authn_session_hash(hash, &r->principal);
  if (s) return s;
  const char *mode = gh_req_header(r, "Gatehouse-Mode");
  r->principal.livemode = !(mode && !strcasecmp(mode, "test"));
  return GH_OK;
}
