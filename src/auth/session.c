/* session.c: see session.h. */
#include "auth/session.h"
#include "http/transport.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/objects.h"
#include "audit/audit.h"
#include "auth/token.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "db/db.h"

void gh_session_cookie(char *out, size_t size, const char *name, const char *value, const char *path, long max_age,
                       const char *same_site, int secure) {
  snprintf(out, size, "%s=%s; Path=%s; Max-Age=%ld; HttpOnly;%s SameSite=%s", name, value, path, max_age,
           secure ? " Secure;" : "", same_site);
}

/* Secure is dropped only for plain HTTP from a loopback peer in dev mode
 * (api.md): the peer, not a forwarded client address. */
int gh_session_insecure_ok(gh_req *r) { return gh_cfg->dev && !r->https && gh_transport_is_loopback(r->peer_ip); }

void gh_session_set_cookies(gh_req *r, const char *access, const char *refresh, int64_t expires_at) {
  long life = (long)(expires_at - gh_now());
  if (life < 1) life = 1;
  int secure = !gh_session_insecure_ok(r);
  char cookie[256];
  /* gh_session lives as long as the session, so that a stale access token
   * is still presented and answered token_expired, not unauthorized. */
  gh_session_cookie(cookie, sizeof cookie, "gh_session", access, "/", life, "Lax", secure);
  gh_req_add_header(r, "Set-Cookie", cookie);
  gh_session_cookie(cookie, sizeof cookie, "gh_refresh", refresh, "/v1/auth", life, "Strict", secure);
  gh_req_add_header(r, "Set-Cookie", cookie);
  sodium_memzero(cookie, sizeof cookie);
}

void gh_session_clear_cookies(gh_req *r) {
  char cookie[256];
  int secure = !gh_session_insecure_ok(r);
  gh_session_cookie(cookie, sizeof cookie, "gh_session", "", "/", 0, "Lax", secure);
  gh_req_add_header(r, "Set-Cookie", cookie);
  gh_session_cookie(cookie, sizeof cookie, "gh_refresh", "", "/v1/auth", 0, "Strict", secure);
  gh_req_add_header(r, "Set-Cookie", cookie);
}

void gh_session_new_tokens(gh_session_tokens *t) {
  gh_token_new(t->access);
  gh_token_new(t->refresh);
  gh_token_hash(t->access, strlen(t->access), t->access_hash);
  gh_token_hash(t->refresh, strlen(t->refresh), t->refresh_hash);
}

void gh_session_derive_tokens(const char *refresh, gh_session_tokens *t) {
  gh_token_derive(refresh, "access", t->access);
  gh_token_derive(refresh, "refresh", t->refresh);
  gh_token_hash(t->access, strlen(t->access), t->access_hash);
  gh_token_hash(t->refresh, strlen(t->refresh), t->refresh_hash);
}

void gh_session_wipe_tokens(gh_session_tokens *t) { sodium_memzero(t, sizeof *t); }

