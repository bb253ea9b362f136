/* db.c: per-thread runtime connections and pipelined transactions (see
 * db.h). */
#include "db/db.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"

#define MAX_PARAMS 32
#define MAX_STMTS 16

static char **kw, **val; /* NULL-terminated copies of the connection parameters */
static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static __thread unsigned conn_generation;

unsigned gh_db_conn_generation(void) { return conn_generation; }

static void close_conn(void *p) { PQfinish((PGconn *)p); }
static void make_key(void) { pthread_key_create(&conn_key, close_conn); }

static void free_params(void) {
  for (int i = 0; kw && kw[i]; i++)
    free(kw[i]);
  for (int i = 0; val && val[i]; i++)
    free(val[i]);
  free(kw);
  free(val);
  kw = val = NULL;
}

gh_status gh_db_init(const char *const *keywords, const char *const *values) {
  pthread_once(&key_once, make_key);
  free_params();
  int n = 0;
  while (keywords[n])
    n++;
  kw = calloc((size_t)n + 3, sizeof *kw);
  val = calloc((size_t)n + 3, sizeof *val);
  if (!kw || !val) return GH_ERR_NOMEM;
  int j = 0;
  for (int i = 0; i < n; i++) {
    if (!values[i]) continue;
    kw[j] = strdup(keywords[i]);
    val[j] = strdup(values[i]);
    j++;
  }
  /* A statement that hangs must not hold an HTTP thread for ever. */
  kw[j] = strdup("options");
  val[j] = strdup("-c statement_timeout=10000 -c lock_timeout=5000");
  kw[j + 1] = strdup("application_name");
  val[j + 1] = strdup("gatehouse");
  return GH_OK;
}

void gh_db_shutdown(void) {
  /* Also reached when start-up failed before gh_db_init (a bad setting):
   * conn_key must exist before it is read, or another library's key 0 is
   * read and "finished" (a crash under AddressSanitizer, found by the
   * malformed-REDIS_URL test of tests/e2e/76-redis). */
  pthread_once(&key_once, make_key);
  PGconn *c = pthread_getspecific(conn_key);
  if (c) {
    PQfinish(c);
    pthread_setspecific(conn_key, NULL);
  }
  free_params();
}

bool gh_db_can_connect(void) {
  if (!kw) return false;
  PGconn *c = PQconnectdbParams((const char *const *)kw, (const char *const *)val, 0);
  bool ok = c && PQstatus(c) == CONNECTION_OK;
  PQfinish(c);
  return ok;
}

PGconn *gh_db_conn(void) {
  pthread_once(&key_once, make_key);
  PGconn *c = pthread_getspecific(conn_key);
  if (c && PQstatus(c) == CONNECTION_OK) return c;
  if (c) {
    PQfinish(c);
    pthread_setspecific(conn_key, NULL);
  }
  if (!kw) return NULL;
  c = PQconnectdbParams((const char *const *)kw, (const char *const *)val, 0);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    gh_log(GH_LOG_ERROR, "database connection failed: %s", c ? PQerrorMessage(c) : "out of memory");
    PQfinish(c);
    return NULL;
  }
  pthread_setspecific(conn_key, c);
  conn_generation++;
  return c;
}

/* After a broken connection, drop it so the next call reconnects. */
static gh_status conn_failed(PGconn *c) {
  if (PQstatus(c) != CONNECTION_OK) {
    PQfinish(c);
    pthread_setspecific(conn_key, NULL);
    return GH_ERR_DB_DOWN;
  }
  return GH_ERR_DB;
}

gh_status gh_db_status_of(const PGresult *res) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  if (!state) return GH_ERR_DB;
  if (!strcmp(state, "23505")) return GH_ERR_CONFLICT;
  if (!strcmp(state, "P0001")) return GH_ERR_CONFLICT;
  if (!strncmp(state, "22", 2) || !strcmp(state, "23514") || !strcmp(state, "23503") || !strcmp(state, "23502"))
    return GH_ERR_INVALID_REQUEST;
  if (!strncmp(state, "08", 2) || !strcmp(state, "57P01") || !strcmp(state, "57P03") || !strcmp(state, "53300"))
    return GH_ERR_DB_DOWN;
  return GH_ERR_DB;
}

void gh_db_clear(PGresult **results, int n) {
  for (int i = 0; i < n; i++) {
    PQclear(results[i]);
    results[i] = NULL;
  }
}

