/* keyuse.c: see keyuse.h. A small open-addressing table keyed by key id,
 * emptied by each flush. When it is full, further keys wait for the next
 * batch (their next use is noted again). */
#include "auth/keyuse.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/text.h"
#include "db/db.h"

#define SLOTS 4096

typedef struct {
  char id[GH_ID_MAX];
  char ip[64];
  int64_t at;
} use;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static use table[SLOTS];
static int used;

void gh_keyuse_note(const char *key_id, int64_t at, const char *ip) {
  uint32_t i = gh_text_hash32(key_id) & (SLOTS - 1);
  pthread_mutex_lock(&mu);
  for (int n = 0; n < SLOTS; n++, i = (i + 1) & (SLOTS - 1)) {
    use *u = &table[i];
    if (!u->id[0] && used < SLOTS * 3 / 4) {
      gh_buf_copy(u->id, sizeof u->id, key_id);
      used++;
    } else if (strcmp(u->id, key_id)) {
      if (!u->id[0]) break; /* full: left for the next batch */
      continue;
    }
    u->at = at;
    gh_buf_copy(u->ip, sizeof u->ip, ip);
    break;
  }
  pthread_mutex_unlock(&mu);
}

void gh_keyuse_flush(void) {
  static use batch[SLOTS];
  int n = 0;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < SLOTS; i++)
    if (table[i].id[0]) batch[n++] = table[i];
  memset(table, 0, sizeof table);
  used = 0;
  pthread_mutex_unlock(&mu);
  if (!n) return;
  /* Three array literals: ids are base62, times integers, addresses quoted
   * (inet_ntop output: digits, hex letters, dots and colons). */
  char *lit[3] = {NULL, NULL, NULL};
  size_t len[3];
  FILE *f[3];
  int ok = 1;
  for (int k = 0; k < 3; k++)
    ok &= (f[k] = open_memstream(&lit[k], &len[k])) != NULL;
  for (int i = 0; ok && i < n; i++) {
    const char *sep = i ? "," : "{";
    fprintf(f[0], "%s%s", sep, batch[i].id);
    fprintf(f[1], "%s%lld", sep, (long long)batch[i].at);
    fprintf(f[2], "%s\"%s\"", sep, batch[i].ip);
  }
  for (int k = 0; k < 3; k++)
    if (f[k]) {
      fputc('}', f[k]);
      ok &= fclose(f[k]) == 0;
    }
  if (ok) {
    const char *vals[3] = {lit[0], lit[1], lit[2]};
    gh_db_stmt q = {"SELECT gh.api_keys_touch($1::text[], ARRAY(SELECT to_timestamp(t) FROM "
                    "unnest($2::float8[]) WITH ORDINALITY AS x(t, i) ORDER BY i), $3::text[])",
                    3, vals, NULL};
    PGresult *res;
    if (gh_db_exec(&q, &res) == GH_OK)
      PQclear(res);
    else
      gh_log(GH_LOG_WARN, "could not record the use of %d API key(s)", n);
  }
  for (int k = 0; k < 3; k++)
    free(lit[k]);
}
