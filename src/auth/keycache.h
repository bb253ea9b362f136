/* keycache.h: the API-key side of the credential cache (credcache.h).
 *
 * A verified key's hash resolves to its id, org, mode, scopes, expiry and
 * revocation from memory. Callers use it only while gh_listen_trusted();
 * the listener drops a key's record when the database announces a change
 * to it, and flushes everything when it reconnects. Records are 56 bytes
 * (96 with the slot header). */
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
/* Drops records of expired keys (now and then, to bound memory). */
void gh_keycache_sweep(int64_t now);
size_t gh_keycache_count(void);
/* Frees all memory (tests, shutdown). */
void gh_keycache_reset(void);

#endif
