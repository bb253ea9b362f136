/* rand.c: random identifiers and tokens (see rand.h). */
#include "core/rand.h"

#include <sodium.h>
#include <string.h>

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* One randombytes_uniform() per character would be one getrandom(2) call
 * each (twenty per request id), so random bytes are drawn in blocks per
 * thread and mapped without bias: bytes >= 248 (= 4 x 62) are skipped. Used
 * bytes are wiped from the block. */
void gh_rand_base62(char *out, size_t n) {
  static __thread unsigned char block[512];
  static __thread size_t left;
  size_t i = 0;
  while (i < n) {
    if (!left) {
      randombytes_buf(block, sizeof block);
      left = sizeof block;
    }
    unsigned char b = block[--left];
    block[left] = 0;
    if (b < 248) out[i++] = B62[b % 62];
  }
}

void gh_id_new(char out[GH_ID_MAX], const char *prefix) {
  size_t p = strlen(prefix);
  if (p > 8) p = 8;
  memcpy(out, prefix, p);
  gh_rand_base62(out + p, GH_ID_RANDOM_CHARS);
  out[p + GH_ID_RANDOM_CHARS] = '\0';
}

int gh_id_valid(const char *s, const char *prefix) {
  size_t p = strlen(prefix);
  if (!s || strncmp(s, prefix, p) != 0) return 0;
  size_t n = 0;
  for (const char *c = s + p; *c; c++, n++) {
    if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z'))) return 0;
  }
  return n >= 1 && n + p < GH_ID_MAX;
}

void gh_token_new(char out[GH_TOKEN_MAX]) {
  unsigned char raw[GH_TOKEN_BYTES];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2base64(out, GH_TOKEN_MAX, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
}

int gh_token_wellformed(const char *s) {
  static const char base64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return s && strlen(s) == GH_TOKEN_CHARS && strspn(s, base64url) == GH_TOKEN_CHARS;
}

int gh_id_standard(const char *id, const char *prefix) {
  return gh_id_valid(id, prefix) && strlen(id) == 4 + GH_ID_RANDOM_CHARS;
}

void gh_id_compose(char out[GH_ID_MAX], const char *prefix, const char *rand) {
  memcpy(out, prefix, 4);
  memcpy(out + 4, rand, GH_ID_RANDOM_CHARS);
  out[4 + GH_ID_RANDOM_CHARS] = '\0';
}
