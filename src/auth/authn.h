/* authn.h: the credential step of the order of checks.
 *
 * A request with an Authorization header is authenticated by that header
 * alone (an API key); otherwise by the gh_session cookie. Every failure
 * looks the same to the client (401 unauthorized, or token_expired for a
 * session past a deadline); the reason goes only to the log line. */
#ifndef GH_AUTHN_H
#define GH_AUTHN_H
#include <libpq-fe.h>

#include "auth/sesscache.h"
#include "http/request.h"

/* Fills r->principal or returns GH_ERR_UNAUTHORIZED / GH_ERR_TOKEN_EXPIRED
 * / GH_ERR_DB_DOWN. */
gh_status gh_authn_request(gh_req *r);

/* The token of an Authorization header value: "Bearer" (any case), spaces,
 * the rest. Returns 0 (and borrows *token from header) or -1 for any other
 * scheme. Pure, for the fuzzer. */
int gh_authn_bearer(const char *header, const char **token, size_t *len);

/* Authenticates a session by its access-token hash (no org context needed:
 * the token itself is the proof): deadlines, activity, the cache. Fills p
 * on GH_OK; GH_ERR_TOKEN_EXPIRED past a deadline, GH_ERR_UNAUTHORIZED when
 * ended or unknown. */
gh_status gh_authn_session(const unsigned char hash[32], gh_principal *p);
/* The session columns every session function of the database returns
 * (gh.session_auth, session_refresh, session_reauthenticate), as epoch
 * seconds, in the order gh_authn_read_session() reads them. */
#define GH_SESSION_COLS                                                                                                \
  "session_id, user_id, org_id, floor(extract(epoch from access_expires_at))::bigint, "                                \
  "floor(extract(epoch from expires_at))::bigint, floor(extract(epoch from last_active_at))::bigint, "                 \
  "idle_timeout_seconds, coalesce(floor(extract(epoch from reauthenticated_at))::bigint, 0), "                         \
  "floor(extract(epoch from created_at))::bigint"
/* Reads GH_SESSION_COLS of row 0, starting at column c, into s (role and
 * activity bookkeeping are left to the caller). */
void gh_authn_read_session(const PGresult *res, int c, gh_sessinfo *s);
/* Fills a session principal from a session record. */
void gh_authn_fill_session(gh_principal *p, const gh_sessinfo *s, const unsigned char hash[32], int64_t now);

/* Space-separated scope names → effective bits (admin implies all). */
uint32_t gh_authn_scope_bits(const char *list);

#endif
