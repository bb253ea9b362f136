/* metrics.c: atomic counters and their Prometheus rendering (see
 * metrics.h). */
#include "core/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static const int codes[] = {200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 414, 415, 429, 431, 500, 503};
#define NCODES (sizeof codes / sizeof *codes)
static atomic_ullong by_code[NCODES + 1]; /* last slot: any other status */
/* Histogram buckets in microseconds. */
static const int64_t bounds[] = {100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};
#define NB (sizeof bounds / sizeof *bounds)
static atomic_ullong bucket[NB + 1];
static atomic_ullong sum_us;
static atomic_ullong events[GH_M_COUNT];
static const char *const event_names[GH_M_COUNT] = {
    [GH_M_LOGIN_OK] = "gatehouse_logins_succeeded_total",
    [GH_M_LOGIN_FAILED] = "gatehouse_logins_failed_total",
    [GH_M_SIGNUP] = "gatehouse_signups_total",
    [GH_M_DB_ERRORS] = "gatehouse_database_errors_total",
    [GH_M_HASH_QUEUE_FULL] = "gatehouse_hash_queue_rejections_total",
    [GH_M_REDIS_ERRORS] = "gatehouse_ratelimit_redis_errors_total",
    [GH_M_REDIS_FALLBACKS] = "gatehouse_ratelimit_redis_fallbacks_total",
    [GH_M_WEBHOOK_OK] = "gatehouse_webhook_attempts_succeeded_total",
    [GH_M_WEBHOOK_FAILED] = "gatehouse_webhook_attempts_failed_total",
    [GH_M_WEBHOOK_RECORD_ERRORS] = "gatehouse_webhook_record_errors_total",
    [GH_M_PLAIN_HTTP_LOGGED] = "gatehouse_plain_http_credentials_logged_total",
    [GH_M_PLAIN_HTTP_REPEATED] = "gatehouse_plain_http_credentials_repeated_total",
    [GH_M_PLAIN_HTTP_SUPPRESSED] = "gatehouse_plain_http_credentials_suppressed_total",
    [GH_M_PLAIN_HTTP_LOOKUPS] = "gatehouse_plain_http_key_lookups_total",
    [GH_M_PLAIN_HTTP_AUDITED] = "gatehouse_plain_http_keys_audited_total",
};
static atomic_int redis_up = -1;

void gh_metrics_request(int status, int64_t us) {
  size_t i = 0;
  while (i < NCODES && codes[i] != status)
    i++;
  atomic_fetch_add_explicit(&by_code[i], 1, memory_order_relaxed);
  size_t b = 0;
  while (b < NB && us > bounds[b])
    b++;
  atomic_fetch_add_explicit(&bucket[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&sum_us, (unsigned long long)(us > 0 ? us : 0), memory_order_relaxed);
}

void gh_metrics_inc(gh_metric m) { atomic_fetch_add_explicit(&events[m], 1, memory_order_relaxed); }

void gh_metrics_redis_up(int v) { atomic_store(&redis_up, v); }

char *gh_metrics_render(size_t depth, long in_flight) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f) return NULL;
  fprintf(f, "# HELP gatehouse_http_requests_total HTTP requests answered, by status code.\n");
  fprintf(f, "# TYPE gatehouse_http_requests_total counter\n");
  for (size_t i = 0; i <= NCODES; i++) {
    unsigned long long v = atomic_load(&by_code[i]);
    if (i < NCODES)
      fprintf(f, "gatehouse_http_requests_total{code=\"%d\"} %llu\n", codes[i], v);
    else
      fprintf(f, "gatehouse_http_requests_total{code=\"other\"} %llu\n", v);
  }
  fprintf(f, "# HELP gatehouse_http_request_duration_seconds Time from request line to response.\n");
  fprintf(f, "# TYPE gatehouse_http_request_duration_seconds histogram\n");
  unsigned long long cum = 0;
  for (size_t b = 0; b <= NB; b++) {
    cum += atomic_load(&bucket[b]);
    if (b < NB)
      fprintf(f, "gatehouse_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bounds[b] / 1e6, cum);
    else
      fprintf(f, "gatehouse_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
  }
  fprintf(f, "gatehouse_http_request_duration_seconds_sum %.6f\n", atomic_load(&sum_us) / 1e6);
  fprintf(f, "gatehouse_http_request_duration_seconds_count %llu\n", cum);
  for (int m = 0; m < GH_M_COUNT; m++) {
    fprintf(f, "# TYPE %s counter\n%s %llu\n", event_names[m], event_names[m], atomic_load(&events[m]));
  }
  fprintf(f, "# HELP gatehouse_hash_queue_depth Password hashing jobs queued or running.\n");
  fprintf(f, "# TYPE gatehouse_hash_queue_depth gauge\ngatehouse_hash_queue_depth %zu\n", depth);
  int up = atomic_load(&redis_up);
  if (up >= 0) {
    fprintf(f, "# HELP gatehouse_ratelimit_redis_up 1 while the shared rate-limit store (REDIS_URL) is reachable.\n");
    fprintf(f, "# TYPE gatehouse_ratelimit_redis_up gauge\ngatehouse_ratelimit_redis_up %d\n", up);
  }
  fprintf(f, "# TYPE gatehouse_http_requests_in_flight gauge\ngatehouse_http_requests_in_flight %ld\n", in_flight);
  fclose(f);
  return out;
}
