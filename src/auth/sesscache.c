/* sesscache.c: session records packed for the credential cache (see
 * sesscache.h). */
#include "auth/sesscache.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "auth/credcache.h"

#define RAND_LEN GH_ID_RANDOM_CHARS

typedef struct {
  int64_t access_expires_at, expires_at, reauthenticated_at, created_at, last_active_at, flushed_at;
  int32_t idle_timeout;
  char ses[RAND_LEN], usr[RAND_LEN], org[RAND_LEN];
  uint8_t admin;
} packed;

/* The index from session id to the access-token hashes its records are
 * cached under (the latest two: a rotation may leave the old one cached),
 * so that ending one session drops its records without a scan; refresh
 * ends the old access token of a session on every node.
 *
 * Invariant: every record in the cache is named by its session's index
 * entry, so a drop of the session finds it. It holds because an entry is
 * only ever read and written under its shard's write lock
 * (gh_credcache_modify), and the record is stored, or dropped, while that
 * lock is held: a fill and a drop of one session are serialised, and two
 * fills of one session under different hashes (the old and the new token
 * of a rotation, requested at once) each see the other's hash. When a
 * third hash arrives before the session's announcement (tokens of several
 * rotations filled on this node in between), the record of the hash that
 * falls out of the entry is dropped with it, rather than left unnamed.
 * (The sweep, which forgets entries whose records are gone, takes the same
 * lock, so it cannot forget an entry between its update and the store.)
 * Lock order: an index shard, then a record shard; never the reverse.
 *
 * Why not find the records by scanning for the session id, as drop_user
 * and drop_org do, which would need no index at all: every refresh ends a
 * session's old token on every node (decision 31), so drop_session runs
 * once per access-token lifetime per live session, and a scan takes every
 * shard's write lock over the whole cache each time; the lock held here is
 * one shard of the index, for a few copies, on a fill (a cache miss), and
 * the hot path (gh_sesscache_get) does not touch the index at all. */
typedef struct {
  unsigned char hash[2][32];
} index_rec;

static gh_credcache *cache, *idx;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init(void) {
  cache = gh_credcache_new(sizeof(packed));
  idx = gh_credcache_new(sizeof(index_rec));
}

/* The index key of a session id: BLAKE2b of it (ids are not secrets; the
 * cache wants uniformly distributed 32-byte keys). */
static void id_key(const char *session_id, unsigned char out[32]) {
  crypto_generichash(out, 32, (const unsigned char *)session_id, strlen(session_id), NULL, 0);
}
static gh_credcache *C(void) {
  pthread_once(&once, init);
  return cache;
}

int gh_sesscache_get(const unsigned char hash[32], gh_sessinfo *out) {
  packed p;
  if (!gh_credcache_get(C(), hash, &p)) return 0;
  gh_id_compose(out->session_id, "ses_", p.ses);
  gh_id_compose(out->user_id, "usr_", p.usr);
  gh_id_compose(out->org_id, "org_", p.org);
  out->admin = p.admin;
  out->idle_timeout = p.idle_timeout;
  out->access_expires_at = p.access_expires_at;
  out->expires_at = p.expires_at;
  out->reauthenticated_at = p.reauthenticated_at;
  out->created_at = p.created_at;
  out->last_active_at = p.last_active_at;
  out->flushed_at = p.flushed_at;
  return 1;
}

uint64_t gh_sesscache_epoch(void) { return gh_credcache_epoch(C()); }

typedef struct {
  const unsigned char *hash;
  const packed *p;
  uint64_t epoch;
} fill;

static int is_zero(const unsigned char h[32]) {
  unsigned char z = 0;
  for (int i = 0; i < 32; i++)
    z |= h[i];
  return !z;
}

/* Under the lock of the session's index entry: name `hash` in the entry,
 * then store the record (refused by the epoch if a drop came since it was
 * read from the database). */
static int index_fill(void *rec, int found, void *arg) {
  index_rec *ir = rec;
  const fill *f = arg;
  if (!found || memcmp(ir->hash[0], f->hash, 32)) {
    /* hash[1] falls out of the entry: its record goes with it. */
    if (found && memcmp(ir->hash[1], f->hash, 32) && !is_zero(ir->hash[1])) gh_credcache_drop(cache, ir->hash[1]);
    memcpy(ir->hash[1], ir->hash[0], 32);
    memcpy(ir->hash[0], f->hash, 32);
  }
  gh_credcache_put(cache, f->hash, f->p, f->epoch);
  return GH_CREDCACHE_STORE;
}

