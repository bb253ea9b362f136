/* apidocs.c: the API reference at /docs (see apidocs.h). */
#include "http/apidocs.h"

#include <stdlib.h>
#include <string.h>

#include "docs_embed.h"

#define PREFIX "/docs/"
#define RENDERER "swagger-ui-bundle.js"

const char *gh_apidocs_find(const char *name, size_t *len) {
  if (!name || !*name || strchr(name, '/')) return NULL;
  for (int i = 0; i < gh_docs_files_count; i++) {
    if (gh_docs_files[i].name && !strcmp(gh_docs_files[i].name, name)) {
      if (len) *len = gh_docs_files[i].len;
      return gh_docs_files[i].data;
    }
  }
  return NULL;
}

bool gh_apidocs_rendered(void) { return gh_apidocs_find(RENDERER, NULL) != NULL; }

static const char *content_type(const char *name) {
  static const struct {
    const char *ext, *type;
  } types[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".yaml", "application/yaml; charset=utf-8"},
  };
  const char *dot = strrchr(name, '.');
  if (dot)
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
      if (!strcmp(dot, types[i].ext)) return types[i].type;
  return "application/octet-stream";
}

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
  if (!data) return GH_ERR_NOT_FOUND;
  /* The dispatcher sends a body by its strlen() and frees it: a copy
   * (scripts/embed-files.sh refuses files with a NUL inside). */
  char *copy = malloc(len + 1);
  if (!copy) return GH_ERR_NOMEM;
  memcpy(copy, data, len);
  copy[len] = '\0';
  gh_req_add_header(r, "Content-Security-Policy", GH_APIDOCS_CSP);
  gh_req_add_header(r, "X-Frame-Options", "DENY");
  gh_req_add_header(r, "Referrer-Policy", "no-referrer");
  return gh_req_reply_text(r, 200, content_type(name), copy);
}
