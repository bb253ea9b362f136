/* pool.h: a fixed set of worker threads with a bounded job queue.
 *
 * Used for work that must not run on the HTTP threads: Argon2id hashing
 * (deliberately slow) and the database work around it. The queue is bounded
 * so that a flood is refused at once (GH_ERR_BUSY → 503 with Retry-After)
 * instead of piling up. */
#ifndef GH_POOL_H
#define GH_POOL_H
#include <stddef.h>

#include "core/status.h"

typedef struct gh_pool gh_pool;
typedef void (*gh_pool_fn)(void *arg);

/* Starts `threads` workers with room for `capacity` queued jobs, at the
 * given nice value (0: the process's; 10: yield to everything else). Owned
 * by the caller: gh_pool_free() drains the queue, then joins the workers. */
gh_pool *gh_pool_new(int threads, size_t capacity, int nice);
void gh_pool_free(gh_pool *p);
/* Queues fn(arg). GH_ERR_BUSY when the queue is full (fn is not called). */
gh_status gh_pool_submit(gh_pool *p, gh_pool_fn fn, void *arg);
/* Jobs queued or running now (for /metrics). */
size_t gh_pool_depth(gh_pool *p);

#endif
