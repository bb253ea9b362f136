/* gcra.h: the generic cell rate algorithm, one stored value per limit.
 *
 * A limit of `rate` requests per second with a burst of `burst` keeps a
 * theoretical arrival time (tat). A request at `now` is allowed when
 * max(tat, now) + T - now <= burst * T, where T = 1/rate, and then moves
 * tat to max(tat, now) + T. Times are in microseconds. Pure functions:
 * the stores (in-process, Redis) keep tat; this computes. */
#ifndef GH_GCRA_H
#define GH_GCRA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratelimit/fields.h"

typedef struct {
  int rate;  /* requests per second */
  int burst; /* requests allowed at once */
} gh_gcra_limit;

typedef struct {
  bool allowed;
  int remaining;          /* requests still allowed at once after this one */
  int64_t reset_us;       /* until the burst is whole again */
  int64_t retry_after_us; /* when refused: until one request is allowed */
} gh_gcra_result;

/* The emission interval T = 1 s / rate and the window burst * T, in whole
 * microseconds: the Redis script (ratelimit/redis.c) is given these two
 * numbers so that it does exactly the integer arithmetic of
 * gh_gcra_apply. */
void gh_gcra_interval(gh_gcra_limit l, int64_t *t_us, int64_t *window_us);
/* Applies one request at now_us to *tat_us (updated when allowed). */
gh_gcra_result gh_gcra_apply(gh_gcra_limit l, int64_t *tat_us, int64_t now_us);

/* The IETF RateLimit-Policy and RateLimit field values (structured
 * fields, draft-ietf-httpapi-ratelimit-headers) for a limit named `name`:
 *   RateLimit-Policy: "key";q=200;w=2
 *   RateLimit: "key";r=57;t=1
 * w is the time the burst takes to refill (burst / rate, rounded up), t the
 * seconds until it is whole again (rounded up). A value that does not fit
 * in size leaves out empty. Rendered by ratelimit/fields.c, as the login
 * throttle's are. */
void gh_gcra_policy_header(const char *name, gh_gcra_limit l, char *out, size_t size);
void gh_gcra_state_header(const char *name, gh_gcra_result r, char *out, size_t size);
/* w of the policy: burst / rate, rounded up, at least 1. */
int gh_gcra_window(gh_gcra_limit l);
/* The result r of limit l as the state a response reports (fields.h). */
gh_rl_state gh_gcra_state(const char *name, gh_gcra_limit l, gh_gcra_result r);
/* Retry-After in whole seconds, at least 1. */
int gh_gcra_retry_after(gh_gcra_result r);

#endif
