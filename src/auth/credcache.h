/* credcache.h: a cache from credential hash to a fixed-size record.
 *
 * The hot path of authentication: a verified API key or session token
 * resolves from memory, without the database. One implementation serves
 * both credential kinds (keycache.h and sesscache.h pack their records).
 * Entries are dropped when the database announces a change (db/listen.h);
 * callers must not use the cache while gh_listen_trusted() is false.
 *
 * A fill that races an invalidation is discarded: read gh_credcache_epoch()
 * before the database look-up and pass it to gh_credcache_put(), which
 * refuses the record if any invalidation happened in between.
 *
 * 16 shards, each an open-addressing table (linear probing, tombstones, at
 * most 3/4 full) under a reader-writer lock. */
#ifndef GH_CREDCACHE_H
#define GH_CREDCACHE_H
#include <stddef.h>
#include <stdint.h>

typedef struct gh_credcache gh_credcache;

/* A cache of records of `size` bytes. Owned by the caller. */
gh_credcache *gh_credcache_new(size_t size);
void gh_credcache_free(gh_credcache *c);

/* 1 and the record copied into out on a hit. */
int gh_credcache_get(gh_credcache *c, const unsigned char hash[32], void *out);
/* Stores rec under hash unless an invalidation happened since `epoch`. */
void gh_credcache_put(gh_credcache *c, const unsigned char hash[32], const void *rec, uint64_t epoch);
uint64_t gh_credcache_epoch(gh_credcache *c);
/* Calls fn on the record of hash under the write lock (in-place update);
 * returns 1 if found. */
int gh_credcache_update(gh_credcache *c, const unsigned char hash[32], void (*fn)(void *rec, void *arg), void *arg);
/* Read-modify-write of one entry under its shard's write lock, so that no
 * other change to that entry (or its shard) can come between the read and
 * the write. rec (c's record size, supplied by the caller) receives the
 * current record, or zeroes when there is none (*found tells which); fn
 * changes it and returns what to do with it. fn runs under the lock: it
 * may take the locks of another cache (always in the same order: the
 * session index before the session records), never of c. A store ignores
 * the epoch; a drop counts as an invalidation. Returns 0; or -1, without
 * calling fn, when there is no entry and no room for one (out of memory). */
enum { GH_CREDCACHE_KEEP, GH_CREDCACHE_STORE, GH_CREDCACHE_DROP };
int gh_credcache_modify(gh_credcache *c, const unsigned char hash[32], void *rec,
                        int (*fn)(void *rec, int found, void *arg), void *arg);
/* Counts as an invalidation without dropping anything (fills started
 * before it are refused). */
void gh_credcache_invalidate(gh_credcache *c);
/* Drops the record of hash, if any. Counts as an invalidation. */
void gh_credcache_drop(gh_credcache *c, const unsigned char hash[32]);
/* Drops every record for which match(rec, arg) is true (a scan: changes
 * are rare). Counts as an invalidation. */
void gh_credcache_drop_if(gh_credcache *c, int (*match)(const void *rec, const void *arg), const void *arg);
/* Drops everything; release also frees the tables. */
void gh_credcache_flush(gh_credcache *c, int release);
size_t gh_credcache_count(gh_credcache *c);

#endif
