/* overhttp.c: see overhttp.h.
 *
 * The numbers, and why:
 *   - Window, one minute per key per node: a client that sends its key
 *     over plain HTTP does so on every request; one audit entry and one
 *     warning a minute tell its owner as well as a thousand.
 *   - Budget, 20 a second with a burst of 50 (GCRA): a real leak is one
 *     key, or a handful (a misconfigured deployment), and each costs one
 *     handling a minute; 20/s is 1200 distinct keys a minute per node, far
 *     beyond that, and the burst covers a fleet of such clients starting
 *     together. What it bounds: at most 20 definer calls a second (an index
 *     look-up on api_keys.key_hash, an INSERT only for a real key) and
 *     20 warning lines a second plus one summary, whatever the request rate.
 *   - Recent keys, 512 sets × 4 (48 KiB): only handled keys are inserted,
 *     at most 50 + 20 × 60 = 1250 a minute, so a key handled within the
 *     window is normally still there; an eviction (a crowded set loses its
 *     oldest) costs one more handling of that key, never a missed one.
 *   - Queue, 64 entries: the listener's thread empties it after every poll
 *     (at least every 250 ms while connected); in 250 ms the budget admits
 *     at most 50 + 5 = 55. It fills only while the database is away, and
 *     then further keys are suppressed (counted) rather than held in ever
 *     more memory; a key whose audit fails is forgotten, so its next
 *     sighting tries again.
 * What is not guaranteed: a real key sent during a flood of fake ones may
 * find the budget spent; it is counted in the summary, and audited at a
 * later sighting (such a client keeps sending it). */
#include "audit/overhttp.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "audit/audit.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rand.h"

/* ---- the pure part ---- */

/* The set comes from bytes the tag does not hold. The hash is keyed (the
 * pepper), so a client cannot aim its keys at one set. */
static unsigned set_of(const unsigned char *h) {
  unsigned v = (unsigned)h[GH_OVERHTTP_TAG] | (unsigned)h[GH_OVERHTTP_TAG + 1] << 8;
  return v % GH_OVERHTTP_SETS;
}

static gh_gcra_limit budget_of(const gh_overhttp_state *s) {
  return s->budget.rate > 0 ? s->budget : (gh_gcra_limit){GH_OVERHTTP_RATE, GH_OVERHTTP_BURST};
}

gh_overhttp_verdict gh_overhttp_decide(gh_overhttp_state *s, const unsigned char *key_hash, bool room, int64_t now) {
  int oldest = 0;
  if (key_hash) {
    unsigned set = set_of(key_hash);
    for (int w = 0; w < GH_OVERHTTP_WAYS; w++) {
      int64_t at = s->recent[set][w].at;
      if (at && now - at < GH_OVERHTTP_WINDOW_US && !memcmp(s->recent[set][w].tag, key_hash, GH_OVERHTTP_TAG)) {
        s->repeated++;
        return GH_OVERHTTP_REPEATED;
      }
      if (at < s->recent[set][oldest].at) oldest = w; /* empty (0) counts as oldest */
    }
    if (!room) {
      s->suppressed++;
      return GH_OVERHTTP_SUPPRESSED;
    }
  }
  if (!gh_gcra_apply(budget_of(s), &s->tat, now).allowed) {
    s->suppressed++;
    return GH_OVERHTTP_SUPPRESSED;
  }
  if (key_hash) {
    unsigned set = set_of(key_hash);
    memcpy(s->recent[set][oldest].tag, key_hash, GH_OVERHTTP_TAG);
    s->recent[set][oldest].at = now > 0 ? now : 1;
  }
  return GH_OVERHTTP_HANDLE;
}

void gh_overhttp_forget(gh_overhttp_state *s, const unsigned char key_hash[32]) {
  unsigned set = set_of(key_hash);
  for (int w = 0; w < GH_OVERHTTP_WAYS; w++)
    if (!memcmp(s->recent[set][w].tag, key_hash, GH_OVERHTTP_TAG))
      memset(&s->recent[set][w], 0, sizeof s->recent[0][0]);
}