gh_status gh_session_issue(gh_req *r, const char *user_id, const char *user_epoch, const char *org_epoch,
                           gh_principal *p, const char *audit_action) {
  char sid[GH_ID_MAX], ttl[16];
  gh_session_tokens t;
  gh_id_new(sid, "ses_");
  gh_session_new_tokens(&t);
  snprintf(ttl, sizeof ttl, "%d", gh_cfg->access_ttl_seconds);
  /* Cut on a character boundary, valid UTF-8 only: a stray byte in a
   * header must not fail the login. */
  char ua_short[256];
  gh_audit_clean_text(gh_req_header(r, "User-Agent"), ua_short, sizeof ua_short);
  const char *vals[9] = {
      sid,        user_id,  (const char *)t.access_hash, (const char *)t.refresh_hash, ttl, r->client_ip, ua_short,
      user_epoch, org_epoch};
  const int lens[9] = {0, 0, GH_HASH_BYTES, GH_HASH_BYTES, 0, 0, 0, 0, 0};
  gh_db_stmt q = {"SELECT session_id, org_id, floor(extract(epoch from expires_at))::bigint, "
                  "floor(extract(epoch from access_expires_at))::bigint, "
                  "floor(extract(epoch from idle_expires_at))::bigint, outcome "
                  "FROM gh.session_create($1, $2, $3::bytea, $4::bytea, $5::int, $6, $7, $8::bigint, $9::bigint)",
                  9, vals, lens};
  PGresult *res = NULL;
  gh_status s;
  if (audit_action) {
    gh_audit_batch b;
    gh_audit_init(&b);
    s = gh_audit_add_as(&b, r, audit_action, user_id, sid, user_id, NULL);
    if (!s) s = gh_audit_txn_after(&q, t.access_hash, &b, &res);
    gh_audit_free(&b);
  } else {
    s = gh_db_exec(&q, &res);
  }
  if (!s && (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 5), "created"))) {
    /* "changed": the password was changed (or the user's or org's sessions
     * ended) after the caller checked it; "inactive": no such active user.
     * Either way no session exists, and the password is no longer proof. */
    if (PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 5), "changed"))
      gh_log_obj(GH_LOG_INFO, "session refused: the password or the sessions changed since it was checked",
                 json_pack("{s:s, s:s}", "request_id", r->id, "user_id", user_id));
    s = GH_ERR_INVALID_CREDENTIALS;
  }
  if (!s) {
    memset(p, 0, sizeof *p);
    p->kind = GH_CRED_SESSION;
    p->livemode = true;
    gh_buf_copy(p->credential_id, sizeof p->credential_id, PQgetvalue(res, 0, 0));
    gh_buf_copy(p->org_id, sizeof p->org_id, PQgetvalue(res, 0, 1));
    gh_buf_copy(p->user_id, sizeof p->user_id, user_id);
    p->expires_at = gh_db_getll(res, 0, 2);
    p->access_expires_at = gh_db_getll(res, 0, 3);
    p->idle_expires_at = gh_db_getll(res, 0, 4);
    p->reauthenticated_at = p->created_at = gh_now();
    memcpy(p->hash, t.access_hash, sizeof t.access_hash);
    gh_session_set_cookies(r, t.access, t.refresh, p->expires_at);
  }
  PQclear(res);
  gh_session_wipe_tokens(&t);
  return s;
}

gh_status gh_session_login_body(const gh_principal *p, json_t **out) { return gh_session_body(p, false, out); }

gh_status gh_session_body(const gh_principal *p, bool with_role, json_t **out) {
  const char *vals[2] = {p->user_id, p->credential_id};
  gh_db_stmt q[2] = {
      {"SELECT " GH_ORG_COLS ", " GH_USER_COLS " FROM gh.users u JOIN gh.orgs o ON o.id = u.org_id WHERE u.id = $1", 1,
       vals, NULL},
      {"SELECT floor(extract(epoch from s.created_at))::bigint, u.role FROM gh.sessions s JOIN gh.users u ON u.id = "
       "s.user_id "
       "WHERE s.id = $1",
       1, vals + 1, NULL},
  };
  PGresult *res[2] = {0};
  gh_status s = gh_db_ctx_txn(p->hash, p->livemode, q, 2, res);
  if (s) return s;
  if (PQntuples(res[0]) != 1 || PQntuples(res[1]) != 1) {
    gh_db_clear(res, 2);
    return GH_ERR_UNAUTHORIZED;
  }
  char csrf[GH_CSRF_MAX];
  gh_token_csrf(p->credential_id, csrf);
  *out =
      json_pack("{s:o, s:o, s:o, s:s}", "user", gh_obj_user(res[0], 0, GH_ORG_NCOLS), "org", gh_obj_org(res[0], 0, 0),
                "session", gh_obj_session(p, gh_db_getll(res[1], 0, 0)), "csrf_token", csrf);
  if (*out && with_role) json_object_set_new(*out, "role", json_string(PQgetvalue(res[1], 0, 1)));
  gh_db_clear(res, 2);
  return *out ? GH_OK : GH_ERR_NOMEM;
}
