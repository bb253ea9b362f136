/* keycache.h: the API-key credential cache (the hot path).
 *
 * A verified key's hash resolves to its org, mode, scopes and expiry from
 * memory, without touching the database. Entries are dropped when the
 * database announces a change (LISTEN/NOTIFY, see db/listen.h); while the
 * listener is disconnected the cache is flushed and disabled, so a node that
 * may have missed an announcement never trusts what it holds (fail closed).
 *
 * A fill that races an invalidation is discarded: gh_keycache_epoch() is
 * read before the database look-up and gh_keycache_put() refuses the entry
 * if an invalidation happened in between.
 *
 * 16 shards with a reader-writer lock each; open addressing with linear
 * probing; 88 bytes per slot, at most 3/4 full. */
#ifndef GH_KEYCACHE_H
#define GH_KEYCACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rand.h"

typedef struct {
  char key_id[GH_ID_MAX];
  char org_id[GH_ID_MAX];
  bool livemode;
  bool revoked;
  uint32_t scopes;
  int64_t expires_at; /* epoch seconds; 0: never */
} gh_keyinfo;

/* 1 and *out filled on a hit. */
int gh_keycache_get(const unsigned char hash[32], gh_keyinfo *out);
/* Caches info under hash unless an invalidation happened since `epoch`
 * (from gh_keycache_epoch()) or the cache is disabled. Ids not of the form
 * "key_"/"org_" + 22 base62 characters are not cached. */
void gh_keycache_put(const unsigned char hash[32], const gh_keyinfo *info, uint64_t epoch);
uint64_t gh_keycache_epoch(void);
/* Drops the entry of a key id (a scan: revocations are rare). */
void gh_keycache_drop_id(const char *key_id);
/* Drops everything. */
void gh_keycache_flush(void);
/* Disabled: every get misses and nothing is stored (listener down). */
void gh_keycache_set_enabled(bool on);
size_t gh_keycache_count(void);
/* Frees all memory (tests, shutdown). */
void gh_keycache_reset(void);

#endif
