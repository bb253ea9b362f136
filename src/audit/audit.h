/* audit.h: the audit log (api.md, GET /v1/audit_log; gh.audit_log, 0008).
 *
 * Who did what, from where: one row per audited action, written in the
 * same transaction as the action itself wherever there is one, so an action
 * cannot happen without its row. The table is append-only for every role
 * (0008): rows are only ever INSERTed here.
 *
 * A gh_audit_batch collects entries (actor, credential, target, the
 * request's client IP, User-Agent and request id) and becomes ONE INSERT
 * statement (gh_audit_stmt) for the caller to append to its transaction:
 * the org is the transaction's context ((SELECT gh.current_org())), never a
 * value of ours, and with no context the statement inserts nothing.
 *
 * Using it from a handler (e.g. webhook endpoints):
 *   - with an event: inside the gh_events_txn callback, gh_events_audit(b,
 *     "webhook_endpoint.created", id, NULL) (events/events.h) — written
 *     only when the callback says the change happened;
 *   - without one: gh_audit_init(&a); gh_audit_add(&a, r, action, target,
 *     details); gh_audit_stmt(&a, &stmt); append stmt to the statements of
 *     gh_db_ctx_txn (unconditional: use it only where the other statements
 *     cannot silently change nothing); gh_audit_free(&a) after the run.
 *
 * Outside an org context (a failed login, a replayed refresh token) the
 * narrow definer functions of 0011 write the row (gh_audit_login_failed
 * below; gh.audit_refresh_reuse in api/session.c's refresh statement).
 * Action names: docs/decisions.md (55). */
#ifndef GH_AUDIT_H
#define GH_AUDIT_H
#include <jansson.h>
#include <stddef.h>
#include <stdbool.h>

#include "db/db.h"
#include "http/request.h"

/* The User-Agent is kept to this many bytes (cut on a character boundary). */
#define GH_AUDIT_UA_MAX 512

typedef struct {
  json_t *rows;        /* owned: the entries, as json_to_recordset rows */
  char *text;          /* owned: rows serialised by gh_audit_stmt */
  const char *vals[1]; /* the statement's parameter (text) */
} gh_audit_batch;

void gh_audit_init(gh_audit_batch *b);
/* Adds an entry by the request's principal (actor: the user of a session or
 * the API key; credential: the session or the key). target: the id acted
 * on, or NULL. details: a JSON object (stolen; NULL: {}), never a secret. */
gh_status gh_audit_add(gh_audit_batch *b, gh_req *r, const char *action, const char *target, json_t *details);
/* The same with an explicit actor and credential (NULL allowed), for the
 * moments the principal is not (yet) the one acting: login. */
gh_status gh_audit_add_as(gh_audit_batch *b, gh_req *r, const char *action, const char *actor,
                          const char *credential_id, const char *target, json_t *details);
int gh_audit_count(const gh_audit_batch *b);
/* The INSERT of every entry (in order) into *out; its parameter is owned by
 * b, valid until gh_audit_free. */
gh_status gh_audit_stmt(gh_audit_batch *b, gh_db_stmt *out);
void gh_audit_free(gh_audit_batch *b);

/* Runs `first` (a definer statement that makes the session whose access
 * token hashes to `hash` live: session_create, session_reauthenticate,
 * session_change_password), then gh.begin_request(hash) and b's entries, as
 * one transaction: the entries land in that session's org, or, if the
 * session did not come to be, nowhere (nothing else was done either).
 * *first_result: first's result (owned by the caller) on GH_OK. */
gh_status gh_audit_txn_after(const gh_db_stmt *first, const unsigned char hash[32], gh_audit_batch *b,
                             PGresult **first_result);
/* b's entries under the context of the request's own credential, in a
 * transaction of their own (an action that changed nothing: a failed
 * re-authentication). Errors are logged, not returned. */
void gh_audit_write(gh_req *r, gh_audit_batch *b);

/* Copies s into out (size bytes): valid UTF-8 only, control characters
 * dropped, cut on a character boundary. For header values stored as text. */
void gh_audit_clean_text(const char *s, char *out, size_t size);

/* A failed login of an existing account, written through the definer
 * gh.audit_login_failed (0011) into that account's org; user_id NULL (an
 * unknown email) writes nothing but costs the same round trip. reason:
 * "wrong_password" or "rate_limited". Errors are logged, not returned: a
 * failed login must still answer 401/429. */
void gh_audit_login_failed(gh_req *r, const char *user_id, const char *reason);

/* An API key presented over plain HTTP and refused (403 https_required),
 * written through the definer gh.audit_key_over_http (0012) into the key's
 * org; an unknown key writes nothing (*written false). key_hash is the
 * keyed hash of the full secret (auth/token.h); ip, user_agent (cleaned
 * with gh_audit_clean_text) and request_id are the refused request's.
 * Called from the listener's thread with what audit/overhttp.c queued, not
 * from the request: see there for the bounds. */
gh_status gh_audit_key_over_http(const unsigned char key_hash[32], const char *ip, const char *user_agent,
                                 const char *request_id, bool *written);

#endif
