/* test_core.c: unit tests of the pure modules of src/core, src/config and
 * src/http (status table, ids, text checks, settings parsing, JSON body
 * rules, route matching). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "audit/audit.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/rand.h"
#include "core/status.h"
#include "core/text.h"
#include "core/wipe.h"
#include <jansson.h>
#include <malloc.h>
#include "http/body.h"
#include "http/routes.h"

static void status_maps_to_contract(void **st) {
  (void)st;
  assert_int_equal(gh_status_http(GH_ERR_INVALID_REQUEST), 400);
  assert_string_equal(gh_status_code(GH_ERR_INVALID_REQUEST), "invalid_request");
  assert_int_equal(gh_status_http(GH_ERR_TOKEN_EXPIRED), 401);
  assert_string_equal(gh_status_code(GH_ERR_TOKEN_EXPIRED), "token_expired");
  assert_string_equal(gh_status_code(GH_ERR_ORG_MISMATCH), "org_mismatch");
  assert_int_equal(gh_status_http(GH_ERR_HEADERS_TOO_LARGE), 431);
  assert_string_equal(gh_status_code(GH_ERR_RATE_LIMITED), "rate_limit_exceeded");
  /* Internal causes never leak: they map onto the contract's 500/503. */
  assert_int_equal(gh_status_http(GH_ERR_DB), 500);
  assert_string_equal(gh_status_code(GH_ERR_DB), "internal_error");
  assert_int_equal(gh_status_http(GH_ERR_BUSY), 503);
  assert_string_equal(gh_status_code(GH_ERR_DB_DOWN), "unavailable");
  for (int s = GH_ERR_INVALID_REQUEST; s < GH_STATUS_COUNT; s++) {
    assert_non_null(gh_status_code((gh_status)s));
    assert_true(gh_status_http((gh_status)s) >= 400);
  }
  assert_null(gh_status_code(GH_OK));
}

static void ids_have_prefix_and_base62(void **st) {
  (void)st;
  char a[GH_ID_MAX], b[GH_ID_MAX];
  gh_id_new(a, "org_");
  gh_id_new(b, "org_");
  assert_int_equal(strlen(a), 4 + GH_ID_RANDOM_CHARS);
  assert_true(gh_id_valid(a, "org_"));
  assert_false(gh_id_valid(a, "usr_"));
  assert_string_not_equal(a, b);
  assert_false(gh_id_valid("org_", "org_"));
  assert_false(gh_id_valid("org_abc'--", "org_"));
  assert_false(gh_id_valid("org_abc def", "org_"));
  char tok[GH_TOKEN_MAX];
  gh_token_new(tok);
  assert_int_equal(strlen(tok), 43);
  for (const char *c = tok; *c; c++)
    assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *c));
  /* The shape a refresh cookie must have before it is looked up. */
  assert_true(gh_token_wellformed(tok));
  assert_true(gh_token_wellformed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-"));
  char bad[GH_TOKEN_MAX + 2];
  memcpy(bad, tok, sizeof tok);
  bad[42] = '\0'; /* 42 characters */
  assert_false(gh_token_wellformed(bad));
  memcpy(bad, tok, 43);
  bad[43] = 'A', bad[44] = '\0'; /* 44 */
  assert_false(gh_token_wellformed(bad));
  memcpy(bad, tok, 44);
  bad[10] = '='; /* not base64url */
  assert_false(gh_token_wellformed(bad));
  bad[10] = '+';
  assert_false(gh_token_wellformed(bad));
  assert_false(gh_token_wellformed(""));
  assert_false(gh_token_wellformed(NULL));
  assert_false(gh_token_wellformed("x"));
}

