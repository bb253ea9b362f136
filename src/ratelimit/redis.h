/* redis.h: the shared store of the rate limits (REDIS_URL). With it, every
 * limit — per API key, per session, the login throttle's account failures
 * and per-address attempts — is one limit for every node using that Redis.
 *
 * Two Lua scripts, each one atomic step on one key:
 *   - GCRA: the key holds the limit's theoretical arrival time (tat, µs of
 *     Redis's own clock, redis.call('TIME'), so the nodes' clocks do not
 *     matter); it expires once the tat has passed, since an idle limit is
 *     the same as no state.
 *   - fixed window: INCR and, on the window's first count, PEXPIRE.
 * Loaded with SCRIPT LOAD on each new connection, called with EVALSHA (and
 * loaded again on NOSCRIPT). Every argument goes as an argv element, never
 * into a command string.
 *
 * One connection per thread that uses it (thread-local, closed when the
 * thread ends), with 100 ms connect and command timeouts.
 *
 * Failing open: every call here returns GH_OK with an answer, or an error
 * status after which the caller decides in its in-process store instead
 * (ratelimit/limiter.c, auth/throttle.c). A failure marks Redis down for the
 * whole process: one warning is logged per transition (down, and up again),
 * gatehouse_ratelimit_redis_up goes to 0, and for the next second no thread
 * talks to Redis at all (each call fails at once, counted in
 * gatehouse_ratelimit_redis_fallbacks_total); then one call — one thread —
 * tries a new connection, at most once a second for the process. Every
 * failed attempt is counted in gatehouse_ratelimit_redis_errors_total.
 * Connections opened before an outage are not reused after it. */
#ifndef GH_REDIS_H
#define GH_REDIS_H
#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "ratelimit/gcra.h"

#define GH_REDIS_TIMEOUT_MS 100
#define GH_REDIS_RETRY_MS 1000

/* Uses the Redis of url (NULL or "": no Redis; every call below then fails
 * at once and nothing is counted). The URL must parse (config.c checked it
 * at start-up; GH_ERR_INVALID_REQUEST otherwise, logged without the URL).
 * Tries one connection now and logs whether Redis is reachable; an
 * unreachable Redis is not an error here (the node serves on its own
 * limits). Call once, before the server threads start. */
gh_status gh_redis_init(const char *url);
/* Forgets the URL and closes the calling thread's connection; other
 * threads' connections close as their threads end. */
void gh_redis_shutdown(void);
/* True once gh_redis_init was given a URL. */
bool gh_redis_enabled(void);
/* True while Redis is believed reachable (the gauge). */
bool gh_redis_up(void);

/* One request against the GCRA limit l stored under key (a Redis key,
 * e.g. "gh:rl:key:key_…"), decided atomically in Redis; *res as
 * gh_gcra_apply would give it. */
gh_status gh_redis_gcra(const char *key, gh_gcra_limit l, gh_gcra_result *res);
/* A fixed window's state after one call. */
typedef struct {
  int64_t count;   /* in the window, this call's included */
  int64_t left_ms; /* until the window ends; 0: none running (nothing counted) */
  int64_t wait_ms; /* 0 while count <= limit, else left_ms (>= 1) */
} gh_redis_window_state;
/* A fixed window of window_ms under key. With incr the count is first
 * increased (the window starts at its first count). */
gh_status gh_redis_window(const char *key, int64_t window_ms, int64_t limit, bool incr, gh_redis_window_state *w);

#endif
