/* authn.c: see authn.h. */
#include "auth/authn.h"

#include <string.h>
#include <strings.h>

#include "auth/token.h"
#include "core/clock.h"
#include "db/db.h"

#define SESSION_COOKIE "gh_session"

gh_status gh_authn_session_hash(const unsigned char hash[32], gh_principal *p) {
  const char *vals[1] = {(const char *)hash};
  const int lens[1] = {32};
  gh_db_stmt q = {"SELECT session_id, user_id, org_id, role, state, "
                  "extract(epoch from access_expires_at)::bigint, extract(epoch from expires_at)::bigint, "
                  "extract(epoch from idle_expires_at)::bigint, "
                  "coalesce(extract(epoch from reauthenticated_at)::bigint, 0) "
                  "FROM gh.session_lookup($1::bytea)",
                  1, vals, lens};
  PGresult *res;
  gh_status s = gh_db_exec(&q, &res);
  if (s) return s;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return GH_ERR_UNAUTHORIZED;
  }
  const char *state = PQgetvalue(res, 0, 4);
  if (strcmp(state, "live")) {
    s = strcmp(state, "expired") ? GH_ERR_UNAUTHORIZED : GH_ERR_TOKEN_EXPIRED;
    PQclear(res);
    return s;
  }
  p->kind = GH_CRED_SESSION;
  snprintf(p->credential_id, sizeof p->credential_id, "%s", PQgetvalue(res, 0, 0));
  snprintf(p->user_id, sizeof p->user_id, "%s", PQgetvalue(res, 0, 1));
  snprintf(p->org_id, sizeof p->org_id, "%s", PQgetvalue(res, 0, 2));
  snprintf(p->role, sizeof p->role, "%s", PQgetvalue(res, 0, 3));
  p->access_expires_at = gh_db_getll(res, 0, 5);
  p->expires_at = gh_db_getll(res, 0, 6);
  p->idle_expires_at = gh_db_getll(res, 0, 7);
  p->reauthenticated_at = gh_db_getll(res, 0, 8);
  p->scopes = strcmp(p->role, "admin") ? GH_SCOPE_RESOURCES : GH_SCOPE_ALL;
  memcpy(p->hash, hash, 32);
  PQclear(res);
  return GH_OK;
}

gh_status gh_authn_request(gh_req *r) {
  const char *auth = gh_req_header(r, "Authorization");
  if (auth) {
    /* API keys arrive with the API-key issue; until then no bearer
     * credential is valid. */
    return GH_ERR_UNAUTHORIZED;
  }
  const char *cookie = gh_req_cookie(r, SESSION_COOKIE);
  if (!cookie || !*cookie || strlen(cookie) > 128) return GH_ERR_UNAUTHORIZED;
  unsigned char hash[32];
  gh_token_hash(cookie, strlen(cookie), hash);
  gh_status s = gh_authn_session_hash(hash, &r->principal);
  if (s) return s;
  const char *mode = gh_req_header(r, "Gatehouse-Mode");
  r->principal.livemode = !(mode && !strcasecmp(mode, "test"));
  return GH_OK;
}
