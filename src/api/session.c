/* session.c: the browser session's own endpoints (api.md, "Authentication
 * and sessions"): refresh, logout, the session, re-authentication, password
 * change and invitation acceptance.
 *
 * Refresh rotates both tokens. The next tokens are derived from the
 * presented refresh token, so two tabs or two nodes refreshing with the same
 * token at once agree on the result; a refresh token replayed more than
 * GRACE seconds after its rotation is theft, and ends the whole session.
 * Every end of a session (logout, replay, password change) is announced
 * with gh.invalidate() in the same transaction and awaited on every node. */
#include <sodium.h>
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "api/objects.h"
#include "audit/audit.h"
#include "auth/authn.h"
#include "auth/csrf.h"
#include "auth/password.h"
#include "auth/profile.h"
#include "auth/session.h"
#include "auth/sesscache.h"
#include "auth/throttle.h"
#include "auth/token.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "db/db.h"
#include "db/listen.h"

#define GRACE 10
#define REFRESH_COOKIE "gh_refresh"

const gh_field gh_api_logout_body[] = {{"all", GH_F_BOOL, false, true}, {0}};
const gh_field gh_api_reauth_body[] = {{"password", GH_F_STRING, true, false}, {0}};
const gh_field gh_api_password_body[] = {
    {"current_password", GH_F_STRING, true, false},
    {"new_password", GH_F_STRING, true, false},
    {0},
};
const gh_field gh_api_accept_body[] = {
    {"token", GH_F_STRING, true, false},
    {"password", GH_F_STRING, true, false},
    {0},
};

/* {session, csrf_token} for the session in p. */
static gh_status reply_session(gh_req *r, const gh_principal *p) {
  char csrf[GH_CSRF_MAX];
  gh_token_csrf(p->credential_id, csrf);
  json_t *o = json_pack("{s:o, s:s}", "session", gh_obj_session(p, p->created_at), "csrf_token", csrf);
  sodium_memzero(csrf, sizeof csrf);
  return gh_req_reply(r, 200, o);
}

gh_status gh_api_auth_refresh(gh_req *r) {
  /* api.md's order: credentials (401) before CSRF (403). A missing or
   * malformed refresh token is no credential at all: 401, whatever the
   * Origin. */
  const char *old = gh_req_cookie(r, REFRESH_COOKIE);
  if (!old || !gh_token_wellformed(old)) return GH_ERR_UNAUTHORIZED;
  /* No CSRF token (a reloaded page must refresh before it knows it); the
   * cookie is SameSite=Strict and the Origin, when sent, must be ours.
   * Checked before the token is looked up, so a foreign page never makes
   * it rotate (nor a replay revoke the session). */
  if (!gh_csrf_origin_ok(r)) return GH_ERR_CSRF_FAILED;
  unsigned char old_hash[32];
  gh_session_tokens next;
  gh_token_hash(old, strlen(old), old_hash);
  gh_session_derive_tokens(old, &next);
  char ttl[16], grace[8];
  snprintf(ttl, sizeof ttl, "%d", gh_cfg->access_ttl_seconds);
  snprintf(grace, sizeof grace, "%d", GRACE);
  char aud_id[GH_ID_MAX], ua[GH_AUDIT_UA_MAX + 1];
  gh_id_new(aud_id, "aud_");
  gh_audit_clean_text(gh_req_header(r, "User-Agent"), ua, sizeof ua);
  const char *vals[9] = {(const char *)old_hash,
                         (const char *)next.refresh_hash,
                         (const char *)next.access_hash,
                         ttl,
                         grace,
                         aud_id,
                         r->client_ip,
                         ua,
                         r->id};
  const int lens[9] = {32, 32, 32, 0, 0, 0, 0, 0, 0};
  /* One statement: the outcome, and for a rotation or a replay the
   * invalidation of the session's cached (old) access token everywhere; a
   * replay is audited in the same transaction as the revocation (0011). */
  gh_db_stmt q = {"WITH x AS (SELECT * FROM gh.session_refresh($1::bytea, $2::bytea, $3::bytea, $4::int, $5::int)) "
                  "SELECT outcome, " GH_SESSION_COLS ", CASE WHEN outcome IN ('rotated', 'reused') "
                  "THEN gh.invalidate('session', session_id) END, CASE WHEN outcome = 'reused' "
                  "THEN gh.audit_refresh_reuse($6, $1::bytea, $7, $8, $9) END FROM x",
                  9, vals, lens};
  PGresult *res;
  gh_status s = gh_db_exec(&q, &res);
  if (s) {
    gh_session_wipe_tokens(&next);
    return s;
  }
  const char *outcome = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "unknown";
  if (!strcmp(outcome, "rotated") || !strcmp(outcome, "grace")) {
    gh_sessinfo si;
    gh_authn_read_session(res, 1, &si);
    gh_principal *p = &r->principal;
    gh_authn_fill_session(p, &si, next.access_hash, gh_now());
    gh_session_set_cookies(r, next.access, next.refresh, si.expires_at);
    gh_session_wipe_tokens(&next);
    /* The replaced access token stops working on every node before the
     * new one is handed out (a few milliseconds; refresh is rare). */
    gh_api_wait_invalidated_at(res, 10);
    PQclear(res);
    return reply_session(r, p);
  }
  gh_session_wipe_tokens(&next);
  if (!strcmp(outcome, "reused")) {
    gh_log_obj(GH_LOG_WARN, "refresh token replayed: session revoked",
               json_pack("{s:s, s:s}", "request_id", r->id, "session_id", PQgetvalue(res, 0, 1)));
    gh_api_wait_invalidated_at(res, 10);
  }
  s = !strcmp(outcome, "expired") ? GH_ERR_TOKEN_EXPIRED : GH_ERR_UNAUTHORIZED;
  PQclear(res);
  return s;
}

