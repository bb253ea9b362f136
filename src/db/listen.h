/* listen.h: cross-node invalidation (LISTEN/NOTIFY with acknowledgements).
 *
 * Every serving process is a node with a random id. A background thread
 * holds its own runtime-role connection that LISTENs on gh_invalidate,
 * heartbeats (gh.node_heartbeat) every second, and for each notification
 * "kind:id:seq" calls the handler registered for kind and then
 * acknowledges seq (gh.node_ack). A change that must be seen everywhere
 * (revoking a key, ending sessions) calls gh.invalidate() inside its own
 * transaction and, after commit, gh_listen_wait(seq): it returns once every
 * live node has acknowledged, so a request that starts afterwards, on any
 * node, sees the change.
 *
 * Fail closed: while the listener is not connected, or has not heartbeat
 * within GH_LISTEN_TRUST_MS, gh_listen_trusted() is false and the caches
 * must not be used; on reconnection every registered flush runs, because
 * notifications may have been missed. */
#ifndef GH_LISTEN_H
#define GH_LISTEN_H
#include <stdbool.h>

#include "core/status.h"

#define GH_LISTEN_TRUST_MS 3000
#define GH_LISTEN_FRESH_S 5 /* a node silent for longer is not waited for */

typedef void (*gh_listen_drop_fn)(const char *id);
typedef void (*gh_listen_flush_fn)(void);

/* Registers what to do for notifications of `kind` ("key", "session",
 * "user", "org"), and a flush for reconnection. Call before start. */
void gh_listen_on(const char *kind, gh_listen_drop_fn drop, gh_listen_flush_fn flush);
/* Registers periodic work for the listener's thread and connection (run
 * about four times a second, and once more when stopping). */
typedef void (*gh_listen_tick_fn)(void);
void gh_listen_on_tick(gh_listen_tick_fn fn);
/* Starts the listener thread (database parameters from db.h). */
gh_status gh_listen_start(void);
/* Stops it and removes this node from the registry. */
void gh_listen_stop(void);
/* True while the caches may be trusted (cheap: one atomic load and a
 * coarse clock read). */
bool gh_listen_trusted(void);
/* Waits until every live node has processed invalidation seq; GH_OK, or
 * GH_ERR_UNAVAILABLE after timeout_ms (the change is committed anyway). */
gh_status gh_listen_wait(long long seq, int timeout_ms);
/* This node's id ("node_…"). */
const char *gh_listen_node_id(void);

#endif
