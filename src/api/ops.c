/* ops.c: GET /healthz (process up), GET /readyz (migrated and database
 * reachable), GET /metrics (Prometheus text). Open routes. */
#include <stdlib.h>

#include "api/api.h"
#include "auth/password.h"
#include "core/metrics.h"
#include "db/db.h"
#include "http/server.h"

gh_status gh_api_healthz(gh_req *r) { return gh_req_reply(r, 200, json_pack("{s:s}", "status", "ok")); }

gh_status gh_api_readyz(gh_req *r) {
  if (gh_server_draining()) {
    r->retry_after = 1;
    return gh_req_error(r, GH_ERR_UNAVAILABLE, NULL, "The server is shutting down.");
  }
  /* Migrations run before the server starts listening, so a process that
   * answers has migrated; what remains to check is the database. */
  gh_db_stmt q = {"SELECT 1", 0, NULL, NULL};
  PGresult *res;
  gh_status s = gh_db_exec(&q, &res);
  PQclear(res);
  if (s) {
    r->retry_after = 1;
    return gh_req_error(r, GH_ERR_UNAVAILABLE, NULL, "The database is not reachable.");
  }
  return gh_req_reply(r, 200, json_pack("{s:s}", "status", "ready"));
}

gh_status gh_api_metrics(gh_req *r) {
  gh_pool *p = gh_password_pool();
  char *text = gh_metrics_render(p ? gh_pool_depth(p) : 0, gh_server_in_flight());
  if (!text) return GH_ERR_NOMEM;
  return gh_req_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text);
}
