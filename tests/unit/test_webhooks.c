/* test_webhooks.c: unit tests of the webhook signing (Standard Webhooks'
 * published test vectors, from the reference libraries' own tests in
 * github.com/standard-webhooks/standard-webhooks: libraries/javascript/src/
 * webhook.test.ts and libraries/python/tests/test_webhooks.py), secret
 * sealing, and the URL and address rules (SSRF). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <sodium.h>

#include "core/clock.h"
#include "webhooks/secret.h"
#include "webhooks/sign.h"
#include "webhooks/urlcheck.h"

/* The reference libraries' fixtures. */
#define VEC_SECRET "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define VEC_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define VEC_PAYLOAD "{\"test\": 2432232314}"
#define VEC_TS 1614265330LL
#define VEC_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static void key_of(const char *secret, unsigned char key[GH_WHSIGN_KEY_MAX], size_t *len) {
  assert_int_equal(gh_whsign_parse_secret(secret, key, len), GH_OK);
}

static gh_status verify_at(const char *secret, const char *id, long long ts, const char *body, const char *header,
                           long long now) {
  unsigned char key[GH_WHSIGN_KEY_MAX];
  size_t len;
  key_of(secret, key, &len);
  char t[24];
  snprintf(t, sizeof t, "%lld", ts);
  return gh_whsign_verify(key, len, id, t, body, strlen(body), header, now, GH_WHSIGN_TOLERANCE_S);
}

