/* server.c: libmicrohttpd glue and the dispatcher (see server.h).
 *
 * The dispatcher applies api.md's order of checks: size of the request
 * (413, 414, 431), the route (404, 405), credentials (401), the credential's
 * kind, scope or role (403), the body (415, then 400), then the handler.
 * Every answer, success or error, leaves through finish(), which adds
 * Request-Id and the JSON content type in one place. */
#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <sodium.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit/overhttp.h"
#include "auth/apikey.h"
#include "auth/authn.h"
#include "auth/token.h"
#include "auth/csrf.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/text.h"
#include "core/wipe.h"
#include "http/body.h"
#include "http/request.h"
#include "http/routes.h"
#include "http/tls.h"
#include "http/transport.h"
#include "ratelimit/limiter.h"
#include "usage/usage.h"

#define MAX_REQUEST_LINE 8192
#define MAX_HEADER_BYTES (32 * 1024)
#define MAX_HEADER_FIELDS 100
#define DISCARD_MAX (64u * 1024 * 1024)

enum { ST_NEW, ST_BODY, ST_ASYNC, ST_ASYNC_DONE, ST_QUEUED };

struct gh_server {
  struct MHD_Daemon *d;
  int port;
};

static atomic_long in_flight;
static atomic_bool draining;
/* Set by gh_server_new before the daemon's threads start; read-only after. */
static gh_cidr_list trusted_proxies;
static bool serving_tls;

long gh_server_in_flight(void) { return atomic_load(&in_flight); }

/* ---- request object ---------------------------------------------------- */

static gh_req *req_new(size_t uri_len) {
  gh_req *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  memcpy(r->id, "req_", 4);
  gh_rand_base62(r->id + 4, 20);
  r->id[24] = '\0';
  r->start_us = gh_mono_us();
  r->request_line_len = uri_len;
  atomic_fetch_add(&in_flight, 1);
  return r;
}

static void req_free(gh_req *r) {
  if (!r) return;
  free(r->path);
  /* A body may hold a password, a reply or a header a new secret (a
   * session cookie), the principal the keyed hash that opens the org's
   * context: wiped, never just freed (core/wipe.h; jansson's trees are
   * wiped by its allocator). */
  gh_wipe_free(r->body);
  json_decref(r->json);
  json_decref(r->reply);
  gh_wipe_free(r->reply_text);
  for (int i = 0; i < r->nout; i++) {
    free(r->out[i].name);
    gh_wipe_free(r->out[i].value);
  }
  sodium_memzero(&r->principal, sizeof r->principal);
  free(r);
  atomic_fetch_sub(&in_flight, 1);
}

const char *gh_req_header(gh_req *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}
const char *gh_req_cookie(gh_req *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}
const char *gh_req_query(gh_req *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}
const char *gh_req_param(gh_req *r, int i) { return (i >= 0 && i < r->nparams) ? r->params[i] : NULL; }
json_t *gh_req_json(gh_req *r) { return r->json; }
const char *gh_req_string(gh_req *r, const char *field) {
  return r->json ? json_string_value(json_object_get(r->json, field)) : NULL;
}

gh_status gh_req_reply(gh_req *r, int http, json_t *body) {
  json_decref(r->reply);
  r->reply = body;
  r->http_status = http;
  return GH_OK;
}

gh_status gh_req_reply_text(gh_req *r, int http, const char *ctype, char *text) {
  gh_wipe_free(r->reply_text);
  r->reply_text = text;
  r->http_status = http;
  gh_req_add_header(r, "Content-Type", ctype);
  return GH_OK;
}

gh_status gh_req_error(gh_req *r, gh_status s, const char *param, const char *message) {
  r->error = s;
  gh_buf_copy(r->error_param, sizeof r->error_param, param); /* NULL: "" */
  gh_buf_copy(r->error_message, sizeof r->error_message, message);
  return s;
}

void gh_req_add_header(gh_req *r, const char *name, const char *value) {
  if (r->nout >= GH_MAX_HEADERS_OUT) return;
  char *n = strdup(name), *v = strdup(value);
  if (!n || !v) {
    /* Out of memory: the header is left out (finish() reads every name). */
    free(n);
    gh_wipe_free(v);
    return;
  }
  r->out[r->nout].name = n;
  r->out[r->nout].value = v;
  r->nout++;
}

