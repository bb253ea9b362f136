/* test_transport.c: the transport decision of api.md ("Transport") for
 * every combination that matters — peer (loopback, trusted proxy, other) ×
 * our own TLS × X-Forwarded-Proto × X-Forwarded-For × trusted CIDRs — and
 * the CIDR list parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/transport.h"

static void cidr_parsing(void **st) {
  (void)st;
  gh_cidr_list l;
  char bad[80];
  assert_int_equal(gh_cidr_list_parse(NULL, &l, bad, sizeof bad), GH_OK);
  assert_int_equal(l.n, 0);
  assert_int_equal(gh_cidr_list_parse(" 10.0.0.0/8 , 192.168.1.7,::1/128, 2001:db8::/32 ,", &l, bad, sizeof bad),
                   GH_OK);
  assert_int_equal(l.n, 4);
  assert_true(gh_cidr_list_contains(&l, "10.255.1.2"));
  assert_true(gh_cidr_list_contains(&l, "::ffff:10.0.0.1")); /* IPv4-mapped */
  assert_true(gh_cidr_list_contains(&l, "192.168.1.7"));
  assert_false(gh_cidr_list_contains(&l, "192.168.1.8"));
  assert_true(gh_cidr_list_contains(&l, "::1"));
  assert_true(gh_cidr_list_contains(&l, "2001:db8:ffff::1"));
  assert_false(gh_cidr_list_contains(&l, "2001:db9::1"));
  assert_false(gh_cidr_list_contains(&l, "11.0.0.1"));
  assert_false(gh_cidr_list_contains(&l, "not-an-ip"));
  assert_false(gh_cidr_list_contains(&l, ""));
  /* Odd prefixes. */
  assert_int_equal(gh_cidr_list_parse("172.16.0.0/12", &l, bad, sizeof bad), GH_OK);
  assert_true(gh_cidr_list_contains(&l, "172.31.255.255"));
  assert_false(gh_cidr_list_contains(&l, "172.32.0.0"));
  assert_int_equal(gh_cidr_list_parse("0.0.0.0/0", &l, bad, sizeof bad), GH_OK);
  assert_true(gh_cidr_list_contains(&l, "8.8.8.8"));
  assert_false(gh_cidr_list_contains(&l, "2001:db8::1")); /* v4 /0 is not all of v6 */
  /* Refused: host bits set, prefix out of range, junk. */
  const char *bads[] = {"10.0.0.1/8",  "10.0.0.0/33", "::1/129", "10.0.0.0/",  "10.0.0.0/-1",
                        "10.0.0.0/8x", "example.com", "10.0.0",  "1.2.3.4/ 8", "/8"};
  for (size_t i = 0; i < sizeof bads / sizeof *bads; i++) {
    assert_int_equal(gh_cidr_list_parse(bads[i], &l, bad, sizeof bad), GH_ERR_INVALID_REQUEST);
    assert_true(bad[0] != '\0');
  }
  assert_int_equal(gh_cidr_list_parse("10.0.0.0/8, nope", &l, bad, sizeof bad), GH_ERR_INVALID_REQUEST);
  assert_string_equal(bad, "nope");
}

static void loopback(void **st) {
  (void)st;
  assert_true(gh_transport_is_loopback("127.0.0.1"));
  assert_true(gh_transport_is_loopback("127.255.255.254")); /* the whole /8 */
  assert_true(gh_transport_is_loopback("::1"));
  assert_true(gh_transport_is_loopback("::ffff:127.0.0.2"));
  assert_false(gh_transport_is_loopback("128.0.0.1"));
  assert_false(gh_transport_is_loopback("10.0.0.1"));
  assert_false(gh_transport_is_loopback("::2"));
  assert_false(gh_transport_is_loopback("0.0.0.0"));
  assert_false(gh_transport_is_loopback("unknown"));
  assert_false(gh_transport_is_loopback(NULL));
}

typedef struct {
  const char *peer;
  int tls;
  const char *xfp, *xff;
  int https, refuse;
  const char *client;
} row;

