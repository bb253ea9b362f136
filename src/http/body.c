/* body.c: JSON body validation (see body.h). */
#include "http/body.h"

#include "core/buf.h"
#include "core/wipe.h"
#include <stdio.h>
#include <stdlib.h>
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

/* ---- integers beyond 64 bits -------------------------------------------
 *
 * jansson refuses an integer literal that does not fit json_int_t while it
 * parses ("too big integer", "too big negative integer"), so the document
 * never exists as a tree and the error says nothing about which field held
 * the number. To name it, a copy of the body is parsed again with that
 * literal replaced, in place and at the same length, by a marker string
 * (error.position is just past the literal; an integer beyond 64 bits has
 * at least 19 characters, the marker fewer), then the marker is looked up
 * in the tree. The second parse uses JSON_DECODE_INT_AS_REAL so that other
 * such integers in the same body need no pass of their own; a literal
 * beyond even a double's range is blanked to 0 and the copy parsed again,
 * at most OVERFLOW_PASSES times. A copy that still does not parse for
 * another reason leaves the answer as it was: not valid JSON. */

#define OVERFLOW_PASSES 4
/* "\u0001gh\u0001" in JSON text (16 bytes) and as the decoded string. */
static const char marker_json[] = "\"\\u0001gh\\u0001\"";
static const char marker[] = "\x01gh\x01";

/* True when jansson refused an integer literal as too large either way. */
static int int_overflow(const json_error_t *e) {
  return json_error_code(e) == json_error_numeric_overflow && !strncmp(e->text, "too big ", 8);
}

/* The number literal that ends at offset end of text: its first byte, or
 * -1 when the bytes there are not a number's. */
static long literal_start(const char *text, size_t end) {
  size_t i = end;
  while (i > 0 && text[i - 1] && strchr("0123456789+-.eE", text[i - 1]))
    i--;
  return i < end ? (long)i : -1;
}

/* Overwrites text[from, to) with with, then spaces. */
static void overwrite(char *text, size_t from, size_t to, const char *with) {
  size_t n = strlen(with);
  memcpy(text + from, with, n);
  memset(text + from + n, ' ', to - from - n);
}

typedef struct {
  char path[256]; /* of the marker, once found */
  int found;      /* how many markers were seen */
} marker_search;

/* Walks v (whose path so far is path, len bytes) for the marker string. */
static void find_marker(const json_t *v, char *path, size_t len, marker_search *m) {
  if (json_is_string(v)) {
    if (json_string_length(v) == sizeof marker - 1 && !memcmp(json_string_value(v), marker, sizeof marker - 1) &&
        m->found++ == 0)
      gh_buf_copy(m->path, sizeof m->path, path);
    return;
  }
  size_t room = sizeof m->path - len;
  if (json_is_object(v)) {
    const char *k;
    json_t *c;
    json_object_foreach((json_t *)v, k, c) {
      int w = snprintf(path + len, room, len ? ".%s" : "%s", k);
      find_marker(c, path, w < 0 || (size_t)w >= room ? sizeof m->path - 1 : len + (size_t)w, m);
      path[len] = '\0';
    }
  } else if (json_is_array(v)) {
    size_t i;
    json_t *c;
    json_array_foreach(v, i, c) {
      int w = snprintf(path + len, room, "[%zu]", i);
      find_marker(c, path, w < 0 || (size_t)w >= room ? sizeof m->path - 1 : len + (size_t)w, m);
      path[len] = '\0';
    }
  }
}

/* body failed to parse with err, an integer overflow: writes the path of
 * that integer (keys joined by ".", array items as "[i]", as every other
 * param) into param and returns 1; 0 when it cannot be named. */
static int overflow_path(const char *body, size_t len, const json_error_t *err, char *param, size_t psz) {
  long start = (size_t)err->position <= len ? literal_start(body, (size_t)err->position) : -1;
  if (start < 0 || (size_t)err->position - (size_t)start < sizeof marker_json - 1) return 0;
  char *copy = malloc(len);
  if (!copy) return 0;
  memcpy(copy, body, len);
  overwrite(copy, (size_t)start, (size_t)err->position, marker_json);
  json_t *v = NULL;
  for (int pass = 0; pass < OVERFLOW_PASSES && !v; pass++) {
    json_error_t e;
    v = json_loadb(copy, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &e);
    if (v) break;
    /* Only another number too large even for a double is worth a pass. */
    long at = json_error_code(&e) == json_error_numeric_overflow && (size_t)e.position <= len
                  ? literal_start(copy, (size_t)e.position)
                  : -1;
    if (at < 0) break;
    overwrite(copy, (size_t)at, (size_t)e.position, "0");
  }
  gh_wipe_free(copy); /* a copy of a body, which may hold a password */
  if (!v) return 0;
  marker_search m = {.found = 0};
  char path[sizeof m.path] = "";
  if (json_is_object(v)) find_marker(v, path, 0, &m);
  json_decref(v);
  /* The client's own copy of the marker makes it ambiguous: say nothing. */
  if (m.found != 1) return 0;
  gh_buf_copy(param, psz, m.path);
  return 1;
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
    if (!v && int_overflow(&err) && overflow_path(body, len, &err, param, psz)) {
      gh_buf_copy(msg, msz, "The number is out of range (beyond 64-bit integers).");
      return GH_ERR_INVALID_REQUEST;
    }
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
