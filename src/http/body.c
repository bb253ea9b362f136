/* body.c: JSON body validation (see body.h). */
#include "http/body.h"

#include "core/buf.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

int gh_body_is_json_type(const char *ct) {
  static const char want[] = "application/json";
  if (!ct) return 0;
  while (*ct == ' ' || *ct == '\t')
    ct++;
  if (strncasecmp(ct, want, sizeof want - 1)) return 0;
  ct += sizeof want - 1;
  while (*ct == ' ' || *ct == '\t')
    ct++;
  return *ct == '\0' || *ct == ';';
}

int gh_json_depth(const json_t *v) {
  int max = 0;
  if (json_is_object(v)) {
    const char *k;
    json_t *c;
    json_object_foreach((json_t *)v, k, c) {
      int d = gh_json_depth(c);
      if (d > max) max = d;
    }
    return max + 1;
  }
  if (json_is_array(v)) {
    size_t i;
    json_t *c;
    json_array_foreach(v, i, c) {
      int d = gh_json_depth(c);
      if (d > max) max = d;
    }
    return max + 1;
  }
  return 0;
}

static int type_ok(const json_t *v, const gh_field *f) {
  if (json_is_null(v)) return f->nullable;
  switch (f->type) {
  case GH_F_STRING: return json_is_string(v);
  case GH_F_INT: return json_is_integer(v);
  case GH_F_BOOL: return json_is_boolean(v);
  case GH_F_OBJECT: return json_is_object(v);
  case GH_F_ARRAY: return json_is_array(v);
  default: return 1;
  }
}

static gh_status fail(char *param, size_t psz, const char *pname, char *msg, size_t msz, const char *text) {
  gh_buf_copy(param, psz, pname); /* NULL: "" */
  gh_buf_copy(msg, msz, text);
  return GH_ERR_INVALID_REQUEST;
}

gh_status gh_body_parse(const char *body, size_t len, const gh_field *fields, json_t **out, char *param, size_t psz,
                        char *msg, size_t msz) {
  *out = NULL;
  param[0] = '\0';
  json_t *v;
  if (len == 0) {
    v = json_object();
  } else {
    json_error_t err;
    /* jansson rejects invalid UTF-8, \u0000 and raw NUL bytes unless told
     * otherwise, and caps nesting at 2048; depth 64 is checked below. */
    v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (!v) return fail(param, psz, NULL, msg, msz, "The request body is not valid JSON.");
  }
  if (!json_is_object(v)) {
    json_decref(v);
    return fail(param, psz, NULL, msg, msz, "The request body must be a JSON object.");
  }
  if (gh_json_depth(v) > GH_JSON_MAX_DEPTH) {
    json_decref(v);
    return fail(param, psz, NULL, msg, msz, "The request body is nested more than 64 levels deep.");
  }
  const char *key;
  json_t *val;
  json_object_foreach(v, key, val) {
    const gh_field *f = NULL;
    for (const gh_field *g = fields; g && g->name; g++)
      if (!strcmp(g->name, key)) f = g;
    if (!f) {
      gh_status s = fail(param, psz, key, msg, msz, "Unknown field.");
      json_decref(v);
      return s;
    }
    if (!type_ok(val, f)) {
      gh_status s = fail(param, psz, key, msg, msz, "The field has the wrong type.");
      json_decref(v);
      return s;
    }
  }
  for (const gh_field *g = fields; g && g->name; g++) {
    if (g->required && !json_object_get(v, g->name)) {
      gh_status s = fail(param, psz, g->name, msg, msz, "A required field is missing.");
      json_decref(v);
      return s;
    }
  }
  *out = v;
  return GH_OK;
}
