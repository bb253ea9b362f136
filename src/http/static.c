/* static.c: serves the embedded admin panel (see static.h). */
#include "http/static.h"

#include <stdlib.h>
#include <string.h>

#include "web_embed.h"

const char *gh_static_lookup(const gh_embedded_file *files, int n, const char *name, size_t *len) {
  if (!name || !*name || strchr(name, '/')) return NULL;
  for (int i = 0; i < n; i++) {
    if (files[i].name && !strcmp(files[i].name, name)) {
      if (len) *len = files[i].len;
      return files[i].data;
    }
  }
  return NULL;
}

const char *gh_static_find(const char *name, size_t *len) {
  return gh_static_lookup(gh_web_files, gh_web_files_count, name, len);
}

const char *gh_static_content_type(const char *name) {
  static const struct {
    const char *ext, *type;
  } types[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".json", "application/json; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".yaml", "application/yaml; charset=utf-8"},
  };
  const char *dot = name ? strrchr(name, '.') : NULL;
  if (dot)
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
      if (!strcmp(dot, types[i].ext)) return types[i].type;
  return "application/octet-stream";
}

gh_status gh_static_reply(gh_req *r, const char *name, const char *data, size_t len, const char *csp) {
  /* The dispatcher sends a body by its strlen() and frees it: a copy
   * (scripts/embed-files.sh refuses files with a NUL inside). */
  char *copy = malloc(len + 1);
  if (!copy) return GH_ERR_NOMEM;
  memcpy(copy, data, len);
  copy[len] = '\0';
  gh_req_add_header(r, "Content-Security-Policy", csp);
  gh_req_add_header(r, "X-Frame-Options", "DENY");
  gh_req_add_header(r, "Referrer-Policy", "no-referrer");
  return gh_req_reply_text(r, 200, gh_static_content_type(name), copy);
}

gh_status gh_static_serve(gh_req *r) {
  const char *path = r->path ? r->path : "";
  const char *name = !strcmp(path, "/") ? "index.html" : (path[0] == '/' ? path + 1 : NULL);
  size_t len = 0;
  const char *data = gh_static_find(name, &len);
  return data ? gh_static_reply(r, name, data, len, GH_PANEL_CSP) : GH_ERR_NOT_FOUND;
}
