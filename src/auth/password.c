/* password.c: see password.h. */
#include "auth/password.h"

#include <string.h>

#include "core/log.h"

#define OPSLIMIT 2
#define MEMLIMIT (19u * 1024 * 1024)

static gh_pool *pool;
static char dummy[GH_PWHASH_MAX];

gh_status gh_password_init(int threads, size_t queue) {
  unsigned char raw[24];
  char pw[64];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(pw, sizeof pw, raw, sizeof raw);
  gh_status s = gh_password_hash(pw, dummy);
  sodium_memzero(pw, sizeof pw);
  if (s) return s;
  /* Hashing yields the CPU to request handling: a login flood slows logins,
   * not API-key traffic. */
  pool = gh_pool_new(threads, queue, 10);
  return pool ? GH_OK : GH_ERR_NOMEM;
}

void gh_password_shutdown(void) {
  gh_pool_free(pool);
  pool = NULL;
}

gh_pool *gh_password_pool(void) { return pool; }

int gh_password_check_length(const char *pw) {
  size_t chars = 0;
  for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
    if ((*p & 0xC0) != 0x80) chars++;
  return (chars >= GH_PASSWORD_MIN && chars <= GH_PASSWORD_MAX) ? 0 : -1;
}

gh_status gh_password_hash(const char *pw, char out[GH_PWHASH_MAX]) {
  if (crypto_pwhash_str_alg(out, pw, strlen(pw), OPSLIMIT, MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13)) {
    gh_log(GH_LOG_ERROR, "password hashing failed (out of memory)");
    return GH_ERR_NOMEM;
  }
  return GH_OK;
}

int gh_password_verify(const char *hash, const char *pw) {
  if (!hash) {
    /* Same work as a real verification; the outcome is irrelevant. */
    volatile int sink = crypto_pwhash_str_verify(dummy, pw, strlen(pw));
    (void)sink;
    return 0;
  }
  return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}
