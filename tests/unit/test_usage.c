/* test_usage.c: unit tests of usage monitoring's pure logic: how a status
 * counts, the counting table (merging, fullness, draining), the process
 * counters (per minute, per key, sessions apart) and the read side's
 * parameters (granularity, times, bounds, bucket alignment). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "usage/usage.h"

static void outcome_classes(void **st) {
  (void)st;
  static const struct {
    int http;
    gh_usage_counts want;
  } cases[] = {
      {200, {1, 1, 0, 0, 0}}, {201, {1, 1, 0, 0, 0}}, {204, {1, 1, 0, 0, 0}}, {302, {1, 1, 0, 0, 0}},
      {400, {1, 0, 1, 0, 0}}, {404, {1, 0, 1, 0, 0}}, {405, {1, 0, 1, 0, 0}}, {409, {1, 0, 1, 0, 0}},
      {413, {1, 0, 1, 0, 0}}, {401, {1, 0, 0, 1, 0}}, {403, {1, 0, 0, 1, 0}}, {429, {1, 0, 0, 0, 1}},
      {500, {1, 0, 0, 0, 0}}, {503, {1, 0, 0, 0, 0}}, {0, {1, 0, 0, 0, 0}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    gh_usage_counts c = gh_usage_outcome(cases[i].http);
    assert_memory_equal(&c, &cases[i].want, sizeof c);
  }
  gh_usage_counts a = {1, 2, 3, 4, 5}, b = {10, 20, 30, 40, 50};
  gh_usage_counts_add(&a, &b);
  gh_usage_counts want = {11, 22, 33, 44, 55};
  assert_memory_equal(&a, &want, sizeof a);
}

static void table_merges_and_drains(void **st) {
  (void)st;
  gh_usage_table *t = calloc(1, sizeof *t);
  gh_usage_entry *out = calloc(GH_USAGE_SLOTS, sizeof *out);
  assert_non_null(t);
  assert_non_null(out);
  gh_usage_counts ok = gh_usage_outcome(200), denied = gh_usage_outcome(403);
  /* Same key and minute: one entry. Another minute, another key, the org's
   * sessions (NULL and "" alike), another org: entries of their own. */
  for (int i = 0; i < 3; i++)
    assert_int_equal(gh_usage_table_add(t, gh_usage_hash("org_a", "key_1", 600), "org_a", "key_1", 600, &ok), 0);
  assert_int_equal(gh_usage_table_add(t, gh_usage_hash("org_a", "key_1", 600), "org_a", "key_1", 600, &denied), 0);
  assert_int_equal(gh_usage_table_add(t, gh_usage_hash("org_a", "key_1", 660), "org_a", "key_1", 660, &ok), 0);
  assert_int_equal(gh_usage_table_add(t, gh_usage_hash("org_a", "key_2", 600), "org_a", "key_2", 600, &ok), 0);
  assert_int_equal(gh_usage_table_add(t, gh_usage_hash("org_a", NULL, 600), "org_a", NULL, 600, &ok), 0);
  assert_int_equal(gh_usage_table_add(t, gh_usage_hash("org_a", "", 600), "org_a", "", 600, &denied), 0);
  assert_int_equal(gh_usage_table_add(t, gh_usage_hash("org_b", NULL, 600), "org_b", NULL, 600, &ok), 0);
  assert_int_equal(t->used, 5);
  int n = gh_usage_table_drain(t, out, GH_USAGE_SLOTS);
  assert_int_equal(n, 5);
  assert_int_equal(t->used, 0);
  int seen = 0;
  for (int i = 0; i < n; i++) {
    const gh_usage_entry *e = &out[i];
    if (!strcmp(e->key_id, "key_1") && e->minute == 600) {
      gh_usage_counts want = {4, 3, 0, 1, 0};
      assert_memory_equal(&e->c, &want, sizeof want);
      seen |= 1;
    } else if (!strcmp(e->org_id, "org_a") && !e->key_id[0]) {
      gh_usage_counts want = {2, 1, 0, 1, 0};
      assert_memory_equal(&e->c, &want, sizeof want);
      seen |= 2;
    } else if (!strcmp(e->org_id, "org_b")) {
      assert_string_equal(e->key_id, "");
      assert_int_equal(e->c.requests, 1);
      seen |= 4;
    }
  }
  assert_int_equal(seen, 7);
  assert_int_equal(gh_usage_table_drain(t, out, GH_USAGE_SLOTS), 0);
  free(out);
  free(t);
}

