/* mhd_errors.c: the contract's JSON body for errors libmicrohttpd raises
 * itself.
 *
 * For requests it cannot hand to us (a malformed request line, a header
 * section larger than the connection's memory, a bad Content-Length or
 * chunk) libmicrohttpd answers on its own with a fixed HTML page. The
 * contract wants the JSON error body, a Request-Id and a JSON content type
 * on every error. libmicrohttpd 0.9.75 has no hook for that, but it builds
 * those pages through its exported functions MHD_create_response_from_buffer
 * and MHD_queue_response, which the executable may interpose (ELF symbol
 * interposition; checked by the hostile-input e2e tests). We pass every call
 * through unchanged except those carrying one of its built-in HTML pages,
 * whose response we replace with the JSON error for the status it is queued
 * with. Our own code never sends HTML, so the "<html>" test is exact.
 *
 * That replacement cannot mend every built-in error: for a Content-Length
 * it cannot parse, 0.9.75 queues its 400/413 from its header parser and
 * then builds the response head a second time (the parser's caller
 * overwrites the state the error set), so the client read two header
 * blocks. Such a value is therefore hidden from look-ups
 * (MHD_lookup_connection_value_n, which the parser calls through the same
 * interposable symbol): libmicrohttpd reads no body and hands the request
 * to us, and check_head() in server.c refuses it from the header list
 * itself, closing the connection. */
#include <dlfcn.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/rand.h"
#include "core/text.h"
#include "http/server.h"

typedef struct MHD_Response *(*create_fn)(size_t, void *, enum MHD_ResponseMemoryMode);
typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);

/* The last built-in page created on this thread; libmicrohttpd queues it
 * right after creating it, on the same thread. */
static __thread struct MHD_Response *builtin_page;

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode) {
  static create_fn real;
  if (!real) real = (create_fn)dlsym(RTLD_NEXT, "MHD_create_response_from_buffer");
  struct MHD_Response *r = real(size, buffer, mode);
  if (r && buffer && size >= 6 && mode == MHD_RESPMEM_PERSISTENT && !memcmp(buffer, "<html>", 6)) builtin_page = r;
  return r;
}

typedef enum MHD_Result (*lookup_fn)(struct MHD_Connection *, enum MHD_ValueKind, const char *, size_t, const char **,
                                     size_t *);

/* What libmicrohttpd's own parser accepts as a Content-Length: all len
 * bytes digits (none a NUL), within 64 bits. */
static bool length_parses(const char *v, size_t len) {
  unsigned long n;
  return v && strlen(v) == len && gh_text_uint(v, ULONG_MAX, &n);
}

enum MHD_Result MHD_lookup_connection_value_n(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key,
                                              size_t key_size, const char **value_ptr, size_t *value_size_ptr) {
  static lookup_fn real;
  if (!real) real = (lookup_fn)dlsym(RTLD_NEXT, "MHD_lookup_connection_value_n");
  const char *v = NULL;
  size_t n = 0;
  enum MHD_Result found = real(c, kind, key, key_size, &v, &n);
  if (found == MHD_YES && (kind & MHD_HEADER_KIND) && key && key_size == sizeof MHD_HTTP_HEADER_CONTENT_LENGTH - 1 &&
      !strncasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH, key_size) && !length_parses(v, n))
    return MHD_NO;
  if (found == MHD_YES) {
    if (value_ptr) *value_ptr = v;
    if (value_size_ptr) *value_size_ptr = n;
  }
  return found;
}

static const char *code_for(unsigned status) {
  switch (status) {
  case 413: return "payload_too_large";
  case 414: return "uri_too_long";
  case 431: return "headers_too_large";
  case 500: return "internal_error";
  case 503: return "unavailable";
  default: return "invalid_request";
  }
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status, struct MHD_Response *resp) {
  static queue_fn real;
  if (!real) real = (queue_fn)dlsym(RTLD_NEXT, "MHD_queue_response");
  if (!resp || resp != builtin_page) return real(c, status, resp);
  builtin_page = NULL;
  char id[GH_ID_MAX];
  memcpy(id, "req_", 4);
  gh_rand_base62(id + 4, 20);
  id[24] = '\0';
  const char *code = code_for(status);
  char body[256];
  int n = snprintf(body, sizeof body,
                   "{\"error\":{\"code\":\"%s\",\"message\":\"The HTTP request could not be processed.\","
                   "\"request_id\":\"%s\"}}",
                   code, id);
  struct MHD_Response *json = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
  if (!json) return real(c, status, resp);
  MHD_add_response_header(json, "Content-Type", "application/json; charset=utf-8");
  MHD_add_response_header(json, "Request-Id", id);
  MHD_add_response_header(json, "Connection", "close");
  /* Over our own TLS the answer is HTTPS's like any other; behind a proxy
   * the unparsed request cannot say so. */
  if (MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION))
    MHD_add_response_header(json, "Strict-Transport-Security", GH_HSTS_VALUE);
  enum MHD_Result ret = real(c, status, json);
  MHD_destroy_response(json);
  gh_metrics_request((int)status, 0);
  /* The same fields as every request line; method and path are unknown
   * when the request line itself was refused. */
  gh_log_obj(GH_LOG_INFO, "request",
             json_pack("{s:s, s:n, s:n, s:i, s:s, s:s}", "request_id", id, "method", "path", "status", (int)status,
                       "error", code, "source", "libmicrohttpd"));
  return ret;
}