/* Statements are prepared once per connection and then only executed: a
 * request's four statements were otherwise parsed and planned every time,
 * which cost PostgreSQL more than half of an RLS read (bench/rls_read.sh).
 * The set of prepared statements is per thread, keyed by a 64-bit hash of
 * the SQL text and tied to the connection generation. */
#define PREP_SLOTS 1024

static __thread struct {
  uint64_t hash;
  unsigned generation;
} prepared[PREP_SLOTS];
static __thread int nprepared;
static __thread unsigned prepared_generation;

static uint64_t sql_hash(const char *sql) {
  uint64_t h = 1469598103934665603ULL;
  for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
    h = (h ^ *p) * 1099511628211ULL;
  return h ? h : 1;
}

/* The slot of h: where it is, or the empty slot where it would go. */
static int prep_slot(uint64_t h) {
  if (prepared_generation != conn_generation) {
    memset(prepared, 0, sizeof prepared);
    nprepared = 0;
    prepared_generation = conn_generation;
  }
  int i = (int)(h & (PREP_SLOTS - 1));
  while (prepared[i].hash && prepared[i].hash != h)
    i = (i + 1) & (PREP_SLOTS - 1);
  return i;
}

static int is_prepared(uint64_t h) { return prepared[prep_slot(h)].hash == h; }

static void mark_prepared(uint64_t h) {
  if (nprepared >= PREP_SLOTS * 3 / 4) return; /* full: later ones run unprepared */
  int i = prep_slot(h);
  if (prepared[i].hash != h) {
    prepared[i].hash = h;
    nprepared++;
  }
}

typedef struct {
  uint64_t hash;
  int preparing; /* a Parse was sent in this pipeline */
} sent_stmt;

/* "g" and the SQL's hash in 16 hex digits: the prepared statement's name on
 * every connection (formatted by hand: this runs for every statement). */
static void stmt_name(uint64_t hash, char name[24]) {
  static const char hex[] = "0123456789abcdef";
  name[0] = 'g';
  for (int i = 0; i < 16; i++)
    name[1 + i] = hex[(hash >> (60 - 4 * i)) & 15];
  name[17] = '\0';
}

/* Queues s, preparing it first if this connection has not yet. */
static int send_stmt(PGconn *c, const gh_db_stmt *s, sent_stmt *out) {
  int formats[MAX_PARAMS];
  char name[24];
  if (s->nparams > MAX_PARAMS) return 0;
  for (int i = 0; i < s->nparams; i++)
    formats[i] = (s->lengths && s->lengths[i] > 0) ? 1 : 0;
  out->hash = sql_hash(s->sql);
  out->preparing = !is_prepared(out->hash) && nprepared < PREP_SLOTS * 3 / 4;
  stmt_name(out->hash, name);
  if (!is_prepared(out->hash) && !out->preparing)
    return PQsendQueryParams(c, s->sql, s->nparams, NULL, s->values, s->lengths, formats, 0);
  if (out->preparing && !PQsendPrepare(c, name, s->sql, s->nparams, NULL)) return 0;
  return PQsendQueryPrepared(c, name, s->nparams, s->values, s->lengths, formats, 0);
}

static void log_error(const PGresult *r, const char *sql) {
  const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  json_t *f =
      json_pack("{s:s, s:s, s:s}", "sqlstate", state ? state : "", "error", msg ? msg : "", "sql", sql ? sql : "");
  gh_log_obj(GH_LOG_WARN, "database statement failed", f);
  gh_metrics_inc(GH_M_DB_ERRORS);
}

/* The next result of the pipeline, and the NULL that ends it. */
static PGresult *next_result(PGconn *c) {
  PGresult *r = PQgetResult(c), *end;
  if (r && PQresultStatus(r) != PGRES_PIPELINE_SYNC)
    while ((end = PQgetResult(c)))
      PQclear(end);
  return r;
}

/* Sends list[0..n-1] + Sync as one pipeline; collects one result per
 * statement into all[] (n entries). Returns the first failure's status.
 * Leaves any transaction block as it is: the caller ends it. */
