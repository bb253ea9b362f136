/* body.h: request body checks of the contract (api.md, "Conventions").
 *
 * Content type (415), JSON syntax, UTF-8, U+0000, depth over 64, unknown
 * fields and field types (400 with `param`). Parsing is jansson's; this
 * module only applies the contract's rules on top. */
#ifndef GH_BODY_H
#define GH_BODY_H
#include <jansson.h>
#include <stddef.h>

#include "http/request.h"

#define GH_BODY_MAX (1024 * 1024)
#define GH_JSON_MAX_DEPTH 64

/* True if the Content-Type value is application/json (parameters allowed). */
int gh_body_is_json_type(const char *content_type);

/* Parses and validates body against fields. On success *out owns the
 * object (an empty object for an empty body). On failure returns
 * GH_ERR_INVALID_REQUEST and fills param (may stay empty) and message. */
gh_status gh_body_parse(const char *body, size_t len, const gh_field *fields, json_t **out, char *param,
                        size_t param_size, char *message, size_t message_size);

/* Depth of nested arrays/objects (a scalar is 0). */
int gh_json_depth(const json_t *v);

#endif
