/* migrate.c: see migrate.h. */
#include "db/migrate.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "sql_embed.h"

/* "gatehouse" in ASCII: the advisory lock key of migrations. */
#define MIGRATE_LOCK_KEY "7449355218143142757"

static const char *find_file(const char *path) {
  for (int i = 0; i < gh_sql_files_count; i++)
    if (!strcmp(gh_sql_files[i].path, path)) return gh_sql_files[i].text;
  return NULL;
}

/* Runs sql (several statements allowed) with the simple protocol. */
static gh_status exec_sql(PGconn *c, const char *sql, const char *what, int quiet) {
  PGresult *r = PQexec(c, sql);
  ExecStatusType t = PQresultStatus(r);
  if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK || t == PGRES_EMPTY_QUERY) {
    PQclear(r);
    return GH_OK;
  }
  if (!quiet) gh_log(GH_LOG_ERROR, "migrate: %s failed: %s", what, PQerrorMessage(c));
  PQclear(r);
  return GH_ERR_DB;
}

static char *query_value(PGconn *c, const char *sql, const char *param) {
  const char *vals[1] = {param};
  PGresult *r = PQexecParams(c, sql, param ? 1 : 0, NULL, vals, NULL, NULL, 0);
  char *v = NULL;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
    v = strdup(PQgetvalue(r, 0, 0));
  PQclear(r);
  return v;
}

/* Sets the runtime role's password, sent already SCRAM-hashed so the
 * plaintext never reaches the server (or its statement log). */
static gh_status set_password(PGconn *c, const char *pw) {
  char *verifier = PQencryptPasswordConn(c, pw, "gatehouse_app", "scram-sha-256");
  if (!verifier) return GH_ERR_NOMEM;
  char *lit = PQescapeLiteral(c, verifier, strlen(verifier));
  PQfreemem(verifier);
  if (!lit) return GH_ERR_NOMEM;
  size_t n = strlen(lit) + 64;
  char *sql = malloc(n);
  if (!sql) {
    PQfreemem(lit);
    return GH_ERR_NOMEM;
  }
  snprintf(sql, n, "ALTER ROLE gatehouse_app PASSWORD %s", lit);
  gh_status s = exec_sql(c, sql, "setting the runtime role's password", 0);
  free(sql);
  PQfreemem(lit);
  return s;
}

static gh_status install_context(PGconn *c, const char *want, char *impl, size_t impl_size) {
  char *have = query_value(c, "SELECT value FROM gh_meta.settings WHERE key = 'rls_context'", NULL);
  if (have) {
    /* Chosen once per database; the file is idempotent and is run again so
     * that ownership and grants are re-asserted (e.g. after a restore). */
    if (strcmp(want, "auto") && strcmp(want, have))
      gh_log(GH_LOG_WARN, "migrate: GATEHOUSE_RLS_CONTEXT=%s, but this database already uses %s; keeping %s", want,
             have, have);
    char path[64];
    snprintf(path, sizeof path, "sql/context/%s.sql", have);
    const char *sql = find_file(path);
    gh_status s = sql ? exec_sql(c, sql, path, 0) : GH_ERR_INTERNAL;
    gh_buf_copy(impl, impl_size, have);
    free(have);
    return s;
  }
  const char *order[2] = {"extension", "sealed"};
  int from = !strcmp(want, "sealed") ? 1 : 0, to = !strcmp(want, "extension") ? 0 : 1;
  for (int i = from; i <= to; i++) {
    char path[64];
    snprintf(path, sizeof path, "sql/context/%s.sql", order[i]);
    const char *sql = find_file(path);
    if (!sql) continue;
    if (exec_sql(c, "BEGIN", "BEGIN", 0)) return GH_ERR_DB;
    int last = i == to;
    /* Tried in a transaction: a server without the extension's files
     * fails CREATE EXTENSION, and auto mode falls back to sealed. */
    gh_status s = exec_sql(c, sql, path, !last);
    if (!s) {
      const char *vals[1] = {order[i]};
      PGresult *r = PQexecParams(c, "INSERT INTO gh_meta.settings(key, value) VALUES ('rls_context', $1)", 1, NULL,
                                 vals, NULL, NULL, 0);
      s = PQresultStatus(r) == PGRES_COMMAND_OK ? GH_OK : GH_ERR_DB;
      PQclear(r);
    }
    if (!s) s = exec_sql(c, "COMMIT", "COMMIT", 0);
    if (!s) {
      gh_buf_copy(impl, impl_size, order[i]);
      return GH_OK;
    }
    exec_sql(c, "ROLLBACK", "ROLLBACK", 1);
    if (!last) gh_log(GH_LOG_INFO, "migrate: the gatehouse_ctx extension is not available; using the sealed context");
  }
  gh_log(GH_LOG_ERROR, "migrate: could not install an org-context implementation (%s)", want);
  return GH_ERR_DB;
}

static gh_status apply_migrations(PGconn *c) {
  int applied = 0;
  for (int i = 0; i < gh_sql_files_count; i++) {
    const char *path = gh_sql_files[i].path;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(path, "sql/migrations/", 15)) continue;
    char version[16];
    snprintf(version, sizeof version, "%ld", strtol(base, NULL, 10));
    char *done = query_value(c, "SELECT 1 FROM gh_meta.schema_migrations WHERE version = $1::int", version);
    if (done) {
      free(done);
      continue;
    }
    gh_status s = exec_sql(c, "BEGIN; SET LOCAL ROLE gatehouse_owner", "BEGIN", 0);
    if (!s) s = exec_sql(c, gh_sql_files[i].text, path, 0);
    if (!s) {
      const char *vals[2] = {version, base};
      PGresult *r = PQexecParams(c, "INSERT INTO gh_meta.schema_migrations(version, name) VALUES ($1::int, $2)", 2,
                                 NULL, vals, NULL, NULL, 0);
      if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        gh_log(GH_LOG_ERROR, "migrate: recording %s failed: %s", base, PQerrorMessage(c));
        s = GH_ERR_DB;
      }
      PQclear(r);
    }
    if (!s) s = exec_sql(c, "COMMIT", "COMMIT", 0);
    if (s) {
      exec_sql(c, "ROLLBACK", "ROLLBACK", 1);
      return s;
    }
    gh_log(GH_LOG_INFO, "migrate: applied %s", base);
    applied++;
  }
  if (!applied) gh_log(GH_LOG_INFO, "migrate: schema is up to date");
  return GH_OK;
}

gh_status gh_migrate_run(const char *admin_url, const char *app_password, const char *want, char *impl,
                         size_t impl_size) {
  PGconn *c = PQconnectdb(admin_url);
  if (PQstatus(c) != CONNECTION_OK) {
    gh_log(GH_LOG_ERROR, "migrate: cannot connect with DATABASE_URL: %s", PQerrorMessage(c));
    PQfinish(c);
    return GH_ERR_DB_DOWN;
  }
  PQclear(PQexec(c, "SET client_min_messages = warning"));
  gh_status s = exec_sql(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "taking the migration lock", 0);
  if (!s) {
    const char *roles = find_file("sql/roles.sql");
    s = roles ? exec_sql(c, roles, "sql/roles.sql", 0) : GH_ERR_INTERNAL;
    if (!s && app_password) s = set_password(c, app_password);
    if (!s) s = install_context(c, want, impl, impl_size);
    if (!s) s = apply_migrations(c);
    exec_sql(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", "releasing the migration lock", 0);
  }
  PQfinish(c);
  return s;
}
