/* fuzz_body.c: JSON request bodies through jansson and the contract's
 * validation (src/http/body.c), against the body schema of every route
 * that has one, including the second parse that names an integer beyond 64
 * bits. The first byte picks the route; the rest is the body. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "http/routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const gh_field *fields = NULL;
  for (int i = 0, want = data[0] % gh_routes_count; i < gh_routes_count && !fields; i++)
    fields = gh_routes[(want + i) % gh_routes_count].body;
  /* The server hands body.c a NUL-terminated copy. */
  char *body = malloc(size);
  if (!body) return 0;
  memcpy(body, data + 1, size - 1);
  body[size - 1] = '\0';
  json_t *out = NULL;
  char param[64], message[256];
  if (gh_body_parse(body, size - 1, fields, &out, param, sizeof param, message, sizeof message) == GH_OK) {
    if (!json_is_object(out)) abort(); /* the contract: a body is an object */
    json_decref(out);
  } else if (out) {
    abort(); /* failure must not hand out an object */
  } else if (!memchr(param, '\0', sizeof param) || !memchr(message, '\0', sizeof message)) {
    abort(); /* param (also an out-of-range integer's path) and message are terminated */
  }
  free(body);
  return 0;
}
