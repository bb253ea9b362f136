/* test_limits.c: unit tests of the GCRA maths and RateLimit header
 * rendering, the login throttle, and the session cache's index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "auth/sesscache.h"
#include "auth/throttle.h"
#include "core/clock.h"
#include "ratelimit/gcra.h"

static void gcra_burst_then_rate(void **st) {
  (void)st;
  gh_gcra_limit l = {100, 200}; /* 100/s, burst 200 */
  int64_t tat = 0, now = 1000000000;
  int allowed = 0;
  for (int i = 0; i < 250; i++)
    allowed += gh_gcra_apply(l, &tat, now).allowed;
  assert_int_equal(allowed, 200); /* the burst, all at one instant */
  gh_gcra_result r = gh_gcra_apply(l, &tat, now);
  assert_false(r.allowed);
  assert_int_equal(r.remaining, 0);
  assert_int_equal(r.retry_after_us, 10000);   /* one emission interval */
  assert_int_equal(gh_gcra_retry_after(r), 1); /* at least 1 s on the wire */
  /* 10 ms later exactly one more request fits. */
  now += 10000;
  assert_true(gh_gcra_apply(l, &tat, now).allowed);
  assert_false(gh_gcra_apply(l, &tat, now).allowed);
  /* Steady rate: one request per 10 ms is always allowed. */
  for (int i = 0; i < 1000; i++) {
    now += 10000;
    assert_true(gh_gcra_apply(l, &tat, now).allowed);
  }
  /* Idle for 2 s: the burst is whole again. */
  now += 2000000;
  r = gh_gcra_apply(l, &tat, now);
  assert_true(r.allowed);
  assert_int_equal(r.remaining, 199);
}

static void gcra_headers(void **st) {
  (void)st;
  gh_gcra_limit l = {100, 200};
  int64_t tat = 0, now = 5000000;
  gh_gcra_result r = gh_gcra_apply(l, &tat, now);
  char out[96];
  gh_gcra_policy_header("key", l, out, sizeof out);
  assert_string_equal(out, "\"key\";q=200;w=2");
  gh_gcra_state_header("key", r, out, sizeof out);
  assert_string_equal(out, "\"key\";r=199;t=1");
  gh_gcra_limit s = {50, 100};
  gh_gcra_policy_header("session", s, out, sizeof out);
  assert_string_equal(out, "\"session\";q=100;w=2");
  for (int i = 0; i < 150; i++)
    r = gh_gcra_apply(l, &tat, now);
  gh_gcra_state_header("key", r, out, sizeof out);
  assert_string_equal(out, "\"key\";r=49;t=2"); /* 151 of 200 spent */
  for (int i = 0; i < 100; i++)
    r = gh_gcra_apply(l, &tat, now);
  assert_false(r.allowed);
  gh_gcra_state_header("key", r, out, sizeof out);
  assert_string_equal(out, "\"key\";r=0;t=2");
}

static void throttle_account_and_address(void **st) {
  (void)st;
  gh_throttle_reset();
  for (int i = 0; i < GH_THROTTLE_ACCOUNT_FAILURES; i++) {
    assert_int_equal(gh_throttle_attempt("usr_a", "10.0.0.1"), 0);
    gh_throttle_failed("usr_a");
  }
  int wait = gh_throttle_attempt("usr_a", "10.0.0.2");
  assert_true(wait >= 1 && wait <= GH_THROTTLE_ACCOUNT_WINDOW);
  assert_int_equal(gh_throttle_attempt("usr_b", "10.0.0.3"), 0); /* another account is unaffected */
  gh_throttle_reset();
  for (int i = 0; i < GH_THROTTLE_IP_ATTEMPTS; i++)
    assert_int_equal(gh_throttle_attempt("x", "10.9.9.9"), 0);
  assert_true(gh_throttle_attempt("y", "10.9.9.9") >= 1);
  assert_int_equal(gh_throttle_attempt("y", "10.9.9.8"), 0);
  gh_throttle_reset();
}

static void sesscache_index_and_sweep(void **st) {
  (void)st;
  gh_sesscache_reset();
  gh_sessinfo s, out;
  memset(&s, 0, sizeof s);
  gh_id_new(s.session_id, "ses_");
  gh_id_new(s.user_id, "usr_");
  gh_id_new(s.org_id, "org_");
  s.expires_at = s.access_expires_at = gh_now() + 100;
  s.last_active_at = gh_now();
  s.idle_timeout = 3600;
  unsigned char a[32], b[32];
  randombytes_buf(a, 32);
  randombytes_buf(b, 32);
  gh_sesscache_put(a, &s, gh_sesscache_epoch());
  gh_sesscache_put(b, &s, gh_sesscache_epoch()); /* rotated: both cached */
  assert_true(gh_sesscache_get(a, &out));
  assert_true(gh_sesscache_get(b, &out));
  assert_string_equal(out.user_id, s.user_id);
  gh_sesscache_drop_session(s.session_id); /* drops both through the index */
  assert_false(gh_sesscache_get(a, &out));
  assert_false(gh_sesscache_get(b, &out));
  gh_sesscache_put(a, &s, gh_sesscache_epoch());
  gh_sesscache_drop_user(s.user_id);
  assert_false(gh_sesscache_get(a, &out));
  gh_sesscache_put(a, &s, gh_sesscache_epoch());
  gh_sesscache_drop_org(s.org_id);
  assert_false(gh_sesscache_get(a, &out));
  /* A fill that started before a drop is refused. */
  uint64_t e = gh_sesscache_epoch();
  gh_sesscache_drop_session(s.session_id);
  gh_sesscache_put(a, &s, e);
  assert_false(gh_sesscache_get(a, &out));
  /* Activity: written through at most once a second. */
  gh_sesscache_put(a, &s, gh_sesscache_epoch());
  int64_t now = gh_now();
  assert_int_equal(gh_sesscache_touch(a, now + 1), 1);
  assert_int_equal(gh_sesscache_touch(a, now + 1), 0);
  assert_int_equal(gh_sesscache_touch(a, now + 2), 1);
  /* The sweep forgets what is past a deadline. */
  gh_sesscache_sweep(now + 50);
  assert_true(gh_sesscache_get(a, &out));
  gh_sesscache_sweep(now + 101);
  assert_false(gh_sesscache_get(a, &out));
  gh_sesscache_reset();
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gcra_burst_then_rate),
      cmocka_unit_test(gcra_headers),
      cmocka_unit_test(throttle_account_and_address),
      cmocka_unit_test(sesscache_index_and_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