void gh_req_set_header(gh_req *r, const char *name, const char *value) {
  for (int i = 0; i < r->nout; i++) {
    if (strcasecmp(r->out[i].name, name)) continue;
    char *v = strdup(value);
    if (!v) return;
    gh_wipe_free(r->out[i].value);
    r->out[i].value = v;
    return;
  }
  gh_req_add_header(r, name, value);
}

static void run_deferred(void *arg) {
  gh_req *r = arg;
  gh_status s = r->resume_handler(r);
  if (gh_status_is_error(s) && !r->error) r->error = s;
  r->state = ST_ASYNC_DONE;
  MHD_resume_connection(r->conn);
}

gh_status gh_req_defer(gh_req *r, gh_pool *p, gh_handler fn) {
  r->resume_handler = fn;
  r->state = ST_ASYNC;
  MHD_suspend_connection(r->conn);
  if (gh_pool_submit(p, run_deferred, r) != GH_OK) {
    /* Answered like a finished job, so the answer leaves by one path. */
    r->error = GH_ERR_BUSY;
    r->retry_after = 1;
    gh_metrics_inc(GH_M_HASH_QUEUE_FULL);
    r->state = ST_ASYNC_DONE;
    MHD_resume_connection(r->conn);
  }
  return GH_ASYNC;
}

/* ---- answering --------------------------------------------------------- */

static json_t *error_body(gh_req *r) {
  json_t *e = json_object();
  json_object_set_new(e, "code", json_string(gh_status_code(r->error)));
  json_object_set_new(e, "message", json_string(r->error_message[0] ? r->error_message : gh_status_message(r->error)));
  json_object_set_new(e, "request_id", json_string(r->id));
  if (r->error_param[0]) {
    json_t *p = json_string(r->error_param); /* NULL if not valid UTF-8 */
    if (p) json_object_set_new(e, "param", p);
  }
  return json_pack("{s:o}", "error", e);
}

static enum MHD_Result finish(gh_req *r) {
  char *text = NULL;
  int http;
  if (r->error) {
    http = gh_status_http(r->error);
    if ((r->error == GH_ERR_BUSY || r->error == GH_ERR_DB_DOWN || r->error == GH_ERR_UNAVAILABLE) && !r->retry_after)
      r->retry_after = 1;
    json_t *b = error_body(r);
    text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
  } else {
    http = r->http_status ? r->http_status : 200;
    if (r->reply_text) {
      text = r->reply_text;
      r->reply_text = NULL;
    } else if (r->reply) {
      text = json_dumps(r->reply, JSON_COMPACT);
    }
  }
  r->http_status = http;
  struct MHD_Response *resp;
  const char *ctype = "application/json; charset=utf-8";
  for (int i = 0; i < r->nout; i++)
    if (!strcasecmp(r->out[i].name, "Content-Type")) ctype = NULL; /* handler set its own */
  if (text) {
    /* It may carry a new secret (a key, a webhook secret, a token). */
    resp = MHD_create_response_from_buffer_with_free_callback(strlen(text), text, gh_wipe_free);
  } else {
    resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  }
  if (!resp) {
    gh_wipe_free(text);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Request-Id", r->id);
  if (ctype && (text || http != 204)) MHD_add_response_header(resp, "Content-Type", ctype);
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  if (r->https) MHD_add_response_header(resp, "Strict-Transport-Security", GH_HSTS_VALUE);
  if (r->close_after || atomic_load(&draining)) MHD_add_response_header(resp, "Connection", "close");
  if (r->retry_after > 0) {
    char ra[16];
    snprintf(ra, sizeof ra, "%d", r->retry_after);
    MHD_add_response_header(resp, "Retry-After", ra);
  }
  for (int i = 0; i < r->nout; i++) {
    /* A request that failed after a handler set cookies (a session issued,
     * then a later step failed) must not hand them out. */
    if (r->error && !strcasecmp(r->out[i].name, "Set-Cookie")) continue;
    MHD_add_response_header(resp, r->out[i].name, r->out[i].value);
  }
  enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)http, resp);
  MHD_destroy_response(resp);
  r->state = ST_QUEUED;
  return ret;
}

static enum MHD_Result fail_now(gh_req *r, gh_status s) {
  r->error = s;
  return finish(r);
}

/* ---- checks ------------------------------------------------------------ */

