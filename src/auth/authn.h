/* authn.h: the credential step of the order of checks.
 *
 * A request with an Authorization header is authenticated by that header
 * alone (an API key); otherwise by the gh_session cookie. Every failure
 * looks the same to the client (401 unauthorized, or token_expired for a
 * session past a deadline); the reason goes only to the log line. */
#ifndef GH_AUTHN_H
#define GH_AUTHN_H
#include "http/request.h"

/* Fills r->principal or returns GH_ERR_UNAUTHORIZED / GH_ERR_TOKEN_EXPIRED
 * / GH_ERR_DB_DOWN. */
gh_status gh_authn_request(gh_req *r);

/* Looks up a session by its access-token hash (no org context needed: the
 * token itself is the proof). Fills p on GH_OK. */
gh_status gh_authn_session_hash(const unsigned char hash[32], gh_principal *p);

/* Space-separated scope names → effective bits (admin implies all). */
uint32_t gh_authn_scope_bits(const char *list);

#endif
