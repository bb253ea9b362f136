/* activity.c: see activity.h. */
#include "auth/activity.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/rand.h"
#include "db/db.h"

#define QUEUE_MAX 8192

typedef struct {
  char id[GH_ID_MAX];
  int64_t at;
} item;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static item queue[QUEUE_MAX];
static int queued;

void gh_activity_note(const char *session_id, int64_t at) {
  pthread_mutex_lock(&mu);
  /* Full (the database is slow or away): the newest activity of a session
   * matters most, so overwrite the oldest entry. */
  int i = queued < QUEUE_MAX ? queued++ : (int)(at % QUEUE_MAX);
  gh_buf_copy(queue[i].id, sizeof queue[i].id, session_id);
  queue[i].at = at;
  pthread_mutex_unlock(&mu);
}

/* Appends s to the growing buffer *buf. */
static int append(char **buf, size_t *len, size_t *cap, const char *s) {
  size_t n = strlen(s);
  if (*len + n + 1 > *cap) {
    size_t c = *cap ? *cap * 2 : 4096;
    while (c < *len + n + 1)
      c *= 2;
    char *nb = realloc(*buf, c);
    if (!nb) return -1;
    *buf = nb;
    *cap = c;
  }
  memcpy(*buf + *len, s, n + 1);
  *len += n;
  return 0;
}

void gh_activity_flush(void) {
  static item batch[QUEUE_MAX];
  pthread_mutex_lock(&mu);
  int n = queued;
  memcpy(batch, queue, (size_t)n * sizeof *batch);
  queued = 0;
  pthread_mutex_unlock(&mu);
  if (!n) return;
  /* Two array literals: ids are base62, times are integers. */
  char *ids = NULL, *ats = NULL, piece[64];
  size_t il = 0, ic = 0, al = 0, ac = 0;
  int bad = append(&ids, &il, &ic, "{") || append(&ats, &al, &ac, "{");
  for (int i = 0; i < n && !bad; i++) {
    snprintf(piece, sizeof piece, "%s%.40s", i ? "," : "", batch[i].id);
    bad |= append(&ids, &il, &ic, piece);
    snprintf(piece, sizeof piece, "%s%lld", i ? "," : "", (long long)batch[i].at);
    bad |= append(&ats, &al, &ac, piece);
  }
  bad = bad || append(&ids, &il, &ic, "}") || append(&ats, &al, &ac, "}");
  if (!bad) {
    const char *vals[2] = {ids, ats};
    gh_db_stmt q = {"SELECT gh.session_touch($1::text[], ARRAY(SELECT to_timestamp(t) FROM "
                    "unnest($2::float8[]) WITH ORDINALITY AS x(t, i) ORDER BY i))",
                    2, vals, NULL};
    PGresult *res;
    if (gh_db_exec(&q, &res) == GH_OK)
      PQclear(res);
    else
      gh_log(GH_LOG_WARN, "could not record the activity of %d session(s)", n);
  }
  free(ids);
  free(ats);
}