static gh_status run_batch(PGconn *c, const gh_db_stmt *list, int n, PGresult **all) {
  gh_status st = GH_OK;
  sent_stmt sent[MAX_STMTS + 3];
  if (n > MAX_STMTS + 3) return GH_ERR_INTERNAL;
  if (!PQenterPipelineMode(c)) return conn_failed(c);
  int ok = 1;
  for (int i = 0; ok && i < n; i++)
    ok = send_stmt(c, &list[i], &sent[i]);
  if (!ok || !PQpipelineSync(c)) {
    gh_log(GH_LOG_ERROR, "database send failed: %s", PQerrorMessage(c));
    PQexitPipelineMode(c);
    return conn_failed(c);
  }
  for (int i = 0; i < n; i++) {
    if (sent[i].preparing) {
      PGresult *p = next_result(c);
      if (p && PQresultStatus(p) == PGRES_COMMAND_OK) mark_prepared(sent[i].hash);
      PQclear(p);
    }
    PGresult *r = next_result(c);
    if (!r) {
      st = conn_failed(c);
      break;
    }
    ExecStatusType t = PQresultStatus(r);
    if (t == PGRES_FATAL_ERROR) {
      if (st == GH_OK) {
        st = gh_db_status_of(r);
        log_error(r, list[i].sql);
      }
    } else if (t == PGRES_PIPELINE_ABORTED && st == GH_OK) {
      st = GH_ERR_DB;
    }
    all[i] = r;
  }
  /* The Sync's own result. */
  PGresult *sync = PQgetResult(c);
  if (sync && PQresultStatus(sync) != PGRES_PIPELINE_SYNC && st == GH_OK) st = GH_ERR_DB;
  PQclear(sync);
  if (!PQexitPipelineMode(c) && st == GH_OK) st = conn_failed(c);
  return st;
}

/* Ends whatever block a failure left open (an aborted BEGIN, or a
 * transaction kept open for gh_db_ctx_txn_then): the thread's connection
 * must be idle for the next request. */
static gh_status end_block(PGconn *c, gh_status st) {
  if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
  if (st == GH_ERR_DB && PQstatus(c) != CONNECTION_OK) st = conn_failed(c);
  return st;
}

static const gh_db_stmt begin_stmt = {"BEGIN", 0, NULL, NULL}, commit_stmt = {"COMMIT", 0, NULL, NULL};

/* Sends BEGIN, stmts, COMMIT + Sync; collects one result per statement into
 * all[] (n + 2 entries). Returns the first failure's status. */
static gh_status run_pipeline(PGconn *c, const gh_db_stmt *stmts, int n, PGresult **all) {
  gh_db_stmt list[MAX_STMTS + 3];
  list[0] = begin_stmt;
  for (int i = 0; i < n; i++)
    list[i + 1] = stmts[i];
  list[n + 1] = commit_stmt;
  gh_status st = run_batch(c, list, n + 2, all);
  /* A failure inside BEGIN leaves the block aborted: end it. */
  return end_block(c, st);
}

static gh_status pipeline(const gh_db_stmt *pre, const gh_db_stmt *stmts, int n, PGresult **results,
                          PGresult **pre_result) {
  PGconn *c = gh_db_conn();
  if (!c) return GH_ERR_DB_DOWN;
  if (n + 1 > MAX_STMTS) return GH_ERR_INTERNAL;
  gh_db_stmt list[MAX_STMTS + 1];
  int k = 0;
  if (pre) list[k++] = *pre;
  for (int i = 0; i < n; i++)
    list[k++] = stmts[i];
  PGresult *all[MAX_STMTS + 3] = {0};
  gh_status st = run_pipeline(c, list, k, all);
  /* all[0] is BEGIN, all[k + 1] is COMMIT. */
  PQclear(all[0]);
  PQclear(all[k + 1]);
  int off = 1;
  if (pre) {
    if (pre_result)
      *pre_result = all[1];
    else
      PQclear(all[1]);
    off = 2;
  }
  for (int i = 0; i < n; i++) {
    if (st == GH_OK)
      results[i] = all[off + i];
    else
      PQclear(all[off + i]);
  }
  return st;
}

gh_status gh_db_txn(const gh_db_stmt *stmts, int n, PGresult **results) {
  return pipeline(NULL, stmts, n, results, NULL);
}

gh_status gh_db_ctx_txn(const unsigned char *hash, bool livemode, const gh_db_stmt *stmts, int n, PGresult **results) {
  const char *vals[2] = {(const char *)hash, livemode ? "true" : "false"};
  const int lens[2] = {32, 0};
  gh_db_stmt begin = {"SELECT gh.begin_request($1::bytea, $2::boolean)", 2, vals, lens};
  PGresult *ok = NULL;
  gh_status st = pipeline(&begin, stmts, n, results, &ok);
  int answered = ok && PQresultStatus(ok) == PGRES_TUPLES_OK && PQntuples(ok) == 1;
  int known = answered && !strcmp(PQgetvalue(ok, 0, 0), "t");
  PQclear(ok);
  /* Without a context the statements saw nothing and wrote nothing (a
   * write fails its policy): whatever they returned, the answer is 401. */
  if (answered && !known) {
    gh_db_clear(results, n);
    return GH_ERR_UNAUTHORIZED;
  }
  return st;
}