/* Under the same lock: drop every record the entry names, then the entry. */
static int index_drop(void *rec, int found, void *arg) {
  index_rec *ir = rec;
  (void)arg;
  if (!found) return GH_CREDCACHE_KEEP;
  for (int i = 0; i < 2; i++)
    if (!is_zero(ir->hash[i])) gh_credcache_drop(cache, ir->hash[i]);
  return GH_CREDCACHE_DROP;
}

void gh_sesscache_put(const unsigned char hash[32], const gh_sessinfo *in, uint64_t epoch) {
  if (!gh_id_standard(in->session_id, "ses_") || !gh_id_standard(in->user_id, "usr_") ||
      !gh_id_standard(in->org_id, "org_"))
    return;
  packed p;
  memset(&p, 0, sizeof p);
  memcpy(p.ses, in->session_id + 4, RAND_LEN);
  memcpy(p.usr, in->user_id + 4, RAND_LEN);
  memcpy(p.org, in->org_id + 4, RAND_LEN);
  p.admin = in->admin;
  p.idle_timeout = in->idle_timeout;
  p.access_expires_at = in->access_expires_at;
  p.expires_at = in->expires_at;
  p.reauthenticated_at = in->reauthenticated_at;
  p.created_at = in->created_at;
  p.last_active_at = in->last_active_at;
  p.flushed_at = in->flushed_at;
  fill f = {hash, &p, epoch};
  unsigned char k[32];
  index_rec ir;
  id_key(in->session_id, k);
  C(); /* initialises idx too */
  /* No room in the index (out of memory): not cached, which is safe. */
  gh_credcache_modify(idx, k, &ir, index_fill, &f);
}

typedef struct {
  int64_t now;
  int flush;
} touch_arg;

static void touch(void *rec, void *arg) {
  packed *p = rec;
  touch_arg *t = arg;
  if (t->now > p->last_active_at) p->last_active_at = t->now;
  if (t->now - p->flushed_at >= 1) {
    p->flushed_at = t->now;
    t->flush = 1;
  }
}

int gh_sesscache_touch(const unsigned char hash[32], int64_t now) {
  touch_arg t = {now, 0};
  if (!gh_credcache_update(C(), hash, touch, &t)) return 1; /* not cached: tell the database */
  return t.flush;
}

static int match_usr(const void *rec, const void *id) {
  return !memcmp(((const packed *)rec)->usr, (const char *)id + 4, RAND_LEN);
}
static int match_org(const void *rec, const void *id) {
  return !memcmp(((const packed *)rec)->org, (const char *)id + 4, RAND_LEN);
}

void gh_sesscache_drop_session(const char *id) {
  if (!gh_id_standard(id, "ses_")) return;
  /* Refuse fills that read the database before this drop first; then, under
   * the index entry's lock, drop what it names (see the index above). */
  gh_credcache_invalidate(C());
  unsigned char k[32];
  index_rec ir;
  id_key(id, k);
  gh_credcache_modify(idx, k, &ir, index_drop, NULL);
}
void gh_sesscache_drop_user(const char *id) {
  if (gh_id_standard(id, "usr_")) gh_credcache_drop_if(C(), match_usr, id);
}
void gh_sesscache_drop_org(const char *id) {
  if (gh_id_standard(id, "org_")) gh_credcache_drop_if(C(), match_org, id);
}
void gh_sesscache_flush(void) {
  gh_credcache_flush(C(), 0);
  gh_credcache_flush(idx, 0);
}
void gh_sesscache_reset(void) {
  gh_credcache_flush(C(), 1);
  gh_credcache_flush(idx, 1);
}

static int expired_rec(const void *rec, const void *now) {
  const packed *p = rec;
  int64_t t = *(const int64_t *)now;
  return p->expires_at <= t || p->access_expires_at <= t || p->last_active_at + p->idle_timeout <= t;
}

static int stale_index(const void *rec, const void *arg) {
  const index_rec *ir = rec;
  packed p;
  (void)arg;
  return !gh_credcache_get(cache, ir->hash[0], &p) && !gh_credcache_get(cache, ir->hash[1], &p);
}

void gh_sesscache_sweep(int64_t now) {
  gh_credcache_drop_if(C(), expired_rec, &now);
  gh_credcache_drop_if(idx, stale_index, NULL);
}
