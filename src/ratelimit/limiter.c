/* limiter.c: see limiter.h. Two stores behind gh_limiter_check: Redis
 * (ratelimit/redis.c) when REDIS_URL is set and reachable, else this
 * process's own: one tat per credential id in a chained hash table; idle
 * entries (tat in the past) are removed as buckets are walked, so memory
 * follows the credentials active in the last few seconds. */
#include "ratelimit/limiter.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/text.h"
#include "ratelimit/redis.h"

#define SHARDS 16
#define BUCKETS 1024

typedef struct entry {
  struct entry *next;
  int64_t tat;
  char id[GH_ID_MAX];
} entry;

typedef struct {
  pthread_mutex_t mu;
  entry *b[BUCKETS];
} shard;

static shard shards[SHARDS] = {
#define S                                                                                                              \
  {                                                                                                                    \
    PTHREAD_MUTEX_INITIALIZER, { 0 }                                                                                   \
  }
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S,
#undef S
};

static uint32_t hash(const char *s) { return gh_text_hash32(s); }

/* Applies limit l to credential id at now. */
static gh_gcra_result apply(const char *id, gh_gcra_limit l, int64_t now) {
  uint32_t h = hash(id);
  shard *s = &shards[h % SHARDS];
  gh_gcra_result r;
  pthread_mutex_lock(&s->mu);
  entry **pp = &s->b[(h / SHARDS) % BUCKETS], *found = NULL;
  while (*pp) {
    entry *e = *pp;
    if (!strcmp(e->id, id)) {
      found = e;
      pp = &e->next;
    } else if (e->tat < now) { /* idle: its state equals no state */
      *pp = e->next;
      free(e);
    } else {
      pp = &e->next;
    }
  }
  if (!found && (found = calloc(1, sizeof *found))) {
    memcpy(found->id, id, strnlen(id, GH_ID_MAX - 1));
    found->next = s->b[(h / SHARDS) % BUCKETS];
    s->b[(h / SHARDS) % BUCKETS] = found;
  }
  if (found) {
    r = gh_gcra_apply(l, &found->tat, now);
  } else { /* out of memory: fail open for this one request */
    int64_t tat = 0;
    r = gh_gcra_apply(l, &tat, now);
  }
  pthread_mutex_unlock(&s->mu);
  return r;
}

/* The shared limit in Redis: gh:rl:key:<key id> or gh:rl:ses:<session
 * id> (ids, not secrets). Any failure (Redis down, slow, erroring) returns
 * an error and the caller decides in-process for this request: failing
 * open to the node's own limit, never to no limit. The two stores never
 * mix: while Redis answers, the in-process table is not touched, so after
 * an outage a credential starts in-process with a whole burst. */
static gh_status shared(int key, const char *id, gh_gcra_limit l, gh_gcra_result *res) {
  char k[GH_ID_MAX + 16];
  snprintf(k, sizeof k, "gh:rl:%s:%s", key ? "key" : "ses", id);
  return gh_redis_gcra(k, l, res);
}

/* RateLimit-Policy depends only on the limit, which is fixed once the
 * settings are loaded: rendered once per thread and kind (re-rendered if
 * the limit differs, as in the unit tests), not on every request. */
static const char *policy(int key, const char *name, gh_gcra_limit l) {
  static __thread struct {
    gh_gcra_limit l;
    char v[96];
  } cache[2];
  if (cache[key].l.rate != l.rate || cache[key].l.burst != l.burst || !cache[key].v[0]) {
    gh_gcra_policy_header(name, l, cache[key].v, sizeof cache[key].v);
    cache[key].l = l;
  }
  return cache[key].v;
}

gh_status gh_limiter_check(gh_req *r) {
  const gh_config *c = gh_cfg;
  if (c->rate_limits_off || !r->principal.kind) return GH_OK;
  int key = r->principal.kind == GH_CRED_API_KEY;
  gh_gcra_limit l =
      key ? (gh_gcra_limit){c->key_rate, c->key_burst} : (gh_gcra_limit){c->session_rate, c->session_burst};
  const char *name = key ? "key" : "session";
  gh_gcra_result res;
  if (!gh_redis_enabled() || shared(key, r->principal.credential_id, l, &res))
    res = apply(r->principal.credential_id, l, gh_mono_us());
  gh_req_add_header(r, "RateLimit-Policy", policy(key, name, l));
  char v[96];
  gh_gcra_state_header(name, res, v, sizeof v);
  gh_req_add_header(r, "RateLimit", v);
  r->rl = gh_gcra_state(name, l, res);
  if (res.allowed) return GH_OK;
  r->retry_after = gh_gcra_retry_after(res);
  return GH_ERR_RATE_LIMITED;
}

void gh_limiter_report(gh_req *r, const gh_rl_state *st) {
  if (!st->name) return;
  /* A newer state of the same limit replaces the older one; another limit
   * only if it is closer to refusing. */
  if (r->rl.name && strcmp(r->rl.name, st->name) && !gh_rl_tighter(st, &r->rl)) return;
  char v[96];
  gh_rl_policy_field(st->name, st->quota, st->window, v, sizeof v);
  gh_req_set_header(r, "RateLimit-Policy", v);
  gh_rl_state_field(st->name, st->remaining, st->reset, v, sizeof v);
  gh_req_set_header(r, "RateLimit", v);
  r->rl = *st;
}

void gh_limiter_reset(void) {
  for (int i = 0; i < SHARDS; i++) {
    pthread_mutex_lock(&shards[i].mu);
    for (int b = 0; b < BUCKETS; b++) {
      while (shards[i].b[b]) {
        entry *e = shards[i].b[b];
        shards[i].b[b] = e->next;
        free(e);
      }
    }
    pthread_mutex_unlock(&shards[i].mu);
  }
}
