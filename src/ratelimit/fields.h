/* fields.h: the IETF RateLimit-Policy and RateLimit header fields
 * (structured fields, draft-ietf-httpapi-ratelimit-headers) for any limit,
 * and the choice of the one limit a response reports when several applied.
 *
 *   RateLimit-Policy: "login-account";q=10;w=900
 *   RateLimit: "login-account";r=3;t=642
 *
 * Pure functions: the GCRA limits (ratelimit/gcra.h) and the login
 * throttle's fixed windows (auth/throttle.h) describe their state as a
 * gh_rl_state and render it here; ratelimit/limiter.c puts it on the
 * response. */
#ifndef GH_RL_FIELDS_H
#define GH_RL_FIELDS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One limit as a response reports it. */
typedef struct {
  const char *name; /* static policy name ("key", "login-account", …); NULL: no state */
  int quota;        /* q: requests (or failures) the window allows */
  int window;       /* w: seconds */
  int remaining;    /* r: still allowed after this request */
  int64_t reset;    /* t: seconds until the quota is whole again, or, when refused, until one is admitted */
  bool refused;     /* this limit refused the request */
} gh_rl_state;

/* "name";q=<quota>;w=<window> and "name";r=<remaining>;t=<reset>. A value
 * that does not fit in size leaves out empty (never a cut value). */
void gh_rl_policy_field(const char *name, int quota, int window, char *out, size_t size);
void gh_rl_state_field(const char *name, int64_t remaining, int64_t reset, char *out, size_t size);
/* True when a is closer to refusing than b, so a response reports a: a
 * limit that refused beats one that did not (between two that refused, the
 * longer wait: Retry-After's); otherwise fewer remaining, then the later
 * reset. A state without a name is never closer. */
bool gh_rl_tighter(const gh_rl_state *a, const gh_rl_state *b);

#endif
