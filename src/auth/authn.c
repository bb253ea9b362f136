/* authn.c: see authn.h. */
#include "auth/authn.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/activity.h"
#include "auth/apikey.h"
#include "auth/keycache.h"
#include "auth/keyuse.h"
#include "auth/sesscache.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/clock.h"
#include "db/db.h"
#include "db/listen.h"

#define SESSION_COOKIE "gh_session"

void gh_authn_read_session(const PGresult *res, int c, gh_sessinfo *s) {
  memset(s, 0, sizeof *s);
  gh_buf_copy(s->session_id, sizeof s->session_id, PQgetvalue(res, 0, c));
  gh_buf_copy(s->user_id, sizeof s->user_id, PQgetvalue(res, 0, c + 1));
  gh_buf_copy(s->org_id, sizeof s->org_id, PQgetvalue(res, 0, c + 2));
  s->access_expires_at = gh_db_getll(res, 0, c + 3);
  s->expires_at = gh_db_getll(res, 0, c + 4);
  s->last_active_at = s->flushed_at = gh_db_getll(res, 0, c + 5);
  s->idle_timeout = (int32_t)gh_db_getll(res, 0, c + 6);
  s->reauthenticated_at = gh_db_getll(res, 0, c + 7);
  s->created_at = gh_db_getll(res, 0, c + 8);
}

/* The session's record from the database (gh.session_auth). *state gets
 * "live", "expired" or "revoked"; GH_ERR_UNAUTHORIZED if there is none. */
static gh_status session_from_db(const unsigned char hash[32], gh_sessinfo *s, char state[16]) {
  const char *vals[1] = {(const char *)hash};
  const int lens[1] = {32};
  gh_db_stmt q = {"SELECT role, state, " GH_SESSION_COLS " FROM gh.session_auth($1::bytea)", 1, vals, lens};
  PGresult *res;
  gh_status st = gh_db_exec(&q, &res);
  if (st) return st;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return GH_ERR_UNAUTHORIZED;
  }
  gh_authn_read_session(res, 2, s);
  s->admin = !strcmp(PQgetvalue(res, 0, 0), "admin");
  gh_buf_copy(state, 16, PQgetvalue(res, 0, 1));
  PQclear(res);
  return GH_OK;
}

void gh_authn_fill_session(gh_principal *p, const gh_sessinfo *s, const unsigned char hash[32], int64_t now) {
  p->kind = GH_CRED_SESSION;
  gh_buf_copy(p->credential_id, sizeof p->credential_id, s->session_id);
  gh_buf_copy(p->user_id, sizeof p->user_id, s->user_id);
  gh_buf_copy(p->org_id, sizeof p->org_id, s->org_id);
  gh_buf_copy(p->role, sizeof p->role, s->admin ? "admin" : "member");
  p->scopes = s->admin ? GH_SCOPE_ALL : GH_SCOPE_RESOURCES;
  p->access_expires_at = s->access_expires_at;
  p->expires_at = s->expires_at;
  p->idle_expires_at = (s->last_active_at > now ? s->last_active_at : now) + s->idle_timeout;
  p->reauthenticated_at = s->reauthenticated_at;
  p->created_at = s->created_at;
  memcpy(p->hash, hash, 32);
}

/* Authenticates a session by its access-token hash. Deadlines are checked
 * on every request, from the cache when it can be trusted. A session whose
 * idle deadline seems past is re-read first: it may have been active on
 * another node since. Every request counts as activity (refresh does not
 * come through here). */
