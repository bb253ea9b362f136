/* throttle.h: login and re-authentication abuse limits (api.md, "Rate
 * limits"): at most 10 failed attempts per account per 15 minutes, and 100
 * attempts per client address per minute. Once an account's failure limit
 * is reached every attempt on it — the right password included, from any
 * address — is refused until the window passes; existing sessions are not
 * touched. Checked before the password is looked at.
 *
 * Fixed windows. With REDIS_URL they live in Redis and are one count for
 * every node (keys gh:th:acct:<h> and gh:th:ip:<h>, h a keyed hash under
 * the pepper: no email or address in clear in Redis); an account's window
 * there starts at its first failure. Without Redis, or for any call Redis
 * cannot answer (ratelimit/redis.h), they are in-process windows of this
 * node, where an account's window starts at its first attempt. */
#ifndef GH_THROTTLE_H
#define GH_THROTTLE_H
#include <stdint.h>

#include "core/status.h"
#include "http/request.h"
#include "ratelimit/fields.h"

#define GH_THROTTLE_ACCOUNT_FAILURES 10
#define GH_THROTTLE_ACCOUNT_WINDOW 900
#define GH_THROTTLE_IP_ATTEMPTS 100
#define GH_THROTTLE_IP_WINDOW 60
#define GH_THROTTLE_KEY_MAX 48
/* The windows' names in RateLimit-Policy and RateLimit (api.md, "Rate
 * limits"): "login-account";q=10;w=900 counts failures (r: failures left
 * before the account is refused), "login-address";q=100;w=60 attempts. */
#define GH_THROTTLE_ACCOUNT_POLICY "login-account"
#define GH_THROTTLE_IP_POLICY "login-address"

/* Both windows as one attempt left them. */
typedef struct {
  gh_rl_state account, address;
} gh_throttle_state;

/* Counts an attempt by ip on account (lower-cased email or user id).
 * Returns 0 if it may proceed, else the seconds until it may (>= 1): the
 * reset of the refusing window (of the later one if both refuse). st (may
 * be NULL) receives both windows' states. */
int gh_throttle_attempt(const char *account, const char *ip, gh_throttle_state *st);
/* Records a failed attempt on account; st (may be NULL) receives the
 * account window's state after it (name NULL if unknown: out of memory). */
void gh_throttle_failed(const char *account, gh_rl_state *st);

/* The request-level steps the handlers use (login, re-authentication,
 * password change). Nothing is counted or reported with
 * GATEHOUSE_RATE_LIMITS=off. gh_throttle_check counts the attempt and
 * reports the window closer to refusing in r's RateLimit headers
 * (gh_limiter_report: a session's own limit, reported already, stays if it
 * is closer still); GH_ERR_RATE_LIMITED with r->retry_after set if refused.
 * gh_throttle_fail counts a failure and reports the account window again. */
gh_status gh_throttle_check(gh_req *r, const char *account);
void gh_throttle_fail(gh_req *r, const char *account);

/* The Redis key of kind ("acct" or "ip") and value: "gh:th:<kind>:" and
 * 32 hex digits of HMAC(pepper, "throttle:<kind>:<value>"). */
void gh_throttle_redis_key(const char *kind, const char *value, char out[GH_THROTTLE_KEY_MAX]);
/* Milliseconds left in a window → Retry-After seconds (0 stays 0, else
 * rounded up). */
int gh_throttle_seconds(int64_t wait_ms);
/* Forgets the in-process windows (tests); Redis is left alone. */
void gh_throttle_reset(void);

#endif
