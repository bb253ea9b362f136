/* test_auth.c: unit tests of token hashing, CSRF derivation, cookie
 * rendering, password rules and the bounded worker pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "auth/password.h"
#include "auth/session.h"
#include "auth/token.h"
#include "config/state.h"
#include "core/pool.h"

static gh_state st_a, st_b;

static void token_hash_is_keyed(void **st) {
  (void)st;
  unsigned char h1[32], h2[32], h3[32];
  gh_secrets = &st_a;
  gh_token_hash("secret", 6, h1);
  gh_token_hash("secret", 6, h2);
  assert_memory_equal(h1, h2, 32);
  gh_token_hash("secreT", 6, h3);
  assert_memory_not_equal(h1, h3, 32);
  /* Another pepper, another hash: a stolen table cannot confirm a guess. */
  gh_secrets = &st_b;
  gh_token_hash("secret", 6, h3);
  assert_memory_not_equal(h1, h3, 32);
  /* Known answer: HMAC-SHA-256 with a zero key over "secret". */
  static gh_state zero;
  gh_secrets = &zero;
  gh_token_hash("secret", 6, h3);
  unsigned char want[32];
  crypto_auth_hmacsha256_state s;
  unsigned char key[32] = {0};
  crypto_auth_hmacsha256_init(&s, key, 32);
  crypto_auth_hmacsha256_update(&s, (const unsigned char *)"secret", 6);
  crypto_auth_hmacsha256_final(&s, want);
  assert_memory_equal(h3, want, 32);
  /* The same against libsodium with a real pepper and a key-sized
   * message (the hash runs on nettle; the two must never disagree, or
   * every stored key hash would stop matching). */
  randombytes_buf(st_a.pepper, sizeof st_a.pepper);
  gh_secrets = &st_a;
  const char *key_text = "sk_live_0123456789abcdefghijABCDEFGHIJ";
  gh_token_hash(key_text, strlen(key_text), h3);
  crypto_auth_hmacsha256_init(&s, st_a.pepper, sizeof st_a.pepper);
  crypto_auth_hmacsha256_update(&s, (const unsigned char *)key_text, strlen(key_text));
  crypto_auth_hmacsha256_final(&s, want);
  assert_memory_equal(h3, want, 32);
}

static void csrf_is_stable_per_session(void **st) {
  (void)st;
  gh_secrets = &st_a;
  char a[GH_CSRF_MAX], b[GH_CSRF_MAX], c[GH_CSRF_MAX];
  gh_token_csrf("ses_1", a);
  gh_token_csrf("ses_1", b);
  gh_token_csrf("ses_2", c);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  assert_true(strlen(a) >= 16);
}

static void cookie_attributes(void **st) {
  (void)st;
  char out[256];
  gh_session_cookie(out, sizeof out, "gh_session", "tok", "/", 900, "Lax", 1);
  assert_string_equal(out, "gh_session=tok; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax");
  gh_session_cookie(out, sizeof out, "gh_refresh", "r", "/v1/auth", 60, "Strict", 0);
  assert_string_equal(out, "gh_refresh=r; Path=/v1/auth; Max-Age=60; HttpOnly; SameSite=Strict");
}

static void password_rules(void **st) {
  (void)st;
  assert_int_equal(gh_password_check_length("123456789"), -1);
  assert_int_equal(gh_password_check_length("1234567890"), 0);
  /* Ten characters of two bytes each: counted as characters, not bytes. */
  assert_int_equal(gh_password_check_length("ééééééééé"), -1);
  assert_int_equal(gh_password_check_length("éééééééééé"), 0);
  char big[300];
  memset(big, 'a', 257);
  big[257] = '\0';
  assert_int_equal(gh_password_check_length(big), -1);
  big[256] = '\0';
  assert_int_equal(gh_password_check_length(big), 0);
  char hash[GH_PWHASH_MAX];
  assert_int_equal(gh_password_hash("correct horse", hash), GH_OK);
  assert_non_null(strstr(hash, "$argon2id$"));
  assert_non_null(strstr(hash, "m=19456,t=2,p=1"));
  assert_true(gh_password_verify(hash, "correct horse"));
  assert_false(gh_password_verify(hash, "correct horsE"));
  assert_int_equal(gh_password_init(1, 4), GH_OK);
  assert_false(gh_password_verify(NULL, "anything at all"));
  gh_password_shutdown();
}

static void slow_job(void *arg) {
  (void)arg;
  usleep(100000);
}

static void pool_is_bounded(void **st) {
  (void)st;
  gh_pool *p = gh_pool_new(1, 2, 0);
  assert_non_null(p);
  assert_int_equal(gh_pool_submit(p, slow_job, NULL), GH_OK);
  usleep(20000); /* the worker takes the first job */
  assert_int_equal(gh_pool_submit(p, slow_job, NULL), GH_OK);
  assert_int_equal(gh_pool_submit(p, slow_job, NULL), GH_OK);
  assert_int_equal(gh_pool_submit(p, slow_job, NULL), GH_ERR_BUSY);
  assert_true(gh_pool_depth(p) >= 2);
  gh_pool_free(p); /* drains the queued jobs, then joins */
}

int main(void) {
  if (sodium_init() < 0) return 1;
  randombytes_buf(st_a.pepper, sizeof st_a.pepper);
  randombytes_buf(st_b.pepper, sizeof st_b.pepper);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(token_hash_is_keyed), cmocka_unit_test(csrf_is_stable_per_session),
      cmocka_unit_test(cookie_attributes),   cmocka_unit_test(password_rules),
      cmocka_unit_test(pool_is_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
