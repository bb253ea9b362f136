/* static.h: the admin panel's files (web/), compiled into the binary by
 * scripts/embed-files.sh and served by one handler from the route table.
 *
 * Only the embedded files are ever served: the handler looks the request
 * path up in the embedded table (flat names, no '/'), so no path can reach
 * the file system. "/" is index.html. Every answer carries the panel's
 * security headers (a strict Content-Security-Policy, X-Frame-Options DENY,
 * Referrer-Policy no-referrer); the dispatcher adds Request-Id,
 * Cache-Control: no-store and X-Content-Type-Options: nosniff to every
 * response, these included. */
#ifndef GH_STATIC_H
#define GH_STATIC_H
#include "http/request.h"

/* The panel's Content-Security-Policy: no inline script or style, no eval,
 * no framing, requests only to this origin. */
#define GH_PANEL_CSP                                                                                                   \
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "                \
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/* GET handler of the panel's rows: 200 with the embedded file named by the
 * path ("/" → index.html), else 404 not_found. */
gh_status gh_static_serve(gh_req *r);

/* The embedded file of that name (e.g. "app.js"), or NULL; its length in
 * *len. For tests. */
const char *gh_static_find(const char *name, size_t *len);

/* Content-Type for a file name, by its extension. */
const char *gh_static_content_type(const char *name);

#endif
