/* keycache.c: see keycache.h. */
#include "auth/keycache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 16
#define RAND_LEN GH_ID_RANDOM_CHARS /* 22 */
#define MIN_SLOTS 64

enum { EMPTY = 0, FULL = 1, TOMB = 2 };

typedef struct {
  unsigned char hash[32];
  char key[RAND_LEN]; /* "key_" + these */
  char org[RAND_LEN]; /* "org_" + these */
  int64_t expires_at;
  uint16_t scopes;
  uint8_t livemode : 1, revoked : 1;
  uint8_t state;
} slot; /* 88 bytes */

typedef struct {
  pthread_rwlock_t lock;
  slot *slots;
  size_t cap, full, tombs;
} shard;

static shard shards[SHARDS] = {
#define S                                                                                                              \
  { PTHREAD_RWLOCK_INITIALIZER, NULL, 0, 0, 0 }
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S,
#undef S
};
static atomic_uint_fast64_t epoch = 1;
static atomic_bool enabled = true;

/* The hash is HMAC output: its bytes are already uniformly distributed. */
static uint64_t h64(const unsigned char *h) {
  uint64_t v;
  memcpy(&v, h + 8, sizeof v);
  return v;
}

static shard *shard_of(const unsigned char *h) { return &shards[h[0] & (SHARDS - 1)]; }

/* The slot holding hash, or (insert) the first reusable slot on its probe
 * path; NULL when absent and not inserting. */
static slot *find(shard *s, const unsigned char *hash, int insert) {
  if (!s->cap) return NULL;
  size_t mask = s->cap - 1, i = h64(hash) & mask;
  slot *reuse = NULL;
  for (size_t n = 0; n < s->cap; n++, i = (i + 1) & mask) {
    slot *e = &s->slots[i];
    if (e->state == EMPTY) return insert ? (reuse ? reuse : e) : NULL;
    if (e->state == TOMB) {
      if (!reuse) reuse = e;
    } else if (!memcmp(e->hash, hash, 32)) {
      return e;
    }
  }
  return insert ? reuse : NULL;
}

static int grow(shard *s) {
  size_t cap = s->cap ? s->cap * 2 : MIN_SLOTS;
  /* Only tombstones to clear: rebuild at the same size. */
  if (s->cap && s->full * 4 < s->cap * 3 / 2) cap = s->cap;
  slot *old = s->slots;
  size_t old_cap = s->cap;
  s->slots = calloc(cap, sizeof *s->slots);
  if (!s->slots) {
    s->slots = old;
    return -1;
  }
  s->cap = cap;
  s->full = s->tombs = 0;
  for (size_t i = 0; i < old_cap; i++) {
    if (old[i].state != FULL) continue;
    slot *e = find(s, old[i].hash, 1);
    *e = old[i];
    s->full++;
  }
  free(old);
  return 0;
}

static int shaped(const char *id, const char *prefix) { return gh_id_valid(id, prefix) && strlen(id) == 4 + RAND_LEN; }

int gh_keycache_get(const unsigned char hash[32], gh_keyinfo *out) {
  if (!atomic_load_explicit(&enabled, memory_order_acquire)) return 0;
  shard *s = shard_of(hash);
  pthread_rwlock_rdlock(&s->lock);
  slot *e = find(s, hash, 0);
  if (e) {
    memcpy(out->key_id, "key_", 4);
    memcpy(out->key_id + 4, e->key, RAND_LEN);
    out->key_id[4 + RAND_LEN] = '\0';
    memcpy(out->org_id, "org_", 4);
    memcpy(out->org_id + 4, e->org, RAND_LEN);
    out->org_id[4 + RAND_LEN] = '\0';
    out->expires_at = e->expires_at;
    out->scopes = e->scopes;
    out->livemode = e->livemode;
    out->revoked = e->revoked;
  }
  pthread_rwlock_unlock(&s->lock);
  return e != NULL;
}

uint64_t gh_keycache_epoch(void) { return atomic_load(&epoch); }

void gh_keycache_put(const unsigned char hash[32], const gh_keyinfo *in, uint64_t seen) {
  if (!atomic_load(&enabled) || !shaped(in->key_id, "key_") || !shaped(in->org_id, "org_")) return;
  shard *s = shard_of(hash);
  pthread_rwlock_wrlock(&s->lock);
  /* Checked under the lock: an invalidation takes every shard's lock after
   * bumping the epoch, so it cannot slip between this test and the store. */
  if (atomic_load(&epoch) != seen) {
    pthread_rwlock_unlock(&s->lock);
    return;
  }
  if ((s->full + s->tombs + 1) * 4 > s->cap * 3 && grow(s)) {
    pthread_rwlock_unlock(&s->lock);
    return;
  }
  slot *e = find(s, hash, 1);
  if (e) {
    if (e->state == TOMB) s->tombs--;
    if (e->state != FULL) s->full++;
    memcpy(e->hash, hash, 32);
    memcpy(e->key, in->key_id + 4, RAND_LEN);
    memcpy(e->org, in->org_id + 4, RAND_LEN);
    e->expires_at = in->expires_at;
    e->scopes = (uint16_t)in->scopes;
    e->livemode = in->livemode;
    e->revoked = in->revoked;
    e->state = FULL;
  }
  pthread_rwlock_unlock(&s->lock);
}

void gh_keycache_drop_id(const char *key_id) {
  atomic_fetch_add(&epoch, 1);
  int match = shaped(key_id, "key_");
  for (int i = 0; i < SHARDS; i++) {
    shard *s = &shards[i];
    pthread_rwlock_wrlock(&s->lock);
    for (size_t j = 0; match && j < s->cap; j++) {
      slot *e = &s->slots[j];
      if (e->state == FULL && !memcmp(e->key, key_id + 4, RAND_LEN)) {
        e->state = TOMB;
        s->full--;
        s->tombs++;
      }
    }
    pthread_rwlock_unlock(&s->lock);
  }
}

static void clear_all(int release) {
  atomic_fetch_add(&epoch, 1);
  for (int i = 0; i < SHARDS; i++) {
    shard *s = &shards[i];
    pthread_rwlock_wrlock(&s->lock);
    if (release) {
      free(s->slots);
      s->slots = NULL;
      s->cap = 0;
    } else if (s->slots) {
      memset(s->slots, 0, s->cap * sizeof *s->slots);
    }
    s->full = s->tombs = 0;
    pthread_rwlock_unlock(&s->lock);
  }
}

void gh_keycache_flush(void) { clear_all(0); }
void gh_keycache_reset(void) { clear_all(1); }

void gh_keycache_set_enabled(bool on) {
  if (!on) {
    atomic_store(&enabled, false);
    gh_keycache_flush();
  } else {
    gh_keycache_flush();
    atomic_store(&enabled, true);
  }
}

size_t gh_keycache_count(void) {
  size_t n = 0;
  for (int i = 0; i < SHARDS; i++) {
    pthread_rwlock_rdlock(&shards[i].lock);
    n += shards[i].full;
    pthread_rwlock_unlock(&shards[i].lock);
  }
  return n;
}