static void email_and_names(void **st) {
  (void)st;
  assert_true(gh_text_is_email("a@b.co"));
  assert_true(gh_text_is_email("first.last+tag@sub.example.org"));
  assert_false(gh_text_is_email("a@b"));
  assert_false(gh_text_is_email("@b.co"));
  assert_false(gh_text_is_email("a@@b.co"));
  assert_false(gh_text_is_email("a b@c.co"));
  assert_false(gh_text_is_email("' OR 1=1 --"));
  /* Ordinary addresses: subdomains, plus-addressing, dots and hyphens. */
  assert_true(gh_text_is_email("first.last@example.com"));
  assert_true(gh_text_is_email("user+tag@mail.example.co.uk"));
  assert_true(gh_text_is_email("x@my-host.example"));
  /* No empty label in the domain: leading, doubled or trailing dot. */
  assert_false(gh_text_is_email("a@..com"));
  assert_false(gh_text_is_email("a@.com"));
  assert_false(gh_text_is_email("a@.b.co"));
  assert_false(gh_text_is_email("a@b..co"));
  assert_false(gh_text_is_email("a@b.co."));
  assert_false(gh_text_is_email("a@b."));
  assert_false(gh_text_is_email("a@."));
  assert_false(gh_text_is_email("a@"));
  assert_false(gh_text_is_email(NULL));
  assert_true(gh_text_is_name("Acme Inc.", 200));
  assert_false(gh_text_is_name("", 200));
  assert_false(gh_text_is_name("tab\there", 200));
  assert_false(gh_text_is_name("abc", 2));
  char out[16];
  gh_text_log_safe("/v1/\x01\xff%", out, sizeof out);
  assert_string_equal(out, "/v1/%01%FF%25");
  gh_text_log_safe("/a-very-long-path", out, 8);
  assert_true(strlen(out) < 8);
  char low[16];
  gh_text_lower("MiXeD@X.CO", low, sizeof low);
  assert_string_equal(low, "mixed@x.co");
}

/* Integer query parameters (?limit): ASCII digits only, bounded. */
static void unsigned_integers(void **st) {
  (void)st;
  unsigned long v = 0;
  assert_true(gh_text_uint("5", 100, &v));
  assert_int_equal(v, 5);
  assert_true(gh_text_uint("100", 100, &v));
  assert_int_equal(v, 100);
  assert_true(gh_text_uint("0", 100, &v));
  assert_int_equal(v, 0);
  assert_true(gh_text_uint("007", 100, &v));
  assert_int_equal(v, 7);
  v = 42;
  assert_false(gh_text_uint("101", 100, &v));
  assert_false(gh_text_uint("+5", 100, &v));
  assert_false(gh_text_uint(" 5", 100, &v));
  assert_false(gh_text_uint("5 ", 100, &v));
  assert_false(gh_text_uint("-0", 100, &v));
  assert_false(gh_text_uint("-5", 100, &v));
  assert_false(gh_text_uint("0x10", 100, &v));
  assert_false(gh_text_uint("1.5", 100, &v));
  assert_false(gh_text_uint("", 100, &v));
  assert_false(gh_text_uint(NULL, 100, &v));
  assert_false(gh_text_uint("\xd9\xa5", 100, &v)); /* ARABIC-INDIC DIGIT FIVE */
  assert_false(gh_text_uint("99999999999999999999999", 100, &v));
  assert_int_equal(v, 42); /* untouched on failure */
  assert_true(gh_text_uint("18446744073709551615", 18446744073709551615ul, &v));
  assert_true(v == 18446744073709551615ul);
  assert_false(gh_text_uint("18446744073709551616", 18446744073709551615ul, &v));
  assert_true(gh_text_uint("9", 9, &v));
  assert_false(gh_text_uint("10", 9, &v));
}

static void listen_and_rate_settings(void **st) {
  (void)st;
  char *host = NULL;
  int port = -1;
  assert_int_equal(gh_config_parse_listen("127.0.0.1:8080", &host, &port), 0);
  assert_string_equal(host, "127.0.0.1");
  assert_int_equal(port, 8080);
  free(host);
  assert_int_equal(gh_config_parse_listen("[::1]:0", &host, &port), 0);
  assert_string_equal(host, "::1");
  assert_int_equal(port, 0);
  free(host);
  assert_int_not_equal(gh_config_parse_listen("localhost", &host, &port), 0);
  assert_int_not_equal(gh_config_parse_listen("h:70000", &host, &port), 0);
  assert_int_not_equal(gh_config_parse_listen(":80", &host, &port), 0);
  gh_config c;
  memset(&c, 0, sizeof c);
  assert_int_equal(gh_config_parse_rate_limits("key=5/10,session=2/4", &c), 0);
  assert_int_equal(c.key_rate, 5);
  assert_int_equal(c.key_burst, 10);
  assert_int_equal(c.session_rate, 2);
  assert_int_equal(c.session_burst, 4);
  assert_false(c.rate_limits_off);
  assert_int_equal(gh_config_parse_rate_limits("off", &c), 0);
  assert_true(c.rate_limits_off);
  assert_int_not_equal(gh_config_parse_rate_limits("key=0/10", &c), 0);
  assert_int_not_equal(gh_config_parse_rate_limits("bogus=1/1", &c), 0);
  assert_int_not_equal(gh_config_parse_rate_limits("key=1", &c), 0);
}

