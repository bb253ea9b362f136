/* fuzz_webhooks.c: what webhook code parses from others — the Standard
 * Webhooks headers and secrets a receiver checks with `gatehouse webhook
 * verify` (src/webhooks/sign.c), endpoint URLs a client submits
 * (urlcheck.c, without DNS), and REDIS_URL (ratelimit/redis_url.c).
 * Input: up to four fields separated by NUL bytes (secret, timestamp,
 * signature header, body). Checks: a signature we make for any input
 * verifies, and one flipped byte of the body does not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit/redis_url.h"
#include "webhooks/sign.h"
#include "webhooks/urlcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 4);
  if (!buf) return 0;
  memcpy(buf, data, size);
  memset(buf + size, 0, 4);
  const char *f[4];
  const char *p = buf, *end = buf + size;
  for (int i = 0; i < 4; i++) {
    f[i] = p;
    p += strlen(p);
    if (p < end) p++;
  }
  const char *secret = f[0], *timestamp = f[1], *header = f[2], *body = f[3];
  size_t body_len = strlen(body);

  unsigned char key[GH_WHSIGN_KEY_MAX];
  size_t key_len = 0;
  if (gh_whsign_parse_secret(secret, key, &key_len) == GH_OK) {
    if (key_len == 0 || key_len > GH_WHSIGN_KEY_MAX) abort();
    gh_whsign_verify(key, key_len, "msg_fuzz", timestamp, body, body_len, header, 1700000000, 300);
    char sig[GH_WHSIGN_SIG_MAX];
    if (gh_whsign_sign(key, key_len, "msg_fuzz", 1700000000, body, body_len, sig) == GH_OK) {
      if (gh_whsign_verify(key, key_len, "msg_fuzz", "1700000000", body, body_len, sig, 1700000000, 300) != GH_OK)
        abort(); /* our own signature must verify */
      if (body_len) {
        char *other = malloc(body_len);
        if (other) {
          memcpy(other, body, body_len);
          other[0] ^= 1;
          if (gh_whsign_verify(key, key_len, "msg_fuzz", "1700000000", other, body_len, sig, 1700000000, 300) == GH_OK)
            abort(); /* nor for another body */
          free(other);
        }
      }
    }
  }

  const char *why = NULL;
  gh_whurl_check(header, false, false, &why);
  gh_whurl_classify_text(timestamp);

  gh_redis_url u;
  if (gh_redis_url_parse(secret, &u, &why) == GH_OK) {
    if (!u.host || u.port < 1 || u.port > 65535 || u.db < 0) abort();
    gh_redis_url_free(&u);
  }
  free(buf);
  return 0;
}
