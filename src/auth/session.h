/* session.h: issuing browser sessions and their cookies.
 *
 * A session has two opaque tokens, both random (libsodium) and stored only
 * as keyed hashes: the access token (cookie gh_session, valid 900 s) and the
 * rotating refresh token (cookie gh_refresh, path /v1/auth). The CSRF token
 * is derived from the session id (auth/token.h). */
#ifndef GH_SESSION_H
#define GH_SESSION_H
#include "http/request.h"

/* A pair of fresh (or derived) tokens and their keyed hashes. Wipe with
 * gh_session_wipe_tokens(). */
typedef struct {
  char access[GH_TOKEN_MAX], refresh[GH_TOKEN_MAX];
  unsigned char access_hash[32], refresh_hash[32];
} gh_session_tokens;

/* Random tokens (login, re-authentication). */
void gh_session_new_tokens(gh_session_tokens *t);
/* The tokens a refresh token rotates to: derived from it with the pepper,
 * so that two tabs (or nodes) refreshing with the same token at once agree
 * on the result without sharing state. */
void gh_session_derive_tokens(const char *refresh, gh_session_tokens *t);
void gh_session_wipe_tokens(gh_session_tokens *t);
/* Sets both cookies; they live until the session's absolute deadline. */
void gh_session_set_cookies(gh_req *r, const char *access, const char *refresh, int64_t expires_at);
/* Expires both cookies (logout). */
void gh_session_clear_cookies(gh_req *r);

/* Creates a session for the active user user_id, sets both cookies on r and
 * fills p (kind, ids, deadlines, hash of the access token). user_epoch and
 * org_epoch (decimal text) are the user's and org's session epochs as they
 * stood when the password was checked (gh.login_lookup, gh.invitation_accept;
 * "0" for the user and org sign-up has just created): the session is created
 * under them, and refused if either has moved since (a password change,
 * logout of all, force logout: migration 0014). Returns
 * GH_ERR_INVALID_CREDENTIALS if the user is not active or an epoch moved,
 * and then creates nothing. audit_action (or
 * NULL): the audit entry written in the same transaction, by the user, with
 * the new session as credential (login.succeeded, user.joined,
 * user.signed_up). */
gh_status gh_session_issue(gh_req *r, const char *user_id, const char *user_epoch, const char *org_epoch,
                           gh_principal *p, const char *audit_action);

/* Renders the cookie attributes of the contract: Secure unless
 * GATEHOUSE_DEV=1 on a plain-HTTP loopback request. Exposed for tests. */
void gh_session_cookie(char *out, size_t size, const char *name, const char *value, const char *path, long max_age,
                       const char *same_site, int secure);
/* True if the request came over plain HTTP from a loopback peer and the
 * server runs with GATEHOUSE_DEV=1: the only case cookies drop Secure. */
int gh_session_insecure_ok(gh_req *r);

/* The login body {user, org, session, csrf_token} for the session in p,
 * read through the org context. On GH_OK *out is owned by the caller. */
gh_status gh_session_login_body(const gh_principal *p, json_t **out);
/* The same, with "role" added when with_role (GET /v1/auth/session). */
gh_status gh_session_body(const gh_principal *p, bool with_role, json_t **out);

#endif
