/* test_keys.c: unit tests of the API key format, the credential cache and
 * RFC 3339 parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "auth/apikey.h"
#include "auth/keycache.h"
#include "core/clock.h"
#include "core/rand.h"

static void key_format(void **st) {
  (void)st;
  char k[GH_KEY_MAX], t[GH_KEY_MAX];
  bool live = false;
  gh_apikey_new(true, k);
  gh_apikey_new(false, t);
  assert_int_equal(strlen(k), 40);
  assert_memory_equal(k, "sk_live_", 8);
  assert_memory_equal(t, "sk_test_", 8);
  assert_true(gh_apikey_parse(k, strlen(k), &live));
  assert_true(live);
  assert_true(gh_apikey_parse(t, strlen(t), &live));
  assert_false(live);
  /* Every single-character typo in the random part or the checksum is
   * caught (a 32-bit checksum misses one in 4 billion random keys; a
   * one-character change is always caught unless it collides). */
  int caught = 0, tried = 0;
  for (int i = 8; i < 40; i++) {
    char m[GH_KEY_MAX];
    memcpy(m, k, sizeof m);
    m[i] = m[i] == 'a' ? 'b' : 'a';
    tried++;
    caught += !gh_apikey_parse(m, 40, &live);
  }
  assert_int_equal(caught, tried);
  assert_false(gh_apikey_parse(k, 39, &live));
  char bad[GH_KEY_MAX];
  memcpy(bad, k, sizeof bad);
  memcpy(bad, "sk_prod_", 8);
  assert_false(gh_apikey_parse(bad, 40, &live));
  memcpy(bad, k, sizeof bad);
  bad[20] = '-';
  assert_false(gh_apikey_parse(bad, 40, &live));
  /* Golden value: the checksum algorithm is part of the format. */
  const char *golden = "sk_live_00000000000000000000000000";
  char g[GH_KEY_MAX + 8];
  memcpy(g, golden, 34);
  g[34] = '\0';
  unsigned char h[32];
  crypto_generichash(h, 32, (const unsigned char *)g, 34, NULL, 0);
  uint32_t v = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
  const char *b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (int i = 5; i >= 0; i--) {
    g[34 + i] = b62[v % 62];
    v /= 62;
  }
  g[40] = '\0';
  assert_true(gh_apikey_parse(g, 40, &live));
  char red[GH_KEY_REDACTED_MAX];
  gh_apikey_redact(k, red);
  assert_memory_equal(red, "sk_live_...", 11);
  assert_string_equal(red + 11, k + 36);
}

static void fill(gh_keyinfo *k, const char *org) {
  memset(k, 0, sizeof *k);
  gh_id_new(k->key_id, "key_");
  snprintf(k->org_id, sizeof k->org_id, "%s", org);
  k->livemode = true;
  k->scopes = 5;
  k->expires_at = 1234;
}

static void cache_get_put_drop(void **st) {
  (void)st;
  gh_keycache_reset();
  char org[GH_ID_MAX];
  gh_id_new(org, "org_");
  unsigned char h[2000][32];
  gh_keyinfo in[2000], out;
  for (int i = 0; i < 2000; i++) {
    randombytes_buf(h[i], 32);
    fill(&in[i], org);
    gh_keycache_put(h[i], &in[i], gh_keycache_epoch());
  }
  assert_int_equal(gh_keycache_count(), 2000);
  for (int i = 0; i < 2000; i++) {
    assert_true(gh_keycache_get(h[i], &out));
    assert_string_equal(out.key_id, in[i].key_id);
    assert_string_equal(out.org_id, org);
    assert_int_equal(out.scopes, 5);
    assert_int_equal(out.expires_at, 1234);
    assert_true(out.livemode);
  }
  unsigned char miss[32];
  randombytes_buf(miss, 32);
  assert_false(gh_keycache_get(miss, &out));
  gh_keycache_drop_id(in[7].key_id);
  assert_false(gh_keycache_get(h[7], &out));
  assert_true(gh_keycache_get(h[8], &out));
  assert_int_equal(gh_keycache_count(), 1999);
  /* Re-inserting over a tombstone works. */
  gh_keycache_put(h[7], &in[7], gh_keycache_epoch());
  assert_true(gh_keycache_get(h[7], &out));
  gh_keycache_flush();
  assert_int_equal(gh_keycache_count(), 0);
  assert_false(gh_keycache_get(h[1], &out));
  gh_keycache_reset();
}

static void cache_refuses_racing_fill(void **st) {
  (void)st;
  char org[GH_ID_MAX];
  gh_id_new(org, "org_");
  gh_keyinfo k, out;
  fill(&k, org);
  unsigned char h[32];
  randombytes_buf(h, 32);
  uint64_t before = gh_keycache_epoch();
  gh_keycache_drop_id(k.key_id); /* a revocation lands during the look-up */
  gh_keycache_put(h, &k, before);
  assert_false(gh_keycache_get(h, &out));
  /* Malformed ids are never cached. */
  snprintf(k.key_id, sizeof k.key_id, "key_short");
  gh_keycache_put(h, &k, gh_keycache_epoch());
  assert_false(gh_keycache_get(h, &out));
  gh_keycache_reset();
}

static void rfc3339(void **st) {
  (void)st;
  int64_t t;
  assert_int_equal(gh_rfc3339_parse("2026-11-28T12:00:00Z", &t), 0);
  assert_int_equal(t, 1795867200);
  assert_int_equal(gh_rfc3339_parse("2026-11-28T14:00:00+02:00", &t), 0);
  assert_int_equal(t, 1795867200);
  assert_int_equal(gh_rfc3339_parse("2026-11-28T11:30:00.123-00:30", &t), 0);
  assert_int_equal(t, 1795867200);
  assert_int_equal(gh_rfc3339_parse("2024-02-29T00:00:00Z", &t), 0);
  const char *bad[] = {"2026-11-28",
                       "2026-11-28T12:00:00",
                       "2025-02-29T00:00:00Z",
                       "2026-13-01T00:00:00Z",
                       "2026-11-28T24:00:00Z",
                       "2026-11-28T12:00:00+2:00",
                       "2026-11-28T12:00:00Zjunk",
                       "tomorrow",
                       "",
                       "2026-11-28 12:00:00Z"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(gh_rfc3339_parse(bad[i], &t), -1);
  char out[32];
  /* Four-digit years before 1000 too (a fuzzer finding), and the range
   * limits: an offset may not carry a time outside 0001..9999. */
  assert_int_equal(gh_rfc3339_parse("0361-11-28T12:00:00+05:30", &t), 0);
  gh_rfc3339(t, out);
  assert_string_equal(out, "0361-11-28T06:30:00Z");
  assert_int_equal(gh_rfc3339_parse("0001-01-01T00:00:00+00:01", &t), -1);
  assert_int_equal(gh_rfc3339_parse("9999-12-31T23:59:59-00:01", &t), -1);
  assert_int_equal(gh_rfc3339_parse("0000-06-01T00:00:00Z", &t), -1);
  gh_rfc3339(1795867200, out);
  assert_string_equal(out, "2026-11-28T12:00:00Z");
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(key_format),
      cmocka_unit_test(cache_get_put_drop),
      cmocka_unit_test(cache_refuses_racing_fill),
      cmocka_unit_test(rfc3339),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
