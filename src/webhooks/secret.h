/* secret.h: webhook signing secrets at rest.
 *
 * A new endpoint gets GH_WHSECRET_BYTES random bytes (the HMAC key; the
 * client sees them once, as "whsec_<base64>"). The database keeps them only
 * sealed with XChaCha20-Poly1305 under the state directory's webhook.key,
 * with the endpoint's id as associated data, so a ciphertext copied onto
 * another endpoint's row does not open. Stored form: nonce || ciphertext ||
 * tag (GH_WHSECRET_SEALED_MAX bytes at most). The runtime role cannot read
 * the column; the delivery workers get it through gh.webhook_claim and open
 * it here. */
#ifndef GH_WEBHOOKS_SECRET_H
#define GH_WEBHOOKS_SECRET_H
#include <stddef.h>

#include "core/status.h"
#include "webhooks/sign.h"

#define GH_WHSECRET_BYTES 32 /* within the contract's 24..64 */
#define GH_WHSECRET_MASTER_BYTES 32
#define GH_WHSECRET_OVERHEAD (24 + 16) /* nonce + tag */
#define GH_WHSECRET_SEALED_MAX (GH_WHSECRET_OVERHEAD + GH_WHSIGN_KEY_MAX)

/* Fills key with fresh random bytes (libsodium's CSPRNG). */
void gh_whsecret_new(unsigned char key[GH_WHSECRET_BYTES]);

/* Seals key (len bytes, at most GH_WHSIGN_KEY_MAX) for endpoint_id under
 * master into out (GH_WHSECRET_SEALED_MAX bytes); *out_len its length. */
gh_status gh_whsecret_seal(const unsigned char master[GH_WHSECRET_MASTER_BYTES], const char *endpoint_id,
                           const unsigned char *key, size_t len, unsigned char *out, size_t *out_len);

/* Opens a sealed secret of endpoint_id into key (GH_WHSIGN_KEY_MAX bytes);
 * *len its length. GH_ERR_INVALID_REQUEST when it does not authenticate
 * (tampered, another endpoint's, another master key). */
gh_status gh_whsecret_open(const unsigned char master[GH_WHSECRET_MASTER_BYTES], const char *endpoint_id,
                           const unsigned char *sealed, size_t sealed_len, unsigned char *key, size_t *len);

/* The same, from the hex text gh.webhook_claim returns. */
gh_status gh_whsecret_open_hex(const unsigned char master[GH_WHSECRET_MASTER_BYTES], const char *endpoint_id,
                               const char *hex, unsigned char *key, size_t *len);

#endif
