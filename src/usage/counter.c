/* counter.c: the write side of usage monitoring (see usage.h): the
 * per-request counting on the hot path and the batched flush.
 *
 * Sixteen shards, each a mutex and a fixed open-addressing table; a request
 * takes one shard's mutex for a few dozen nanoseconds. Sharding is by
 * (org, key, minute), so the requests of one busy key all meet on one
 * shard: measured with bench/usage_xact.sh (64 connections on one key), an
 * uncontended-looking cost next to the request itself. The flush empties
 * the shards one at a time, builds one array literal per column and makes
 * one call; a failed call puts the entries back. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/text.h"
#include "config/config.h"
#include "db/db.h"
#include "usage/usage.h"

#define FILL_MAX (GH_USAGE_SLOTS * 3 / 4)
#define STOP_ATTEMPTS 5

gh_usage_counts gh_usage_outcome(int http) {
  gh_usage_counts c = {1, 0, 0, 0, 0};
  if (http >= 200 && http < 400)
    c.succeeded = 1;
  else if (http == 401 || http == 403)
    c.denied = 1;
  else if (http == 429)
    c.rate_limited = 1;
  else if (http >= 400 && http < 500)
    c.client_errors = 1;
  /* 1xx never reaches here (libmicrohttpd answers 100-continue itself);
   * 5xx and 0 (no answer) count as requests only. */
  return c;
}

void gh_usage_counts_add(gh_usage_counts *to, const gh_usage_counts *c) {
  to->requests += c->requests;
  to->succeeded += c->succeeded;
  to->client_errors += c->client_errors;
  to->denied += c->denied;
  to->rate_limited += c->rate_limited;
}

/* ---- the table ---------------------------------------------------------- */

uint32_t gh_usage_hash(const char *org_id, const char *key_id, int64_t minute) {
  /* A key id is unique across orgs, so it alone places a key's entries;
   * sessions are placed by their org. The minute spreads one key's
   * successive minutes over slots (a slot is freed only by a flush). */
  uint32_t h = gh_text_hash32(key_id && *key_id ? key_id : org_id);
  uint64_t m = (uint64_t)(minute / 60);
  return h ^ (uint32_t)(m * 2654435761u);
}

int gh_usage_table_add(gh_usage_table *t, uint32_t hash, const char *org_id, const char *key_id, int64_t minute,
                       const gh_usage_counts *c) {
  if (!key_id) key_id = "";
  uint32_t i = (hash / GH_USAGE_SHARDS) & (GH_USAGE_SLOTS - 1);
  for (int n = 0; n < GH_USAGE_SLOTS; n++, i = (i + 1) & (GH_USAGE_SLOTS - 1)) {
    gh_usage_entry *e = &t->e[i];
    if (!e->org_id[0]) {
      /* Not present (probing stops at the first empty slot). */
      if (t->used >= FILL_MAX) return -1;
      gh_buf_copy(e->org_id, sizeof e->org_id, org_id);
      gh_buf_copy(e->key_id, sizeof e->key_id, key_id);
      e->minute = minute;
      memset(&e->c, 0, sizeof e->c);
      t->used++;
    } else if (e->minute != minute || strcmp(e->key_id, key_id) || strcmp(e->org_id, org_id)) {
      continue;
    }
    gh_usage_counts_add(&e->c, c);
    return 0;
  }
  return -1; /* unreachable while FILL_MAX < GH_USAGE_SLOTS */
}

int gh_usage_table_drain(gh_usage_table *t, gh_usage_entry *out, int max) {
  int n = 0;
  if (!t->used) return 0;
  for (int i = 0; i < GH_USAGE_SLOTS; i++)
    if (t->e[i].org_id[0] && n < max) out[n++] = t->e[i];
  memset(t, 0, sizeof *t);
  return n;
}

/* ---- the process-wide shards ------------------------------------------ */

typedef struct {
  pthread_mutex_t mu;
  gh_usage_table t;
} shard;

static shard shards[GH_USAGE_SHARDS] = {
#define S                                                                                                              \
  {                                                                                                                    \
    PTHREAD_MUTEX_INITIALIZER, { 0 }                                                                                   \
  }
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S,
#undef S
};
static atomic_ullong dropped;