static void table_full_refuses_new_keeps_old(void **st) {
  (void)st;
  gh_usage_table *t = calloc(1, sizeof *t);
  gh_usage_entry *out = calloc(GH_USAGE_SLOTS, sizeof *out);
  gh_usage_counts ok = gh_usage_outcome(204);
  int added = 0, refused = 0;
  char key[32];
  for (int i = 0; i < GH_USAGE_SLOTS; i++) {
    snprintf(key, sizeof key, "key_%d", i);
    if (gh_usage_table_add(t, gh_usage_hash("org_a", key, 0), "org_a", key, 0, &ok))
      refused++;
    else
      added++;
  }
  assert_int_equal(added, GH_USAGE_SLOTS * 3 / 4);
  assert_int_equal(refused, GH_USAGE_SLOTS - added);
  /* Existing entries still count when the table is full. */
  assert_int_equal(gh_usage_table_add(t, gh_usage_hash("org_a", "key_0", 0), "org_a", "key_0", 0, &ok), 0);
  int n = gh_usage_table_drain(t, out, GH_USAGE_SLOTS);
  assert_int_equal(n, added);
  uint32_t total = 0;
  for (int i = 0; i < n; i++)
    total += out[i].c.requests;
  assert_int_equal(total, (uint32_t)added + 1);
  /* Drained: room again. */
  assert_int_equal(gh_usage_table_add(t, gh_usage_hash("org_a", "key_new", 0), "org_a", "key_new", 0, &ok), 0);
  free(out);
  free(t);
}

static void note_counts_per_minute(void **st) {
  (void)st;
  gh_usage_reset();
  int64_t t0 = 1764417600; /* 2025-11-29T12:00:00Z */
  gh_usage_note("org_a", "key_1", t0, 200);
  gh_usage_note("org_a", "key_1", t0 + 59, 429);
  gh_usage_note("org_a", "key_1", t0 + 60, 401);
  gh_usage_note("org_a", NULL, t0 + 1, 200);
  gh_usage_note(NULL, "key_1", t0, 200); /* no org: nothing to charge */
  gh_usage_note("", "key_1", t0, 200);
  assert_int_equal(gh_usage_pending(), 4);
  assert_int_equal(gh_usage_dropped(), 0);
  /* Before 1970, minutes still start on the minute (floor, not truncation). */
  gh_usage_note("org_a", "key_1", -1, 200);
  assert_int_equal(gh_usage_pending(), 5);
  gh_usage_reset();
  assert_int_equal(gh_usage_pending(), 0);
}

static void range_defaults(void **st) {
  (void)st;
  gh_usage_range g;
  const char *param = NULL, *msg = NULL;
  int64_t now = 1764417600 + 30 * 60 + 15; /* 2025-11-29T12:30:15Z */
  assert_int_equal(gh_usage_range_parse(NULL, NULL, NULL, now, &g, &param, &msg), GH_OK);
  assert_string_equal(g.unit, "hour");
  assert_int_equal(g.step, 3600);
  assert_int_equal(g.first, 1764417600 - 24 * 3600); /* 12:00 the day before */
  assert_int_equal(g.last, 1764417600);              /* the current hour */
  assert_int_equal(g.buckets, 25);
  assert_int_equal(gh_usage_range_parse(NULL, NULL, "minute", now, &g, &param, &msg), GH_OK);
  assert_int_equal(g.buckets, 1441);
  assert_int_equal(g.last, 1764417600 + 30 * 60);
  assert_int_equal(gh_usage_range_parse(NULL, NULL, "day", now, &g, &param, &msg), GH_OK);
  assert_int_equal(g.step, 86400);
  assert_int_equal(g.buckets, 2);
  /* Aligned times: exactly the buckets of [from, to). */
  assert_int_equal(
      gh_usage_range_parse("2025-11-28T12:00:00Z", "2025-11-29T12:00:00Z", "minute", now, &g, &param, &msg), GH_OK);
  assert_int_equal(g.buckets, 1440);
  assert_int_equal(g.first, 1764417600 - 86400);
  assert_int_equal(g.last, 1764417600 - 60);
  /* Only `to`: from = to - 24 h. */
  assert_int_equal(gh_usage_range_parse(NULL, "2025-11-29T12:00:00Z", NULL, now, &g, &param, &msg), GH_OK);
  assert_int_equal(g.buckets, 24);
}

