/* log.h: structured logging, one JSON object per line on stderr.
 *
 * A line is written with a single write(2), so lines from different threads
 * never interleave. Secrets must never be passed here: callers log ids and
 * outcomes, never tokens, passwords or hashes. */
#ifndef GH_LOG_H
#define GH_LOG_H
#include <jansson.h>

typedef enum { GH_LOG_DEBUG, GH_LOG_INFO, GH_LOG_WARN, GH_LOG_ERROR } gh_log_level;

/* Writes {"ts":..., "level":..., "msg": msg, ...fields}. Takes ownership of
 * fields (a JSON object, or NULL). */
void gh_log_obj(gh_log_level level, const char *msg, json_t *fields);
/* printf-style convenience: {"ts","level","msg": formatted text}. */
void gh_log(gh_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The fast path for the per-request line: fields is a ready JSON fragment
 * ("\"k\":v,...", no braces) whose strings the caller has made safe. */
void gh_log_fields(gh_log_level level, const char *msg, const char *fields);

/* Writes every buffered line now (called at shutdown). */
void gh_log_flush(void);

#endif
