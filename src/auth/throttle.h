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

#define GH_THROTTLE_ACCOUNT_FAILURES 10
#define GH_THROTTLE_ACCOUNT_WINDOW 900
#define GH_THROTTLE_IP_ATTEMPTS 100
#define GH_THROTTLE_IP_WINDOW 60
#define GH_THROTTLE_KEY_MAX 48

/* Counts an attempt by ip on account (lower-cased email or user id).
 * Returns 0 if it may proceed, else the seconds until it may (>= 1). */
int gh_throttle_attempt(const char *account, const char *ip);
/* Records a failed attempt on account. */
void gh_throttle_failed(const char *account);
/* The Redis key of kind ("acct" or "ip") and value: "gh:th:<kind>:" and
 * 32 hex digits of HMAC(pepper, "throttle:<kind>:<value>"). */
void gh_throttle_redis_key(const char *kind, const char *value, char out[GH_THROTTLE_KEY_MAX]);
/* Milliseconds left in a window → Retry-After seconds (0 stays 0, else
 * rounded up). */
int gh_throttle_seconds(int64_t wait_ms);
/* Forgets the in-process windows (tests); Redis is left alone. */
void gh_throttle_reset(void);

#endif