static const gh_field fields[] = {
    {"email", GH_F_STRING, true, false},
    {"n", GH_F_INT, false, false},
    {"data", GH_F_OBJECT, false, true},
    {0},
};

static char last_msg[128];

static gh_status parse(const char *body, char *param) {
  json_t *v = NULL;
  gh_status s = gh_body_parse(body, strlen(body), fields, &v, param, 64, last_msg, sizeof last_msg);
  json_decref(v);
  return s;
}

/* An integer beyond 64 bits is refused by jansson while it parses; the 400
 * still names the field that held it, nested fields as elsewhere. */
static void json_huge_integers(void **st) {
  (void)st;
  char param[64];
  assert_int_equal(parse("{\"email\":\"a\",\"n\":9223372036854775807}", param), GH_OK);
  assert_int_equal(parse("{\"email\":\"a\",\"n\":-9223372036854775808}", param), GH_OK);
  assert_int_equal(parse("{\"email\":\"a\",\"n\":9223372036854775808}", param), GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "n");
  assert_non_null(strstr(last_msg, "out of range"));
  assert_int_equal(parse("{\"n\":-99999999999999999999,\"email\":\"a\"}", param), GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "n");
  /* Nested: keys joined by ".", array items as [i]; the first one wins. */
  assert_int_equal(
      parse("{\"email\":\"a\",\"data\":{\"x\":[1, 99999999999999999999]},\"n\":99999999999999999999}", param),
      GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "data.x[1]");
  /* A wrongly typed field too: the number is named, whatever its type. */
  assert_int_equal(parse("{\"email\":99999999999999999999}", param), GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "email");
  /* Beyond a double's range as well (5000 digits), and two of them. */
  char *big = malloc(12000);
  int o = snprintf(big, 12000, "{\"email\":\"a\",\"n\":1");
  memset(big + o, '0', 5000);
  o += 5000;
  o += snprintf(big + o, (size_t)(12000 - o), ",\"data\":{\"m\":1");
  memset(big + o, '0', 5000);
  o += 5000;
  snprintf(big + o, (size_t)(12000 - o), "}}");
  assert_int_equal(parse(big, param), GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "n");
  free(big);
  /* Every other parse error stays "not valid JSON", without a param. */
  assert_int_equal(parse("{\"email\":\"a\",\"n\":99999999999999999999,}", param), GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "");
  assert_non_null(strstr(last_msg, "not valid JSON"));
  assert_int_equal(parse("{\"email\":\"a\",\"n\":1e999}", param), GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "");
  assert_int_equal(parse("[99999999999999999999]", param), GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "");
  /* The client's own copy of the marker string: no guess, no param. */
  assert_int_equal(parse("{\"email\":\"\\u0001gh\\u0001\",\"n\":99999999999999999999}", param), GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "");
}

