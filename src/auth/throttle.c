/* throttle.c: fixed-window counters (see throttle.h), in Redis when
 * REDIS_URL is set and answers (ratelimit/redis.c), else in a chained hash
 * table of this process. Expired local entries are reused or purged as the
 * table is walked, so memory stays bounded by the traffic of one window. */
#include "auth/throttle.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/text.h"
#include "ratelimit/limiter.h"
#include "ratelimit/redis.h"

#define BUCKETS 4096

typedef struct entry {
  struct entry *next;
  int64_t window_start;
  int count;
  char key[];
} entry;

typedef struct {
  pthread_mutex_t mu;
  entry *b[BUCKETS];
} table;

static table accounts = {PTHREAD_MUTEX_INITIALIZER, {0}};
static table ips = {PTHREAD_MUTEX_INITIALIZER, {0}};

static uint32_t hash(const char *s) { return gh_text_hash32(s); }

/* The live entry for key (window not yet over), created if absent; expired
 * entries met on the way are freed. Caller holds t->mu. */
static entry *lookup(table *t, const char *key, int64_t now, int window) {
  entry **pp = &t->b[hash(key) % BUCKETS];
  while (*pp) {
    entry *e = *pp;
    if (now - e->window_start >= window) {
      *pp = e->next;
      free(e);
      continue;
    }
    if (!strcmp(e->key, key)) return e;
    pp = &e->next;
  }
  size_t n = strlen(key);
  entry *e = calloc(1, sizeof *e + n + 1);
  if (!e) return NULL;
  memcpy(e->key, key, n + 1);
  e->window_start = now;
  e->next = t->b[hash(key) % BUCKETS];
  t->b[hash(key) % BUCKETS] = e;
  return e;
}

void gh_throttle_redis_key(const char *kind, const char *value, char out[GH_THROTTLE_KEY_MAX]) {
  /* "throttle:<kind>:" keeps these hashes apart from credential hashes
   * under the same pepper. */
  char in[512];
  int n = snprintf(in, sizeof in, "throttle:%s:%s", kind, value);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof in) n = (int)sizeof in - 1;
  unsigned char h[GH_HASH_BYTES];
  gh_token_hash(in, (size_t)n, h);
  sodium_memzero(in, sizeof in);
  int off = snprintf(out, GH_THROTTLE_KEY_MAX, "gh:th:%s:", kind);
  for (int i = 0; i < 16 && off + 2 < GH_THROTTLE_KEY_MAX; i++, off += 2)
    snprintf(out + off, 3, "%02x", h[i]);
}

int gh_throttle_seconds(int64_t wait_ms) {
  if (wait_ms <= 0) return 0;
  return (int)((wait_ms + 999) / 1000);
}

/* A window's state for the RateLimit headers: count spent of quota, left_ms
 * until the window ends (0: none running, and the next would last the
 * whole window). */
static gh_rl_state window_state(const char *name, int quota, int window, int64_t count, int64_t left_ms, bool refused) {
  int64_t left = gh_throttle_seconds(left_ms);
  if (left < 1) left = refused ? 1 : window;
  return (gh_rl_state){name, quota, window, count >= quota ? 0 : (int)(quota - count), left, refused};
}

static gh_rl_state account_state(int64_t failures, int64_t left_ms, bool refused) {
  return window_state(GH_THROTTLE_ACCOUNT_POLICY, GH_THROTTLE_ACCOUNT_FAILURES, GH_THROTTLE_ACCOUNT_WINDOW, failures,
                      left_ms, refused);
}

static gh_rl_state address_state(int64_t attempts, int64_t left_ms, bool refused) {
  return window_state(GH_THROTTLE_IP_POLICY, GH_THROTTLE_IP_ATTEMPTS, GH_THROTTLE_IP_WINDOW, attempts, left_ms,
                      refused);
}

/* The wait of an attempt: the reset of the window that refused it, of the
 * later one if both did; 0 if none did. */
static int wait_of(const gh_throttle_state *st) {
  int64_t w = 0;
  if (st->account.refused) w = st->account.reset;
  if (st->address.refused && st->address.reset > w) w = st->address.reset;
  return (int)w;
}

/* The Redis side of gh_throttle_attempt: the account's failures (read,
 * not counted: only failures count) and the address's attempts (counted).
 * GH_OK with *st, or an error and the caller asks the local table. */