gh_status gh_api_auth_logout(gh_req *r) {
  json_t *all = json_object_get(r->json, "all");
  int every = json_is_true(all);
  const char *vals[2] = {(const char *)r->principal.hash, every ? "true" : "false"};
  const int lens[2] = {32, 0};
  gh_db_stmt q = {"SELECT gh.invalidate(CASE WHEN $2::boolean THEN 'user' ELSE 'session' END, "
                  "CASE WHEN $2::boolean THEN user_id ELSE session_id END) "
                  "FROM gh.session_logout($1::bytea, $2::boolean)",
                  2, vals, lens};
  PGresult *res;
  gh_status s = gh_db_exec(&q, &res);
  if (s) return s;
  gh_api_wait_invalidated(res);
  PQclear(res);
  gh_session_clear_cookies(r);
  return gh_req_reply(r, 204, NULL);
}

/* The user and org objects come from the profile cache when it can be
 * trusted (no database work, like every other session check); the session
 * part is always the live one. */
gh_status gh_api_auth_session(gh_req *r) {
  const gh_principal *p = &r->principal;
  char *user = NULL, *org = NULL, role[8];
  if (!(gh_listen_trusted() && gh_profile_get(p->credential_id, &user, &org, role))) {
    uint64_t epoch = gh_profile_epoch();
    json_t *body;
    gh_status s = gh_session_body(p, true, &body);
    if (s) return s;
    char *u = json_dumps(json_object_get(body, "user"), JSON_COMPACT);
    char *o = json_dumps(json_object_get(body, "org"), JSON_COMPACT);
    const char *ro = json_string_value(json_object_get(body, "role"));
    if (u && o && ro && gh_listen_trusted()) gh_profile_put(p->credential_id, p->user_id, p->org_id, u, o, ro, epoch);
    free(u);
    free(o);
    return gh_req_reply(r, 200, body);
  }
  char csrf[GH_CSRF_MAX];
  gh_token_csrf(p->credential_id, csrf);
  json_t *session = gh_obj_session(p, p->created_at);
  char *stext = json_dumps(session, JSON_COMPACT);
  json_decref(session);
  char *text = NULL;
  if (stext && asprintf(&text, "{\"user\":%s,\"org\":%s,\"role\":\"%s\",\"session\":%s,\"csrf_token\":\"%s\"}", user,
                        org, role, stext, csrf) < 0)
    text = NULL;
  sodium_memzero(csrf, sizeof csrf);
  free(stext);
  free(user);
  free(org);
  if (!text) return GH_ERR_NOMEM;
  return gh_req_reply_text(r, 200, "application/json; charset=utf-8", text);
}