bool gh_overhttp_summary_due(gh_overhttp_state *s, int64_t now, long *repeated, long *suppressed) {
  if (!s->repeated && !s->suppressed) return false;
  if (s->last_summary && now - s->last_summary < GH_OVERHTTP_SUMMARY_US) return false;
  *repeated = s->repeated;
  *suppressed = s->suppressed;
  s->repeated = s->suppressed = 0;
  s->last_summary = now > 0 ? now : 1;
  return true;
}

/* ---- the process's state and the queue of audit entries ---- */

#define QUEUE_MAX 64

typedef struct {
  unsigned char hash[32];
  char ip[64];
  char ua[GH_AUDIT_UA_MAX + 1];
  char request_id[GH_ID_MAX];
} pending;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static gh_overhttp_state state;
static pending queue[QUEUE_MAX];
static int queued;

static void summary(int64_t now) {
  long repeated = 0, suppressed = 0;
  pthread_mutex_lock(&mu);
  bool due = gh_overhttp_summary_due(&state, now, &repeated, &suppressed);
  pthread_mutex_unlock(&mu);
  if (due)
    gh_log_obj(GH_LOG_WARN, "credentials sent over plain HTTP, not logged one by one",
               json_pack("{s:I, s:I, s:i, s:i}", "repeated", (json_int_t)repeated, "suppressed", (json_int_t)suppressed,
                         "window_seconds", (int)(GH_OVERHTTP_WINDOW_US / 1000000), "budget_per_second",
                         GH_OVERHTTP_RATE));
}

void gh_overhttp_seen(gh_req *r, const unsigned char *key_hash) {
  int64_t now = gh_mono_us();
  pthread_mutex_lock(&mu);
  gh_overhttp_verdict v = gh_overhttp_decide(&state, key_hash, queued < QUEUE_MAX, now);
  if (v == GH_OVERHTTP_HANDLE && key_hash) {
    pending *p = &queue[queued++];
    memcpy(p->hash, key_hash, sizeof p->hash);
    gh_buf_copy(p->ip, sizeof p->ip, r->client_ip);
    gh_audit_clean_text(gh_req_header(r, "User-Agent"), p->ua, sizeof p->ua);
    gh_buf_copy(p->request_id, sizeof p->request_id, r->id);
  }
  pthread_mutex_unlock(&mu);
  if (v == GH_OVERHTTP_HANDLE) {
    gh_metrics_inc(GH_M_PLAIN_HTTP_LOGGED);
    gh_log(GH_LOG_WARN, "credential sent over plain HTTP from %s (refused, https_required)", r->client_ip);
  } else {
    gh_metrics_inc(v == GH_OVERHTTP_REPEATED ? GH_M_PLAIN_HTTP_REPEATED : GH_M_PLAIN_HTTP_SUPPRESSED);
    summary(now);
  }
}

void gh_overhttp_tick(void) {
  static pending batch[QUEUE_MAX];
  pthread_mutex_lock(&mu);
  int n = queued;
  memcpy(batch, queue, (size_t)n * sizeof *batch);
  sodium_memzero(queue, (size_t)n * sizeof *queue);
  queued = 0;
  pthread_mutex_unlock(&mu);
  int failed = 0;
  for (int i = 0; i < n; i++) {
    pending *p = &batch[i];
    bool written = false;
    gh_metrics_inc(GH_M_PLAIN_HTTP_LOOKUPS);
    if (gh_audit_key_over_http(p->hash, p->ip, p->ua, p->request_id, &written)) {
      failed++;
      pthread_mutex_lock(&mu);
      gh_overhttp_forget(&state, p->hash);
      pthread_mutex_unlock(&mu);
    } else if (written) {
      gh_metrics_inc(GH_M_PLAIN_HTTP_AUDITED);
    }
  }
  sodium_memzero(batch, (size_t)n * sizeof *batch);
  if (failed) gh_log(GH_LOG_WARN, "%d audit entries of keys sent over plain HTTP not written", failed);
  summary(gh_mono_us());
}
