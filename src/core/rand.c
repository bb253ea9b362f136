/* rand.c: random identifiers and tokens (see rand.h). */
#include "core/rand.h"

#include <sodium.h>
#include <string.h>

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void gh_rand_base62(char *out, size_t n) {
  for (size_t i = 0; i < n; i++)
    out[i] = B62[randombytes_uniform(62)];
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