typedef struct {
  size_t bytes;
  int fields;
  int hosts;
  int bad_name;
  int lengths;        /* Content-Length fields */
  int bad_length;     /* one that is not 1*DIGIT */
  const char *length; /* borrowed: the Content-Length value */
  int codings;        /* Transfer-Encoding fields */
} header_tally;

static enum MHD_Result tally_header(void *cls, enum MHD_ValueKind kind, const char *k, const char *v) {
  (void)kind;
  header_tally *t = cls;
  t->fields++;
  t->bytes += strlen(k) + (v ? strlen(v) : 0) + 4; /* ": " and CRLF */
  if (!strcasecmp(k, "Host")) t->hosts++;
  if (!strcasecmp(k, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
    t->lengths++;
    t->length = v;
    if (!v || !*v || v[strspn(v, "0123456789")]) t->bad_length = 1; /* not 1*DIGIT */
  }
  if (!strcasecmp(k, MHD_HTTP_HEADER_TRANSFER_ENCODING)) t->codings++;
  /* RFC 9112 5.1: no whitespace between a field name and its colon. */
  if (!*k || strpbrk(k, " \t")) t->bad_name = 1;
  return MHD_YES;
}

/* a.b.c.d without inet_ntop, which formats through sprintf. */
static void ipv4_text(const struct in_addr *a, char *out, size_t size) {
  const unsigned char *b = (const unsigned char *)&a->s_addr;
  gh_buf t;
  gh_buf_init(&t, out, size);
  for (int i = 0; i < 4; i++) {
    if (i) gh_buf_char(&t, '.');
    gh_buf_int(&t, b[i]);
  }
}

/* Every line of one header, in order, joined with ", " (RFC 9110 5.3): a
 * proxy may add its own X-Forwarded-For or -Proto line after the client's
 * instead of appending to it, and a look-up returns only the first line,
 * which the client wrote. */
typedef struct {
  const char *name;
  gh_buf b;
  int lines;
} header_lines;

static enum MHD_Result join_header(void *cls, enum MHD_ValueKind kind, const char *k, const char *v) {
  (void)kind;
  header_lines *h = cls;
  if (strcasecmp(k, h->name)) return MHD_YES;
  if (h->lines++) gh_buf_str(&h->b, ", ");
  gh_buf_str(&h->b, v);
  return MHD_YES;
}

/* The joined value in mem (size bytes), or NULL when the header is absent
 * or its lines do not fit (then it is not believed at all). */
static const char *joined_header(gh_req *r, const char *name, char *mem, size_t size) {
  header_lines h = {name, {0}, 0};
  gh_buf_init(&h.b, mem, size);
  MHD_get_connection_values(r->conn, MHD_HEADER_KIND, join_header, &h);
  return h.lines && !h.b.cut ? mem : NULL;
}

/* The peer, then what the transport rules (http/transport.h) make of it:
 * whether the request counts as HTTPS and who the client is. Returns
 * GH_ERR_HTTPS_REQUIRED for plain HTTP that may not be served. */
static gh_status transport(gh_req *r) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  gh_buf_copy(r->peer_ip, sizeof r->peer_ip, "unknown");
  const struct sockaddr *sa = ci ? ci->client_addr : NULL;
  if (sa && sa->sa_family == AF_INET)
    ipv4_text(&((const struct sockaddr_in *)sa)->sin_addr, r->peer_ip, sizeof r->peer_ip);
  else if (sa && sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->peer_ip, sizeof r->peer_ip);
  gh_transport_in in = {r->peer_ip, serving_tls, NULL, NULL, &trusted_proxies};
  char proto[256], chain[4096];
  if (trusted_proxies.n) {
    in.forwarded_proto = joined_header(r, "X-Forwarded-Proto", proto, sizeof proto);
    in.forwarded_for = joined_header(r, "X-Forwarded-For", chain, sizeof chain);
  }
  gh_transport_out out;
  gh_transport_decide(&in, &out);
  r->https = out.https;
  memcpy(r->client_ip, out.client_ip, sizeof r->client_ip);
  if (!out.refuse) return GH_OK;
  /* Its body, if any, is never read (and its length may not even be
   * believable, see check_head): the connection ends with this answer. */
  r->close_after = true;
  /* The credential decides nothing here, but whoever sent it should rotate
   * it: say so in the log (without the secret) and, for a well-formed key,
   * in its org's audit log. Anyone can send these (a checksum-valid key
   * costs nothing), so audit/overhttp.c bounds the log lines and audits
   * and does the database work off this thread. */
  const char *auth = gh_req_header(r, "Authorization"), *tok;
  size_t len;
  if (auth) {
    bool live;
    if (!gh_authn_bearer(auth, &tok, &len) && gh_apikey_parse(tok, len, &live) == 1) {
      unsigned char hash[GH_HASH_BYTES];
      gh_token_hash(tok, len, hash);
      gh_overhttp_seen(r, hash);
      sodium_memzero(hash, sizeof hash);
    } else {
      gh_overhttp_seen(r, NULL);
    }
  }
  return GH_ERR_HTTPS_REQUIRED;
}