gh_status gh_authn_session(const unsigned char hash[32], gh_principal *p) {
  gh_sessinfo s;
  char state[16] = "live";
  int trusted = gh_listen_trusted(), fresh = 0;
  if (!(trusted && gh_sesscache_get(hash, &s))) {
    uint64_t epoch = gh_sesscache_epoch();
    gh_status st = session_from_db(hash, &s, state);
    if (st) return st;
    if (!strcmp(state, "revoked")) return GH_ERR_UNAUTHORIZED;
    if (!strcmp(state, "expired")) return GH_ERR_TOKEN_EXPIRED;
    if (trusted) gh_sesscache_put(hash, &s, epoch);
    fresh = 1;
  }
  int64_t now = gh_now();
  if (now >= s.expires_at || now >= s.access_expires_at) return GH_ERR_TOKEN_EXPIRED;
  if (now >= s.last_active_at + s.idle_timeout) {
    if (fresh) return GH_ERR_TOKEN_EXPIRED;
    gh_sessinfo db;
    uint64_t epoch = gh_sesscache_epoch();
    gh_status st = session_from_db(hash, &db, state);
    if (st) return st;
    if (strcmp(state, "live")) return strcmp(state, "expired") ? GH_ERR_UNAUTHORIZED : GH_ERR_TOKEN_EXPIRED;
    if (db.last_active_at < s.last_active_at) db.last_active_at = s.last_active_at;
    s = db;
    if (now >= s.last_active_at + s.idle_timeout) return GH_ERR_TOKEN_EXPIRED;
    gh_sesscache_put(hash, &s, epoch);
  }
  if (gh_sesscache_touch(hash, now) || !trusted) gh_activity_note(s.session_id, now);
  s.last_active_at = now;
  gh_authn_fill_session(p, &s, hash, now);
  return GH_OK;
}

/* Scope names separated by spaces (array_to_string) → bits; admin implies
 * every scope. */
uint32_t gh_authn_scope_bits(const char *list) {
  uint32_t bits = 0;
  char buf[512];
  gh_buf_copy(buf, sizeof buf, list);
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
  gh_buf_copy(k->key_id, sizeof k->key_id, PQgetvalue(res, 0, 0));
  gh_buf_copy(k->org_id, sizeof k->org_id, PQgetvalue(res, 0, 1));
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
  if (k.revoked || (k.expires_at && k.expires_at <= gh_now()) || k.livemode != live) {
    /* The secret matched this key's hash, so the use is this key's own:
     * its owner sees a revoked key still being tried (docs/decisions.md 50). */
    if (k.livemode == live) {
      gh_buf_copy(r->refused_key_id, sizeof r->refused_key_id, k.key_id);
      gh_buf_copy(r->refused_key_org, sizeof r->refused_key_org, k.org_id);
    }
    return GH_ERR_UNAUTHORIZED;
  }
  gh_principal *p = &r->principal;
  p->kind = GH_CRED_API_KEY;
  p->livemode = k.livemode;
  p->scopes = k.scopes;
  gh_buf_copy(p->org_id, sizeof p->org_id, k.org_id);
  gh_buf_copy(p->credential_id, sizeof p->credential_id, k.key_id);
  p->expires_at = k.expires_at;
  memcpy(p->hash, hash, 32);
  gh_keyuse_note(k.key_id, gh_now(), r->client_ip);
  return GH_OK;
}

int gh_authn_bearer(const char *header, const char **token, size_t *len) {
  if (strncasecmp(header, "Bearer ", 7)) return -1;
  const char *tok = header + 7;
  while (*tok == ' ')
    tok++;
  *token = tok;
  *len = strlen(tok);
  return 0;
}

gh_status gh_authn_request(gh_req *r) {
  const char *auth = gh_req_header(r, "Authorization");
  if (auth) {
    /* An Authorization header authenticates the request alone, whatever
     * cookies come with it. */
    const char *tok;
    size_t len;
    if (gh_authn_bearer(auth, &tok, &len)) return GH_ERR_UNAUTHORIZED;
    return authn_key(r, tok, len);
  }
  const char *cookie = gh_req_cookie(r, SESSION_COOKIE);
  if (!cookie || !*cookie || strlen(cookie) > 128) return GH_ERR_UNAUTHORIZED;
  unsigned char hash[32];
  gh_token_hash(cookie, strlen(cookie), hash);
  gh_status s = gh_authn_session(hash, &r->principal);
  if (s) return s;
  const char *mode = gh_req_header(r, "Gatehouse-Mode");
  r->principal.livemode = !(mode && !strcasecmp(mode, "test"));
  return GH_OK;
}
