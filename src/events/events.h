/* events.h: the event outbox (api.md, "Webhooks"; gh.events, 0008).
 *
 * A change and its event are one transaction: gh_events_txn runs the
 * change's statements with the transaction left open (gh_db_ctx_txn_then),
 * hands their results to the handler's callback, which renders the object
 * exactly as the API will answer it and says which events (and audit
 * entries) the change makes; those are written, then COMMIT, in a second
 * round trip. If the callback finds that nothing changed (no row) it adds
 * nothing and the transaction commits with no event. Any failure rolls
 * everything back: no change without its event, no event without its
 * change.
 *
 * An event row is {id evt_…, type, data = {"object": <the object's JSON
 * text>}, request_id}; `data` is stored as json, so its bytes are the ones
 * the API answered with (the webhook body carries them unchanged). Org and
 * mode come from the transaction's context: an event belongs to the mode of
 * the request that caused it (an sk_test_ key's change is a test event; a
 * session is live unless Gatehouse-Mode: test), also for api_key.* events
 * of a key of the other mode (docs/decisions.md, 56). Never pass an object
 * that holds a secret: render it without (api_key: no "secret"). */
#ifndef GH_EVENTS_H
#define GH_EVENTS_H
#include <jansson.h>
#include <libpq-fe.h>

#include "audit/audit.h"
#include "db/db.h"
#include "http/request.h"

typedef struct gh_events_batch gh_events_batch;

/* Called inside the open transaction with the statements' results
 * (borrowed). Adds events and audit entries; keeps what it will answer with
 * in ctx. A non-GH_OK status rolls back and is returned by gh_events_txn. */
typedef gh_status (*gh_events_fn)(gh_events_batch *b, PGresult *const *results, void *ctx);

struct gh_events_batch {
  gh_req *r;
  json_t *events;       /* owned: [{id, type, data}] */
  char *text;           /* owned: events serialised */
  const char *vals[2];  /* the event INSERT's parameters */
  gh_audit_batch audit; /* entries written with the events */
  gh_events_fn fn;
  void *ctx;
};

/* Runs stmts (at most 15) under the request's credential and mode, then fn,
 * then the events and audit entries fn added, then COMMIT. results as for
 * gh_db_ctx_txn (owned by the caller on GH_OK, NULL otherwise). */
gh_status gh_events_txn(gh_req *r, const gh_db_stmt *stmts, int n, PGresult **results, gh_events_fn fn, void *ctx);

/* An event of `type` whose data.object is `object` (borrowed; serialised
 * now, compactly, as the response body is). */
gh_status gh_events_add(gh_events_batch *b, const char *type, const json_t *object);
/* An audit entry by the request's principal (audit.h, gh_audit_add). */
gh_status gh_events_audit(gh_events_batch *b, const char *action, const char *target, json_t *details);

/* ---- the common case: one changed row -------------------------------- */

/* A change whose statement `stmt` returns the changed row (no row: nothing
 * changed, so no event and no audit entry). */
typedef struct {
  int stmt;                                     /* the result holding the row */
  json_t *(*render)(const PGresult *, int row); /* the object as answered (NULL: no event) */
  const char *event;                            /* event type, or NULL */
  const char *action;                           /* audit action, or NULL */
  const char *target;                           /* audited target id; NULL: column 0 of the row */
  int changed_col;                              /* > 0: a boolean column that must be true for a change */
  json_t *details;                              /* audit details (owned; freed by gh_events_change_free) */
  json_t *object;                               /* out: the rendered row (owned; take it or leave it to _free) */
} gh_events_change;

/* The gh_events_fn for a gh_events_change (ctx). */
gh_status gh_events_on_row(gh_events_batch *b, PGresult *const *results, void *ctx);
/* Runs stmts with c (gh_events_txn + gh_events_on_row). */
gh_status gh_events_change_run(gh_req *r, const gh_db_stmt *stmts, int n, PGresult **results, gh_events_change *c);
/* Releases c->object and c->details. */
void gh_events_change_free(gh_events_change *c);

#endif