/* Checks that need only the request line and headers (413 by
 * Content-Length, 414, 431). */
static gh_status check_head(gh_req *r) {
  if (r->request_line_len + strlen(r->method) + 10 > MAX_REQUEST_LINE) return GH_ERR_URI_TOO_LONG;
  if (r->nul_in_uri) return gh_req_error(r, GH_ERR_INVALID_REQUEST, NULL, "The request target contains a NUL byte.");
  header_tally t = {0};
  MHD_get_connection_values(r->conn, MHD_HEADER_KIND, tally_header, &t);
  if (t.bytes > MAX_HEADER_BYTES || t.fields > MAX_HEADER_FIELDS) return GH_ERR_HEADERS_TOO_LARGE;
  /* The body's length must be unambiguous (RFC 9112 6.3), or a proxy in
   * front and we could split the stream differently (request smuggling).
   * A malformed Content-Length is hidden from libmicrohttpd (mhd_errors.c),
   * which then reads no body: the bytes after the head are unread, so the
   * connection must end with this answer. */
  if (t.bad_length || t.lengths > 1 || (t.lengths && t.codings)) {
    r->close_after = true;
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, NULL, "Malformed or conflicting Content-Length.");
  }
  /* From the tally, not a look-up: a length too large for 64 bits is
   * hidden from look-ups too, and its body is just as unread. */
  if (t.length && strtoull(t.length, NULL, 10) > GH_BODY_MAX) {
    r->close_after = true;
    return GH_ERR_PAYLOAD_TOO_LARGE;
  }
  /* What RFC 9112 says a server must refuse, and libmicrohttpd lets
   * through: HTTP/1.1 without exactly one Host (3.2), whitespace before a
   * field's colon (5.1), a transfer coding other than chunked (6.1: the
   * body's length would be unknown, so the request would hang). */
  if ((r->http11 && t.hosts != 1) || t.hosts > 1 || t.bad_name)
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, NULL, "Malformed HTTP request.");
  const char *te = gh_req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING);
  if (te && strcasecmp(te, "chunked"))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, NULL, "Unsupported Transfer-Encoding.");
  return GH_OK;
}

/* Credential kind, scope and role (the 403 forbidden step). */
/* Credential kind, scope or role (403 forbidden), then re-authentication
 * for sensitive operations (403 reauthentication_required). */
static gh_status check_authz(gh_req *r) {
  const gh_route *rt = r->route;
  const gh_principal *p = &r->principal;
  if (!(rt->auth & (unsigned)p->kind)) return GH_ERR_FORBIDDEN;
  if (rt->scope && !(p->scopes & rt->scope)) return GH_ERR_FORBIDDEN;
  if (rt->sensitive) {
    if (p->kind != GH_CRED_SESSION) return GH_ERR_FORBIDDEN;
    if (rt->sensitive == GH_SENSITIVE_ADMIN && strcmp(p->role, "admin")) return GH_ERR_FORBIDDEN;
    if (gh_now() - p->reauthenticated_at > gh_cfg->reauth_window_seconds) return GH_ERR_REAUTH_REQUIRED;
  }
  return GH_OK;
}

/* /v1/orgs/{org_id}/rest → "/v1/rest" (owned) and the org id; NULL if the
 * path has no such prefix. */
