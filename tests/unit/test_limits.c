/* test_limits.c: unit tests of the GCRA maths and RateLimit header
 * rendering, the login throttle, and the session cache's index. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
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
    assert_int_equal(gh_throttle_attempt("usr_a", "10.0.0.1", NULL), 0);
    gh_throttle_failed("usr_a", NULL);
  }
  int wait = gh_throttle_attempt("usr_a", "10.0.0.2", NULL);
  assert_true(wait >= 1 && wait <= GH_THROTTLE_ACCOUNT_WINDOW);
  assert_int_equal(gh_throttle_attempt("usr_b", "10.0.0.3", NULL), 0); /* another account is unaffected */
  gh_throttle_reset();
  for (int i = 0; i < GH_THROTTLE_IP_ATTEMPTS; i++)
    assert_int_equal(gh_throttle_attempt("x", "10.9.9.9", NULL), 0);
  assert_true(gh_throttle_attempt("y", "10.9.9.9", NULL) >= 1);
  assert_int_equal(gh_throttle_attempt("y", "10.9.9.8", NULL), 0);
  gh_throttle_reset();
}

/* The windows' states, as the RateLimit headers report them. */
static void throttle_states(void **st) {
  (void)st;
  gh_throttle_reset();
  gh_throttle_state t;
  assert_int_equal(gh_throttle_attempt("usr_s", "10.1.0.1", &t), 0);
  assert_string_equal(t.account.name, "login-account");
  assert_int_equal(t.account.quota, 10);
  assert_int_equal(t.account.window, 900);
  assert_int_equal(t.account.remaining, 10); /* only failures count */
  assert_true(t.account.reset >= 899 && t.account.reset <= 900);
  assert_false(t.account.refused);
  assert_string_equal(t.address.name, "login-address");
  assert_int_equal(t.address.quota, 100);
  assert_int_equal(t.address.window, 60);
  assert_int_equal(t.address.remaining, 99); /* every attempt counts */
  assert_false(t.address.refused);
  assert_true(gh_rl_tighter(&t.account, &t.address));
  gh_rl_state a;
  for (int i = 1; i <= GH_THROTTLE_ACCOUNT_FAILURES; i++) {
    gh_throttle_failed("usr_s", &a);
    assert_int_equal(a.remaining, GH_THROTTLE_ACCOUNT_FAILURES - i);
    assert_false(a.refused);
  }
  int wait = gh_throttle_attempt("usr_s", "10.1.0.2", &t);
  assert_true(wait >= 1);
  assert_true(t.account.refused);
  assert_int_equal(t.account.remaining, 0);
  assert_int_equal(t.account.reset, wait); /* t is Retry-After */
  assert_false(t.address.refused);
  assert_true(gh_rl_tighter(&t.account, &t.address));
  gh_throttle_reset();
  for (int i = 0; i < GH_THROTTLE_IP_ATTEMPTS; i++)
    gh_throttle_attempt("z", "10.1.0.3", &t);
  assert_int_equal(t.address.remaining, 0);
  assert_false(t.address.refused); /* the 100th is let through */
  wait = gh_throttle_attempt("z", "10.1.0.3", &t);
  assert_true(t.address.refused);
  assert_int_equal(t.address.reset, wait);
  assert_true(gh_rl_tighter(&t.address, &t.account));
  gh_throttle_reset();
}

