/* secret.c: sealing webhook secrets under the server's key (see secret.h). */
#include "webhooks/secret.h"

#include <sodium.h>
#include <string.h>

#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES

_Static_assert(NONCE + TAG == GH_WHSECRET_OVERHEAD, "sealed layout");
_Static_assert(GH_WHSECRET_MASTER_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "master key size");

void gh_whsecret_new(unsigned char key[GH_WHSECRET_BYTES]) { randombytes_buf(key, GH_WHSECRET_BYTES); }

gh_status gh_whsecret_seal(const unsigned char master[GH_WHSECRET_MASTER_BYTES], const char *endpoint_id,
                           const unsigned char *key, size_t len, unsigned char *out, size_t *out_len) {
  if (!len || len > GH_WHSIGN_KEY_MAX || !endpoint_id) return GH_ERR_INTERNAL;
  randombytes_buf(out, NONCE);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE, &clen, key, len, (const unsigned char *)endpoint_id,
                                             strlen(endpoint_id), NULL, out, master);
  *out_len = NONCE + (size_t)clen;
  return GH_OK;
}

gh_status gh_whsecret_open(const unsigned char master[GH_WHSECRET_MASTER_BYTES], const char *endpoint_id,
                           const unsigned char *sealed, size_t sealed_len, unsigned char *key, size_t *len) {
  *len = 0;
  if (!endpoint_id || sealed_len <= NONCE + TAG || sealed_len > GH_WHSECRET_SEALED_MAX) return GH_ERR_INVALID_REQUEST;
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(key, &plen, NULL, sealed + NONCE, sealed_len - NONCE,
                                                 (const unsigned char *)endpoint_id, strlen(endpoint_id), sealed,
                                                 master)) {
    sodium_memzero(key, GH_WHSIGN_KEY_MAX);
    return GH_ERR_INVALID_REQUEST;
  }
  *len = (size_t)plen;
  return GH_OK;
}

gh_status gh_whsecret_open_hex(const unsigned char master[GH_WHSECRET_MASTER_BYTES], const char *endpoint_id,
                               const char *hex, unsigned char *key, size_t *len) {
  unsigned char sealed[GH_WHSECRET_SEALED_MAX];
  size_t n = 0;
  *len = 0;
  if (!hex || sodium_hex2bin(sealed, sizeof sealed, hex, strlen(hex), NULL, &n, NULL)) return GH_ERR_INVALID_REQUEST;
  return gh_whsecret_open(master, endpoint_id, sealed, n, key, len);
}