static char *split_org_path(const char *path, char *org, size_t org_size) {
  static const char pre[] = "/v1/orgs/";
  if (strncmp(path, pre, sizeof pre - 1)) return NULL;
  const char *id = path + sizeof pre - 1, *rest = strchr(id, '/');
  if (!rest || rest == id || (size_t)(rest - id) >= org_size) return NULL;
  memcpy(org, id, (size_t)(rest - id));
  org[rest - id] = '\0';
  size_t n = strlen(rest);
  char *out = malloc(n + 4);
  if (out) {
    memcpy(out, "/v1", 3);
    memcpy(out + 3, rest, n + 1);
  }
  return out;
}

static gh_status dispatch(gh_req *r) {
  char allow[64], url_org[GH_ID_MAX * 2] = "";
  char *inner = split_org_path(r->path, url_org, sizeof url_org);
  bool org_url = inner != NULL;
  gh_match m = gh_routes_find(r->method, inner ? inner : r->path, org_url, &r->route, r->params, &r->nparams, allow,
                              sizeof allow);
  free(inner);
  switch (m) {
  case GH_MATCH_NO_PATH: return GH_ERR_NOT_FOUND;
  case GH_MATCH_NO_METHOD: gh_req_add_header(r, "Allow", allow); return GH_ERR_METHOD_NOT_ALLOWED;
  case GH_MATCH_OK: break;
  }
  gh_status s;
  if (r->route->auth != GH_AUTH_OPEN) {
    if ((s = gh_authn_request(r))) return s;
    /* A cookie is an ambient credential: unsafe requests it authenticates
     * must prove they come from our pages. */
    if (r->principal.kind == GH_CRED_SESSION && (s = gh_csrf_check(r))) return s;
    if ((s = gh_limiter_check(r))) return s;
    /* Any org id in the URL other than the caller's, existing or not. */
    if (org_url && strcmp(url_org, r->principal.org_id)) return GH_ERR_ORG_MISMATCH;
    if ((s = check_authz(r))) return s;
  }
  if (r->route->gate && (s = r->route->gate(r))) return s;
  if (r->body_len) {
    if (!gh_body_is_json_type(gh_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE))) return GH_ERR_UNSUPPORTED_MEDIA;
  }
  if (r->body_len || r->route->body) {
    s = gh_body_parse(r->body ? r->body : "", r->body_len, r->route->body, &r->json, r->error_param,
                      sizeof r->error_param, r->error_message, sizeof r->error_message);
    if (s) return s;
  }
  return r->route->handler(r);
}

static int append_body(gh_req *r, const char *data, size_t n) {
  if (r->body_len + n > GH_BODY_MAX) return -1;
  if (r->body_len + n + 1 > r->body_cap) {
    size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
    while (cap < r->body_len + n + 1)
      cap *= 2;
    if (cap > GH_BODY_MAX + 1) cap = GH_BODY_MAX + 1;
    char *nb = malloc(cap);
    if (!nb) return -1;
    if (r->body) {
      memcpy(nb, r->body, r->body_len);
      gh_wipe_free(r->body);
    }
    r->body = nb;
    r->body_cap = cap;
  }
  memcpy(r->body + r->body_len, data, n);
  r->body_len += n;
  r->body[r->body_len] = '\0';
  return 0;
}

