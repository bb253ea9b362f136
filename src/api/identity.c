/* identity.c: POST /v1/signup and POST /v1/auth/login.
 *
 * Both hash or verify a password with Argon2id, which is deliberately slow,
 * so the whole handler body runs on the hashing pool (gh_req_defer): the
 * HTTP threads keep serving API-key traffic during a login flood, and a full
 * queue is answered at once with 503 + Retry-After.
 *
 * Login answers an unknown email exactly like a wrong password: same status,
 * body and (by verifying against a dummy hash) the same work. */
#include <sodium.h>
#include <string.h>

#include "api/api.h"
#include "audit/audit.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/throttle.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/text.h"
#include "db/db.h"

const gh_field gh_api_signup_body[] = {
    {"email", GH_F_STRING, true, false},
    {"password", GH_F_STRING, true, false},
    {"org_name", GH_F_STRING, true, false},
    {0},
};
const gh_field gh_api_login_body[] = {
    {"email", GH_F_STRING, true, false},
    {"password", GH_F_STRING, true, false},
    {0},
};

static gh_status reply_login(gh_req *r, int http) {
  json_t *body;
  gh_status s = gh_session_login_body(&r->principal, &body);
  if (s) return s;
  return gh_req_reply(r, http, body);
}

static gh_status signup_work(gh_req *r) {
  const char *email = gh_req_string(r, "email"), *pw = gh_req_string(r, "password");
  char hash[GH_PWHASH_MAX], org_id[GH_ID_MAX], user_id[GH_ID_MAX], lower[256];
  gh_status s = gh_password_hash(pw, hash);
  if (s) return s;
  gh_id_new(org_id, "org_");
  gh_id_new(user_id, "usr_");
  gh_text_lower(email, lower, sizeof lower);
  const char *vals[5] = {org_id, gh_req_string(r, "org_name"), user_id, lower, hash};
  gh_db_stmt q = {"SELECT gh.signup($1, $2, $3, $4, $5)", 5, vals, NULL};
  PGresult *res;
  s = gh_db_exec(&q, &res);
  PQclear(res);
  sodium_memzero(hash, sizeof hash);
  if (s == GH_ERR_CONFLICT) return gh_req_error(r, s, "email", "An account with this email already exists.");
  if (s) return s;
  gh_metrics_inc(GH_M_SIGNUP);
  /* The new org's first audit entry: its admin, logged in by sign-up. The
   * user and org were created at epoch 0 (the columns' default) by this
   * request: if anything moved either since, the session is refused. */
  if ((s = gh_session_issue(r, user_id, "0", "0", &r->principal, "user.signed_up"))) return s;
  return reply_login(r, 201);
}

gh_status gh_api_signup_gate(gh_req *r) {
  return gh_cfg->signup_open ? GH_OK : gh_req_error(r, GH_ERR_FORBIDDEN, NULL, "Sign-up is closed.");
}

gh_status gh_api_signup(gh_req *r) {
  if (!gh_text_is_email(gh_req_string(r, "email")))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "email", "Not a valid email address.");
  if (gh_password_check_length(gh_req_string(r, "password")))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "password", "The password must have 10 to 256 characters.");
  if (!gh_text_is_name(gh_req_string(r, "org_name"), 200))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "org_name", "The organization name must have 1 to 200 characters.");
  return gh_req_defer(r, gh_password_pool(), signup_work);
}

static gh_status login_work(gh_req *r) {
  const char *email = gh_req_string(r, "email"), *pw = gh_req_string(r, "password");
  char lower[256], user_id[GH_ID_MAX] = "", user_epoch[24] = "", org_epoch[24] = "";
  char *hash = NULL;
  gh_text_lower(email, lower, sizeof lower);
  const char *vals[1] = {lower};
  /* The epochs come with the hash, from one snapshot: the session is created
   * under them, so a password change (or logout of all, force logout) that
   * lands while Argon2id runs refuses it instead of being outrun by it. */
  gh_db_stmt q = {"SELECT user_id, password_hash, user_epoch, org_epoch FROM gh.login_lookup($1)", 1, vals, NULL};
  PGresult *res;
  gh_status s = gh_db_exec(&q, &res);
  if (s) return s;
  if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 1)) {
    gh_buf_copy(user_id, sizeof user_id, PQgetvalue(res, 0, 0));
    hash = PQgetvalue(res, 0, 1);
    gh_buf_copy(user_epoch, sizeof user_epoch, PQgetvalue(res, 0, 2));
    gh_buf_copy(org_epoch, sizeof org_epoch, PQgetvalue(res, 0, 3));
  }
  /* Throttled before the password is looked at: the account (its user id,
   * or for an unknown email the email, so both answer alike) and the
   * client's address. Every answer from here on carries the RateLimit
   * headers of the window closer to refusing. */
  if ((s = gh_throttle_check(r, user_id[0] ? user_id : lower))) {
    if (hash) sodium_memzero(hash, strlen(hash));
    PQclear(res);
    gh_audit_login_failed(r, user_id[0] ? user_id : NULL, "rate_limited");
    return s;
  }
  int ok = gh_password_verify(hash, pw);
  if (hash) sodium_memzero(hash, strlen(hash));
  PQclear(res);
  if (!ok) {
    gh_throttle_fail(r, user_id[0] ? user_id : lower);
    gh_metrics_inc(GH_M_LOGIN_FAILED);
    gh_log_obj(GH_LOG_INFO, "login failed",
               json_pack("{s:s, s:s}", "request_id", r->id, "reason", user_id[0] ? "wrong password" : "no such user"));
    /* An unknown email has no org to audit in: the log line above is all.
     * The call is made anyway (it writes nothing for no user), so both
     * failures cost the same round trip: same timing. */
    gh_audit_login_failed(r, user_id[0] ? user_id : NULL, "wrong_password");
    return GH_ERR_INVALID_CREDENTIALS;
  }
  if ((s = gh_session_issue(r, user_id, user_epoch, org_epoch, &r->principal, "login.succeeded"))) return s;
  gh_metrics_inc(GH_M_LOGIN_OK);
  return reply_login(r, 200);
}

gh_status gh_api_login(gh_req *r) {
  const char *email = gh_req_string(r, "email"), *pw = gh_req_string(r, "password");
  /* Malformed input is refused like a wrong password, without hashing. */
  if (strlen(email) > 254 || strlen(pw) > 4 * GH_PASSWORD_MAX) return GH_ERR_INVALID_CREDENTIALS;
  return gh_req_defer(r, gh_password_pool(), login_work);
}
