/* objects.c: see objects.h. */
#include "api/objects.h"

#include <stdlib.h>

#include "core/clock.h"
#include "db/db.h"

json_t *gh_obj_time(long long epoch) {
  if (!epoch) return json_null();
  char buf[32];
  gh_rfc3339(epoch, buf);
  return json_string(buf);
}

json_t *gh_obj_org(const PGresult *res, int row, int c) {
  return json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "object", "org", "id", PQgetvalue(res, row, c), "name",
                   PQgetvalue(res, row, c + 1), "session_idle_timeout_seconds", (int)gh_db_getll(res, row, c + 2),
                   "session_max_lifetime_seconds", (int)gh_db_getll(res, row, c + 3), "created_at",
                   gh_obj_time(gh_db_getll(res, row, c + 4)));
}

json_t *gh_obj_user(const PGresult *res, int row, int c) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "object", "user", "id", PQgetvalue(res, row, c), "org_id",
                   PQgetvalue(res, row, c + 1), "email", PQgetvalue(res, row, c + 2), "role",
                   PQgetvalue(res, row, c + 3), "status", PQgetvalue(res, row, c + 4), "created_at",
                   gh_obj_time(gh_db_getll(res, row, c + 5)));
}

json_t *gh_obj_session(const gh_principal *p, long long created_at) {
  return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "object", "session", "id", p->credential_id,
                   "org_id", p->org_id, "user_id", p->user_id, "created_at", gh_obj_time(created_at), "expires_at",
                   gh_obj_time(p->expires_at), "idle_expires_at", gh_obj_time(p->idle_expires_at), "access_expires_at",
                   gh_obj_time(p->access_expires_at), "reauthenticated_at", gh_obj_time(p->reauthenticated_at));
}