/* The session user's password hash (owned by the caller, free()), or NULL
 * with *st set. */
static char *session_password_hash(gh_req *r, gh_status *st) {
  const char *vals[1] = {(const char *)r->principal.hash};
  const int lens[1] = {32};
  gh_db_stmt q = {"SELECT password_hash FROM gh.session_password_hash($1::bytea)", 1, vals, lens};
  PGresult *res;
  *st = gh_db_exec(&q, &res);
  if (*st) return NULL;
  char *h = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? strdup(PQgetvalue(res, 0, 0)) : NULL;
  if (!h) *st = GH_ERR_UNAUTHORIZED;
  PQclear(res);
  return h;
}

/* Verifies `field` against the session user's password, counting failures
 * against the user. Returns GH_OK or the error to answer. */
static gh_status verify_own_password(gh_req *r, const char *field) {
  gh_status s;
  char *hash = session_password_hash(r, &s);
  if (!hash) return s;
  int ok = gh_password_verify(hash, gh_req_string(r, field));
  sodium_memzero(hash, strlen(hash));
  free(hash);
  if (ok) return GH_OK;
  gh_throttle_fail(r, r->principal.user_id);
  return GH_ERR_INVALID_CREDENTIALS;
}

/* A failed or refused re-authentication, audited under the session's own
 * context (nothing else changed). */
static void reauth_failed(gh_req *r, const char *reason) {
  gh_audit_batch b;
  gh_audit_init(&b);
  if (!gh_audit_add(&b, r, "session.reauthentication_failed", r->principal.credential_id,
                    json_pack("{s:s}", "reason", reason)))
    gh_audit_write(r, &b);
  gh_audit_free(&b);
}

static gh_status reauth_work(gh_req *r) {
  gh_status s = verify_own_password(r, "password");
  if (s == GH_ERR_INVALID_CREDENTIALS) reauth_failed(r, "wrong_password");
  if (s) return s;
  gh_session_tokens t;
  gh_session_new_tokens(&t);
  char ttl[16];
  snprintf(ttl, sizeof ttl, "%d", gh_cfg->access_ttl_seconds);
  const char *vals[4] = {(const char *)r->principal.hash, (const char *)t.access_hash, (const char *)t.refresh_hash,
                         ttl};
  const int lens[4] = {32, 32, 32, 0};
  /* New tokens (no fixation); the old access token is dropped everywhere. */
  gh_db_stmt q = {"WITH x AS (SELECT * FROM gh.session_reauthenticate($1::bytea, $2::bytea, $3::bytea, $4::int)) "
                  "SELECT " GH_SESSION_COLS ", gh.invalidate('session', session_id) FROM x",
                  4, vals, lens};
  PGresult *res = NULL;
  gh_audit_batch b;
  gh_audit_init(&b);
  s = gh_audit_add(&b, r, "session.reauthenticated", r->principal.credential_id, NULL);
  if (!s) s = gh_audit_txn_after(&q, t.access_hash, &b, &res);
  gh_audit_free(&b);
  if (!s && PQntuples(res) != 1) s = GH_ERR_UNAUTHORIZED;
  if (!s) {
    gh_sessinfo si;
    gh_authn_read_session(res, 0, &si);
    gh_authn_fill_session(&r->principal, &si, t.access_hash, gh_now());
    gh_session_set_cookies(r, t.access, t.refresh, si.expires_at);
    gh_api_wait_invalidated_at(res, 9); /* the old access token, everywhere */
  }
  gh_session_wipe_tokens(&t);
  PQclear(res);
  return s ? s : reply_session(r, &r->principal);
}

