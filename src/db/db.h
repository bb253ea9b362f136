/* db.h: the runtime database layer.
 *
 * Every connection made here logs in as the runtime role (gatehouse_app),
 * which owns nothing and has no BYPASSRLS: row-level security decides what
 * each statement sees. A thread has at most one connection, opened on first
 * use and closed when the thread ends; HTTP threads and worker threads each
 * use their own, so no locking is needed.
 *
 * A request's work runs as one transaction sent as one libpq pipeline (one
 * round trip):
 *     BEGIN; SELECT gh.begin_request($hash, $live); <stmts...>; COMMIT
 * begin_request looks the credential up inside the database and establishes
 * the org context that the policies read; the application cannot name an
 * org itself (see src/db/README.md). */
#ifndef GH_DB_H
#define GH_DB_H
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/status.h"

/* One statement of a pipeline: text parameters only (NULL value = SQL NULL),
 * except that a parameter with a non-zero length is sent as binary (bytea). */
typedef struct {
  const char *sql;
  int nparams;
  const char *const *values;
  const int *lengths; /* NULL: all text */
} gh_db_stmt;

/* Sets the connection parameters of the runtime role. keywords/values are
 * copied. Call once before any thread uses the database. */
gh_status gh_db_init(const char *const *keywords, const char *const *values);
void gh_db_shutdown(void);

/* True if a fresh connection with the runtime parameters succeeds (quiet;
 * the connection is closed again). */
bool gh_db_can_connect(void);

/* The calling thread's connection, (re)connected as needed; NULL when the
 * database is unreachable. Borrowed: do not PQfinish it. */
PGconn *gh_db_conn(void);

/* Counts the connections this thread has opened: a change means the last
 * one was replaced (and lost its session state, e.g. LISTEN). */
unsigned gh_db_conn_generation(void);

/* Runs BEGIN; stmts[0..n-1]; COMMIT as one pipeline. On GH_OK, results[i]
 * holds each statement's result (owned by the caller: gh_db_clear()).
 * Errors: GH_ERR_CONFLICT (unique violation), GH_ERR_INVALID_REQUEST (bad
 * value: check, foreign-key or data exception), GH_ERR_DB_DOWN, GH_ERR_DB. */
gh_status gh_db_txn(const gh_db_stmt *stmts, int n, PGresult **results);

/* Like gh_db_txn, with gh.begin_request(hash, livemode) first. Returns
 * GH_ERR_UNAUTHORIZED (and no results) when the database does not recognise
 * the credential as live. hash is 32 bytes. */
gh_status gh_db_ctx_txn(const unsigned char *hash, bool livemode, const gh_db_stmt *stmts, int n, PGresult **results);

/* What gh_db_ctx_txn_then calls between its two round trips: results are
 * the statements' results (borrowed; they stay the caller's). Fills
 * more[0..max-1] with statements to run before COMMIT and sets *nmore
 * (0: just commit). Their SQL and parameters must stay valid until
 * gh_db_ctx_txn_then returns (keep them in ctx). Any status other than
 * GH_OK rolls the transaction back and is returned as is. The callback
 * runs while the transaction holds its locks: render, do not wait. */
#define GH_DB_THEN_MAX 4
typedef gh_status (*gh_db_then_fn)(void *ctx, PGresult *const *results, gh_db_stmt *more, int max, int *nmore);

/* Like gh_db_ctx_txn, but the transaction stays open after the statements:
 * round trip one is BEGIN; gh.begin_request; stmts (no COMMIT); then
 * then(ctx, results, ...) says what else to write (an event whose data is
 * the object rendered from the results, an audit entry), and round trip
 * two is those statements and COMMIT. On GH_OK results[] is as for
 * gh_db_ctx_txn; on any error (a statement, the callback, the COMMIT, an
 * unknown credential: GH_ERR_UNAUTHORIZED and `then` is not called) the
 * transaction is rolled back before this returns and results[] are NULL.
 * The thread's connection is idle again whatever happens. */
gh_status gh_db_ctx_txn_then(const unsigned char *hash, bool livemode, const gh_db_stmt *stmts, int n,
                             PGresult **results, gh_db_then_fn then, void *ctx);

/* A single statement outside an explicit transaction (definer look-ups). */
gh_status gh_db_exec(const gh_db_stmt *stmt, PGresult **result);

/* PQclear()s results[0..n-1] and sets them to NULL. */
void gh_db_clear(PGresult **results, int n);

/* Maps a failed result's SQLSTATE onto a status. */
gh_status gh_db_status_of(const PGresult *res);

/* Timestamps are read as epoch seconds: "floor(extract(epoch from x))::bigint". */
long long gh_db_getll(const PGresult *res, int row, int col);

#endif