/* Which limit a response reports. */
static void tighter_limit(void **st) {
  (void)st;
  gh_rl_state none = {0};
  gh_rl_state ses = {"session", 100, 2, 99, 1, false}, acct = {"login-account", 10, 900, 7, 900, false};
  gh_rl_state ip = {"login-address", 100, 60, 7, 30, false};
  assert_true(gh_rl_tighter(&acct, &ses)); /* fewer remaining */
  assert_false(gh_rl_tighter(&ses, &acct));
  assert_true(gh_rl_tighter(&acct, &ip)); /* as many: the later reset */
  assert_true(gh_rl_tighter(&ses, &none));
  assert_false(gh_rl_tighter(&none, &ses));
  gh_rl_state low = {"session", 100, 2, 0, 2, false}, refused = {"login-address", 100, 60, 0, 1, true};
  assert_true(gh_rl_tighter(&refused, &low)); /* the refusing one, whatever the reset */
  gh_rl_state refused_long = {"login-account", 10, 900, 0, 600, true};
  assert_true(gh_rl_tighter(&refused_long, &refused)); /* both refused: Retry-After's */
  char out[96];
  gh_rl_policy_field("login-account", 10, 900, out, sizeof out);
  assert_string_equal(out, "\"login-account\";q=10;w=900");
  gh_rl_state_field("login-address", 0, 42, out, sizeof out);
  assert_string_equal(out, "\"login-address\";r=0;t=42");
  char small[20];
  gh_rl_policy_field("login-account", 10, 900, small, sizeof small);
  assert_string_equal(small, ""); /* does not fit: empty, never cut */
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

/* A fresh session record with deadlines far ahead (nothing sweeps it). */
static void sess_new(gh_sessinfo *s) {
  memset(s, 0, sizeof *s);
  gh_id_new(s->session_id, "ses_");
  gh_id_new(s->user_id, "usr_");
  gh_id_new(s->org_id, "org_");
  s->expires_at = s->access_expires_at = gh_now() + 1000;
  s->last_active_at = gh_now();
  s->idle_timeout = 3600;
}

/* More access tokens of one session than the index has room for (a node
 * that filled the tokens of several rotations before their announcements
 * arrived): ending the session still drops every one of them. */
static void sesscache_drop_session_drops_every_token(void **st) {
  (void)st;
  gh_sesscache_reset();
  gh_sessinfo s, out;
  sess_new(&s);
  unsigned char h[4][32];
  for (int i = 0; i < 4; i++) {
    randombytes_buf(h[i], 32);
    gh_sesscache_put(h[i], &s, gh_sesscache_epoch());
  }
  gh_sesscache_drop_session(s.session_id);
  for (int i = 0; i < 4; i++)
    assert_false(gh_sesscache_get(h[i], &out));
  gh_sesscache_reset();
}

#define RACE_ROUNDS 20000

typedef struct {
  pthread_barrier_t *start;
  gh_sessinfo *s;            /* one session per round, shared */
  unsigned char (*hash)[32]; /* this thread's access token per round */
  pthread_barrier_t *done;
} race_arg;

static void *race_put(void *p) {
  race_arg *a = p;
  for (int i = 0; i < RACE_ROUNDS; i++) {
    pthread_barrier_wait(a->start);
    gh_sesscache_put(a->hash[i], &a->s[i], gh_sesscache_epoch());
    pthread_barrier_wait(a->done);
  }
  return NULL;
}

static atomic_int sweeping;
static void *race_sweep(void *p) {
  (void)p;
  while (atomic_load(&sweeping))
    gh_sesscache_sweep(gh_now());
  return NULL;
}

/* Two threads fill one session under two access tokens at the same moment
 * (the old and the new token of a rotation, on one node) while the periodic
 * sweep runs: a drop of the session afterwards must find both. The index
 * used to be read, changed and written back in three unlocked steps, so one
 * of the two entries could be lost and its token stayed accepted until its
 * access_expires_at. */
static void sesscache_concurrent_fills_then_drop(void **st) {
  (void)st;
  gh_sesscache_reset();
  static gh_sessinfo s[RACE_ROUNDS];
  static unsigned char ha[RACE_ROUNDS][32], hb[RACE_ROUNDS][32];
  for (int i = 0; i < RACE_ROUNDS; i++) {
    sess_new(&s[i]);
    randombytes_buf(ha[i], 32);
    randombytes_buf(hb[i], 32);
  }
  pthread_barrier_t start, done;
  pthread_barrier_init(&start, NULL, 3);
  pthread_barrier_init(&done, NULL, 3);
  race_arg a = {&start, s, ha, &done}, b = {&start, s, hb, &done};
  pthread_t ta, tb, tw;
  atomic_store(&sweeping, 1);
  assert_int_equal(pthread_create(&tw, NULL, race_sweep, NULL), 0);
  assert_int_equal(pthread_create(&ta, NULL, race_put, &a), 0);
  assert_int_equal(pthread_create(&tb, NULL, race_put, &b), 0);
  int left = 0;
  gh_sessinfo out;
  for (int i = 0; i < RACE_ROUNDS; i++) {
    pthread_barrier_wait(&start);
    pthread_barrier_wait(&done);
    gh_sesscache_drop_session(s[i].session_id);
    left += gh_sesscache_get(ha[i], &out) + gh_sesscache_get(hb[i], &out);
  }
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  atomic_store(&sweeping, 0);
  pthread_join(tw, NULL);
  pthread_barrier_destroy(&start);
  pthread_barrier_destroy(&done);
  assert_int_equal(left, 0); /* no access token outlives its session's drop */
  gh_sesscache_reset();
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gcra_burst_then_rate),
      cmocka_unit_test(gcra_headers),
      cmocka_unit_test(throttle_states),
      cmocka_unit_test(tighter_limit),
      cmocka_unit_test(throttle_account_and_address),
      cmocka_unit_test(sesscache_index_and_sweep),
      cmocka_unit_test(sesscache_drop_session_drops_every_token),
      cmocka_unit_test(sesscache_concurrent_fills_then_drop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
