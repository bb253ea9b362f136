/* usage.h: API key usage monitoring (api.md: GET /v1/api_keys/{id}/usage,
 * GET /v1/usage; docs/decisions.md 50-54).
 *
 * Every request whose credential was identified is counted per (org, API
 * key, minute) — requests by browser sessions per (org, minute), key NULL —
 * in memory, when its answer is known (server.c's completion callback). The
 * counts go to the database in batches: the listener's thread calls
 * gh_usage_tick() after each poll, which flushes every GH_USAGE_FLUSH_MS
 * through ONE call of gh.api_key_usage_add (migration 0009) that adds the
 * batch to what is stored. So a request costs no database work, counts are
 * visible within a few seconds, several nodes add up, and a failed flush
 * puts its counts back to be sent with the next one. The memory is fixed
 * (GH_USAGE_SHARDS tables of GH_USAGE_SLOTS entries): while the database is
 * away long enough to fill it, what does not fit is dropped and logged.
 *
 * The second half is the pure logic of the read side: the query parameters
 * from, to and granularity → the aligned bucket range the SQL zero-fills. */
#ifndef GH_USAGE_H
#define GH_USAGE_H
#include <stdint.h>

#include "core/rand.h"
#include "core/status.h"

#define GH_USAGE_FLUSH_MS 2000 /* at most this old when sent: visible within 10 s */
#define GH_USAGE_SHARDS 16
#define GH_USAGE_SLOTS 1024       /* per shard; a power of two, filled to 3/4 at most */
#define GH_USAGE_PRUNE_BATCH 5000 /* rows per retention call: a few ms of the listener's thread */

typedef struct {
  uint32_t requests;      /* every counted request, server errors included */
  uint32_t succeeded;     /* 2xx and 3xx */
  uint32_t client_errors; /* 4xx other than 401, 403, 429 */
  uint32_t denied;        /* 401, 403 */
  uint32_t rate_limited;  /* 429 */
} gh_usage_counts;

/* What one request answered with HTTP status `http` counts as (0: the
 * connection ended before an answer; 5xx: only `requests`). */
gh_usage_counts gh_usage_outcome(int http);
/* to += c. */
void gh_usage_counts_add(gh_usage_counts *to, const gh_usage_counts *c);

/* ---- the counting table (no lock of its own; exposed for unit tests) ---- */

typedef struct {
  char org_id[GH_ID_MAX];
  char key_id[GH_ID_MAX]; /* "" for sessions */
  int64_t minute;         /* epoch seconds of the minute's start */
  gh_usage_counts c;
} gh_usage_entry;

typedef struct {
  int used;
  gh_usage_entry e[GH_USAGE_SLOTS];
} gh_usage_table;

/* The hash that places (org, key, minute) in a shard and a slot. */
uint32_t gh_usage_hash(const char *org_id, const char *key_id, int64_t minute);
/* Adds c to the entry of (org, key or NULL/"" , minute), creating it;
 * -1 when the table is full (3/4 of its slots) and the entry is new. */
int gh_usage_table_add(gh_usage_table *t, uint32_t hash, const char *org_id, const char *key_id, int64_t minute,
                       const gh_usage_counts *c);
/* Moves up to max entries into out and empties the table; returns how
 * many. Entries beyond max are dropped (callers pass the table's size). */
int gh_usage_table_drain(gh_usage_table *t, gh_usage_entry *out, int max);

/* ---- the process-wide counters ---------------------------------------- */

/* Counts one request of org_id by key_id (NULL or "": a session) that
 * ended at `at` (epoch seconds) with HTTP status http. Cheap: a hash, one
 * shard mutex, no allocation, no I/O. */
void gh_usage_note(const char *org_id, const char *key_id, int64_t at, int http);
/* Sends everything counted so far as one gh.api_key_usage_add call. On
 * failure the counts go back into the tables (merged with newer ones) and
 * the status is returned. One flush at a time. */
gh_status gh_usage_flush(void);
/* For the listener's thread, after each poll: flushes when the last flush
 * is GH_USAGE_FLUSH_MS old, and applies the retention
 * (GATEHOUSE_USAGE_RETENTION_DAYS): at start and then hourly, minute rows
 * older than that are deleted, GH_USAGE_PRUNE_BATCH per tick. */
void gh_usage_tick(void);
/* One call of gh.api_key_usage_prune (migration 0013): deletes at most
 * max_rows rows older than keep_days (>= 2) and sets *deleted. */
gh_status gh_usage_prune_batch(int keep_days, int max_rows, int *deleted);
/* At shutdown, after the HTTP server has drained: flushes, retrying a few
 * times; logs what could not be written. */
void gh_usage_stop(void);
/* Requests counted and not yet written (all shards), and requests dropped
 * because the tables were full since start. */
uint64_t gh_usage_pending(void);
uint64_t gh_usage_dropped(void);
/* Forgets everything (unit tests). */
void gh_usage_reset(void);

/* ---- the read side ------------------------------------------------------ */

#define GH_USAGE_DEFAULT_SPAN (24 * 3600)

typedef struct {
  const char *unit; /* "minute", "hour", "day" (date_trunc's field) */
  int step;         /* the bucket's length in seconds */
  int64_t first;    /* start of the first bucket (epoch seconds, aligned) */
  int64_t last;     /* start of the last bucket */
  int buckets;      /* (last - first) / step + 1 */
} gh_usage_range;

/* ?from, ?to (RFC 3339, any offset; NULL: absent) and ?granularity
 * (minute|hour|day; NULL: hour) at time now → the buckets that overlap
 * [from, to). Defaults: to = now, from = to - 24 h. from must be before to,
 * and to - from at most 24 h for minute, 31 days for hour, 366 days for
 * day. Returns GH_OK, or GH_ERR_INVALID_REQUEST with *param naming the
 * parameter at fault and *message a sentence for the client. */
gh_status gh_usage_range_parse(const char *from, const char *to, const char *granularity, int64_t now,
                               gh_usage_range *out, const char **param, const char **message);

#endif