/* "sign function works": the one published signature, with the prefix. */
static void published_vector(void **st) {
  (void)st;
  unsigned char key[GH_WHSIGN_KEY_MAX];
  size_t len;
  char sig[GH_WHSIGN_SIG_MAX];
  key_of("whsec_" VEC_SECRET, key, &len);
  assert_int_equal(len, 24);
  assert_int_equal(gh_whsign_sign(key, len, VEC_ID, VEC_TS, VEC_PAYLOAD, strlen(VEC_PAYLOAD), sig), GH_OK);
  assert_string_equal(sig, VEC_SIG);
  /* And without the prefix: the same key. */
  key_of(VEC_SECRET, key, &len);
  assert_int_equal(gh_whsign_sign(key, len, VEC_ID, VEC_TS, VEC_PAYLOAD, strlen(VEC_PAYLOAD), sig), GH_OK);
  assert_string_equal(sig, VEC_SIG);
  /* It verifies at its own time, with and without the prefix. */
  assert_int_equal(verify_at("whsec_" VEC_SECRET, VEC_ID, VEC_TS, VEC_PAYLOAD, VEC_SIG, VEC_TS), GH_OK);
  assert_int_equal(verify_at(VEC_SECRET, VEC_ID, VEC_TS, VEC_PAYLOAD, VEC_SIG, VEC_TS), GH_OK);
  /* One byte changed anywhere: no. */
  assert_int_equal(verify_at(VEC_SECRET, VEC_ID, VEC_TS, "{\"test\": 2432232315}", VEC_SIG, VEC_TS),
                   GH_ERR_UNAUTHORIZED);
  assert_int_equal(verify_at(VEC_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJeK", VEC_TS, VEC_PAYLOAD, VEC_SIG, VEC_TS),
                   GH_ERR_UNAUTHORIZED);
  assert_int_equal(verify_at(VEC_SECRET, VEC_ID, VEC_TS + 1, VEC_PAYLOAD, VEC_SIG, VEC_TS), GH_ERR_UNAUTHORIZED);
  /* The Python test's "invalid signature" (last character changed). */
  assert_int_equal(
      verify_at(VEC_SECRET, VEC_ID, VEC_TS, VEC_PAYLOAD, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=", VEC_TS),
      GH_ERR_UNAUTHORIZED);
}

/* "multi sig payload is valid": the valid signature among others, in any
 * position, with other versions ignored. */
static void multi_signature(void **st) {
  (void)st;
  const char *decoy = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  char header[512];
  snprintf(header, sizeof header, "%s v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= %s %s", decoy, VEC_SIG, decoy);
  assert_int_equal(verify_at(VEC_SECRET, VEC_ID, VEC_TS, VEC_PAYLOAD, header, VEC_TS), GH_OK);
  snprintf(header, sizeof header, "%s %s", VEC_SIG, decoy);
  assert_int_equal(verify_at(VEC_SECRET, VEC_ID, VEC_TS, VEC_PAYLOAD, header, VEC_TS), GH_OK);
  /* Only decoys: no. A v2 entry with the right bytes does not count. */
  snprintf(header, sizeof header, "%s v2,%s", decoy, &VEC_SIG[3]);
  assert_int_equal(verify_at(VEC_SECRET, VEC_ID, VEC_TS, VEC_PAYLOAD, header, VEC_TS), GH_ERR_UNAUTHORIZED);
  /* Partial and empty signatures ("partial signature throws error"). */
  assert_int_equal(verify_at(VEC_SECRET, VEC_ID, VEC_TS, VEC_PAYLOAD, "v1,g0hM9S", VEC_TS), GH_ERR_UNAUTHORIZED);
  assert_int_equal(verify_at(VEC_SECRET, VEC_ID, VEC_TS, VEC_PAYLOAD, "v1,", VEC_TS), GH_ERR_UNAUTHORIZED);
  assert_int_equal(verify_at(VEC_SECRET, VEC_ID, VEC_TS, VEC_PAYLOAD, "", VEC_TS), GH_ERR_UNAUTHORIZED);
  /* A rotation's header: one signature per secret, each verifies under its
   * own secret only. */
  unsigned char k1[GH_WHSIGN_KEY_MAX], k2[32];
  size_t l1;
  key_of(VEC_SECRET, k1, &l1);
  randombytes_buf(k2, sizeof k2);
  char s1[GH_WHSIGN_SIG_MAX], s2[GH_WHSIGN_SIG_MAX], secret2[GH_WHSIGN_SECRET_MAX];
  gh_whsign_sign(k1, l1, "evt_1", 1700000000, "{}", 2, s1);
  gh_whsign_sign(k2, sizeof k2, "evt_1", 1700000000, "{}", 2, s2);
  assert_int_equal(gh_whsign_format_secret(k2, sizeof k2, secret2, sizeof secret2), GH_OK);
  snprintf(header, sizeof header, "%s %s", s2, s1);
  assert_int_equal(verify_at(VEC_SECRET, "evt_1", 1700000000, "{}", header, 1700000000), GH_OK);
  assert_int_equal(verify_at(secret2, "evt_1", 1700000000, "{}", header, 1700000000), GH_OK);
  assert_int_equal(verify_at(secret2, "evt_1", 1700000000, "{}", s1, 1700000000), GH_ERR_UNAUTHORIZED);
}

static void secrets_with_and_without_prefix(void **st) {
  (void)st;
  unsigned char a[GH_WHSIGN_KEY_MAX], b[GH_WHSIGN_KEY_MAX];
  size_t la, lb;
  key_of("whsec_" VEC_SECRET, a, &la);
  key_of(VEC_SECRET, b, &lb);
  assert_int_equal(la, lb);
  assert_memory_equal(a, b, la);
  /* Unpadded base64 is accepted too (a 32-byte key). */
  unsigned char k[32];
  for (int i = 0; i < 32; i++)
    k[i] = (unsigned char)i;
  char s[GH_WHSIGN_SECRET_MAX];
  assert_int_equal(gh_whsign_format_secret(k, sizeof k, s, sizeof s), GH_OK);
  assert_memory_equal(s, "whsec_", 6);
  assert_int_equal(s[strlen(s) - 1], '=');
  s[strlen(s) - 1] = '\0';
  key_of(s, a, &la);
  assert_int_equal(la, 32);
  assert_memory_equal(a, k, 32);
  /* Not base64, empty, or just the prefix: refused. */
  assert_int_equal(gh_whsign_parse_secret("whsec_", a, &la), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsign_parse_secret("", a, &la), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsign_parse_secret("whsec_not base64!", a, &la), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsign_parse_secret(NULL, a, &la), GH_ERR_INVALID_REQUEST);
}

/* "old/new timestamp fails", "invalid timestamp", missing parts. */
static void tolerance(void **st) {
  (void)st;
  long long now = gh_now();
  unsigned char key[GH_WHSIGN_KEY_MAX];
  size_t len;
  key_of(VEC_SECRET, key, &len);
  char sig[GH_WHSIGN_SIG_MAX];
  for (long long d = -301; d <= 301; d += 1) {
    long long ts = now + d;
    gh_whsign_sign(key, len, VEC_ID, ts, VEC_PAYLOAD, strlen(VEC_PAYLOAD), sig);
    gh_status want = d < -300 || d > 300 ? GH_ERR_TOKEN_EXPIRED : GH_OK;
    assert_int_equal(verify_at(VEC_SECRET, VEC_ID, ts, VEC_PAYLOAD, sig, now), want);
    if (d == -299) d = 298; /* the middle proves nothing more */
  }
  gh_whsign_sign(key, len, VEC_ID, now, VEC_PAYLOAD, strlen(VEC_PAYLOAD), sig);
  const char *p = VEC_PAYLOAD;
  assert_int_equal(gh_whsign_verify(key, len, VEC_ID, "hello", p, strlen(p), sig, now, 300), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsign_verify(key, len, VEC_ID, "", p, strlen(p), sig, now, 300), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsign_verify(key, len, VEC_ID, "-5", p, strlen(p), sig, now, 300), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsign_verify(key, len, VEC_ID, NULL, p, strlen(p), sig, now, 300), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsign_verify(key, len, NULL, "1", p, strlen(p), sig, now, 300), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsign_verify(key, len, "", "1", p, strlen(p), sig, now, 300), GH_ERR_INVALID_REQUEST);
  char ts[24];
  snprintf(ts, sizeof ts, "%lld", now);
  assert_int_equal(gh_whsign_verify(key, len, VEC_ID, ts, p, strlen(p), NULL, now, 300), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsign_verify(key, len, VEC_ID, ts, p, strlen(p), sig, now, 300), GH_OK);
}

/* Sealing: round trip, and every tampering is detected. */
static void sealing(void **st) {
  (void)st;
  unsigned char master[32], other[32], key[GH_WHSECRET_BYTES], out[GH_WHSIGN_KEY_MAX];
  unsigned char sealed[GH_WHSECRET_SEALED_MAX], sealed2[GH_WHSECRET_SEALED_MAX];
  size_t n, n2, len;
  randombytes_buf(master, sizeof master);
  randombytes_buf(other, sizeof other);
  gh_whsecret_new(key);
  assert_int_equal(gh_whsecret_seal(master, "whe_1", key, sizeof key, sealed, &n), GH_OK);
  assert_int_equal(n, GH_WHSECRET_OVERHEAD + sizeof key);
  assert_null(memmem(sealed, n, key, 8)); /* not in clear */
  assert_int_equal(gh_whsecret_open(master, "whe_1", sealed, n, out, &len), GH_OK);
  assert_int_equal(len, sizeof key);
  assert_memory_equal(out, key, sizeof key);
  /* Two seals of one secret differ (random nonce). */
  assert_int_equal(gh_whsecret_seal(master, "whe_1", key, sizeof key, sealed2, &n2), GH_OK);
  assert_memory_not_equal(sealed, sealed2, n);
  /* Every flipped bit, anywhere: refused. */
  for (size_t i = 0; i < n; i++) {
    for (int bit = 0; bit < 8; bit += 3) {
      sealed[i] ^= (unsigned char)(1 << bit);
      assert_int_equal(gh_whsecret_open(master, "whe_1", sealed, n, out, &len), GH_ERR_INVALID_REQUEST);
      sealed[i] ^= (unsigned char)(1 << bit);
    }
  }
  /* Another endpoint's row, another master key, truncated: refused. */
  assert_int_equal(gh_whsecret_open(master, "whe_2", sealed, n, out, &len), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsecret_open(other, "whe_1", sealed, n, out, &len), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsecret_open(master, "whe_1", sealed, n - 1, out, &len), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsecret_open(master, "whe_1", sealed, 10, out, &len), GH_ERR_INVALID_REQUEST);
  /* Hex, as gh.webhook_claim returns it. */
  char hex[2 * GH_WHSECRET_SEALED_MAX + 1];
  sodium_bin2hex(hex, sizeof hex, sealed, n);
  assert_int_equal(gh_whsecret_open_hex(master, "whe_1", hex, out, &len), GH_OK);
  assert_memory_equal(out, key, sizeof key);
  hex[3] = hex[3] == 'a' ? 'b' : 'a';
  assert_int_equal(gh_whsecret_open_hex(master, "whe_1", hex, out, &len), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whsecret_open_hex(master, "whe_1", "zz", out, &len), GH_ERR_INVALID_REQUEST);
}

static void addresses(void **st) {
  (void)st;
  static const char *const loopback[] = {"127.0.0.1", "127.255.255.254", "127.1.2.3", "::1", "::ffff:127.0.0.1"};
  static const char *const nonpublic[] = {"0.0.0.0",
                                          "0.1.2.3",
                                          "10.0.0.1",
                                          "10.255.255.255",
                                          "100.64.0.1",
                                          "100.127.255.254",
                                          "169.254.169.254",
                                          "169.254.0.1",
                                          "172.16.0.1",
                                          "172.31.255.255",
                                          "192.0.0.8",
                                          "192.0.2.1",
                                          "192.88.99.1",
                                          "192.168.0.1",
                                          "192.168.255.255",
                                          "198.18.0.1",
                                          "198.19.255.255",
                                          "198.51.100.7",
                                          "203.0.113.9",
                                          "224.0.0.1",
                                          "239.255.255.250",
                                          "240.0.0.1",
                                          "255.255.255.255",
                                          "::",
                                          "::ffff:10.0.0.1",
                                          "::ffff:169.254.169.254",
                                          "::ffff:192.168.1.1",
                                          "::10.0.0.1",
                                          "::8.8.8.8",
                                          "64:ff9b::127.0.0.1",
                                          "64:ff9b::10.1.1.1",
                                          "64:ff9b:1::1",
                                          "100::1",
                                          "2001::1",
                                          "2001:0:4136:e378::1",
                                          "2001:db8::1",
                                          "3fff::1",
                                          "5f00::1",
                                          "fc00::1",
                                          "fd12:3456::1",
                                          "fe80::1",
                                          "febf::1",
                                          "fec0::1",
                                          "ff02::1",
                                          "ff0e::1",
                                          "2002:0a00:0001::1",
                                          "2002:7f00:0001::1",
                                          "2002:a9fe:a9fe::1",
                                          "not an address",
                                          "",
                                          "1.2.3",
                                          "::ffff:7f00:1%lo"};
  static const char *const pub[] = {"8.8.8.8",         "1.1.1.1",          "93.184.216.34",     "100.63.255.255",
                                    "100.128.0.0",     "172.15.255.255",   "172.32.0.0",        "169.253.255.255",
                                    "169.255.0.1",     "192.169.0.1",      "198.17.255.255",    "198.20.0.1",
                                    "223.255.255.255", "11.0.0.1",         "2606:4700::1111",   "2a00:1450::1",
                                    "::ffff:8.8.8.8",  "64:ff9b::8.8.8.8", "2002:0808:0808::1", "2001:4860::8888"};
  for (size_t i = 0; i < sizeof loopback / sizeof *loopback; i++) {
    if (gh_whurl_classify_text(loopback[i]) != GH_ADDR_LOOPBACK) fail_msg("%s should be loopback", loopback[i]);
    assert_false(gh_whurl_allowed(gh_whurl_classify_text(loopback[i]), false));
    assert_true(gh_whurl_allowed(gh_whurl_classify_text(loopback[i]), true));
  }
  for (size_t i = 0; i < sizeof nonpublic / sizeof *nonpublic; i++) {
    if (gh_whurl_classify_text(nonpublic[i]) != GH_ADDR_NONPUBLIC) fail_msg("%s should be non-public", nonpublic[i]);
    assert_false(gh_whurl_allowed(gh_whurl_classify_text(nonpublic[i]), true)); /* not even in dev mode */
  }
  for (size_t i = 0; i < sizeof pub / sizeof *pub; i++)
    if (gh_whurl_classify_text(pub[i]) != GH_ADDR_PUBLIC) fail_msg("%s should be public", pub[i]);
  assert_int_equal(gh_whurl_classify(NULL), GH_ADDR_NONPUBLIC);
}

static void urls(void **st) {
  (void)st;
  const char *why = NULL;
  static const char *const ok_prod[] = {"https://93.184.216.34/hook", "https://93.184.216.34:8443/a/b?c=d#e",
                                        "HTTPS://93.184.216.34/", "https://[2606:4700::1111]/h"};
  static const char *const bad_prod[] = {"http://93.184.216.34/",
                                         "ftp://93.184.216.34/",
                                         "//93.184.216.34/",
                                         "93.184.216.34/hook",
                                         "/relative",
                                         "https://",
                                         "",
                                         "https://user:pw@93.184.216.34/",
                                         "https://user@93.184.216.34/",
                                         "https://127.0.0.1/",
                                         "https://localhost/",
                                         "https://[::1]/",
                                         "https://169.254.169.254/latest/meta-data/",
                                         "https://10.0.0.1/",
                                         "https://[fe80::1%25eth0]/",
                                         "https://0x7f000001/",
                                         "https://2130706433/",
                                         "https://017700000001/",
                                         "https://93.184.216.34/a b",
                                         "https://no-such-host.invalid/",
                                         "javascript:alert(1)",
                                         "file:///etc/passwd"};
  for (size_t i = 0; i < sizeof ok_prod / sizeof *ok_prod; i++)
    if (gh_whurl_check(ok_prod[i], false, true, &why) != GH_OK) fail_msg("%s should be accepted: %s", ok_prod[i], why);
  for (size_t i = 0; i < sizeof bad_prod / sizeof *bad_prod; i++) {
    if (gh_whurl_check(bad_prod[i], false, true, &why) != GH_ERR_INVALID_REQUEST)
      fail_msg("%s should be refused", bad_prod[i]);
    assert_non_null(why);
  }
  /* Development mode: http:// and loopback, nothing else non-public. */
  assert_int_equal(gh_whurl_check("http://127.0.0.1:8080/hook", true, true, &why), GH_OK);
  assert_int_equal(gh_whurl_check("http://localhost:8080/hook", true, true, &why), GH_OK);
  assert_int_equal(gh_whurl_check("https://[::1]:9/", true, true, &why), GH_OK);
  assert_int_equal(gh_whurl_check("http://169.254.169.254/", true, true, &why), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whurl_check("http://192.168.0.10/", true, true, &why), GH_ERR_INVALID_REQUEST);
  assert_int_equal(gh_whurl_check("ftp://127.0.0.1/", true, true, &why), GH_ERR_INVALID_REQUEST);
  /* Names are resolved only when asked (literals always are checked). */
  assert_int_equal(gh_whurl_check("https://no-such-host.invalid/", false, false, &why), GH_OK);
  assert_int_equal(gh_whurl_check("https://10.1.2.3/", false, false, &why), GH_ERR_INVALID_REQUEST);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(published_vector),
      cmocka_unit_test(multi_signature),
      cmocka_unit_test(secrets_with_and_without_prefix),
      cmocka_unit_test(tolerance),
      cmocka_unit_test(sealing),
      cmocka_unit_test(addresses),
      cmocka_unit_test(urls),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
