/* log.c: JSON-lines logger (see log.h). */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[40];
  size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);
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
    ssize_t w = write(STDERR_FILENO, buf, len + 1);
    (void)w;
    free(buf);
  }
  free(line);
}

void gh_log(gh_log_level level, const char *fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  gh_log_obj(level, text, NULL);
}