static gh_status shared_attempt(const char *account, const char *ip, gh_throttle_state *st) {
  char ka[GH_THROTTLE_KEY_MAX], ki[GH_THROTTLE_KEY_MAX];
  gh_redis_window_state wa, wi;
  gh_throttle_redis_key("acct", account, ka);
  gh_throttle_redis_key("ip", ip, ki);
  gh_status s = gh_redis_window(ka, GH_THROTTLE_ACCOUNT_WINDOW * 1000LL, GH_THROTTLE_ACCOUNT_FAILURES - 1, false, &wa);
  if (!s) s = gh_redis_window(ki, GH_THROTTLE_IP_WINDOW * 1000LL, GH_THROTTLE_IP_ATTEMPTS, true, &wi);
  if (s) return s;
  st->account = account_state(wa.count, wa.wait_ms ? wa.wait_ms : wa.left_ms, wa.wait_ms > 0);
  st->address = address_state(wi.count, wi.wait_ms ? wi.wait_ms : wi.left_ms, wi.wait_ms > 0);
  return GH_OK;
}

int gh_throttle_attempt(const char *account, const char *ip, gh_throttle_state *out) {
  gh_throttle_state st = {{0}, {0}};
  if (!gh_redis_enabled() || shared_attempt(account, ip, &st)) {
    int64_t now = gh_now();
    pthread_mutex_lock(&accounts.mu);
    entry *a = lookup(&accounts, account, now, GH_THROTTLE_ACCOUNT_WINDOW);
    if (a)
      st.account = account_state(a->count, (a->window_start + GH_THROTTLE_ACCOUNT_WINDOW - now) * 1000,
                                 a->count >= GH_THROTTLE_ACCOUNT_FAILURES);
    pthread_mutex_unlock(&accounts.mu);
    pthread_mutex_lock(&ips.mu);
    entry *i = lookup(&ips, ip, now, GH_THROTTLE_IP_WINDOW);
    if (i) {
      i->count++;
      st.address = address_state(i->count, (i->window_start + GH_THROTTLE_IP_WINDOW - now) * 1000,
                                 i->count > GH_THROTTLE_IP_ATTEMPTS);
    }
    pthread_mutex_unlock(&ips.mu);
  }
  if (out) *out = st;
  return wait_of(&st);
}

void gh_throttle_failed(const char *account, gh_rl_state *out) {
  gh_rl_state st = {0};
  bool done = false;
  if (gh_redis_enabled()) {
    char k[GH_THROTTLE_KEY_MAX];
    gh_redis_window_state w;
    gh_throttle_redis_key("acct", account, k);
    if (!gh_redis_window(k, GH_THROTTLE_ACCOUNT_WINDOW * 1000LL, GH_THROTTLE_ACCOUNT_FAILURES - 1, true, &w)) {
      st = account_state(w.count, w.left_ms, false);
      done = true;
    }
  }
  if (!done) {
    int64_t now = gh_now();
    pthread_mutex_lock(&accounts.mu);
    entry *a = lookup(&accounts, account, now, GH_THROTTLE_ACCOUNT_WINDOW);
    if (a) st = account_state(++a->count, (a->window_start + GH_THROTTLE_ACCOUNT_WINDOW - now) * 1000, false);
    pthread_mutex_unlock(&accounts.mu);
  }
  if (out) *out = st;
}

gh_status gh_throttle_check(gh_req *r, const char *account) {
  if (gh_cfg->rate_limits_off) return GH_OK;
  gh_throttle_state st;
  int wait = gh_throttle_attempt(account, r->client_ip, &st);
  gh_limiter_report(r, gh_rl_tighter(&st.address, &st.account) ? &st.address : &st.account);
  if (!wait) return GH_OK;
  r->retry_after = wait;
  return GH_ERR_RATE_LIMITED;
}

void gh_throttle_fail(gh_req *r, const char *account) {
  if (gh_cfg->rate_limits_off) return;
  gh_rl_state st;
  gh_throttle_failed(account, &st);
  gh_limiter_report(r, &st);
}

static void clear(table *t) {
  pthread_mutex_lock(&t->mu);
  for (int i = 0; i < BUCKETS; i++) {
    while (t->b[i]) {
      entry *e = t->b[i];
      t->b[i] = e->next;
      free(e);
    }
  }
  pthread_mutex_unlock(&t->mu);
}

void gh_throttle_reset(void) {
  clear(&accounts);
  clear(&ips);
}
