/* fuzz_routes.c: path routing (src/http/routes.c). Input: method, a NUL
 * byte, then the decoded path. Checks the invariants the dispatcher relies
 * on: a match fills at most GH_MAX_PATH_PARAMS NUL-terminated params, and
 * "no method" writes a terminated Allow list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 2);
  if (!buf) return 0;
  memcpy(buf, data, size);
  buf[size] = buf[size + 1] = '\0';
  const char *method = buf;
  const char *path = buf + strlen(buf) + (strlen(buf) < size ? 1 : 0);
  const gh_route *route = NULL;
  char params[GH_MAX_PATH_PARAMS][GH_ID_MAX * 2];
  int nparams = -1;
  char allow[128];
  allow[0] = 'x';
  gh_match m = gh_routes_find(method, path, size % 2 == 0, &route, params, &nparams, allow, sizeof allow);
  if (m == GH_MATCH_OK) {
    if (!route || strcmp(route->method, method) || nparams < 0 || nparams > GH_MAX_PATH_PARAMS) abort();
    for (int i = 0; i < nparams; i++)
      if (!memchr(params[i], '\0', sizeof params[i]) || strchr(params[i], '/')) abort();
  } else if (m == GH_MATCH_NO_METHOD) {
    if (!memchr(allow, '\0', sizeof allow)) abort();
  }
  free(buf);
  return 0;
}
