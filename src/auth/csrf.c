/* csrf.c: see csrf.h. */
#include "auth/csrf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/token.h"

static int unsafe(const char *m) {
  return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH") || !strcmp(m, "DELETE");
}

int gh_csrf_origin_ok(gh_req *r) {
  const char *origin = gh_req_header(r, "Origin"), *referer = origin ? NULL : gh_req_header(r, "Referer");
  return gh_csrf_origin_matches(origin, referer, r->https ? "https" : "http", gh_req_header(r, "Host"));
}

int gh_csrf_origin_matches(const char *origin, const char *referer, const char *scheme, const char *host) {
  if (!origin && !referer) return 1;
  if (!host) return 0;
  char own[300];
  int n = snprintf(own, sizeof own, "%s://%s", scheme, host);
  if (n < 0 || (size_t)n >= sizeof own) return 0;
  if (origin) return !strcmp(origin, own);
  /* A Referer of our own origin is the origin followed by "/" (or nothing). */
  return !strncmp(referer, own, (size_t)n) && (referer[n] == '/' || referer[n] == '\0');
}

gh_status gh_csrf_check(gh_req *r) {
  if (!unsafe(r->method)) return GH_OK;
  if (!gh_csrf_origin_ok(r)) return GH_ERR_CSRF_FAILED;
  const char *got = gh_req_header(r, "X-CSRF-Token");
  char want[GH_CSRF_MAX];
  gh_token_csrf(r->principal.credential_id, want);
  size_t n = strlen(want);
  int ok = got && strlen(got) == n && sodium_memcmp(got, want, n) == 0;
  sodium_memzero(want, sizeof want);
  return ok ? GH_OK : GH_ERR_CSRF_FAILED;
}
