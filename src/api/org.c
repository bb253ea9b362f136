/* org.c: the caller's organization. Read through the org context, so RLS
 * alone decides which org row is visible. */
#include "api/api.h"
#include "api/objects.h"
#include "db/db.h"

gh_status gh_api_org_get(gh_req *r) {
  gh_db_stmt q = {"SELECT " GH_ORG_COLS " FROM gh.orgs o", 0, NULL, NULL};
  PGresult *res = NULL;
  gh_status s = gh_db_ctx_txn(r->principal.hash, r->principal.livemode, &q, 1, &res);
  if (s) return s;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return GH_ERR_UNAUTHORIZED;
  }
  json_t *o = gh_obj_org(res, 0, 0);
  PQclear(res);
  return gh_req_reply(r, 200, o);
}
