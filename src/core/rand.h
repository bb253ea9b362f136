/* rand.h: identifiers and secret tokens, all from libsodium's CSPRNG.
 *
 * Object ids are a prefix ("org_", "usr_", ...) plus base62 characters;
 * opaque tokens (session, refresh, invitation) are base64url of 32 random
 * bytes. Request ids are "req_" plus base62. */
#ifndef GH_RAND_H
#define GH_RAND_H
#include <stddef.h>

#define GH_ID_RANDOM_CHARS 22 /* about 131 bits */
#define GH_ID_MAX 40          /* buffer size for any id, NUL included */
#define GH_TOKEN_BYTES 32
#define GH_TOKEN_MAX 48   /* base64url of 32 bytes is 43 chars + NUL */
#define GH_TOKEN_CHARS 43 /* every opaque token, random or derived */

/* Writes n random base62 characters to out (no NUL). */
void gh_rand_base62(char *out, size_t n);
/* Writes prefix + GH_ID_RANDOM_CHARS base62 characters + NUL into out
 * (GH_ID_MAX bytes). prefix is at most 8 characters. */
void gh_id_new(char out[GH_ID_MAX], const char *prefix);
/* True if s is prefix followed by 1..GH_ID_MAX base62 characters: used to
 * refuse malformed ids before any database look-up. */
int gh_id_valid(const char *s, const char *prefix);
/* True if id is prefix (4 characters) + exactly GH_ID_RANDOM_CHARS base62
 * characters: the shape of every id this server makes. */
int gh_id_standard(const char *id, const char *prefix);
/* out = prefix (4 characters) + the GH_ID_RANDOM_CHARS characters at rand. */
void gh_id_compose(char out[GH_ID_MAX], const char *prefix, const char *rand);
/* Writes a fresh base64url token (no padding) + NUL into out. */
void gh_token_new(char out[GH_TOKEN_MAX]);
/* True if s has the shape of such a token (exactly GH_TOKEN_CHARS
 * base64url characters): what a session or refresh cookie must be before it
 * is worth a look-up. Says nothing about whether it is known. */
int gh_token_wellformed(const char *s);

#endif
