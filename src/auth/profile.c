/* profile.c: see profile.h. Chained hash table, 16 shards under a mutex
 * each; the scans of drop_user/drop_org are rare (announcements). */
#include "auth/profile.h"

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/rand.h"
#include "core/text.h"

#define SHARDS 16
#define BUCKETS 1024

typedef struct entry {
  struct entry *next;
  char session_id[GH_ID_MAX], user_id[GH_ID_MAX], org_id[GH_ID_MAX], role[8];
  char *user_json, *org_json;
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
static atomic_uint_fast64_t epoch = 1;

static uint32_t hash(const char *s) { return gh_text_hash32(s); }

static void entry_free(entry *e) {
  free(e->user_json);
  free(e->org_json);
  free(e);
}

int gh_profile_get(const char *session_id, char **user_json, char **org_json, char role[8]) {
  uint32_t h = hash(session_id);
  shard *s = &shards[h % SHARDS];
  int hit = 0;
  pthread_mutex_lock(&s->mu);
  for (entry *e = s->b[(h / SHARDS) % BUCKETS]; e; e = e->next) {
    if (strcmp(e->session_id, session_id)) continue;
    *user_json = strdup(e->user_json);
    *org_json = strdup(e->org_json);
    memcpy(role, e->role, 8);
    hit = *user_json && *org_json;
    if (!hit) {
      free(*user_json);
      free(*org_json);
    }
    break;
  }
  pthread_mutex_unlock(&s->mu);
  return hit;
}

uint64_t gh_profile_epoch(void) { return atomic_load(&epoch); }

void gh_profile_put(const char *session_id, const char *user_id, const char *org_id, const char *user_json,
                    const char *org_json, const char *role, uint64_t seen) {
  entry *n = calloc(1, sizeof *n);
  if (!n) return;
  gh_buf_copy(n->session_id, sizeof n->session_id, session_id);
  gh_buf_copy(n->user_id, sizeof n->user_id, user_id);
  gh_buf_copy(n->org_id, sizeof n->org_id, org_id);
  gh_buf_copy(n->role, sizeof n->role, role);
  n->user_json = strdup(user_json);
  n->org_json = strdup(org_json);
  uint32_t h = hash(session_id);
  shard *s = &shards[h % SHARDS];
  pthread_mutex_lock(&s->mu);
  /* Checked under the lock, after which a drop cannot be missed. */
  if (!n->user_json || !n->org_json || atomic_load(&epoch) != seen) {
    pthread_mutex_unlock(&s->mu);
    entry_free(n);
    return;
  }
  entry **pp = &s->b[(h / SHARDS) % BUCKETS];
  for (; *pp; pp = &(*pp)->next) {
    if (!strcmp((*pp)->session_id, session_id)) {
      entry *old = *pp;
      n->next = old->next;
      *pp = n;
      entry_free(old);
      pthread_mutex_unlock(&s->mu);
      return;
    }
  }
  n->next = NULL;
  *pp = n;
  pthread_mutex_unlock(&s->mu);
}

/* Drops entries whose field at `off` equals id (NULL id: all). */
static void drop(size_t off, const char *id) {
  atomic_fetch_add(&epoch, 1);
  for (int i = 0; i < SHARDS; i++) {
    shard *s = &shards[i];
    pthread_mutex_lock(&s->mu);
    for (int b = 0; b < BUCKETS; b++) {
      entry **pp = &s->b[b];
      while (*pp) {
        entry *e = *pp;
        if (!id || !strcmp((const char *)e + off, id)) {
          *pp = e->next;
          entry_free(e);
        } else {
          pp = &e->next;
        }
      }
    }
    pthread_mutex_unlock(&s->mu);
  }
}

/* A session's entry is found by its id directly: refresh announces a
 * session on every rotation, so this must not scan. */
void gh_profile_drop_session(const char *id) {
  atomic_fetch_add(&epoch, 1);
  uint32_t h = hash(id);
  shard *s = &shards[h % SHARDS];
  pthread_mutex_lock(&s->mu);
  for (entry **pp = &s->b[(h / SHARDS) % BUCKETS]; *pp; pp = &(*pp)->next) {
    if (!strcmp((*pp)->session_id, id)) {
      entry *e = *pp;
      *pp = e->next;
      entry_free(e);
      break;
    }
  }
  pthread_mutex_unlock(&s->mu);
}
void gh_profile_drop_user(const char *id) { drop(offsetof(entry, user_id), id); }
void gh_profile_drop_org(const char *id) { drop(offsetof(entry, org_id), id); }
void gh_profile_flush(void) { drop(0, NULL); }