gh_status gh_db_ctx_txn_then(const unsigned char *hash, bool livemode, const gh_db_stmt *stmts, int n,
                             PGresult **results, gh_db_then_fn then, void *ctx) {
  for (int i = 0; i < n; i++)
    results[i] = NULL;
  PGconn *c = gh_db_conn();
  if (!c) return GH_ERR_DB_DOWN;
  if (n + 1 > MAX_STMTS) return GH_ERR_INTERNAL;
  const char *vals[2] = {(const char *)hash, livemode ? "true" : "false"};
  const int lens[2] = {32, 0};
  gh_db_stmt list[MAX_STMTS + 3];
  list[0] = begin_stmt;
  list[1] = (gh_db_stmt){"SELECT gh.begin_request($1::bytea, $2::boolean)", 2, vals, lens};
  for (int i = 0; i < n; i++)
    list[i + 2] = stmts[i];
  PGresult *all[MAX_STMTS + 3] = {0};
  /* First round trip: BEGIN, the context, the statements; no COMMIT. */
  gh_status st = run_batch(c, list, n + 2, all);
  const PGresult *ok = all[1];
  int answered = ok && PQresultStatus(ok) == PGRES_TUPLES_OK && PQntuples(ok) == 1;
  if (answered && strcmp(PQgetvalue(ok, 0, 0), "t")) st = GH_ERR_UNAUTHORIZED; /* as in gh_db_ctx_txn */
  PQclear(all[0]);
  PQclear(all[1]);
  for (int i = 0; i < n; i++)
    results[i] = all[i + 2];
  if (st == GH_OK) {
    /* The transaction is open and its rows are locked: the callback only
     * renders. Second round trip: its statements and COMMIT. */
    gh_db_stmt more[GH_DB_THEN_MAX + 1];
    PGresult *mres[GH_DB_THEN_MAX + 1] = {0};
    int nmore = 0;
    st = then(ctx, results, more, GH_DB_THEN_MAX, &nmore);
    if (st == GH_OK && (nmore < 0 || nmore > GH_DB_THEN_MAX)) st = GH_ERR_INTERNAL;
    if (st == GH_OK) {
      more[nmore] = commit_stmt;
      st = run_batch(c, more, nmore + 1, mres);
      gh_db_clear(mres, nmore + 1);
    }
  }
  /* Whatever failed (a statement, the callback, the COMMIT) leaves a block
   * open or aborted: roll it back here, never later. */
  st = end_block(c, st);
  if (st) gh_db_clear(results, n);
  return st;
}

gh_status gh_db_exec(const gh_db_stmt *s, PGresult **result) {
  *result = NULL;
  PGconn *c = gh_db_conn();
  if (!c) return GH_ERR_DB_DOWN;
  int formats[MAX_PARAMS];
  if (s->nparams > MAX_PARAMS) return GH_ERR_INTERNAL;
  for (int i = 0; i < s->nparams; i++)
    formats[i] = (s->lengths && s->lengths[i] > 0) ? 1 : 0;
  uint64_t h = sql_hash(s->sql);
  char name[24];
  stmt_name(h, name);
  if (!is_prepared(h) && nprepared < PREP_SLOTS * 3 / 4) {
    PGresult *p = PQprepare(c, name, s->sql, s->nparams, NULL);
    if (PQresultStatus(p) == PGRES_COMMAND_OK) mark_prepared(h);
    PQclear(p);
  }
  PGresult *r = is_prepared(h) ? PQexecPrepared(c, name, s->nparams, s->values, s->lengths, formats, 0)
                               : PQexecParams(c, s->sql, s->nparams, NULL, s->values, s->lengths, formats, 0);
  ExecStatusType t = PQresultStatus(r);
  if (t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK) {
    *result = r;
    return GH_OK;
  }
  gh_status st = r ? gh_db_status_of(r) : GH_ERR_DB;
  if (r) log_error(r, s->sql);
  PQclear(r);
  if (PQstatus(c) != CONNECTION_OK) st = conn_failed(c);
  return st;
}

long long gh_db_getll(const PGresult *res, int row, int col) {
  if (PQgetisnull(res, row, col)) return 0;
  return strtoll(PQgetvalue(res, row, col), NULL, 10);
}
