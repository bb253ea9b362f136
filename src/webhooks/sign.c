/* sign.c: Standard Webhooks signing and verification (see sign.h), with
 * libsodium's HMAC-SHA-256 (any key length) and base64. */
#include "webhooks/sign.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PREFIX "whsec_"

gh_status gh_whsign_parse_secret(const char *secret, unsigned char *key, size_t *len) {
  *len = 0;
  if (!secret) return GH_ERR_INVALID_REQUEST;
  if (!strncmp(secret, PREFIX, strlen(PREFIX))) secret += strlen(PREFIX);
  size_t n = strlen(secret);
  if (n == 0 || n > 4 * ((GH_WHSIGN_KEY_MAX + 2) / 3)) return GH_ERR_INVALID_REQUEST;
  /* The reference libraries decode standard base64; accept it with or
   * without padding. */
  const char *end = NULL;
  if (sodium_base642bin(key, GH_WHSIGN_KEY_MAX, secret, n, NULL, len, &end, sodium_base64_VARIANT_ORIGINAL) ||
      end != secret + n) {
    if (sodium_base642bin(key, GH_WHSIGN_KEY_MAX, secret, n, NULL, len, &end,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) ||
        end != secret + n) {
      sodium_memzero(key, GH_WHSIGN_KEY_MAX);
      *len = 0;
      return GH_ERR_INVALID_REQUEST;
    }
  }
  return *len ? GH_OK : GH_ERR_INVALID_REQUEST;
}

gh_status gh_whsign_format_secret(const unsigned char *key, size_t len, char *out, size_t out_size) {
  size_t need = strlen(PREFIX) + sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
  if (len == 0 || len > GH_WHSIGN_KEY_MAX || out_size < need) return GH_ERR_INTERNAL;
  memcpy(out, PREFIX, strlen(PREFIX));
  sodium_bin2base64(out + strlen(PREFIX), out_size - strlen(PREFIX), key, len, sodium_base64_VARIANT_ORIGINAL);
  return GH_OK;
}

/* The raw MAC of id.timestamp.body. */
static void mac(const unsigned char *key, size_t key_len, const char *msg_id, const char *ts, const char *body,
                size_t body_len, unsigned char out[crypto_auth_hmacsha256_BYTES]) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key, key_len);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg_id, strlen(msg_id));
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
  crypto_auth_hmacsha256_final(&st, out);
  sodium_memzero(&st, sizeof st);
}

gh_status gh_whsign_sign(const unsigned char *key, size_t key_len, const char *msg_id, long long timestamp,
                         const char *body, size_t body_len, char out[GH_WHSIGN_SIG_MAX]) {
  if (!key_len || !msg_id) return GH_ERR_INTERNAL;
  char ts[24];
  snprintf(ts, sizeof ts, "%lld", timestamp);
  unsigned char m[crypto_auth_hmacsha256_BYTES];
  mac(key, key_len, msg_id, ts, body, body_len, m);
  memcpy(out, "v1,", 3);
  sodium_bin2base64(out + 3, GH_WHSIGN_SIG_MAX - 3, m, sizeof m, sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(m, sizeof m);
  return GH_OK;
}

/* A decimal timestamp: digits only, at most 18 of them. */
static int parse_ts(const char *s, long long *out) {
  long long v = 0;
  size_t n = 0;
  for (; s[n]; n++) {
    if (s[n] < '0' || s[n] > '9' || n >= 18) return -1;
    v = v * 10 + (s[n] - '0');
  }
  if (!n) return -1;
  *out = v;
  return 0;
}

gh_status gh_whsign_verify(const unsigned char *key, size_t key_len, const char *msg_id, const char *timestamp,
                           const char *body, size_t body_len, const char *header, long long now, int tolerance_s) {
  long long ts;
  if (!key_len || !msg_id || !*msg_id || !timestamp || !header || parse_ts(timestamp, &ts))
    return GH_ERR_INVALID_REQUEST;
  if (ts < now - tolerance_s || ts > now + tolerance_s) return GH_ERR_TOKEN_EXPIRED;
  unsigned char want[crypto_auth_hmacsha256_BYTES];
  mac(key, key_len, msg_id, timestamp, body, body_len, want);
  gh_status s = GH_ERR_UNAUTHORIZED;
  /* Each space-separated entry is "<version>,<base64>"; only v1 counts. */
  const char *p = header;
  while (*p) {
    while (*p == ' ')
      p++;
    const char *e = p;
    while (*e && *e != ' ')
      e++;
    size_t n = (size_t)(e - p);
    if (n > 3 && !memcmp(p, "v1,", 3)) {
      unsigned char got[crypto_auth_hmacsha256_BYTES + 8];
      size_t got_len = 0;
      const char *end = NULL;
      if (!sodium_base642bin(got, sizeof got, p + 3, n - 3, NULL, &got_len, &end, sodium_base64_VARIANT_ORIGINAL) &&
          end == e && got_len == sizeof want && !sodium_memcmp(got, want, sizeof want))
        s = GH_OK;
    }
    p = e;
  }
  sodium_memzero(want, sizeof want);
  return s;
}
