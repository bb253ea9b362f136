/* log.c: JSON-lines logger (see log.h). */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"

/* Per-request lines are buffered per thread and written by a flusher every
 * FLUSH_MS (and when a buffer fills, at gh_log_flush() and before any
 * warning or error): one write(2) per request was the largest cost of the
 * hot path. A crash can lose at most FLUSH_MS of request lines; warnings
 * and errors are written at once. */
#define FLUSH_MS 50
#define BUF_SIZE 65536
#define MAX_BUFS 256

typedef struct {
  pthread_mutex_t mu;
  size_t len;
  char data[BUF_SIZE];
} line_buf;

static line_buf *bufs[MAX_BUFS];
static atomic_int nbufs;
static __thread line_buf *mine;
static __thread int no_slot;
static pthread_once_t flusher_once = PTHREAD_ONCE_INIT;

static void write_all(const char *p, size_t n) {
  while (n) {
    ssize_t w = write(STDERR_FILENO, p, n);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void flush_buf(line_buf *b) {
  pthread_mutex_lock(&b->mu);
  if (b->len) write_all(b->data, b->len);
  b->len = 0;
  pthread_mutex_unlock(&b->mu);
}

void gh_log_flush(void) {
  int n = atomic_load(&nbufs);
  for (int i = 0; i < n; i++)
    if (bufs[i]) flush_buf(bufs[i]);
}

static void *flusher(void *arg) {
  (void)arg;
  for (;;) {
    struct timespec t = {0, FLUSH_MS * 1000000L};
    nanosleep(&t, NULL);
    gh_log_flush();
  }
  return NULL;
}

static void start_flusher(void) {
  pthread_t t;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_create(&t, &a, flusher, NULL);
  pthread_attr_destroy(&a);
  atexit(gh_log_flush);
}

/* Appends a whole line to this thread's buffer (or writes it directly). */
static void emit(const char *line, size_t n, int urgent) {
  if (!mine && !no_slot) {
    int i = atomic_fetch_add(&nbufs, 1);
    if (i < MAX_BUFS && (mine = calloc(1, sizeof *mine))) {
      pthread_mutex_init(&mine->mu, NULL);
      bufs[i] = mine;
      pthread_once(&flusher_once, start_flusher);
    } else {
      if (i >= MAX_BUFS) atomic_store(&nbufs, MAX_BUFS);
      no_slot = 1;
    }
  }
  if (!mine || urgent || n > BUF_SIZE) {
    if (mine) flush_buf(mine); /* keep this thread's lines in order */
    write_all(line, n);
    return;
  }
  pthread_mutex_lock(&mine->mu);
  if (mine->len + n > BUF_SIZE) {
    write_all(mine->data, mine->len);
    mine->len = 0;
  }
  memcpy(mine->data + mine->len, line, n);
  mine->len += n;
  pthread_mutex_unlock(&mine->mu);
}

static void timestamp(char out[32]);

static const char *level_name(gh_log_level l) {
  switch (l) {
  case GH_LOG_DEBUG: return "debug";
  case GH_LOG_INFO: return "info";
  case GH_LOG_WARN: return "warn";
  default: return "error";
  }
}

void gh_log_obj(gh_log_level level, const char *msg, json_t *fields) {
  json_t *o = json_object();
  if (!o) {
    json_decref(fields);
    return;
  }
  char when[32];
  timestamp(when);
  json_object_set_new(o, "ts", json_string(when));
  json_object_set_new(o, "level", json_string(level_name(level)));
  json_object_set_new(o, "msg", json_string(msg));
  if (fields) json_object_update(o, fields);
  json_decref(fields);
  char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref(o);
  if (!line) return;
  size_t len = strlen(line);
  char *buf = malloc(len + 2);
  if (buf) {
    memcpy(buf, line, len);
    buf[len] = '\n';
    emit(buf, len + 1, level >= GH_LOG_WARN);
    free(buf);
  }
  free(line);
}

/* "2026-11-29T05:14:12.453Z", with the seconds part formatted once per
 * second per thread. */
static void timestamp(char out[32]) {
  static __thread time_t cached_sec = -1;
  static __thread char cached[24];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (ts.tv_sec != cached_sec) {
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_sec = ts.tv_sec;
  }
  gh_buf b;
  gh_buf_init(&b, out, 32);
  gh_buf_str(&b, cached);
  gh_buf_char(&b, '.');
  gh_buf_uint_padded(&b, (unsigned long long)(ts.tv_nsec / 1000000) % 1000, 3);
  gh_buf_char(&b, 'Z');
}

void gh_log_fields(gh_log_level level, const char *msg, const char *fields) {
  char ts[32], line[2048];
  timestamp(ts);
  gh_buf b;
  gh_buf_init(&b, line, sizeof line);
  gh_buf_str(&b, "{\"ts\":\"");
  gh_buf_str(&b, ts);
  gh_buf_str(&b, "\",\"level\":\"");
  gh_buf_str(&b, level_name(level));
  gh_buf_str(&b, "\",\"msg\":\"");
  gh_buf_str(&b, msg);
  gh_buf_char(&b, '"');
  size_t head = b.len;
  if (fields && *fields) {
    gh_buf_char(&b, ',');
    gh_buf_str(&b, fields);
  }
  gh_buf_str(&b, "}\n");
  if (b.cut) { /* never cut a line into invalid JSON */
    b.len = head;
    b.cut = false;
    gh_buf_str(&b, ",\"truncated\":true}\n");
    if (b.cut) return;
  }
  emit(line, b.len, level >= GH_LOG_WARN);
}

void gh_log(gh_log_level level, const char *fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  gh_log_obj(level, text, NULL);
}