/* ---- libmicrohttpd callbacks --------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)cls;
  (void)c;
  gh_req *r = req_new(uri ? strlen(uri) : 0);
  /* libmicrohttpd decodes the path, and C strings end at the first NUL: an
   * encoded NUL would silently cut the path ("/healthz%00x" → "/healthz"). */
  if (r && uri && strcasestr(uri, "%00")) r->nul_in_uri = true;
  return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls) {
  (void)cls;
  gh_req *r = *con_cls;
  if (!r) {
    r = req_new(strlen(url));
    if (!r) return MHD_NO;
    *con_cls = r;
  }
  switch (r->state) {
  case ST_NEW: {
    r->conn = c;
    gh_buf_copy(r->method, sizeof r->method, method);
    r->http11 = !strcmp(version, MHD_HTTP_VERSION_1_1);
    r->path = strdup(url);
    if (!r->path) return MHD_NO;
    r->state = ST_BODY;
    /* api.md's order: HTTPS first, then the size and shape of the head;
     * transport() also decides r->https, which the size errors' HSTS
     * header needs. */
    gh_status s = transport(r);
    if (!s) s = check_head(r);
    if (s) return fail_now(r, s);
    return MHD_YES;
  }
  case ST_BODY:
    if (*upload_size) {
      /* libmicrohttpd cannot answer while a body is still arriving, so an
       * oversized chunked body is read and dropped, then answered 413; a
       * sender that goes on past DISCARD_MAX is cut off. */
      r->body_seen += *upload_size;
      if (!r->body_too_large && append_body(r, upload, *upload_size)) r->body_too_large = true;
      *upload_size = 0;
      return r->body_seen > DISCARD_MAX ? MHD_NO : MHD_YES;
    } else if (r->body_too_large) {
      return fail_now(r, GH_ERR_PAYLOAD_TOO_LARGE);
    } else {
      gh_status s = dispatch(r);
      if (s == GH_ASYNC) return MHD_YES;
      if (gh_status_is_error(s) && !r->error) r->error = s;
      return finish(r);
    }
  case ST_ASYNC: return MHD_YES; /* spurious call while suspended */
  case ST_ASYNC_DONE: return finish(r);
  default:
    /* Body bytes after an early answer (413): discard them. */
    *upload_size = 0;
    return MHD_YES;
  }
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  gh_req *r = *con_cls;
  if (!r) return;
  if (r->state == ST_NEW) {
    /* libmicrohttpd refused the request before our handler saw it; its
     * answer was logged by mhd_errors.c. */
    req_free(r);
    *con_cls = NULL;
    return;
  }
  int64_t dur = gh_mono_us() - r->start_us;
  int status = r->state == ST_QUEUED ? r->http_status : 0;
  gh_metrics_request(status, dur);
  /* Usage: requests to routes that take credentials, charged to the
   * credential the credential step identified, once the final status is
   * known; a request nobody could be identified for is nobody's. (Open
   * routes such as login fill a principal too, for the session they issue:
   * not counted, docs/decisions.md 50.) */
  bool counted = r->route && r->route->auth != GH_AUTH_OPEN;
  if (counted && r->principal.kind)
    gh_usage_note(r->principal.org_id, r->principal.kind == GH_CRED_API_KEY ? r->principal.credential_id : NULL,
                  gh_now(), status);
  else if (counted && r->refused_key_id[0])
    gh_usage_note(r->refused_key_org, r->refused_key_id, gh_now(), status);
  /* Built by hand: this line is written for every request. All strings
   * are ids, codes or gh_text_log_safe() output, so none needs escaping. */
  char path[512], method[32], fields[1024];
  gh_text_log_safe(r->path, path, sizeof path);
  gh_text_log_safe(r->method, method, sizeof method);
  gh_buf b;
  gh_buf_init(&b, fields, sizeof fields);
  gh_buf_str(&b, "\"request_id\":\"");
  gh_buf_str(&b, r->id);
  gh_buf_str(&b, "\",\"method\":\"");
  gh_buf_str(&b, method);
  gh_buf_str(&b, "\",\"path\":\"");
  gh_buf_str(&b, path);
  gh_buf_str(&b, "\",\"status\":");
  gh_buf_int(&b, status);
  gh_buf_str(&b, ",\"duration_us\":");
  gh_buf_int(&b, dur);
  gh_buf_str(&b, ",\"ip\":\"");
  gh_buf_str(&b, r->client_ip);
  gh_buf_char(&b, '"');
  if (r->principal.kind) {
    gh_buf_str(&b, ",\"credential_id\":\"");
    gh_buf_str(&b, r->principal.credential_id);
    gh_buf_char(&b, '"');
  }
  if (r->error) {
    gh_buf_str(&b, ",\"error\":\"");
    gh_buf_str(&b, gh_status_code(r->error));
    gh_buf_char(&b, '"');
  }
  if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
    gh_buf_str(&b, ",\"terminated\":");
    gh_buf_int(&b, (int)toe);
  }
  /* Sized for the longest fields (path and method are bounded above);
   * a cut fragment would make the line invalid JSON. */
  if (b.cut) fields[0] = '\0';
  gh_log_fields(status >= 500 || status == 0 ? GH_LOG_WARN : GH_LOG_INFO, "request", fields);
  req_free(r);
  *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char text[512];
  vsnprintf(text, sizeof text, fmt, ap);
  size_t n = strlen(text);
  while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
    text[--n] = '\0';
  gh_log(GH_LOG_DEBUG, "libmicrohttpd: %s", text);
}

