/* session.h: issuing browser sessions and their cookies.
 *
 * A session has two opaque tokens, both random (libsodium) and stored only
 * as keyed hashes: the access token (cookie gh_session, valid 900 s) and the
 * rotating refresh token (cookie gh_refresh, path /v1/auth). The CSRF token
 * is derived from the session id (auth/token.h). */
#ifndef GH_SESSION_H
#define GH_SESSION_H
#include "http/request.h"

#define GH_ACCESS_TTL 900

/* Creates a session for the active user user_id, sets both cookies on r and
 * fills p (kind, ids, deadlines, hash of the access token). Returns
 * GH_ERR_INVALID_CREDENTIALS if the user is not active. */
gh_status gh_session_issue(gh_req *r, const char *user_id, gh_principal *p);

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

#endif
