/* test_redis.c: unit tests of the shared rate-limit store's pure parts:
 * REDIS_URL parsing, the throttle's hashed Redis keys, the window → seconds
 * rounding, the GCRA interval the Lua script is given, and the fail-open
 * gate (a Redis that refuses connections is tried at most once a second,
 * not once per call). No Redis is needed: the last test points at a closed
 * loopback port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "auth/throttle.h"
#include "config/state.h"
#include "core/metrics.h"
#include "ratelimit/gcra.h"
#include "ratelimit/redis.h"
#include "ratelimit/redis_url.h"

static void url_accepted(void **st) {
  (void)st;
  gh_redis_url u;
  assert_int_equal(gh_redis_url_parse("redis://127.0.0.1:6379/0", &u, NULL), GH_OK);
  assert_string_equal(u.host, "127.0.0.1");
  assert_int_equal(u.port, 6379);
  assert_int_equal(u.db, 0);
  assert_null(u.user);
  assert_null(u.password);
  gh_redis_url_free(&u);

  assert_int_equal(gh_redis_url_parse("redis://cache.internal", &u, NULL), GH_OK);
  assert_string_equal(u.host, "cache.internal");
  assert_int_equal(u.port, 6379);
  assert_int_equal(u.db, 0);
  gh_redis_url_free(&u);

  assert_int_equal(gh_redis_url_parse("redis://:s3cret@redis-1:6380/5", &u, NULL), GH_OK);
  assert_string_equal(u.host, "redis-1");
  assert_int_equal(u.port, 6380);
  assert_int_equal(u.db, 5);
  assert_null(u.user);
  assert_string_equal(u.password, "s3cret");
  gh_redis_url_free(&u);
  assert_null(u.password);

  /* ACL user, percent-encoded password, an unencoded '@' in the password
   * (the last '@' ends the user information). */
  assert_int_equal(gh_redis_url_parse("redis://gate%2Dhouse:p%40ss%3Aw@rd@h:1/", &u, NULL), GH_OK);
  assert_string_equal(u.user, "gate-house");
  assert_string_equal(u.password, "p@ss:w@rd");
  assert_string_equal(u.host, "h");
  assert_int_equal(u.port, 1);
  assert_int_equal(u.db, 0);
  gh_redis_url_free(&u);

  assert_int_equal(gh_redis_url_parse("redis://[::1]:7000/15", &u, NULL), GH_OK);
  assert_string_equal(u.host, "::1");
  assert_int_equal(u.port, 7000);
  assert_int_equal(u.db, 15);
  gh_redis_url_free(&u);

  assert_int_equal(gh_redis_url_parse("redis://[::1]", &u, NULL), GH_OK);
  assert_int_equal(u.port, 6379);
  gh_redis_url_free(&u);
}

static void url_refused(void **st) {
  (void)st;
  static const char *const bad[] = {
      "",
      "127.0.0.1:6379",
      "http://127.0.0.1:6379",
      "rediss://127.0.0.1:6379",
      "unix:///tmp/redis.sock",
      "redis://",
      "redis://:6379",
      "redis:///0",
      "redis://host:",
      "redis://host:0",
      "redis://host:65536",
      "redis://host:63a9",
      "redis://host:-1",
      "redis://host:6379/x",
      "redis://host:6379/-1",
      "redis://host:6379/1/2",
      "redis://host:6379/1000001",
      "redis://host:6379/0?timeout=1",
      "redis://host:6379/0#x",
      "redis://user@host:6379",
      "redis://:@host:6379",
      "redis://user:@host",
      "redis://:p%4@host",
      "redis://:p%zz@host",
      "redis://:p%00w@host",
      "redis://ho st:6379",
      "redis://ho\tst",
      "redis://h\xc3\xa9te",
      "redis://host/0 ",
      "redis://[::1",
      "redis://[]:6379",
      "redis://[::1]x",
      "redis://[fe80::1%eth0]",
      "redis://host:6379:1",
      "redis://a,b:6379",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    gh_redis_url u;
    const char *why = NULL;
    gh_status s = gh_redis_url_parse(bad[i], &u, &why);
    if (s != GH_ERR_INVALID_REQUEST) fail_msg("accepted: \"%s\"", bad[i]);
    assert_non_null(why);
    assert_null(u.host);
    assert_null(u.password);
  }
  /* The reason never repeats the password. */
  gh_redis_url u;
  const char *why = NULL;
  assert_int_equal(gh_redis_url_parse("redis://:hunter2@host:99999", &u, &why), GH_ERR_INVALID_REQUEST);
  assert_null(strstr(why, "hunter2"));
  assert_non_null(strstr(why, "port"));
}

