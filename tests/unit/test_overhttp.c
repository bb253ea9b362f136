/* test_overhttp.c: unit tests of the bounds on credentials sent over plain
 * HTTP (audit/overhttp.h): the table of recent keys, the budget, the
 * summary's once-a-second rule. Pure: no database, no clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit/overhttp.h"

#define SEC 1000000LL
#define T0 (1000 * SEC)

/* A distinct 32-byte "hash" per n, spread over the sets like a keyed hash. */
static void key(unsigned n, unsigned char h[32]) {
  memset(h, 0, 32);
  for (int i = 0; i < 32; i++)
    h[i] = (unsigned char)((n * 2654435761u) >> (i % 4 * 8)) ^ (unsigned char)(i * 31 + n);
  memcpy(h, &n, sizeof n); /* distinct tags whatever the mixing */
}

static gh_overhttp_state *fresh(void) { return calloc(1, sizeof(gh_overhttp_state)); }

static void same_key_once_per_window(void **st) {
  (void)st;
  gh_overhttp_state *s = fresh();
  unsigned char a[32], b[32];
  key(1, a);
  key(2, b);
  assert_int_equal(gh_overhttp_decide(s, a, true, T0), GH_OVERHTTP_HANDLE);
  for (int i = 1; i <= 1000; i++) /* a client sending it 1000 times in 59 s */
    assert_int_equal(gh_overhttp_decide(s, a, true, T0 + i * 59000), GH_OVERHTTP_REPEATED);
  assert_int_equal(s->repeated, 1000);
  assert_int_equal(s->suppressed, 0);
  /* Another key is its own. */
  assert_int_equal(gh_overhttp_decide(s, b, true, T0 + SEC), GH_OVERHTTP_HANDLE);
  /* The window is a minute from the handling, not from the last sighting. */
  assert_int_equal(gh_overhttp_decide(s, a, true, T0 + 60 * SEC - 1), GH_OVERHTTP_REPEATED);
  assert_int_equal(gh_overhttp_decide(s, a, true, T0 + 60 * SEC), GH_OVERHTTP_HANDLE);
  assert_int_equal(gh_overhttp_decide(s, a, true, T0 + 61 * SEC), GH_OVERHTTP_REPEATED);
  /* Repeats spend no budget: the whole burst is still there. */
  gh_overhttp_state *t = fresh();
  key(3, a);
  assert_int_equal(gh_overhttp_decide(t, a, true, T0), GH_OVERHTTP_HANDLE);
  for (int i = 0; i < 500; i++)
    assert_int_equal(gh_overhttp_decide(t, a, true, T0), GH_OVERHTTP_REPEATED);
  int handled = 0;
  for (unsigned n = 100; n < 200; n++) {
    key(n, b);
    handled += gh_overhttp_decide(t, b, true, T0) == GH_OVERHTTP_HANDLE;
  }
  assert_int_equal(handled, GH_OVERHTTP_BURST - 1);
  free(s);
  free(t);
}

static void budget_bounds_distinct_keys(void **st) {
  (void)st;
  gh_overhttp_state *s = fresh();
  unsigned char h[32];
  /* A flood of distinct checksum-valid fakes, 10 000 a second for 3 s: at
   * most the burst plus 20 a second get handled. */
  int handled = 0, suppressed = 0;
  for (unsigned n = 0; n < 30000; n++) {
    key(n, h);
    gh_overhttp_verdict v = gh_overhttp_decide(s, h, true, T0 + (int64_t)n * 100);
    handled += v == GH_OVERHTTP_HANDLE;
    suppressed += v == GH_OVERHTTP_SUPPRESSED;
  }
  assert_true(handled >= GH_OVERHTTP_BURST + 3 * GH_OVERHTTP_RATE - 1);
  assert_true(handled <= GH_OVERHTTP_BURST + 3 * GH_OVERHTTP_RATE + 1);
  assert_int_equal(handled + suppressed, 30000);
  assert_int_equal(s->suppressed, suppressed);
  /* A suppressed key was not remembered: once the budget is back it is
   * handled (a real key is audited at a later sighting). */
  key(29999, h);
  assert_int_equal(gh_overhttp_decide(s, h, true, T0 + 10 * SEC), GH_OVERHTTP_HANDLE);
  /* Other credentials (not a key) spend the same budget, and are never
   * "repeated". */
  gh_overhttp_state *t = fresh();
  for (int i = 0; i < GH_OVERHTTP_BURST; i++)
    assert_int_equal(gh_overhttp_decide(t, NULL, true, T0), GH_OVERHTTP_HANDLE);
  assert_int_equal(gh_overhttp_decide(t, NULL, true, T0), GH_OVERHTTP_SUPPRESSED);
  key(7, h);
  assert_int_equal(gh_overhttp_decide(t, h, true, T0), GH_OVERHTTP_SUPPRESSED);
  /* One emission interval (50 ms) later, one more. */
  assert_int_equal(gh_overhttp_decide(t, NULL, true, T0 + SEC / GH_OVERHTTP_RATE), GH_OVERHTTP_HANDLE);
  assert_int_equal(gh_overhttp_decide(t, NULL, true, T0 + SEC / GH_OVERHTTP_RATE), GH_OVERHTTP_SUPPRESSED);
  /* The steady rate is always allowed. */
  for (int i = 2; i < 200; i++)
    assert_int_equal(gh_overhttp_decide(t, NULL, true, T0 + i * SEC / GH_OVERHTTP_RATE), GH_OVERHTTP_HANDLE);
  free(s);
  free(t);
}

