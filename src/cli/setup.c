/* setup.c: see setup.h. */
#include "cli/setup.h"

#include <libpq-fe.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "db/db.h"
#include "db/embedded.h"
#include "db/migrate.h"

/* The runtime role's connection: GATEHOUSE_APP_DATABASE_URL as given, or
 * DATABASE_URL's server and database as gatehouse_app with the generated
 * password. */
static gh_status init_runtime(gh_setup *su) {
  const char *src = su->cfg.app_database_url ? su->cfg.app_database_url : su->admin_url;
  char *err = NULL;
  PQconninfoOption *opts = PQconninfoParse(src, &err);
  if (!opts) {
    gh_log(GH_LOG_ERROR, "cannot parse the database URL: %s", err ? err : "out of memory");
    PQfreemem(err);
    return GH_ERR_INVALID_REQUEST;
  }
  int n = 0;
  while (opts[n].keyword)
    n++;
  const char **kw = calloc((size_t)n + 1, sizeof *kw), **val = calloc((size_t)n + 1, sizeof *val);
  if (!kw || !val) {
    free(kw);
    free(val);
    PQconninfoFree(opts);
    return GH_ERR_NOMEM;
  }
  for (int i = 0; i < n; i++) {
    kw[i] = opts[i].keyword;
    val[i] = opts[i].val;
    if (!su->cfg.app_database_url) {
      if (!strcmp(kw[i], "user")) val[i] = "gatehouse_app";
      if (!strcmp(kw[i], "password")) val[i] = su->state->app_db_password;
    }
  }
  gh_status s = gh_db_init(kw, val);
  free(kw);
  free(val);
  PQconninfoFree(opts);
  return s;
}

/* Fail closed: refuse to serve through a role that could bypass RLS. */
static gh_status check_runtime_role(void) {
  gh_db_stmt q = {"SELECT r.rolsuper OR r.rolbypassrls"
                  " OR EXISTS (SELECT 1 FROM pg_roles m WHERE m.oid <> r.oid AND pg_has_role(r.oid, m.oid, 'MEMBER')"
                  "            AND (m.rolsuper OR m.rolbypassrls))"
                  " OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid)"
                  " OR EXISTS (SELECT 1 FROM pg_namespace ns WHERE ns.nspowner = r.oid),"
                  " r.rolname FROM pg_roles r WHERE r.rolname = current_user",
                  0, NULL, NULL};
  PGresult *res;
  gh_status s = gh_db_exec(&q, &res);
  if (s) {
    gh_log(GH_LOG_ERROR, "cannot connect as the runtime role");
    return s;
  }
  int bad = PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "f");
  if (bad)
    gh_log(GH_LOG_ERROR, "refusing to serve: runtime role %s is superuser, can bypass RLS or owns objects",
           PQntuples(res) ? PQgetvalue(res, 0, 1) : "?");
  PQclear(res);
  return bad ? GH_ERR_FORBIDDEN : GH_OK;
}

gh_status gh_setup_start(gh_setup *su) {
  memset(su, 0, sizeof *su);
  if (sodium_init() < 0) return GH_ERR_INTERNAL;
  gh_status s = gh_config_load(&su->cfg);
  if (s) return s;
  gh_cfg = &su->cfg;
  su->state = sodium_malloc(sizeof *su->state);
  if (!su->state) return GH_ERR_NOMEM;
  if ((s = gh_state_load(su->cfg.state_dir, su->state))) return s;
  gh_secrets = su->state;
  if (su->cfg.database_url) {
    su->admin_url = strdup(su->cfg.database_url);
    if (!su->admin_url) return GH_ERR_NOMEM;
  } else if ((s = gh_embedded_start(&su->admin_url, &su->started_embedded))) {
    return s;
  }
  if ((s = init_runtime(su))) return s;
  /* The runtime role's password is (re)set only when it does not already
   * work, so that processes started with another state directory on the
   * same cluster (tests, a second deployment) do not lock each other out. */
  const char *set_pw = su->cfg.app_database_url || gh_db_can_connect() ? NULL : su->state->app_db_password;
  s = gh_migrate_run(su->admin_url, set_pw, su->cfg.rls_context, su->rls_context, sizeof su->rls_context);
  if (s) return s;
  gh_log_obj(GH_LOG_INFO, "migrated", json_pack("{s:s}", "rls_context", su->rls_context));
  return check_runtime_role();
}

void gh_setup_stop(gh_setup *su) {
  gh_db_shutdown();
  if (su->started_embedded) gh_embedded_stop();
  if (su->admin_url) {
    sodium_memzero(su->admin_url, strlen(su->admin_url));
    free(su->admin_url);
  }
  if (su->state) {
    gh_state_wipe(su->state);
    sodium_free(su->state);
  }
  gh_secrets = NULL;
  gh_cfg = NULL;
  gh_config_free(&su->cfg);
  memset(su, 0, sizeof *su);
}