static gh_state pepper_a, pepper_b;

static void throttle_keys_are_hashed(void **st) {
  (void)st;
  randombytes_buf(pepper_a.pepper, sizeof pepper_a.pepper);
  randombytes_buf(pepper_b.pepper, sizeof pepper_b.pepper);
  gh_secrets = &pepper_a;
  char a[GH_THROTTLE_KEY_MAX], b[GH_THROTTLE_KEY_MAX], c[GH_THROTTLE_KEY_MAX];
  gh_throttle_redis_key("acct", "ada@example.com", a);
  gh_throttle_redis_key("acct", "ada@example.com", b);
  assert_string_equal(a, b); /* every node derives the same key */
  assert_int_equal(strlen(a), strlen("gh:th:acct:") + 32);
  assert_int_equal(strncmp(a, "gh:th:acct:", 11), 0);
  for (const char *p = a + 11; *p; p++)
    assert_non_null(strchr("0123456789abcdef", *p));
  assert_null(strstr(a, "ada"));
  assert_null(strchr(a, '@'));
  gh_throttle_redis_key("acct", "bob@example.com", c);
  assert_string_not_equal(a, c);
  /* Kinds are kept apart, and so are peppers (deployments). */
  gh_throttle_redis_key("ip", "ada@example.com", c);
  assert_int_equal(strncmp(c, "gh:th:ip:", 9), 0);
  assert_string_not_equal(a + 11, c + 9);
  gh_secrets = &pepper_b;
  gh_throttle_redis_key("acct", "ada@example.com", c);
  assert_string_not_equal(a, c);
  gh_secrets = NULL;
}

static void throttle_seconds(void **st) {
  (void)st;
  assert_int_equal(gh_throttle_seconds(0), 0);
  assert_int_equal(gh_throttle_seconds(-5), 0);
  assert_int_equal(gh_throttle_seconds(1), 1);
  assert_int_equal(gh_throttle_seconds(1000), 1);
  assert_int_equal(gh_throttle_seconds(1001), 2);
  assert_int_equal(gh_throttle_seconds(900000), 900);
}

static void gcra_interval_matches_apply(void **st) {
  (void)st;
  int64_t t, w;
  gh_gcra_interval((gh_gcra_limit){100, 200}, &t, &w);
  assert_int_equal(t, 10000);
  assert_int_equal(w, 2000000);
  gh_gcra_interval((gh_gcra_limit){3, 7}, &t, &w);
  assert_int_equal(t, 333333); /* truncated, as gh_gcra_apply does */
  assert_int_equal(w, 2333331);
  gh_gcra_interval((gh_gcra_limit){1000000, 1000000}, &t, &w);
  assert_int_equal(t, 1);
  assert_int_equal(w, 1000000);
  /* What redis.c does with the script's {allowed, base, now}: apply on
   * base gives the same answer as apply on the stored tat. */
  gh_gcra_limit l = {1, 5};
  int64_t tat = 0, now = 1700000000000000LL;
  for (int i = 0; i < 7; i++) {
    int64_t base = tat > now ? tat : now, copy = base;
    gh_gcra_result direct = gh_gcra_apply(l, &tat, now);
    gh_gcra_result rebuilt = gh_gcra_apply(l, &copy, now);
    assert_int_equal(direct.allowed, rebuilt.allowed);
    assert_int_equal(direct.remaining, rebuilt.remaining);
    assert_int_equal(direct.reset_us, rebuilt.reset_us);
    assert_int_equal(direct.retry_after_us, rebuilt.retry_after_us);
    assert_int_equal(direct.allowed, i < 5);
  }
}

