/* me.c: GET /v1/me and GET /v1/auth/check — who the credential is, from
 * what authentication already resolved (the credential cache for API
 * keys): no database work of their own. /v1/auth/check is the target of a
 * reverse proxy's auth sub-request (nginx auth_request). */
#include <string.h>

#include "api/api.h"

static json_t *scope_list(uint32_t bits) {
  json_t *a = json_array();
  for (uint32_t b = 1; b <= GH_SCOPE_ADMIN; b <<= 1)
    if (bits & b) json_array_append_new(a, json_string(gh_scope_name(b)));
  return a;
}

gh_status gh_api_me(gh_req *r) {
  const gh_principal *p = &r->principal;
  int key = p->kind == GH_CRED_API_KEY;
  json_t *o = json_pack("{s:s, s:s, s:b, s:o}", "type", key ? "api_key" : "session", "org_id", p->org_id, "livemode",
                        p->livemode, "scopes", scope_list(p->scopes));
  json_object_set_new(o, key ? "api_key_id" : "user_id", json_string(key ? p->credential_id : p->user_id));
  if (!key) json_object_set_new(o, "session_id", json_string(p->credential_id));
  return gh_req_reply(r, 200, o);
}

gh_status gh_api_auth_check(gh_req *r) {
  const gh_principal *p = &r->principal;
  const char *want = gh_req_query(r, "scope");
  if (want) {
    uint32_t bit = gh_scope_parse(want);
    if (!bit) return gh_req_error(r, GH_ERR_INVALID_REQUEST, "scope", "Unknown scope.");
    if (!(p->scopes & bit)) return GH_ERR_FORBIDDEN;
  }
  char scopes[256] = "";
  size_t used = 0;
  for (uint32_t b = 1; b <= GH_SCOPE_ADMIN; b <<= 1) {
    if (!(p->scopes & b)) continue;
    const char *n = gh_scope_name(b);
    size_t len = strlen(n);
    if (used + len + 2 > sizeof scopes) break;
    if (used) scopes[used++] = ' ';
    memcpy(scopes + used, n, len + 1);
    used += len;
  }
  gh_req_add_header(r, "Gatehouse-Org-Id", p->org_id);
  gh_req_add_header(r, "Gatehouse-Livemode", p->livemode ? "true" : "false");
  gh_req_add_header(r, "Gatehouse-Scopes", scopes);
  gh_req_add_header(r, "Gatehouse-Credential-Id", p->credential_id);
  return gh_req_reply(r, 204, NULL);
}
