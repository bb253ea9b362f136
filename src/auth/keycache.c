/* keycache.c: API-key records packed for the credential cache (see
 * keycache.h and credcache.h). */
#include "auth/keycache.h"

#include <pthread.h>
#include <string.h>

#include "auth/credcache.h"

#define RAND_LEN GH_ID_RANDOM_CHARS /* 22 */

typedef struct {
  int64_t expires_at;
  char key[RAND_LEN]; /* "key_" + these */
  char org[RAND_LEN]; /* "org_" + these */
  uint16_t scopes;
  uint8_t livemode, revoked;
} packed; /* 56 bytes */

static gh_credcache *cache;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init(void) { cache = gh_credcache_new(sizeof(packed)); }
static gh_credcache *C(void) {
  pthread_once(&once, init);
  return cache;
}

int gh_keycache_get(const unsigned char hash[32], gh_keyinfo *out) {
  packed p;
  if (!gh_credcache_get(C(), hash, &p)) return 0;
  gh_id_compose(out->key_id, "key_", p.key);
  gh_id_compose(out->org_id, "org_", p.org);
  out->expires_at = p.expires_at;
  out->scopes = p.scopes;
  out->livemode = p.livemode;
  out->revoked = p.revoked;
  return 1;
}

uint64_t gh_keycache_epoch(void) { return gh_credcache_epoch(C()); }

void gh_keycache_put(const unsigned char hash[32], const gh_keyinfo *in, uint64_t epoch) {
  if (!gh_id_standard(in->key_id, "key_") || !gh_id_standard(in->org_id, "org_")) return;
  packed p;
  memset(&p, 0, sizeof p);
  memcpy(p.key, in->key_id + 4, RAND_LEN);
  memcpy(p.org, in->org_id + 4, RAND_LEN);
  p.expires_at = in->expires_at;
  p.scopes = (uint16_t)in->scopes;
  p.livemode = in->livemode;
  p.revoked = in->revoked;
  gh_credcache_put(C(), hash, &p, epoch);
}

static int same_key(const void *rec, const void *id) {
  return !memcmp(((const packed *)rec)->key, (const char *)id + 4, RAND_LEN);
}

void gh_keycache_drop_id(const char *key_id) {
  if (gh_id_standard(key_id, "key_")) gh_credcache_drop_if(C(), same_key, key_id);
}

void gh_keycache_flush(void) { gh_credcache_flush(C(), 0); }
void gh_keycache_reset(void) { gh_credcache_flush(C(), 1); }
size_t gh_keycache_count(void) { return gh_credcache_count(C()); }

static int expired_key(const void *rec, const void *now) {
  const packed *p = rec;
  return p->expires_at && p->expires_at <= *(const int64_t *)now;
}

void gh_keycache_sweep(int64_t now) { gh_credcache_drop_if(C(), expired_key, &now); }
