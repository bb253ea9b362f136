/* throttle.c: fixed-window counters in a chained hash table (see
 * throttle.h). Expired entries are reused or purged as the table is
 * walked, so memory stays bounded by the traffic of one window. */
#include "auth/throttle.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/text.h"

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

int gh_throttle_attempt(const char *account, const char *ip) {
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