static void no_room_spends_nothing(void **st) {
  (void)st;
  gh_overhttp_state *s = fresh();
  s->budget = (gh_gcra_limit){1, 1};
  unsigned char h[32];
  key(5, h);
  /* The audit queue is full: suppressed, no budget spent, not remembered. */
  assert_int_equal(gh_overhttp_decide(s, h, false, T0), GH_OVERHTTP_SUPPRESSED);
  assert_int_equal(gh_overhttp_decide(s, h, true, T0), GH_OVERHTTP_HANDLE);
  assert_int_equal(gh_overhttp_decide(s, h, false, T0), GH_OVERHTTP_REPEATED);
  /* A key whose audit failed is forgotten: handled again at once (if the
   * budget allows). */
  gh_overhttp_forget(s, h);
  assert_int_equal(gh_overhttp_decide(s, h, true, T0), GH_OVERHTTP_SUPPRESSED); /* budget {1,1} spent */
  assert_int_equal(gh_overhttp_decide(s, h, true, T0 + SEC), GH_OVERHTTP_HANDLE);
  free(s);
}

static void fixed_size_table_evicts_the_oldest(void **st) {
  (void)st;
  gh_overhttp_state *s = fresh();
  /* WAYS + 1 keys of one set (same set bytes, different tags). */
  unsigned char h[GH_OVERHTTP_WAYS + 1][32];
  for (int i = 0; i <= GH_OVERHTTP_WAYS; i++) {
    memset(h[i], 0, 32);
    h[i][0] = (unsigned char)(i + 1);
    h[i][GH_OVERHTTP_TAG] = 9;
    assert_int_equal(gh_overhttp_decide(s, h[i], true, T0 + i), GH_OVERHTTP_HANDLE);
  }
  /* The oldest made room for the last; the others are still remembered. */
  for (int i = 1; i <= GH_OVERHTTP_WAYS; i++)
    assert_int_equal(gh_overhttp_decide(s, h[i], true, T0 + 10), GH_OVERHTTP_REPEATED);
  assert_int_equal(gh_overhttp_decide(s, h[0], true, T0 + 10), GH_OVERHTTP_HANDLE);
  /* An entry past the window is reused first, and that key is handled
   * again. */
  gh_overhttp_state *t = fresh();
  assert_int_equal(gh_overhttp_decide(t, h[2], true, T0), GH_OVERHTTP_HANDLE);
  for (int i = 0; i < GH_OVERHTTP_WAYS; i++)
    if (i != 2) assert_int_equal(gh_overhttp_decide(t, h[i], true, T0 + 30 * SEC), GH_OVERHTTP_HANDLE);
  assert_int_equal(gh_overhttp_decide(t, h[GH_OVERHTTP_WAYS], true, T0 + 70 * SEC), GH_OVERHTTP_HANDLE);
  for (int i = 0; i <= GH_OVERHTTP_WAYS; i++)
    if (i != 2) assert_int_equal(gh_overhttp_decide(t, h[i], true, T0 + 70 * SEC), GH_OVERHTTP_REPEATED);
  free(s);
  free(t);
}

static void summary_once_a_second(void **st) {
  (void)st;
  gh_overhttp_state *s = fresh();
  long rep = -1, sup = -1;
  assert_false(gh_overhttp_summary_due(s, T0, &rep, &sup)); /* nothing to say */
  unsigned char h[32];
  key(1, h);
  gh_overhttp_decide(s, h, true, T0);
  gh_overhttp_decide(s, h, true, T0);
  gh_overhttp_decide(s, h, true, T0);
  assert_true(gh_overhttp_summary_due(s, T0, &rep, &sup)); /* the first at once */
  assert_int_equal(rep, 2);
  assert_int_equal(sup, 0);
  gh_overhttp_decide(s, h, true, T0 + 1);
  s->budget = (gh_gcra_limit){1, 1};
  s->tat = 0;
  gh_overhttp_decide(s, NULL, true, T0 + 2);
  gh_overhttp_decide(s, NULL, true, T0 + 3);
  assert_false(gh_overhttp_summary_due(s, T0 + SEC - 1, &rep, &sup));
  assert_true(gh_overhttp_summary_due(s, T0 + SEC, &rep, &sup));
  assert_int_equal(rep, 1);
  assert_int_equal(sup, 1);
  assert_false(gh_overhttp_summary_due(s, T0 + 5 * SEC, &rep, &sup)); /* counts were handed over */
  free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_key_once_per_window), cmocka_unit_test(budget_bounds_distinct_keys),
      cmocka_unit_test(no_room_spends_nothing),   cmocka_unit_test(fixed_size_table_evicts_the_oldest),
      cmocka_unit_test(summary_once_a_second),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
