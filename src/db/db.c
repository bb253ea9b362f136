/* db.c: per-thread runtime connections and pipelined transactions (see
 * db.h). */
#include "db/db.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

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

static int send_stmt(PGconn *c, const gh_db_stmt *s) {
  int formats[MAX_PARAMS];
  if (s->nparams > MAX_PARAMS) return 0;
  for (int i = 0; i < s->nparams; i++)
    formats[i] = (s->lengths && s->lengths[i] > 0) ? 1 : 0;
  return PQsendQueryParams(c, s->sql, s->nparams, NULL, s->values, s->lengths, formats, 0);
}

static void log_error(const PGresult *r, const char *sql) {
  const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  json_t *f =
      json_pack("{s:s, s:s, s:s}", "sqlstate", state ? state : "", "error", msg ? msg : "", "sql", sql ? sql : "");
  gh_log_obj(GH_LOG_WARN, "database statement failed", f);
}

/* Sends BEGIN, stmts, COMMIT + Sync; collects one result per statement into
 * all[] (n + 2 entries). Returns the first failure's status. */
static gh_status run_pipeline(PGconn *c, const gh_db_stmt *stmts, int n, PGresult **all) {
  static const gh_db_stmt begin = {"BEGIN", 0, NULL, NULL}, commit = {"COMMIT", 0, NULL, NULL};
  gh_status st = GH_OK;
  int total = n + 2;
  if (!PQenterPipelineMode(c)) return conn_failed(c);
  int sent = send_stmt(c, &begin);
  for (int i = 0; sent && i < n; i++)
    sent = send_stmt(c, &stmts[i]);
  if (sent) sent = send_stmt(c, &commit);
  if (!sent || !PQpipelineSync(c)) {
    gh_log(GH_LOG_ERROR, "database send failed: %s", PQerrorMessage(c));
    PQexitPipelineMode(c);
    return conn_failed(c);
  }
  for (int i = 0; i < total; i++) {
    PGresult *r = PQgetResult(c);
    if (!r) {
      st = conn_failed(c);
      break;
    }
    ExecStatusType t = PQresultStatus(r);
    if (t == PGRES_FATAL_ERROR) {
      if (st == GH_OK) {
        st = gh_db_status_of(r);
        log_error(r, i > 0 && i <= n ? stmts[i - 1].sql : NULL);
      }
    } else if (t == PGRES_PIPELINE_ABORTED && st == GH_OK) {
      st = GH_ERR_DB;
    }
    all[i] = r;
    /* Each statement's results end with a NULL. */
    PGresult *end = PQgetResult(c);
    if (end) {
      PQclear(end);
      while ((end = PQgetResult(c)))
        PQclear(end);
    }
  }
  /* The Sync's own result. */
  PGresult *sync = PQgetResult(c);
  if (sync && PQresultStatus(sync) != PGRES_PIPELINE_SYNC && st == GH_OK) st = GH_ERR_DB;
  PQclear(sync);
  if (!PQexitPipelineMode(c) && st == GH_OK) st = conn_failed(c);
  /* A failure inside BEGIN leaves the block aborted: end it. */
  if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
  if (st == GH_ERR_DB && PQstatus(c) != CONNECTION_OK) st = conn_failed(c);
  return st;
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

gh_status gh_db_exec(const gh_db_stmt *s, PGresult **result) {
  *result = NULL;
  PGconn *c = gh_db_conn();
  if (!c) return GH_ERR_DB_DOWN;
  int formats[MAX_PARAMS];
  if (s->nparams > MAX_PARAMS) return GH_ERR_INTERNAL;
  for (int i = 0; i < s->nparams; i++)
    formats[i] = (s->lengths && s->lengths[i] > 0) ? 1 : 0;
  PGresult *r = PQexecParams(c, s->sql, s->nparams, NULL, s->values, s->lengths, formats, 0);
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
