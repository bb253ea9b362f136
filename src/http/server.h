/* server.h: the HTTP front on GNU libmicrohttpd (epoll, a thread pool).
 *
 * Request lifecycle: the URI-log callback allocates the gh_req; the access
 * handler checks sizes, collects the body (capped at 1 MiB), then runs the
 * contract's order of checks and the route's handler (dispatch in
 * server.c); the completion callback logs one JSON line, counts metrics and
 * frees the request. */
#ifndef GH_SERVER_H
#define GH_SERVER_H
#include "config/config.h"
#include "core/status.h"

#include <stdbool.h>

/* Strict-Transport-Security on every answer to a request that came over
 * HTTPS (api.md, "Transport"); also used by mhd_errors.c. */
#define GH_HSTS_VALUE "max-age=63072000; includeSubDomains"

typedef struct gh_server gh_server;

/* Binds and starts serving. Owned by the caller (gh_server_free). */
gh_server *gh_server_new(const gh_config *cfg, gh_status *err);
/* The bound TCP port (useful with port 0). */
int gh_server_port(const gh_server *s);
/* Stops accepting new connections, waits up to timeout_s for requests in
 * flight to finish, then stops and frees. */
void gh_server_free(gh_server *s, int timeout_s);
/* Starts draining (the SIGTERM grace period): the server keeps serving,
 * but every response says "Connection: close" and /readyz answers 503, so
 * a proxy stops sending here and holds no idle connection to us when the
 * listening socket closes. */
void gh_server_drain(void);
bool gh_server_draining(void);
/* Requests being processed now (all servers of the process). */
long gh_server_in_flight(void);

#endif
