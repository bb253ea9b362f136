/* listen.c: see listen.h. */
#include "db/listen.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/rand.h"
#include "db/db.h"

#define MAX_KINDS 8

typedef struct {
  const char *kind;
  gh_listen_drop_fn drop;
  gh_listen_flush_fn flush;
} kind_handler;
static kind_handler kinds[MAX_KINDS];
static int nkinds;
static gh_listen_tick_fn ticks[MAX_KINDS];
static int nticks;
static char node_id[GH_ID_MAX];
static pthread_t thread;
static atomic_bool running, started;
static atomic_llong trusted_until_ms; /* monotonic ms; 0: not trusted */

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool gh_listen_trusted(void) { return mono_ms() < atomic_load_explicit(&trusted_until_ms, memory_order_acquire); }

const char *gh_listen_node_id(void) { return node_id; }

void gh_listen_on(const char *kind, gh_listen_drop_fn drop, gh_listen_flush_fn flush) {
  if (nkinds < MAX_KINDS) kinds[nkinds++] = (kind_handler){kind, drop, flush};
}

void gh_listen_on_tick(gh_listen_tick_fn fn) {
  if (nticks < MAX_KINDS) ticks[nticks++] = fn;
}

static void flush_all(void) {
  for (int i = 0; i < nkinds; i++)
    if (kinds[i].flush) kinds[i].flush();
}

static int call(PGconn *c, const char *sql, const char *a, const char *b) {
  const char *vals[2] = {a, b};
  PGresult *r = PQexecParams(c, sql, a ? (b ? 2 : 1) : 0, NULL, vals, NULL, NULL, 0);
  int ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) gh_log(GH_LOG_WARN, "invalidation listener: %s failed: %s", sql, PQerrorMessage(c));
  PQclear(r);
  return ok;
}

/* "kind:id:seq" → handler; returns seq (0 if malformed). */
static long long handle(const char *payload) {
  char buf[160];
  gh_buf_copy(buf, sizeof buf, payload);
  char *a = strchr(buf, ':'), *b = a ? strrchr(a + 1, ':') : NULL;
  if (!a || !b) return 0;
  *a = *b = '\0';
  for (int i = 0; i < nkinds; i++)
    if (!strcmp(kinds[i].kind, buf) && kinds[i].drop) kinds[i].drop(a + 1);
  return strtoll(b + 1, NULL, 10);
}

static void distrust(void) {
  atomic_store(&trusted_until_ms, 0);
  flush_all();
}

static void *run(void *arg) {
  (void)arg;
  long long last_beat = 0;
  bool was_up = false;
  unsigned generation = 0;
  while (atomic_load(&running)) {
    PGconn *c = gh_db_conn();
    /* gh_db_conn() reconnects silently: a new connection is not listening
     * yet, and may have missed notifications. */
    if (gh_db_conn_generation() != generation) was_up = false;
    generation = gh_db_conn_generation();
    int listening = c && (was_up || call(c, "LISTEN gh_invalidate", NULL, NULL));
    if (!listening) {
      if (was_up) gh_log(GH_LOG_WARN, "invalidation listener lost the database; caches disabled");
      was_up = false;
      distrust();
      usleep(200000);
      continue;
    }
    if (!was_up) {
      /* Whatever was announced while we were away is unknown: start empty. */
      flush_all();
      was_up = true;
      last_beat = 0;
      gh_log(GH_LOG_INFO, "invalidation listener connected");
    }
    long long now = mono_ms();
    if (now - last_beat >= 1000) {
      if (!call(c, "SELECT gh.node_heartbeat($1)", node_id, NULL)) {
        distrust();
        was_up = false;
        continue;
      }
      last_beat = now;
      atomic_store_explicit(&trusted_until_ms, now + GH_LISTEN_TRUST_MS, memory_order_release);
    }
    struct pollfd p = {PQsocket(c), POLLIN, 0};
    if (poll(&p, 1, 250) < 0 || !PQconsumeInput(c)) {
      distrust();
      was_up = false;
      continue;
    }
    long long seq = 0;
    PGnotify *n;
    while ((n = PQnotifies(c))) {
      long long s = handle(n->extra);
      if (s > seq) seq = s;
      PQfreemem(n);
    }
    if (seq) {
      char sq[24];
      snprintf(sq, sizeof sq, "%lld", seq);
      if (!call(c, "SELECT gh.node_ack($1, $2::bigint)", node_id, sq)) {
        distrust();
        was_up = false;
      }
    }
    for (int i = 0; i < nticks; i++)
      ticks[i]();
  }
  for (int i = 0; i < nticks; i++)
    ticks[i]();
  PGconn *c = gh_db_conn();
  if (c) call(c, "SELECT gh.node_leave($1)", node_id, NULL);
  atomic_store(&trusted_until_ms, 0);
  return NULL;
}

gh_status gh_listen_start(void) {
  gh_id_new(node_id, "node_");
  atomic_store(&running, true);
  if (pthread_create(&thread, NULL, run, NULL)) return GH_ERR_INTERNAL;
  atomic_store(&started, true);
  /* Serve only once the caches can be trusted (bounded wait). */
  for (int i = 0; i < 100 && !gh_listen_trusted(); i++)
    usleep(20000);
  return GH_OK;
}

void gh_listen_stop(void) {
  if (!atomic_load(&started)) return;
  atomic_store(&running, false);
  pthread_join(thread, NULL);
  atomic_store(&started, false);
}

gh_status gh_listen_wait(long long seq, int timeout_ms) {
  char sq[24], fresh[8];
  snprintf(sq, sizeof sq, "%lld", seq);
  snprintf(fresh, sizeof fresh, "%d", GH_LISTEN_FRESH_S);
  const char *vals[2] = {sq, fresh};
  gh_db_stmt q = {"SELECT gh.nodes_lagging($1::bigint, $2::int)", 2, vals, NULL};
  long long deadline = mono_ms() + timeout_ms;
  for (int pause_us = 500;; pause_us = pause_us < 8000 ? pause_us * 2 : pause_us) {
    PGresult *r;
    gh_status s = gh_db_exec(&q, &r);
    if (s) return s;
    long long lagging = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    if (!lagging) return GH_OK;
    if (mono_ms() > deadline) {
      gh_log(GH_LOG_WARN, "invalidation %lld: %lld node(s) did not acknowledge in time", seq, lagging);
      return GH_ERR_UNAVAILABLE;
    }
    usleep((useconds_t)pause_us);
  }
}
