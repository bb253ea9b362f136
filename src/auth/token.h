/* token.h: keyed hashes of presented secrets, and values derived from them.
 *
 * Nothing secret is stored in the database: API keys, session, refresh and
 * invitation tokens are stored as HMAC-SHA-256 under the server's pepper
 * (config/state.h), so a stolen table cannot even confirm a guess. */
#ifndef GH_TOKEN_H
#define GH_TOKEN_H
#include <stddef.h>

#define GH_HASH_BYTES 32
#define GH_CSRF_MAX 48

/* out = HMAC-SHA-256(pepper, secret). */
void gh_token_hash(const char *secret, size_t len, unsigned char out[GH_HASH_BYTES]);
/* The session's CSRF token: base64url(HMAC(pepper, "csrf:" + session_id)).
 * Derived, never stored, and the same for the session's whole life. */
void gh_token_csrf(const char *session_id, char out[GH_CSRF_MAX]);

/* out = base64url(HMAC(pepper, label + ":" + secret)): a secret derived
 * from another, unpredictable without both. */
void gh_token_derive(const char *secret, const char *label, char out[48]);

#endif