/* Adds c for (org, key, minute) to its shard; counts it as dropped when
 * the shard is full. */
static void add(const char *org_id, const char *key_id, int64_t minute, const gh_usage_counts *c) {
  uint32_t h = gh_usage_hash(org_id, key_id, minute);
  shard *s = &shards[h % GH_USAGE_SHARDS];
  pthread_mutex_lock(&s->mu);
  int full = gh_usage_table_add(&s->t, h, org_id, key_id, minute, c);
  pthread_mutex_unlock(&s->mu);
  if (full) atomic_fetch_add_explicit(&dropped, c->requests, memory_order_relaxed);
}

void gh_usage_note(const char *org_id, const char *key_id, int64_t at, int http) {
  if (!org_id || !*org_id) return;
  gh_usage_counts c = gh_usage_outcome(http);
  int64_t minute = at - ((at % 60) + 60) % 60; /* floor, also before 1970 */
  add(org_id, key_id, minute, &c);
}

uint64_t gh_usage_pending(void) {
  uint64_t n = 0;
  for (int i = 0; i < GH_USAGE_SHARDS; i++) {
    pthread_mutex_lock(&shards[i].mu);
    for (int j = 0; j < GH_USAGE_SLOTS; j++)
      if (shards[i].t.e[j].org_id[0]) n += shards[i].t.e[j].c.requests;
    pthread_mutex_unlock(&shards[i].mu);
  }
  return n;
}

uint64_t gh_usage_dropped(void) { return atomic_load(&dropped); }

void gh_usage_reset(void) {
  for (int i = 0; i < GH_USAGE_SHARDS; i++) {
    pthread_mutex_lock(&shards[i].mu);
    memset(&shards[i].t, 0, sizeof shards[i].t);
    pthread_mutex_unlock(&shards[i].mu);
  }
  atomic_store(&dropped, 0);
}

/* ---- the flush ---------------------------------------------------------- */

static pthread_mutex_t flush_mu = PTHREAD_MUTEX_INITIALIZER;
static gh_usage_entry batch[GH_USAGE_SHARDS * GH_USAGE_SLOTS]; /* under flush_mu */

enum { C_ORG, C_KEY, C_MINUTE, C_REQ, C_OK, C_CLIENT, C_DENIED, C_LIMITED, NCOLS };

/* The eight array literals of n entries, malloc'ed into lit[]. Ids are
 * base62 with one underscore (safe unquoted); a session's key is NULL;
 * minutes are quoted RFC 3339; counters are integers. */
static int literals(const gh_usage_entry *b, int n, char *lit[NCOLS]) {
  size_t len[NCOLS];
  FILE *f[NCOLS];
  int ok = 1;
  for (int k = 0; k < NCOLS; k++)
    ok &= (f[k] = open_memstream(&lit[k], &len[k])) != NULL;
  for (int i = 0; ok && i < n; i++) {
    const char *sep = i ? "," : "{";
    char t[32];
    gh_rfc3339(b[i].minute, t);
    fprintf(f[C_ORG], "%s%s", sep, b[i].org_id);
    fprintf(f[C_KEY], "%s%s", sep, b[i].key_id[0] ? b[i].key_id : "NULL");
    fprintf(f[C_MINUTE], "%s\"%s\"", sep, t);
    fprintf(f[C_REQ], "%s%u", sep, b[i].c.requests);
    fprintf(f[C_OK], "%s%u", sep, b[i].c.succeeded);
    fprintf(f[C_CLIENT], "%s%u", sep, b[i].c.client_errors);
    fprintf(f[C_DENIED], "%s%u", sep, b[i].c.denied);
    fprintf(f[C_LIMITED], "%s%u", sep, b[i].c.rate_limited);
  }
  for (int k = 0; k < NCOLS; k++)
    if (f[k]) {
      fputc('}', f[k]);
      ok &= fclose(f[k]) == 0;
    }
  return ok ? 0 : -1;
}

