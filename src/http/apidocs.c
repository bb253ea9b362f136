/* apidocs.c: the API reference at /docs (see apidocs.h). */
#include "http/apidocs.h"

#include <string.h>

#include "docs_embed.h"
#include "http/static.h"

#define PREFIX "/docs/"
#define RENDERER "swagger-ui-bundle.js"

const char *gh_apidocs_find(const char *name, size_t *len) {
  return gh_static_lookup(gh_docs_files, gh_docs_files_count, name, len);
}

bool gh_apidocs_rendered(void) { return gh_apidocs_find(RENDERER, NULL) != NULL; }

gh_status gh_apidocs_serve(gh_req *r) {
  const char *path = r->path ? r->path : "";
  const char *name = NULL;
  /* Without the renderer the page would load a script that is not there:
   * serve the page that says so instead. */
  if (!strcmp(path, "/docs"))
    name = gh_apidocs_rendered() ? "index.html" : "unbuilt.html";
  else if (!strncmp(path, PREFIX, sizeof PREFIX - 1))
    name = path + sizeof PREFIX - 1;
  size_t len = 0;
  const char *data = gh_apidocs_find(name, &len);
  return data ? gh_static_reply(r, name, data, len, GH_APIDOCS_CSP) : GH_ERR_NOT_FOUND;
}