static void json_body_rules(void **st) {
  (void)st;
  char param[64];
  assert_int_equal(parse("{\"email\":\"a@b.co\"}", param), GH_OK);
  assert_int_equal(parse("{\"email\":\"a@b.co\",\"data\":null}", param), GH_OK);
  assert_int_equal(parse("{\"email\":\"a@b.co\",\"n\":\"1\"}", param), GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "n");
  assert_int_equal(parse("{\"email\":\"a@b.co\",\"expires_att\":1}", param), GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "expires_att");
  assert_int_equal(parse("{}", param), GH_ERR_INVALID_REQUEST);
  assert_string_equal(param, "email");
  assert_int_equal(parse("[]", param), GH_ERR_INVALID_REQUEST);
  assert_int_equal(parse("{\"email\":", param), GH_ERR_INVALID_REQUEST);
  assert_int_equal(parse("{\"email\":\"a\\u0000b\"}", param), GH_ERR_INVALID_REQUEST);
  assert_int_equal(parse("{\"email\":\"\xff\xfe\"}", param), GH_ERR_INVALID_REQUEST);
  assert_int_equal(parse("{\"email\":\"a\",\"email\":\"b\"}", param), GH_ERR_INVALID_REQUEST);
  /* Depth: 64 levels allowed, 65 refused, 10 000 refused by the parser. */
  char deep[400];
  size_t o = 0;
  o += (size_t)snprintf(deep + o, sizeof deep - o, "{\"email\":\"a\",\"data\":");
  for (int i = 0; i < 63; i++)
    deep[o++] = '[';
  for (int i = 0; i < 63; i++)
    deep[o++] = ']';
  deep[o++] = '}';
  deep[o] = '\0';
  assert_int_equal(parse(deep, param), GH_ERR_INVALID_REQUEST); /* 1 + 1 + 63 = 65 levels */
  o = (size_t)snprintf(deep, sizeof deep, "{\"email\":\"a\",\"data\":");
  for (int i = 0; i < 62; i++)
    deep[o++] = '[';
  for (int i = 0; i < 62; i++)
    deep[o++] = ']';
  deep[o++] = '}';
  deep[o] = '\0';
  assert_int_equal(parse(deep, param), GH_ERR_INVALID_REQUEST); /* data must be an object */
  char *huge = malloc(20003);
  memset(huge, '[', 10000);
  memset(huge + 10000, ']', 10000);
  huge[20000] = '\0';
  assert_int_equal(parse(huge, param), GH_ERR_INVALID_REQUEST);
  free(huge);
  assert_true(gh_body_is_json_type("application/json"));
  assert_true(gh_body_is_json_type("Application/JSON; charset=utf-8"));
  assert_false(gh_body_is_json_type("application/jsonx"));
  assert_false(gh_body_is_json_type("text/plain"));
  assert_false(gh_body_is_json_type(NULL));
}

static void json_depth(void **st) {
  (void)st;
  json_t *v = json_loads("{\"a\":[{\"b\":[]}]}", 0, NULL);
  assert_int_equal(gh_json_depth(v), 4);
  json_decref(v);
}

/* A block that held a secret is zeroed whole (not just the length its
 * user wrote) before it is freed, and jansson frees through that. */
static void wiping(void **st) {
  (void)st;
  unsigned char *p = malloc(100);
  assert_non_null(p);
  size_t usable = malloc_usable_size(p);
  assert_true(usable >= 100);
  memset(p, 0xAA, usable);
  gh_wipe(p);
  for (size_t i = 0; i < usable; i++)
    assert_int_equal(p[i], 0);
  gh_wipe_free(p);
  gh_wipe(NULL);
  gh_wipe_free(NULL);
  json_malloc_t m = NULL;
  json_free_t f = NULL;
  gh_wipe_json_allocator();
  json_get_alloc_funcs(&m, &f);
  assert_ptr_equal(f, gh_wipe_free);
  assert_ptr_equal(m, malloc);
  json_t *j = json_pack("{s:s}", "password", "correct horse battery staple");
  assert_non_null(j);
  json_decref(j);
}

static void route_matching(void **st) {
  (void)st;
  const gh_route *r = NULL;
  char params[GH_MAX_PATH_PARAMS][GH_ID_MAX * 2];
  int n = -1;
  char allow[64];
  assert_int_equal(gh_routes_find("GET", "/healthz", false, &r, params, &n, allow, sizeof allow), GH_MATCH_OK);
  assert_string_equal(r->path, "/healthz");
  assert_int_equal(gh_routes_find("DELETE", "/healthz", false, &r, params, &n, allow, sizeof allow),
                   GH_MATCH_NO_METHOD);
  assert_string_equal(allow, "GET");
  assert_int_equal(gh_routes_find("GET", "/v1/signup", false, &r, params, &n, allow, sizeof allow), GH_MATCH_NO_METHOD);
  assert_string_equal(allow, "POST");
  assert_int_equal(gh_routes_find("GET", "/healthz/", false, &r, params, &n, allow, sizeof allow), GH_MATCH_NO_PATH);
  assert_int_equal(gh_routes_find("GET", "/nope", false, &r, params, &n, allow, sizeof allow), GH_MATCH_NO_PATH);
  assert_int_equal(gh_routes_find("GET", "", false, &r, params, &n, allow, sizeof allow), GH_MATCH_NO_PATH);
  /* Under /v1/orgs/{org_id}/ only routes with an org form exist: a route
   * without one is no path there by any method (not 405 with an Allow of
   * methods that would then be 404). */
  assert_int_equal(gh_routes_find("GET", "/v1/leads", true, &r, params, &n, allow, sizeof allow), GH_MATCH_OK);
  assert_true(r->org_path);
  assert_int_equal(gh_routes_find("PUT", "/v1/leads", true, &r, params, &n, allow, sizeof allow), GH_MATCH_NO_METHOD);
  assert_string_equal(allow, "GET, POST");
  assert_int_equal(gh_routes_find("GET", "/v1/users", true, &r, params, &n, allow, sizeof allow), GH_MATCH_NO_PATH);
  assert_int_equal(gh_routes_find("DELETE", "/v1/users", true, &r, params, &n, allow, sizeof allow), GH_MATCH_NO_PATH);
  assert_int_equal(gh_routes_find("DELETE", "/v1/users", false, &r, params, &n, allow, sizeof allow),
                   GH_MATCH_NO_METHOD);
  /* Every route is well formed: a known method and an absolute path. */
  for (int i = 0; i < gh_routes_count; i++) {
    assert_true(gh_routes[i].path[0] == '/');
    assert_non_null(gh_routes[i].handler);
    assert_non_null(strstr("GET POST PATCH DELETE PUT", gh_routes[i].method));
  }
}

