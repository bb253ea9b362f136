/* fuzz_headers.c: the other header and setting parsers that see untrusted
 * text: Origin/Referer against Host (src/auth/csrf.c), RFC 3339 times
 * (query parameters, expires_at), email and name checks, integer query
 * parameters (gh_text_uint), the log-line
 * sanitiser, the GATEHOUSE_LISTEN / GATEHOUSE_RATE_LIMITS /
 * GATEHOUSE_TRUSTED_PROXIES parsers, and X-Forwarded-For/-Proto.
 * Input: up to three fields separated by NUL bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/csrf.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/text.h"
#include "http/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 3);
  if (!buf) return 0;
  memcpy(buf, data, size);
  buf[size] = buf[size + 1] = buf[size + 2] = '\0';
  const char *a = buf;
  const char *b = a + strlen(a) + 1;
  if (b > buf + size) b = buf + size;
  const char *c = b + strlen(b) + 1;
  if (c > buf + size + 1) c = buf + size + 1;

  gh_csrf_origin_matches(a, NULL, "https", b);
  gh_csrf_origin_matches(NULL, a, "http", *b ? b : NULL);

  int64_t t = 0;
  if (gh_rfc3339_parse(a, &t) == 0) { /* what parses must render and parse back the same */
    char out[32];
    gh_rfc3339(t, out);
    int64_t t2 = -1;
    if (gh_rfc3339_parse(out, &t2) != 0 || t2 != t) abort();
  }
  /* An accepted email has a domain of non-empty labels. */
  if (gh_text_is_email(a)) {
    const char *dom = strchr(a, '@') + 1;
    if (*dom == '.' || strstr(dom, "..") || dom[strlen(dom) - 1] == '.') abort();
  }
  /* ?limit and its like: digits only, within the bound. */
  unsigned long n = 0;
  if (gh_text_uint(a, 100, &n) && (n > 100 || !*a || strspn(a, "0123456789") != strlen(a))) abort();
  gh_text_is_name(b, 200);
  char safe[128];
  gh_text_log_safe(a, safe, sizeof safe);
  if (!memchr(safe, '\0', sizeof safe)) abort();
  char lower[64];
  gh_text_lower(c, lower, sizeof lower);

  char *host = NULL;
  int port = 0;
  if (gh_config_parse_listen(a, &host, &port) == 0 && (port < 0 || port > 65535)) abort();
  free(host);
  gh_config cfg;
  memset(&cfg, 0, sizeof cfg);
  gh_config_parse_rate_limits(b, &cfg);

  static gh_cidr_list trusted;
  static int have_trusted;
  if (!have_trusted++) gh_cidr_list_parse("10.0.0.0/8, 2001:db8::/32, 127.0.0.1", &trusted, NULL, 0);
  gh_cidr_list parsed;
  gh_cidr_list_parse(c, &parsed, lower, sizeof lower);
  gh_transport_in in = {"10.1.2.3", false, a, b, &trusted};
  gh_transport_out out;
  gh_transport_decide(&in, &out);
  if (!memchr(out.client_ip, '\0', sizeof out.client_ip) || (!out.https && !out.refuse)) abort();
  free(buf);
  return 0;
}