gh_status gh_usage_flush(void) {
  pthread_mutex_lock(&flush_mu);
  int n = 0;
  for (int i = 0; i < GH_USAGE_SHARDS; i++) {
    pthread_mutex_lock(&shards[i].mu);
    n += gh_usage_table_drain(&shards[i].t, batch + n, GH_USAGE_SLOTS);
    pthread_mutex_unlock(&shards[i].mu);
  }
  if (!n) {
    pthread_mutex_unlock(&flush_mu);
    return GH_OK;
  }
  char *lit[NCOLS] = {0};
  gh_status s = GH_ERR_NOMEM;
  if (!literals(batch, n, lit)) {
    const char *vals[NCOLS];
    for (int k = 0; k < NCOLS; k++)
      vals[k] = lit[k];
    gh_db_stmt q = {"SELECT gh.api_key_usage_add($1::text[], $2::text[], $3::timestamptz[], $4::bigint[], "
                    "$5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])",
                    NCOLS, vals, NULL};
    PGresult *res;
    s = gh_db_exec(&q, &res);
    if (s == GH_OK) PQclear(res);
  }
  for (int k = 0; k < NCOLS; k++)
    free(lit[k]);
  if (s != GH_OK) {
    /* Keep them for the next attempt, merged with what came in since. */
    uint64_t before = gh_usage_dropped();
    for (int i = 0; i < n; i++)
      add(batch[i].org_id, batch[i].key_id, batch[i].minute, &batch[i].c);
    uint64_t lost = gh_usage_dropped() - before;
    gh_log(GH_LOG_WARN, "could not write the usage of %d key-minute(s); kept for the next attempt%s", n,
           lost ? " (some dropped: the counters are full)" : "");
  }
  pthread_mutex_unlock(&flush_mu);
  return s;
}

/* ---- retention ---------------------------------------------------------- */

gh_status gh_usage_prune_batch(int keep_days, int max_rows, int *deleted) {
  char days[16], rows[16];
  gh_buf b;
  gh_buf_init(&b, days, sizeof days);
  gh_buf_int(&b, keep_days);
  gh_buf_init(&b, rows, sizeof rows);
  gh_buf_int(&b, max_rows);
  const char *vals[2] = {days, rows};
  gh_db_stmt q = {"SELECT gh.api_key_usage_prune($1::int, $2::int)", 2, vals, NULL};
  PGresult *res;
  gh_status s = gh_db_exec(&q, &res);
  if (s != GH_OK) return s;
  *deleted = (int)gh_db_getll(res, 0, 0);
  PQclear(res);
  return GH_OK;
}

/* One batch per tick while old rows remain, so that the listener thread,
 * which also acknowledges revocations, is never busy for long; then an
 * hour's rest. The first tick after start prunes. */
static void prune_tick(int64_t now_us) {
  static int64_t next_us;
  static int64_t removed;
  int keep = gh_cfg ? gh_cfg->usage_retention_days : 0;
  if (keep <= 0 || now_us < next_us) return;
  int n = 0;
  if (gh_usage_prune_batch(keep, GH_USAGE_PRUNE_BATCH, &n) != GH_OK) {
    next_us = now_us + 60LL * 1000000; /* the database is away: try in a minute */
    return;
  }
  removed += n;
  if (n == GH_USAGE_PRUNE_BATCH) return; /* more to do: next tick */
  if (removed)
    gh_log(GH_LOG_INFO, "usage retention: deleted %lld minute row(s) older than %d days", (long long)removed, keep);
  removed = 0;
  next_us = now_us + 3600LL * 1000000;
}

void gh_usage_tick(void) {
  static int64_t last_us;
  int64_t now = gh_mono_us();
  prune_tick(now);
  if (now - last_us < (int64_t)GH_USAGE_FLUSH_MS * 1000) return;
  last_us = now;
  (void)gh_usage_flush();
}

void gh_usage_stop(void) {
  for (int i = 0; i < STOP_ATTEMPTS && gh_usage_flush() != GH_OK; i++)
    usleep(200000);
  uint64_t left = gh_usage_pending(), lost = gh_usage_dropped();
  if (left || lost)
    gh_log(GH_LOG_ERROR, "usage counts lost at shutdown: %llu request(s) unwritten, %llu dropped earlier",
           (unsigned long long)left, (unsigned long long)lost);
}
