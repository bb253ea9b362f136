/* routes.c: the route table and its matcher (see routes.h).
 *
 * Order of checks (api.md): the dispatcher in server.c applies, for the row
 * found here, credentials (auth), the org in the URL, the scope or role,
 * re-authentication for `sensitive` rows, then the body schema, and only
 * then calls the handler. A row with auth GH_AUTH_OPEN skips the
 * credential steps. */
#include "http/routes.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"

const gh_route gh_routes[] = {
    /* method, path, handler, auth, scope, sensitive, body */
    {"GET", "/healthz", gh_api_healthz, GH_AUTH_OPEN, 0, false, NULL},
    {"GET", "/readyz", gh_api_readyz, GH_AUTH_OPEN, 0, false, NULL},
    {"GET", "/metrics", gh_api_metrics, GH_AUTH_OPEN, 0, false, NULL},
    {"POST", "/v1/signup", gh_api_signup, GH_AUTH_OPEN, 0, false, gh_api_signup_body},
    {"POST", "/v1/auth/login", gh_api_login, GH_AUTH_OPEN, 0, false, gh_api_login_body},
    {"GET", "/v1/org", gh_api_org_get, GH_AUTH_ANY, 0, false, NULL},
};
const int gh_routes_count = sizeof gh_routes / sizeof *gh_routes;

/* Matches one pattern; fills params on success. */
static int match_path(const char *pattern, const char *path, char params[][GH_ID_MAX * 2], int *nparams) {
  int n = 0;
  const char *p = pattern, *s = path;
  while (*p && *s) {
    if (*p != '/' || *s != '/') return 0;
    p++, s++;
    const char *pe = strchr(p, '/'), *se = strchr(s, '/');
    size_t plen = pe ? (size_t)(pe - p) : strlen(p);
    size_t slen = se ? (size_t)(se - s) : strlen(s);
    if (plen && p[0] == '{') {
      if (slen == 0 || slen >= GH_ID_MAX * 2 || n >= GH_MAX_PATH_PARAMS) return 0;
      memcpy(params[n], s, slen);
      params[n][slen] = '\0';
      n++;
    } else if (plen != slen || memcmp(p, s, plen)) {
      return 0;
    }
    p += plen, s += slen;
  }
  if (*p || *s) return 0;
  *nparams = n;
  return 1;
}

gh_match gh_routes_find(const char *method, const char *path, const gh_route **route, char params[][GH_ID_MAX * 2],
                        int *nparams, char *allow, size_t allow_size) {
  gh_match m = GH_MATCH_NO_PATH;
  size_t used = 0;
  if (allow_size) allow[0] = '\0';
  for (int i = 0; i < gh_routes_count; i++) {
    char tmp[GH_MAX_PATH_PARAMS][GH_ID_MAX * 2];
    int n = 0;
    if (!match_path(gh_routes[i].path, path, tmp, &n)) continue;
    if (!strcmp(gh_routes[i].method, method)) {
      *route = &gh_routes[i];
      memcpy(params, tmp, sizeof tmp);
      *nparams = n;
      return GH_MATCH_OK;
    }
    m = GH_MATCH_NO_METHOD;
    if (used < allow_size) {
      int w = snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", gh_routes[i].method);
      if (w > 0) used += (size_t)w;
    }
  }
  return m;
}
