/* token.c: see token.h. */
#include "auth/token.h"

#include <nettle/hmac.h>
#include <sodium.h>
#include <string.h>

#include "config/state.h"

/* HMAC under the pepper with its key schedule done once per thread: the
 * inner and outer pads cost two of the four SHA-256 compressions of every
 * credential check. Re-keyed when the pepper changes (tests switch it). */
static void keyed(crypto_auth_hmacsha256_state *st) {
  static __thread crypto_auth_hmacsha256_state base;
  static __thread unsigned char base_key[GH_PEPPER_BYTES];
  static __thread int ready;
  if (!ready || sodium_memcmp(base_key, gh_secrets->pepper, sizeof base_key)) {
    crypto_auth_hmacsha256_init(&base, gh_secrets->pepper, sizeof gh_secrets->pepper);
    memcpy(base_key, gh_secrets->pepper, sizeof base_key);
    ready = 1;
  }
  memcpy(st, &base, sizeof base);
}

/* The same HMAC-SHA-256 for the one call on every request's path, through
 * nettle (GnuTLS's own crypto library, already in the process for TLS):
 * Debian builds it with run-time CPU dispatch, so SHA-256 runs on the SHA
 * extensions where the CPU has them; libsodium's SHA-256 is portable C,
 * about 4 times slower here (docs/decisions.md 98). */
void gh_token_hash(const char *secret, size_t len, unsigned char out[GH_HASH_BYTES]) {
  static __thread struct hmac_sha256_ctx base;
  static __thread unsigned char base_key[GH_PEPPER_BYTES];
  static __thread int ready;
  if (!ready || sodium_memcmp(base_key, gh_secrets->pepper, sizeof base_key)) {
    hmac_sha256_set_key(&base, sizeof gh_secrets->pepper, gh_secrets->pepper);
    memcpy(base_key, gh_secrets->pepper, sizeof base_key);
    ready = 1;
  }
  struct hmac_sha256_ctx st;
  memcpy(&st, &base, sizeof st);
  hmac_sha256_update(&st, len, (const uint8_t *)secret);
  hmac_sha256_digest(&st, GH_HASH_BYTES, out);
  sodium_memzero(&st, sizeof st);
}

void gh_token_csrf(const char *session_id, char out[GH_CSRF_MAX]) {
  unsigned char mac[GH_HASH_BYTES];
  crypto_auth_hmacsha256_state st;
  keyed(&st);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)"csrf:", 5);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)session_id, strlen(session_id));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_memzero(&st, sizeof st);
  sodium_bin2base64(out, GH_CSRF_MAX, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(mac, sizeof mac);
}

void gh_token_derive(const char *secret, const char *label, char out[48]) {
  unsigned char mac[GH_HASH_BYTES];
  crypto_auth_hmacsha256_state st;
  keyed(&st);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, strlen(label));
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)":", 1);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)secret, strlen(secret));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_memzero(&st, sizeof st);
  sodium_bin2base64(out, 48, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(mac, sizeof mac);
}
