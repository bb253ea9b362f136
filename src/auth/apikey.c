/* apikey.c: see apikey.h. */
#include "auth/apikey.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/rand.h"

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* The checksum of the first 34 characters, as 6 base62 characters. */
static void checksum(const char *head, char out[GH_KEY_CHECKSUM]) {
  unsigned char h[crypto_generichash_BYTES];
  crypto_generichash(h, sizeof h, (const unsigned char *)head, GH_KEY_PREFIX_LEN + GH_KEY_RANDOM, NULL, 0);
  uint32_t v = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
  for (int i = GH_KEY_CHECKSUM - 1; i >= 0; i--) {
    out[i] = B62[v % 62];
    v /= 62;
  }
}

void gh_apikey_new(bool livemode, char out[GH_KEY_MAX]) {
  memcpy(out, livemode ? "sk_live_" : "sk_test_", GH_KEY_PREFIX_LEN);
  gh_rand_base62(out + GH_KEY_PREFIX_LEN, GH_KEY_RANDOM);
  checksum(out, out + GH_KEY_PREFIX_LEN + GH_KEY_RANDOM);
  out[GH_KEY_LEN] = '\0';
}

int gh_apikey_parse(const char *s, size_t n, bool *livemode) {
  if (n != GH_KEY_LEN) return 0;
  if (!memcmp(s, "sk_live_", GH_KEY_PREFIX_LEN))
    *livemode = true;
  else if (!memcmp(s, "sk_test_", GH_KEY_PREFIX_LEN))
    *livemode = false;
  else
    return 0;
  for (size_t i = GH_KEY_PREFIX_LEN; i < GH_KEY_LEN; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return 0;
  }
  char want[GH_KEY_CHECKSUM];
  checksum(s, want);
  return sodium_memcmp(want, s + GH_KEY_PREFIX_LEN + GH_KEY_RANDOM, GH_KEY_CHECKSUM) == 0;
}

void gh_apikey_redact(const char *key, char out[GH_KEY_REDACTED_MAX]) {
  size_t n = strlen(key);
  snprintf(out, GH_KEY_REDACTED_MAX, "%.8s...%s", key, n >= 4 ? key + n - 4 : key);
}
