/* apidocs.h: the API reference served by the binary at /docs: the OpenAPI
 * description (docs/openapi.yaml) at /docs/openapi.yaml, and a page that
 * renders it with Swagger UI (the npm package swagger-ui-dist, copied from
 * node_modules and compiled in by scripts/embed-docs.sh: no CDN).
 *
 * Only the embedded files are ever served, by exact flat name, so no path
 * reaches the file system. A binary built without node_modules has no
 * renderer: /docs then says so and links the YAML. Every answer carries
 * the reference's security headers (apidocs.c says why its policy differs
 * from the panel's in one directive). */
#ifndef GH_APIDOCS_H
#define GH_APIDOCS_H
#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* The reference's Content-Security-Policy: scripts from this origin only
 * (no inline script, no eval); inline styles allowed (Swagger UI's React
 * components set style attributes); images also as data: URIs (its icons);
 * no framing. */
#define GH_APIDOCS_CSP                                                                                                 \
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "                   \
  "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "           \
  "form-action 'self'"

/* GET handler of the /docs rows: "/docs" is the page, "/docs/<name>" the
 * embedded file of that name; anything else 404 not_found. */
gh_status gh_apidocs_serve(gh_req *r);

/* The embedded file of that name (e.g. "openapi.yaml"), or NULL; its length
 * in *len. */
const char *gh_apidocs_find(const char *name, size_t *len);

/* Whether the renderer (swagger-ui-dist) was compiled in. */
bool gh_apidocs_rendered(void);

#endif