/* Header text stored in the audit log: valid UTF-8 kept, invalid bytes and
 * control characters dropped, cut on a character boundary. */
static void text_builder(void **st) {
  (void)st;
  char mem[16];
  gh_buf b;
  gh_buf_init(&b, mem, sizeof mem);
  assert_string_equal(mem, "");
  gh_buf_str(&b, "n=");
  gh_buf_int(&b, -42);
  gh_buf_char(&b, ' ');
  gh_buf_uint_padded(&b, 7, 3);
  gh_buf_str(&b, NULL);
  assert_string_equal(mem, "n=-42 007");
  assert_false(b.cut);
  assert_int_equal(b.len, strlen(mem));
  gh_buf_int(&b, -9223372036854775807LL - 1); /* LLONG_MIN: cut to fit */
  assert_true(b.cut);
  assert_int_equal(strlen(mem), sizeof mem - 1);
  assert_string_equal(mem, "n=-42 007-92233");
  gh_buf_init(&b, mem, sizeof mem);
  gh_buf_int(&b, 0);
  gh_buf_uint_padded(&b, 123456, 2); /* width is a minimum */
  assert_string_equal(mem, "0123456");
  char small[4];
  assert_int_equal(gh_buf_copy(small, sizeof small, "abcdef"), 6); /* >= size: cut */
  assert_string_equal(small, "abc");
  assert_int_equal(gh_buf_copy(small, sizeof small, NULL), 0);
  assert_string_equal(small, "");
}

static void audit_text_cleaning(void **st) {
  (void)st;
  char out[8];
  gh_audit_clean_text("abc", out, sizeof out);
  assert_string_equal(out, "abc");
  gh_audit_clean_text("a\xfc\x7f\tb\xc3", out, sizeof out); /* latin1, DEL, TAB, truncated sequence */
  assert_string_equal(out, "ab");
  gh_audit_clean_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", out, sizeof out); /* 8 bytes into 7 + NUL */
  assert_string_equal(out, "\xc3\xa9\xc3\xa9\xc3\xa9");
  gh_audit_clean_text("\xe2\x82\xac\xf0\x9f\x98\x80", out, sizeof out); /* euro sign (3) + emoji (4) */
  assert_string_equal(out, "\xe2\x82\xac\xf0\x9f\x98\x80");
  gh_audit_clean_text("\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80x", out, sizeof out); /* overlong, surrogate, >U+10FFFF */
  assert_string_equal(out, "x");
  gh_audit_clean_text(NULL, out, sizeof out);
  assert_string_equal(out, "");
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(status_maps_to_contract),
      cmocka_unit_test(ids_have_prefix_and_base62),
      cmocka_unit_test(email_and_names),
      cmocka_unit_test(listen_and_rate_settings),
      cmocka_unit_test(json_body_rules),
      cmocka_unit_test(json_huge_integers),
      cmocka_unit_test(unsigned_integers),
      cmocka_unit_test(json_depth),
      cmocka_unit_test(wiping),
      cmocka_unit_test(route_matching),
      cmocka_unit_test(audit_text_cleaning),
      cmocka_unit_test(text_builder),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
