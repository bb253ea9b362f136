/* limiter.h: the rate limits of API requests (api.md, "Rate limits"): per
 * API key 100/s with a burst of 200, per session 50/s with a burst of 100
 * (GATEHOUSE_RATE_LIMITS changes or disables them), each credential on its
 * own. Only requests whose credential was verified spend quota.
 *
 * Two stores: with REDIS_URL the limit is one for every node using that
 * Redis (ratelimit/redis.c); without it, or for any request Redis cannot
 * answer in time, the store is in-process (16 shards, a mutex each). Both
 * run the same GCRA (ratelimit/gcra.c) and give the same headers. */
#ifndef GH_LIMITER_H
#define GH_LIMITER_H
#include "http/request.h"
#include "ratelimit/gcra.h"

/* Applies the limit of r's credential; adds RateLimit-Policy and RateLimit
 * headers; returns GH_ERR_RATE_LIMITED (with r->retry_after set) when the
 * request is refused. GH_OK when limits are off. */
gh_status gh_limiter_check(gh_req *r);
/* Reports st in r's RateLimit-Policy and RateLimit headers when it is the
 * limit closest to refusing of those that applied to r (gh_rl_tighter;
 * a newer state of the limit already reported replaces it): the login
 * throttle's windows (auth/throttle.c), after the session's own limit for
 * re-authentication and password change. */
void gh_limiter_report(gh_req *r, const gh_rl_state *st);
/* Forgets all state (tests, shutdown). */
void gh_limiter_reset(void);

#endif