static void state_header_by_hand(void **st) {
  (void)st;
  char out[96];
  gh_gcra_result r = {true, 0, 0, 0};
  gh_gcra_state_header("key", r, out, sizeof out);
  assert_string_equal(out, "\"key\";r=0;t=0");
  r.remaining = 1234567;
  r.reset_us = 9000000000001LL; /* rounded up to whole seconds */
  gh_gcra_state_header("session", r, out, sizeof out);
  assert_string_equal(out, "\"session\";r=1234567;t=9000001");
  char small[14]; /* exactly "key";r=5;t=1 and its NUL */
  gh_gcra_state_header("session", r, small, sizeof small);
  assert_string_equal(small, ""); /* does not fit: empty, never cut */
  gh_gcra_state_header("key", (gh_gcra_result){true, 5, 1, 0}, small, sizeof small);
  assert_string_equal(small, "\"key\";r=5;t=1");
}

/* The value of metric name in the /metrics text (-1 if absent). */
static long long metric(const char *name) {
  char *text = gh_metrics_render(0, 0);
  assert_non_null(text);
  char pat[128];
  snprintf(pat, sizeof pat, "\n%s ", name);
  const char *p = strstr(text, pat);
  long long v = p ? strtoll(p + strlen(pat), NULL, 10) : -1;
  free(text);
  return v;
}

static void fails_open_and_retries_once_a_second(void **st) {
  (void)st;
  assert_false(gh_redis_enabled());
  gh_gcra_result r;
  assert_int_equal(gh_redis_gcra("gh:rl:key:x", (gh_gcra_limit){1, 1}, &r), GH_ERR_UNAVAILABLE);
  assert_int_equal(metric("gatehouse_ratelimit_redis_errors_total"), 0); /* no Redis: nothing counted */
  assert_int_equal(metric("gatehouse_ratelimit_redis_up"), -1);          /* nor shown */

  assert_int_equal(gh_redis_init("redis://:pw@bad host"), GH_ERR_INVALID_REQUEST);
  assert_false(gh_redis_enabled());
  /* Port 1 on loopback: nothing listens there, connections are refused. */
  assert_int_equal(gh_redis_init("redis://127.0.0.1:1/0"), GH_OK);
  assert_true(gh_redis_enabled());
  assert_false(gh_redis_up());
  assert_int_equal(metric("gatehouse_ratelimit_redis_up"), 0);
  long long errors = metric("gatehouse_ratelimit_redis_errors_total");
  assert_int_equal(errors, 1); /* the attempt at start-up */
  for (int i = 0; i < 200; i++) {
    gh_redis_window_state w;
    assert_int_equal(gh_redis_gcra("gh:rl:key:x", (gh_gcra_limit){1, 1}, &r), GH_ERR_UNAVAILABLE);
    assert_int_equal(gh_redis_window("gh:th:ip:x", 1000, 1, true, &w), GH_ERR_UNAVAILABLE);
  }
  /* 400 calls within the retry second: not one more attempt. */
  assert_int_equal(metric("gatehouse_ratelimit_redis_errors_total"), errors);
  assert_int_equal(metric("gatehouse_ratelimit_redis_fallbacks_total"), 400);
  usleep((GH_REDIS_RETRY_MS + 100) * 1000);
  for (int i = 0; i < 50; i++)
    assert_int_equal(gh_redis_gcra("gh:rl:key:x", (gh_gcra_limit){1, 1}, &r), GH_ERR_UNAVAILABLE);
  assert_int_equal(metric("gatehouse_ratelimit_redis_errors_total"), errors + 1); /* one retry */
  gh_redis_shutdown();
  assert_false(gh_redis_enabled());
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(url_accepted),
      cmocka_unit_test(url_refused),
      cmocka_unit_test(throttle_keys_are_hashed),
      cmocka_unit_test(throttle_seconds),
      cmocka_unit_test(gcra_interval_matches_apply),
      cmocka_unit_test(state_header_by_hand),
      cmocka_unit_test(fails_open_and_retries_once_a_second),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
