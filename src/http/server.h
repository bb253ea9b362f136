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

typedef struct gh_server gh_server;

/* Binds and starts serving. Owned by the caller (gh_server_free). */
gh_server *gh_server_new(const gh_config *cfg, gh_status *err);
/* The bound TCP port (useful with port 0). */
int gh_server_port(const gh_server *s);
/* Stops accepting new connections, waits up to timeout_s for requests in
 * flight to finish, then stops and frees. */
void gh_server_free(gh_server *s, int timeout_s);
/* Requests being processed now (all servers of the process). */
long gh_server_in_flight(void);

#endif
