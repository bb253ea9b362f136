/* activity.h: batched session activity.
 *
 * Every request a session authenticates (but refresh) is activity, and the
 * idle deadline must hold on every node; writing last_active_at on every
 * request would cost a database write per request. The credential cache
 * keeps each session's activity in memory and asks for a write at most once
 * a second per session (sesscache.h); those writes are queued here and sent
 * as one gh.session_touch() call by the invalidation listener's thread
 * about four times a second. */
#ifndef GH_ACTIVITY_H
#define GH_ACTIVITY_H
#include <stdint.h>

/* Queues "session_id was active at `at`" (copied). */
void gh_activity_note(const char *session_id, int64_t at);
/* Sends what is queued (listener thread; also at shutdown). */
void gh_activity_flush(void);

#endif