static void range_offsets_and_alignment(void **st) {
  (void)st;
  gh_usage_range g;
  const char *param = NULL, *msg = NULL;
  /* 12:30+02:00 is 10:30Z; to 13:00:01+02:00 is 11:00:01Z. */
  assert_int_equal(
      gh_usage_range_parse("2025-11-29T12:30:00+02:00", "2025-11-29T13:00:01+02:00", "minute", 0, &g, &param, &msg),
      GH_OK);
  assert_int_equal(g.first, 1764417600 - 90 * 60);
  assert_int_equal(g.last, 1764417600 - 60 * 60);
  assert_int_equal(g.buckets, 31);
  /* Days are UTC days, whatever the offset. */
  assert_int_equal(
      gh_usage_range_parse("2025-11-29T01:00:00+05:00", "2025-11-30T00:00:00Z", "day", 0, &g, &param, &msg), GH_OK);
  assert_int_equal(g.first, 1764417600 - 12 * 3600 - 86400); /* 2025-11-28T00:00Z */
  assert_int_equal(g.buckets, 2);
}

static void range_errors_name_the_param(void **st) {
  (void)st;
  static const struct {
    const char *from, *to, *gran, *param;
  } cases[] = {
      {NULL, NULL, "week", "granularity"},
      {NULL, NULL, "Minute", "granularity"},
      {NULL, NULL, "", "granularity"},
      {"yesterday", NULL, NULL, "from"},
      {"", NULL, NULL, "from"},
      {"2025-11-29T12:00:00", NULL, NULL, "from"},
      {NULL, "2025-13-01T00:00:00Z", NULL, "to"},
      {NULL, "", NULL, "to"},
      {"2025-11-29T12:00:00Z", "2025-11-29T12:00:00Z", NULL, "from"},
      {"2025-11-29T13:00:00Z", "2025-11-29T12:00:00Z", NULL, "from"},
      {"2025-11-28T11:59:59Z", "2025-11-29T12:00:00Z", "minute", "from"},
      {"2025-10-29T11:59:59Z", "2025-11-29T12:00:00Z", "hour", "from"},
      {"2024-11-28T11:59:59Z", "2025-11-29T12:00:00Z", "day", "from"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    gh_usage_range g;
    const char *param = NULL, *msg = NULL;
    assert_int_equal(gh_usage_range_parse(cases[i].from, cases[i].to, cases[i].gran, 1764417600, &g, &param, &msg),
                     GH_ERR_INVALID_REQUEST);
    assert_string_equal(param, cases[i].param);
    assert_non_null(msg);
  }
  /* The longest ranges are allowed. */
  gh_usage_range g;
  const char *param = NULL, *msg = NULL;
  assert_int_equal(gh_usage_range_parse("2025-10-29T12:00:00Z", "2025-11-29T12:00:00Z", "hour", 0, &g, &param, &msg),
                   GH_OK);
  assert_int_equal(g.buckets, 31 * 24);
  assert_int_equal(gh_usage_range_parse("2024-11-28T12:00:00Z", "2025-11-29T12:00:00Z", "day", 0, &g, &param, &msg),
                   GH_OK);
  assert_int_equal(g.buckets, 367);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(outcome_classes),
      cmocka_unit_test(table_merges_and_drains),
      cmocka_unit_test(table_full_refuses_new_keeps_old),
      cmocka_unit_test(note_counts_per_minute),
      cmocka_unit_test(range_defaults),
      cmocka_unit_test(range_offsets_and_alignment),
      cmocka_unit_test(range_errors_name_the_param),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
