/* sesscache.h: the browser-session side of the credential cache
 * (credcache.h), keyed by the hash of the access token.
 *
 * A record holds what every request checks: the session, user and org ids,
 * the role, the deadlines (access token, absolute, idle) and the activity
 * this node has seen. Records are dropped when the database announces a
 * change to the session, its user (role change, force logout, removal,
 * password change) or its org (force logout, new timeouts); callers use the
 * cache only while gh_listen_trusted(). */
#ifndef GH_SESSCACHE_H
#define GH_SESSCACHE_H
#include <stdbool.h>
#include <stdint.h>

#include "core/rand.h"

typedef struct {
  char session_id[GH_ID_MAX], user_id[GH_ID_MAX], org_id[GH_ID_MAX];
  bool admin;
  int32_t idle_timeout;
  int64_t access_expires_at, expires_at, reauthenticated_at, created_at;
  int64_t last_active_at; /* the latest activity known: the database's or this node's */
  int64_t flushed_at;     /* the latest activity queued for the database */
} gh_sessinfo;

int gh_sesscache_get(const unsigned char hash[32], gh_sessinfo *out);
void gh_sesscache_put(const unsigned char hash[32], const gh_sessinfo *in, uint64_t epoch);
uint64_t gh_sesscache_epoch(void);
/* Records activity at `now`; returns 1 (and sets the record's flushed_at)
 * when the database should be told, at most once a second per session. */
int gh_sesscache_touch(const unsigned char hash[32], int64_t now);
/* Drop by session, user or org id (the invalidation kinds). */
void gh_sesscache_drop_session(const char *id);
void gh_sesscache_drop_user(const char *id);
void gh_sesscache_drop_org(const char *id);
void gh_sesscache_flush(void);
/* Drops records past a deadline (they would be re-read anyway) and index
 * entries whose records are gone: run now and then to bound memory. */
void gh_sesscache_sweep(int64_t now);
void gh_sesscache_reset(void);

#endif