gh_status gh_api_auth_reauthenticate(gh_req *r) {
  /* The account and address windows, before the password (429); their
   * RateLimit headers replace the session limit's when closer to refusing. */
  gh_status s = gh_throttle_check(r, r->principal.user_id);
  if (s == GH_ERR_RATE_LIMITED) reauth_failed(r, "rate_limited");
  if (s) return s;
  return gh_req_defer(r, gh_password_pool(), reauth_work);
}

static gh_status password_work(gh_req *r) {
  gh_status s = verify_own_password(r, "current_password");
  if (s) return s;
  char hash[GH_PWHASH_MAX];
  if ((s = gh_password_hash(gh_req_string(r, "new_password"), hash))) return s;
  const char *vals[2] = {(const char *)r->principal.hash, hash};
  const int lens[2] = {32, 0};
  /* The user's other sessions end (epoch bump) on every node at once. */
  gh_db_stmt q = {"SELECT gh.invalidate('user', user_id) FROM gh.session_change_password($1::bytea, $2)", 2, vals,
                  lens};
  PGresult *res = NULL;
  /* This session lives on (moved to the new epoch): its context takes the
   * audit entry, in the same transaction. */
  gh_audit_batch b;
  gh_audit_init(&b);
  s = gh_audit_add(&b, r, "password.changed", r->principal.user_id, NULL);
  if (!s) s = gh_audit_txn_after(&q, r->principal.hash, &b, &res);
  gh_audit_free(&b);
  sodium_memzero(hash, sizeof hash);
  if (s) return s;
  if (PQntuples(res) != 1)
    s = GH_ERR_UNAUTHORIZED;
  else
    gh_api_wait_invalidated(res);
  PQclear(res);
  return s ? s : gh_req_reply(r, 204, NULL);
}

gh_status gh_api_auth_password(gh_req *r) {
  if (gh_password_check_length(gh_req_string(r, "new_password")))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "new_password", "The password must have 10 to 256 characters.");
  gh_status s = gh_throttle_check(r, r->principal.user_id);
  if (s) return s;
  return gh_req_defer(r, gh_password_pool(), password_work);
}

static gh_status accept_work(gh_req *r) {
  const char *token = gh_req_string(r, "token");
  char hash[GH_PWHASH_MAX];
  unsigned char th[32];
  gh_status s = gh_password_hash(gh_req_string(r, "password"), hash);
  if (s) return s;
  gh_token_hash(token, strlen(token), th);
  const char *vals[2] = {(const char *)th, hash};
  const int lens[2] = {32, 0};
  gh_db_stmt q = {"SELECT user_id, user_epoch, org_epoch FROM gh.invitation_accept($1::bytea, $2)", 2, vals, lens};
  PGresult *res;
  s = gh_db_exec(&q, &res);
  sodium_memzero(hash, sizeof hash);
  if (s) return s;
  char user_id[GH_ID_MAX], user_epoch[24], org_epoch[24];
  int found = PQntuples(res) == 1;
  if (found) {
    gh_buf_copy(user_id, sizeof user_id, PQgetvalue(res, 0, 0));
    gh_buf_copy(user_epoch, sizeof user_epoch, PQgetvalue(res, 0, 1));
    gh_buf_copy(org_epoch, sizeof org_epoch, PQgetvalue(res, 0, 2));
  }
  PQclear(res);
  if (!found) return gh_req_error(r, GH_ERR_INVALID_REQUEST, "token", "The invitation is unknown, used or expired.");
  /* Under the epochs the password was set under: a change of it in between
   * (someone who knew it logged in and changed it) refuses this session. */
  if ((s = gh_session_issue(r, user_id, user_epoch, org_epoch, &r->principal, "user.joined"))) return s;
  json_t *body;
  if ((s = gh_session_login_body(&r->principal, &body))) return s;
  return gh_req_reply(r, 200, body);
}

gh_status gh_api_invitation_accept(gh_req *r) {
  const char *token = gh_req_string(r, "token");
  if (strlen(token) < 16 || strlen(token) > 128)
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "token", "The invitation is unknown, used or expired.");
  if (gh_password_check_length(gh_req_string(r, "password")))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "password", "The password must have 10 to 256 characters.");
  return gh_req_defer(r, gh_password_pool(), accept_work);
}