gh_server *gh_server_new(const gh_config *cfg, gh_status *err) {
  *err = GH_ERR_IO;
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  char port[8];
  snprintf(port, sizeof port, "%d", cfg->listen_port);
  if (getaddrinfo(cfg->listen_host, port, &hints, &ai) || !ai) {
    gh_log(GH_LOG_ERROR, "cannot resolve listen address %s", cfg->listen_host);
    return NULL;
  }
  char bad[80];
  if (gh_cidr_list_parse(cfg->trusted_proxies, &trusted_proxies, bad, sizeof bad)) {
    gh_log(GH_LOG_ERROR, "GATEHOUSE_TRUSTED_PROXIES: not a CIDR (or too many): \"%s\"", bad);
    freeaddrinfo(ai);
    return NULL;
  }
  if (cfg->tls_cert && gh_tls_init(cfg->tls_cert, cfg->tls_key)) {
    freeaddrinfo(ai);
    return NULL;
  }
  gh_server *s = calloc(1, sizeof *s);
  if (!s) {
    freeaddrinfo(ai);
    return NULL;
  }
  unsigned flags =
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
  if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
  struct MHD_OptionItem tls_opts[] = {
      {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, gh_tls_cert_callback()},
      {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)GH_TLS_PRIORITIES},
      {MHD_OPTION_END, 0, NULL},
  };
  serving_tls = cfg->tls_cert != NULL;
  /* With TLS, poll() instead of epoll: libmicrohttpd 0.9.75's epoll loop
   * spins on a connection in the middle of a handshake (about 60 wake-ups
   * and 70 failed reads per handshake measured, 2.7 ms of CPU each); with
   * poll() a handshake costs what nginx's does (bench/tls.sh). */
  if (serving_tls)
    flags = (flags & ~(unsigned)MHD_USE_EPOLL) | MHD_USE_TLS | MHD_USE_POLL_INTERNAL_THREAD;
  else
    tls_opts[0].option = MHD_OPTION_END;
  /* clang-format off */
  s->d = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, NULL,
      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
      MHD_OPTION_SOCK_ADDR, ai->ai_addr,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->http_threads,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
      /* Room for the largest legal request head (8 KiB request line, 32 KiB
       * of headers) so our own 414/431 answer; anything larger is refused
       * by libmicrohttpd with the same codes (see mhd_errors.c). Not more:
       * libmicrohttpd zeroes the used pool after every request, and a
       * 128 KiB pool cost more than half of the CPU time of GET /healthz. */
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(48 * 1024),
      MHD_OPTION_CONNECTION_MEMORY_INCREMENT, (size_t)1024,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
      /* Tolerant parsing: check_head() refuses what HTTP/1.1 forbids with
       * the contract's JSON error itself. */
      MHD_OPTION_STRICT_FOR_CLIENT, (int)-1,
      MHD_OPTION_ARRAY, tls_opts,
      MHD_OPTION_END);
  /* clang-format on */
  freeaddrinfo(ai);
  if (!s->d) {
    gh_log(GH_LOG_ERROR, "cannot listen on %s:%d", cfg->listen_host, cfg->listen_port);
    free(s);
    return NULL;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = di ? di->port : cfg->listen_port;
  *err = GH_OK;
  return s;
}

int gh_server_port(const gh_server *s) { return s->port; }

void gh_server_drain(void) { atomic_store(&draining, true); }
bool gh_server_draining(void) { return atomic_load(&draining); }

void gh_server_free(gh_server *s, int timeout_s) {
  if (!s) return;
  MHD_socket fd = MHD_quiesce_daemon(s->d);
  if (fd != MHD_INVALID_SOCKET) close(fd);
  int64_t deadline = gh_mono_us() + (int64_t)timeout_s * 1000000;
  while (atomic_load(&in_flight) > 0 && gh_mono_us() < deadline)
    usleep(10000);
  /* After a drain every answer said "Connection: close": let the
   * connections accepted just before the socket closed deliver their
   * request and get their answer, instead of cutting them (a proxy would
   * not retry a POST it had already sent). */
  while (atomic_load(&draining) && gh_mono_us() < deadline) {
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    if (!di || di->num_connections == 0) break;
    usleep(10000);
  }
  MHD_stop_daemon(s->d);
  free(s);
  gh_tls_shutdown();
}
