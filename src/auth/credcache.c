/* credcache.c: see credcache.h. */
#include "auth/credcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 16
#define MIN_SLOTS 64

enum { EMPTY = 0, FULL = 1, TOMB = 2 };

/* A slot: state byte, 32-byte hash, then the record (padded to 8). */
#define HDR 40

typedef struct {
  pthread_rwlock_t lock;
  unsigned char *slots;
  size_t cap, full, tombs;
} shard;

struct gh_credcache {
  size_t rec, stride;
  atomic_uint_fast64_t epoch;
  shard shards[SHARDS];
};

gh_credcache *gh_credcache_new(size_t size) {
  gh_credcache *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->rec = size;
  c->stride = HDR + ((size + 7) & ~(size_t)7);
  atomic_init(&c->epoch, 1);
  for (int i = 0; i < SHARDS; i++)
    pthread_rwlock_init(&c->shards[i].lock, NULL);
  return c;
}

void gh_credcache_free(gh_credcache *c) {
  if (!c) return;
  gh_credcache_flush(c, 1);
  for (int i = 0; i < SHARDS; i++)
    pthread_rwlock_destroy(&c->shards[i].lock);
  free(c);
}

static unsigned char *at(const gh_credcache *c, const shard *s, size_t i) { return s->slots + i * c->stride; }
#define STATE(p) ((p)[0])
#define HASH(p) ((p) + 8)
#define REC(p) ((p) + HDR)

/* Keyed HMAC output: its bytes are already uniform. */
static uint64_t h64(const unsigned char *h) {
  uint64_t v;
  memcpy(&v, h + 8, sizeof v);
  return v;
}

static shard *shard_of(gh_credcache *c, const unsigned char *h) { return &c->shards[h[0] & (SHARDS - 1)]; }

/* The slot holding hash, or (insert) the first reusable slot on its probe
 * path; NULL when absent and not inserting. */
static unsigned char *find(const gh_credcache *c, const shard *s, const unsigned char *hash, int insert) {
  if (!s->cap) return NULL;
  size_t mask = s->cap - 1, i = h64(hash) & mask;
  unsigned char *reuse = NULL;
  for (size_t n = 0; n < s->cap; n++, i = (i + 1) & mask) {
    unsigned char *e = at(c, s, i);
    if (STATE(e) == EMPTY) return insert ? (reuse ? reuse : e) : NULL;
    if (STATE(e) == TOMB) {
      if (!reuse) reuse = e;
    } else if (!memcmp(HASH(e), hash, 32)) {
      return e;
    }
  }
  return insert ? reuse : NULL;
}

static int grow(gh_credcache *c, shard *s) {
  size_t cap = s->cap ? s->cap * 2 : MIN_SLOTS;
  if (s->cap && s->full * 2 < s->cap) cap = s->cap; /* mostly tombstones: rebuild in place */
  unsigned char *old = s->slots;
  size_t old_cap = s->cap;
  s->slots = calloc(cap, c->stride);
  if (!s->slots) {
    s->slots = old;
    return -1;
  }
  s->cap = cap;
  s->full = s->tombs = 0;
  for (size_t i = 0; i < old_cap; i++) {
    unsigned char *o = old + i * c->stride;
    if (STATE(o) != FULL) continue;
    memcpy(find(c, s, HASH(o), 1), o, c->stride);
    s->full++;
  }
  free(old);
  return 0;
}

int gh_credcache_get(gh_credcache *c, const unsigned char hash[32], void *out) {
  shard *s = shard_of(c, hash);
  pthread_rwlock_rdlock(&s->lock);
  unsigned char *e = find(c, s, hash, 0);
  if (e) memcpy(out, REC(e), c->rec);
  pthread_rwlock_unlock(&s->lock);
  return e != NULL;
}

uint64_t gh_credcache_epoch(gh_credcache *c) { return atomic_load(&c->epoch); }

void gh_credcache_put(gh_credcache *c, const unsigned char hash[32], const void *rec, uint64_t seen) {
  shard *s = shard_of(c, hash);
  pthread_rwlock_wrlock(&s->lock);
  /* Checked under the lock: an invalidation bumps the epoch and then takes
   * every shard's lock, so it cannot slip between this test and the store. */
  if (atomic_load(&c->epoch) != seen || ((s->full + s->tombs + 1) * 4 > s->cap * 3 && grow(c, s))) {
    pthread_rwlock_unlock(&s->lock);
    return;
  }
  unsigned char *e = find(c, s, hash, 1);
  if (e) {
    if (STATE(e) == TOMB) s->tombs--;
    if (STATE(e) != FULL) s->full++;
    STATE(e) = FULL;
    memcpy(HASH(e), hash, 32);
    memcpy(REC(e), rec, c->rec);
  }
  pthread_rwlock_unlock(&s->lock);
}

