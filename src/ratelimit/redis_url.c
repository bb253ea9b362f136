/* redis_url.c: the REDIS_URL parser (see redis_url.h). Strict on purpose: a
 * URL that is read differently than the operator meant (another db, no
 * password) would silently split or merge deployments' limits. */
#include "ratelimit/redis_url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define SCHEME "redis://"
#define MAX_URL 2048
#define MAX_DB 1000000

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..n) into a new string; NULL on a bad escape, an
 * encoded NUL, or out of memory. */
static char *decode(const char *s, size_t n) {
  char *out = malloc(n + 1);
  if (!out) return NULL;
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') {
      out[j++] = s[i];
      continue;
    }
    int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
    int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
      sodium_memzero(out, n + 1);
      free(out);
      return NULL;
    }
    out[j++] = (char)(hi * 16 + lo);
    i += 2;
  }
  out[j] = '\0';
  return out;
}

/* Digits only, value in [lo, hi]. */
static int parse_num(const char *s, size_t n, long lo, long hi, int *out) {
  if (n == 0 || n > 7) return -1;
  long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  if (v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

static int host_char(char c) { return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_'; }

static gh_status fail(gh_redis_url *u, const char **why, const char *msg) {
  gh_redis_url_free(u);
  if (why) *why = msg;
  return GH_ERR_INVALID_REQUEST;
}

gh_status gh_redis_url_parse(const char *s, gh_redis_url *u, const char **why) {
  memset(u, 0, sizeof *u);
  u->port = 6379;
  if (!s || !*s) return fail(u, why, "empty");
  size_t len = strnlen(s, MAX_URL + 1);
  if (len > MAX_URL) return fail(u, why, "longer than 2048 characters");
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
      return fail(u, why, "contains a space, control or non-ASCII character");
  if (strncmp(s, SCHEME, strlen(SCHEME)) != 0) {
    if (!strncmp(s, "rediss://", 9)) return fail(u, why, "rediss:// (TLS) is not supported by this build's hiredis");
    return fail(u, why, "expected redis://[[user]:password@]host[:port][/db]");
  }
  const char *p = s + strlen(SCHEME), *end = s + len;
  if (memchr(p, '?', (size_t)(end - p)) || memchr(p, '#', (size_t)(end - p)))
    return fail(u, why, "query strings and fragments are not accepted");
  /* authority = up to the first '/' */
  const char *slash = memchr(p, '/', (size_t)(end - p));
  const char *auth_end = slash ? slash : end;
  /* userinfo = up to the last '@' of the authority (a password may hold an
   * unencoded '@'; the host never does). */
  const char *at = NULL;
  for (const char *q = p; q < auth_end; q++)
    if (*q == '@') at = q;
  const char *h = p;
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    if (!colon) return fail(u, why, "user without a password: expected user:password@ or :password@");
    if (colon + 1 == at) return fail(u, why, "empty password");
    if (colon > p && !(u->user = decode(p, (size_t)(colon - p))))
      return fail(u, why, "bad percent-encoding in the user name");
    if (!(u->password = decode(colon + 1, (size_t)(at - colon - 1))))
      return fail(u, why, "bad percent-encoding in the password");
    h = at + 1;
  }
  /* host[:port] */
  const char *hend, *port = NULL;
  if (h < auth_end && *h == '[') {
    const char *close = memchr(h, ']', (size_t)(auth_end - h));
    if (!close || close == h + 1) return fail(u, why, "bad bracketed IPv6 host");
    for (const char *q = h + 1; q < close; q++)
      if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.') return fail(u, why, "bad bracketed IPv6 host");
    u->host = strndup(h + 1, (size_t)(close - h - 1));
    hend = close + 1;
    if (hend < auth_end) {
      if (*hend != ':') return fail(u, why, "unexpected text after the host");
      port = hend + 1;
    }
  } else {
    hend = h;
    while (hend < auth_end && *hend != ':')
      hend++;
    if (hend == h) return fail(u, why, "missing host");
    for (const char *q = h; q < hend; q++)
      if (!host_char(*q)) return fail(u, why, "bad character in the host");
    u->host = strndup(h, (size_t)(hend - h));
    if (hend < auth_end) port = hend + 1;
  }
  if (!u->host) return fail(u, why, "out of memory");
  if (port && parse_num(port, (size_t)(auth_end - port), 1, 65535, &u->port))
    return fail(u, why, "port must be 1..65535");
  /* /db */
  if (slash && slash + 1 < end && parse_num(slash + 1, (size_t)(end - slash - 1), 0, MAX_DB, &u->db))
    return fail(u, why, "database must be a number 0..1000000 after the host");
  return GH_OK;
}

void gh_redis_url_free(gh_redis_url *u) {
  if (!u) return;
  if (u->password) {
    sodium_memzero(u->password, strlen(u->password));
    free(u->password);
  }
  free(u->user);
  free(u->host);
  memset(u, 0, sizeof *u);
}
