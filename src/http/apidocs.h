/* apidocs.h: the API reference served by the binary at /docs: the OpenAPI
 * description (docs/openapi.yaml) at /docs/openapi.yaml, and a page that
 * renders it with Swagger UI (the npm package swagger-ui-dist, copied from
 * node_modules and compiled in by scripts/embed-files.sh: no CDN).
 *
 * Only the embedded files are ever served, by exact flat name, so no path
 * reaches the file system. A binary built without node_modules has no
 * renderer: /docs then says so and links the YAML. Every answer carries
 * the reference's security headers. */
#ifndef GH_APIDOCS_H
#define GH_APIDOCS_H
#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* The reference's Content-Security-Policy, as strict as the panel's: scripts
 * and styles from this origin only (no inline script or style, no eval;
 * Swagger UI sets styles through the CSSOM, which CSP allows, and its one
 * `new Function` is a fallback for browsers without globalThis), images
 * also as data: URIs (its icons are inline SVG in swagger-ui.css), requests
 * to this origin only, no plugins, no framing. Checked in Chromium by
 * tests/browser/docs.test.mjs. */
#define GH_APIDOCS_CSP                                                                                                 \
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "                \
  "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/* GET handler of the /docs rows: "/docs" is the page, "/docs/<name>" the
 * embedded file of that name; anything else 404 not_found. */
gh_status gh_apidocs_serve(gh_req *r);

/* The embedded file of that name (e.g. "openapi.yaml"), or NULL; its length
 * in *len. */
const char *gh_apidocs_find(const char *name, size_t *len);

/* Whether the renderer (swagger-ui-dist) was compiled in. */
bool gh_apidocs_rendered(void);

#endif