int gh_credcache_update(gh_credcache *c, const unsigned char hash[32], void (*fn)(void *, void *), void *arg) {
  shard *s = shard_of(c, hash);
  pthread_rwlock_wrlock(&s->lock);
  unsigned char *e = find(c, s, hash, 0);
  if (e) fn(REC(e), arg);
  pthread_rwlock_unlock(&s->lock);
  return e != NULL;
}

int gh_credcache_modify(gh_credcache *c, const unsigned char hash[32], void *rec, int (*fn)(void *, int, void *),
                        void *arg) {
  shard *s = shard_of(c, hash);
  pthread_rwlock_wrlock(&s->lock);
  /* Room for the entry first, so that fn's answer can always be carried out
   * (fn may already have acted on other caches by then). */
  unsigned char *e = find(c, s, hash, 0), *slot = e;
  if (!e && (((s->full + s->tombs + 1) * 4 > s->cap * 3 && grow(c, s)) || !(slot = find(c, s, hash, 1)))) {
    pthread_rwlock_unlock(&s->lock);
    return -1;
  }
  if (e)
    memcpy(rec, REC(e), c->rec);
  else
    memset(rec, 0, c->rec);
  int action = fn(rec, e != NULL, arg);
  if (action == GH_CREDCACHE_STORE) {
    if (!e) {
      if (STATE(slot) == TOMB) s->tombs--;
      s->full++;
      STATE(slot) = FULL;
      memcpy(HASH(slot), hash, 32);
    }
    memcpy(REC(slot), rec, c->rec);
  } else if (action == GH_CREDCACHE_DROP) {
    atomic_fetch_add(&c->epoch, 1);
    if (e) {
      STATE(e) = TOMB;
      s->full--;
      s->tombs++;
    }
  }
  pthread_rwlock_unlock(&s->lock);
  return 0;
}

void gh_credcache_invalidate(gh_credcache *c) { atomic_fetch_add(&c->epoch, 1); }

void gh_credcache_drop(gh_credcache *c, const unsigned char hash[32]) {
  atomic_fetch_add(&c->epoch, 1);
  shard *s = shard_of(c, hash);
  pthread_rwlock_wrlock(&s->lock);
  unsigned char *e = find(c, s, hash, 0);
  if (e) {
    STATE(e) = TOMB;
    s->full--;
    s->tombs++;
  }
  pthread_rwlock_unlock(&s->lock);
}

void gh_credcache_drop_if(gh_credcache *c, int (*match)(const void *, const void *), const void *arg) {
  atomic_fetch_add(&c->epoch, 1);
  for (int i = 0; i < SHARDS; i++) {
    shard *s = &c->shards[i];
    pthread_rwlock_wrlock(&s->lock);
    for (size_t j = 0; j < s->cap; j++) {
      unsigned char *e = at(c, s, j);
      if (STATE(e) == FULL && match(REC(e), arg)) {
        STATE(e) = TOMB;
        s->full--;
        s->tombs++;
      }
    }
    pthread_rwlock_unlock(&s->lock);
  }
}

void gh_credcache_flush(gh_credcache *c, int release) {
  atomic_fetch_add(&c->epoch, 1);
  for (int i = 0; i < SHARDS; i++) {
    shard *s = &c->shards[i];
    pthread_rwlock_wrlock(&s->lock);
    if (release) {
      free(s->slots);
      s->slots = NULL;
      s->cap = 0;
    } else if (s->slots) {
      memset(s->slots, 0, s->cap * c->stride);
    }
    s->full = s->tombs = 0;
    pthread_rwlock_unlock(&s->lock);
  }
}

size_t gh_credcache_count(gh_credcache *c) {
  size_t n = 0;
  for (int i = 0; i < SHARDS; i++) {
    pthread_rwlock_rdlock(&c->shards[i].lock);
    n += c->shards[i].full;
    pthread_rwlock_unlock(&c->shards[i].lock);
  }
  return n;
}
