/* sign.h: Standard Webhooks signatures (https://www.standardwebhooks.com).
 *
 * A message is signed as base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))
 * and sent as "webhook-signature: v1,<signature>"; several signatures (a
 * rotation's old and new secret) are separated by spaces. The key is the
 * base64-decoded part of a secret "whsec_<base64>" (the prefix is optional,
 * as in the reference libraries). Used by the delivery workers to sign and
 * by `gatehouse webhook verify` to check. No allocation; the caller owns
 * every buffer, and wipes keys with sodium_memzero(). */
#ifndef GH_WEBHOOKS_SIGN_H
#define GH_WEBHOOKS_SIGN_H
#include <stddef.h>

#include "core/status.h"

#define GH_WHSIGN_KEY_MAX 128          /* longest key accepted (bytes) */
#define GH_WHSIGN_SIG_MAX 48           /* "v1," + 44 base64 characters + NUL */
#define GH_WHSIGN_SECRET_MAX (6 + 176) /* "whsec_" + base64 of 128 bytes + NUL */
#define GH_WHSIGN_TOLERANCE_S 300      /* 5 minutes, either way */

/* Decodes "whsec_<base64>" or "<base64>" (padded or not) into key, which
 * has room for GH_WHSIGN_KEY_MAX bytes; *len is its length. Errors:
 * GH_ERR_INVALID_REQUEST (not base64, empty, too long). */
gh_status gh_whsign_parse_secret(const char *secret, unsigned char *key, size_t *len);

/* Writes "whsec_" + base64(key) + NUL into out (out_size bytes). */
gh_status gh_whsign_format_secret(const unsigned char *key, size_t len, char *out, size_t out_size);

/* Writes "v1,<base64 signature>" + NUL for id.timestamp.body into out. */
gh_status gh_whsign_sign(const unsigned char *key, size_t key_len, const char *msg_id, long long timestamp,
                         const char *body, size_t body_len, char out[GH_WHSIGN_SIG_MAX]);

/* Checks a received message: timestamp is the webhook-timestamp header
 * (decimal seconds), header the webhook-signature header. GH_OK when one
 * of its "v1," signatures matches (compared in constant time) and the
 * timestamp is within tolerance_s of now. Errors: GH_ERR_INVALID_REQUEST
 * (missing or malformed id, timestamp or header), GH_ERR_TOKEN_EXPIRED
 * (timestamp too old or too far ahead), GH_ERR_UNAUTHORIZED (no signature
 * matches). */
gh_status gh_whsign_verify(const unsigned char *key, size_t key_len, const char *msg_id, const char *timestamp,
                           const char *body, size_t body_len, const char *header, long long now, int tolerance_s);

#endif
