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
#include "core/clock.h"
#include "core/text.h"
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

/* The Redis side of gh_throttle_attempt: the account's failures (read,
 * not counted: only failures count) and the address's attempts (counted).
 * GH_OK with *wait, or an error and the caller asks the local table. */
static gh_status shared_attempt(const char *account, const char *ip, int *wait) {
  char ka[GH_THROTTLE_KEY_MAX], ki[GH_THROTTLE_KEY_MAX];
  int64_t wa, wi;
  gh_throttle_redis_key("acct", account, ka);
  gh_throttle_redis_key("ip", ip, ki);
  gh_status s = gh_redis_window(ka, GH_THROTTLE_ACCOUNT_WINDOW * 1000LL, GH_THROTTLE_ACCOUNT_FAILURES - 1, false, &wa);
  if (!s) s = gh_redis_window(ki, GH_THROTTLE_IP_WINDOW * 1000LL, GH_THROTTLE_IP_ATTEMPTS, true, &wi);
  if (s) return s;
  *wait = gh_throttle_seconds(wa > wi ? wa : wi);
  return GH_OK;
}

int gh_throttle_attempt(const char *account, const char *ip) {
  int shared_wait;
  if (gh_redis_enabled() && !shared_attempt(account, ip, &shared_wait)) return shared_wait;
  int64_t now = gh_now();
  int wait = 0;
  pthread_mutex_lock(&accounts.mu);
  entry *a = lookup(&accounts, account, now, GH_THROTTLE_ACCOUNT_WINDOW);
  if (a && a->count >= GH_THROTTLE_ACCOUNT_FAILURES) wait = (int)(a->window_start + GH_THROTTLE_ACCOUNT_WINDOW - now);
  pthread_mutex_unlock(&accounts.mu);
  pthread_mutex_lock(&ips.mu);
  entry *i = lookup(&ips, ip, now, GH_THROTTLE_IP_WINDOW);
  if (i && ++i->count > GH_THROTTLE_IP_ATTEMPTS) {
    int w = (int)(i->window_start + GH_THROTTLE_IP_WINDOW - now);
    if (w > wait) wait = w;
  }
  pthread_mutex_unlock(&ips.mu);
  return wait > 0 ? wait : (wait < 0 ? 1 : 0);
}

void gh_throttle_failed(const char *account) {
  if (gh_redis_enabled()) {
    char k[GH_THROTTLE_KEY_MAX];
    int64_t wait;
    gh_throttle_redis_key("acct", account, k);
    if (!gh_redis_window(k, GH_THROTTLE_ACCOUNT_WINDOW * 1000LL, GH_THROTTLE_ACCOUNT_FAILURES - 1, true, &wait)) return;
  }
  pthread_mutex_lock(&accounts.mu);
  entry *a = lookup(&accounts, account, gh_now(), GH_THROTTLE_ACCOUNT_WINDOW);
  if (a) a->count++;
  pthread_mutex_unlock(&accounts.mu);
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