static void decisions(void **st) {
  (void)st;
  gh_cidr_list trusted;
  char bad[80];
  assert_int_equal(gh_cidr_list_parse("10.1.0.0/16, 127.0.0.5", &trusted, bad, sizeof bad), GH_OK);
  const row rows[] = {
      /* Loopback peer, not a proxy: plain HTTP allowed; headers ignored. */
      {"127.0.0.1", 0, NULL, NULL, 0, 0, "127.0.0.1"},
      {"127.0.0.1", 0, "https", "203.0.113.9", 0, 0, "127.0.0.1"},
      {"::1", 0, NULL, NULL, 0, 0, "::1"},
      {"127.9.9.9", 0, NULL, NULL, 0, 0, "127.9.9.9"},
      /* Our own TLS: HTTPS from anyone; forwarded headers of an untrusted peer ignored. */
      {"198.51.100.7", 1, NULL, NULL, 1, 0, "198.51.100.7"},
      {"198.51.100.7", 1, "http", "1.2.3.4", 1, 0, "198.51.100.7"},
      /* Plain HTTP from a non-loopback peer that is not a trusted proxy: refused, whatever it claims. */
      {"198.51.100.7", 0, NULL, NULL, 0, 1, "198.51.100.7"},
      {"198.51.100.7", 0, "https", "203.0.113.9", 0, 1, "198.51.100.7"},
      {"::ffff:198.51.100.7", 0, "https", NULL, 0, 1, "::ffff:198.51.100.7"},
      /* A trusted proxy forwarding HTTPS: accepted, client from X-Forwarded-For. */
      {"10.1.2.3", 0, "https", "203.0.113.9", 1, 0, "203.0.113.9"},
      {"10.1.2.3", 0, "HTTPS", NULL, 1, 0, "10.1.2.3"},
      {"10.1.2.3", 0, "http, https", "203.0.113.9", 1, 0, "203.0.113.9"}, /* the last hop counts */
      {"10.1.2.3", 0, "https, http", "203.0.113.9", 0, 1, "203.0.113.9"},
      {"::ffff:10.1.2.3", 0, "https", NULL, 1, 0, "::ffff:10.1.2.3"},
      /* ... forwarding plain HTTP, or saying nothing: refused. */
      {"10.1.2.3", 0, "http", "203.0.113.9", 0, 1, "203.0.113.9"},
      {"10.1.2.3", 0, NULL, NULL, 0, 1, "10.1.2.3"},
      {"10.1.2.3", 0, "", NULL, 0, 1, "10.1.2.3"},
      {"10.1.2.3", 0, "httpsx", NULL, 0, 1, "10.1.2.3"},
      /* X-Forwarded-For: the right-most address that is not one of our proxies;
       * what the client wrote to the left of it is not believed. */
      {"10.1.2.3", 0, "https", "6.6.6.6, 203.0.113.9", 1, 0, "203.0.113.9"},
      {"10.1.2.3", 0, "https", "6.6.6.6, 203.0.113.9, 10.1.9.9", 1, 0, "203.0.113.9"},
      {"10.1.2.3", 0, "https", "10.1.0.1, 10.1.9.9", 1, 0, "10.1.0.1"},
      {"10.1.2.3", 0, "https", "203.0.113.9, junk", 1, 0, "10.1.2.3"},
      {"10.1.2.3", 0, "https", " 2001:db8::7 ", 1, 0, "2001:db8::7"},
      {"10.1.2.3", 0, "https", "", 1, 0, "10.1.2.3"},
      {"10.1.2.3", 0, "https", ",,,", 1, 0, "10.1.2.3"},
      /* A trusted proxy on loopback forwarding plain HTTP: loopback peers are always served. */
      {"127.0.0.5", 0, "http", "203.0.113.9", 0, 0, "203.0.113.9"},
      {"127.0.0.5", 0, "https", "203.0.113.9", 1, 0, "203.0.113.9"},
      /* The peer address could not be read. */
      {"unknown", 0, NULL, NULL, 0, 1, "unknown"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    const row *w = &rows[i];
    gh_transport_in in = {w->peer, w->tls, w->xfp, w->xff, &trusted};
    gh_transport_out out;
    gh_transport_decide(&in, &out);
    print_message("row %zu: %s tls=%d xfp=%s xff=%s\n", i, w->peer, w->tls, w->xfp ? w->xfp : "-",
                  w->xff ? w->xff : "-");
    assert_int_equal(out.https, w->https);
    assert_int_equal(out.refuse, w->refuse);
    assert_string_equal(out.client_ip, w->client);
  }
  /* No trusted proxies at all: a 10.1.x peer is just another client. */
  gh_transport_in in = {"10.1.2.3", 0, "https", "203.0.113.9", NULL};
  gh_transport_out out;
  gh_transport_decide(&in, &out);
  assert_false(out.https);
  assert_true(out.refuse);
  assert_string_equal(out.client_ip, "10.1.2.3");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cidr_parsing),
      cmocka_unit_test(loopback),
      cmocka_unit_test(decisions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
