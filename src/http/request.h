/* request.h: one HTTP request as handlers see it.
 *
 * A gh_req lives from the moment libmicrohttpd parses the request line to
 * the moment the response is sent; everything it owns is freed then
 * (gh_req_free). Handlers read the request through the accessors and answer
 * with gh_req_reply() or by returning an error status (optionally described
 * with gh_req_error()). The dispatcher in server.c renders errors as the
 * contract's JSON body. */
#ifndef GH_REQUEST_H
#define GH_REQUEST_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/principal.h"
#include "core/pool.h"
#include "core/rand.h"
#include "core/status.h"
#include "ratelimit/fields.h"

struct MHD_Connection;
typedef struct gh_req gh_req;
typedef gh_status (*gh_handler)(gh_req *req);

/* Body field types for the declarative body schemas of the route table. */
typedef enum { GH_F_STRING, GH_F_INT, GH_F_BOOL, GH_F_OBJECT, GH_F_ARRAY, GH_F_ANY } gh_ftype;
typedef struct {
  const char *name;
  gh_ftype type;
  bool required;
  bool nullable;
} gh_field;

/* Accepted credential kinds of a route. */
enum { GH_AUTH_OPEN = 0, GH_AUTH_KEY = 1, GH_AUTH_SESSION = 2, GH_AUTH_ANY = 3 };
/* Sensitive operations (api.md): a session of an org admin that
 * re-authenticated recently; or, for one's own password, any session that
 * did. An API key, even with scope admin, is refused (403 forbidden). */
enum { GH_SENSITIVE_NO = 0, GH_SENSITIVE_ADMIN = 1, GH_SENSITIVE_SELF = 2 };

typedef struct {
  const char *method;
  const char *path; /* literal segments and {param} segments */
  gh_handler handler;
  unsigned auth;        /* GH_AUTH_*: who may call; OPEN skips credentials */
  uint32_t scope;       /* scope bit required (0: any credential) */
  int sensitive;        /* GH_SENSITIVE_*: re-authentication required */
  const gh_field *body; /* accepted JSON fields (NULL: no body fields) */
  bool org_path;        /* also reachable as /v1/orgs/{org_id}/... */
  /* A refusal of the route's own that belongs to the "forbidden" step of
   * the order of checks, so before the body (sign-up while closed); NULL:
   * none. */
  gh_handler gate;
} gh_route;

#define GH_MAX_PATH_PARAMS 4
#define GH_MAX_HEADERS_OUT 12

struct gh_req {
  struct MHD_Connection *conn;
  char id[GH_ID_MAX]; /* "req_…", on every response and log line */
  int64_t start_us;
  char method[16];
  char *path; /* owned, decoded path without the query */
  size_t request_line_len;
  bool http11;     /* HTTP/1.1 (Host is then mandatory) */
  bool https;      /* came over TLS (directly or via a trusted proxy) */
  bool nul_in_uri; /* the raw target had an encoded NUL (%00) */
  const gh_route *route;
  char params[GH_MAX_PATH_PARAMS][GH_ID_MAX * 2];
  int nparams;
  /* body */
  char *body; /* owned, NUL-terminated */
  size_t body_len, body_cap;
  bool body_too_large;
  size_t body_seen; /* bytes received, kept or not */
  json_t *json;     /* owned: parsed body, an object */
  /* credentials */
  gh_principal principal;
  char client_ip[64]; /* the client: the peer, or as a trusted proxy says */
  char peer_ip[64];   /* the TCP peer itself */
  /* A revoked or expired API key presented with its real secret: refused
   * (no principal), but its use is still counted for its org (usage). */
  char refused_key_id[GH_ID_MAX], refused_key_org[GH_ID_MAX];
  /* response */
  int state; /* internal to server.c */
  int http_status;
  json_t *reply;    /* owned: success body (NULL: none) */
  char *reply_text; /* owned: a non-JSON body (metrics) */
  gh_status error;
  char error_param[64];
  char error_message[256];
  struct {
    char *name, *value; /* owned */
  } out[GH_MAX_HEADERS_OUT];
  int nout;
  int retry_after;  /* seconds, for 429/503; 0: none */
  gh_rl_state rl;   /* the limit the RateLimit headers report (name NULL: none) */
  bool close_after; /* answer with Connection: close (unread body bytes) */
  /* async: set by gh_req_defer */
  gh_handler resume_handler;
};

/* Accessors (borrowed results, valid until the request ends). */
const char *gh_req_header(gh_req *r, const char *name);
const char *gh_req_cookie(gh_req *r, const char *name);
const char *gh_req_query(gh_req *r, const char *name);
const char *gh_req_param(gh_req *r, int i);
json_t *gh_req_json(gh_req *r);                          /* the validated body, or NULL */
const char *gh_req_string(gh_req *r, const char *field); /* body string field or NULL */

/* Answer with `http` and body (ownership of body passes to the request). */
gh_status gh_req_reply(gh_req *r, int http, json_t *body);
/* Answer with a non-JSON body of type ctype (text is owned by the request
 * from now on; ctype must be a static string). */
gh_status gh_req_reply_text(gh_req *r, int http, const char *ctype, char *text);
/* Describe an error; returns s so handlers can `return gh_req_error(...)`. */
gh_status gh_req_error(gh_req *r, gh_status s, const char *param, const char *message);
/* Adds a response header (copied). Several Set-Cookie headers are allowed. */
void gh_req_add_header(gh_req *r, const char *name, const char *value);
/* Sets a response header: replaces the value of the first one of that name
 * (case-insensitive), else adds it. */
void gh_req_set_header(gh_req *r, const char *name, const char *value);

/* Runs fn(r) on pool p, off the HTTP thread; the connection is suspended
 * meanwhile. fn answers (gh_req_reply/gh_req_error via its return value)
 * and the dispatcher sends that answer. Returns GH_ASYNC, or GH_ERR_BUSY
 * when the pool's queue is full. */
gh_status gh_req_defer(gh_req *r, gh_pool *p, gh_handler fn);

#endif
