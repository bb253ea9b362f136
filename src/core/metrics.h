/* metrics.h: process counters, rendered in the Prometheus text format at
 * GET /metrics. Counters are atomics: recording costs no lock. */
#ifndef GH_METRICS_H
#define GH_METRICS_H
#include <stddef.h>
#include <stdint.h>

/* One finished HTTP request with its status and duration. */
void gh_metrics_request(int http_status, int64_t duration_us);
/* Named event counters. */
typedef enum {
  GH_M_LOGIN_OK,
  GH_M_LOGIN_FAILED,
  GH_M_SIGNUP,
  GH_M_DB_ERRORS,
  GH_M_HASH_QUEUE_FULL,
  GH_M_REDIS_ERRORS,          /* Redis operations of the rate limits that failed */
  GH_M_REDIS_FALLBACKS,       /* limit decisions taken in-process instead of in Redis */
  GH_M_WEBHOOK_OK,            /* webhook attempts answered 2xx */
  GH_M_WEBHOOK_FAILED,        /* webhook attempts that failed (any other outcome) */
  GH_M_WEBHOOK_RECORD_ERRORS, /* result batches the database refused (re-sent after the lease) */
  /* Credentials sent over plain HTTP (refused 403 https_required; audit/overhttp.h): */
  GH_M_PLAIN_HTTP_LOGGED,     /* handled one by one: a warning line (and, for a key, a queued audit) */
  GH_M_PLAIN_HTTP_REPEATED,   /* the same key again within a minute: counted only */
  GH_M_PLAIN_HTTP_SUPPRESSED, /* over the budget (or the audit queue full): counted only */
  GH_M_PLAIN_HTTP_LOOKUPS,    /* calls of gh.audit_key_over_http */
  GH_M_PLAIN_HTTP_AUDITED,    /* of those, real keys: an audit entry written */
  GH_M_COUNT
} gh_metric;
void gh_metrics_inc(gh_metric m);
/* gatehouse_ratelimit_redis_up: 1 reachable, 0 not; -1 (the initial value)
 * means no REDIS_URL, and the gauge is then not rendered at all, so an alert
 * on "== 0" fires only where Redis is meant to be used. */
void gh_metrics_redis_up(int v);
/* Renders all metrics; returns a malloc'ed string (caller frees). */
char *gh_metrics_render(size_t hash_queue_depth, long in_flight);

#endif
