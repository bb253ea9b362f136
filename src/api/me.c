/* me.c: GET /v1/me and GET /v1/auth/check — who the credential is, from
 * what authentication already resolved (the credential cache for API
 * keys): no database work of their own. /v1/auth/check is the target of a
 * reverse proxy's auth sub-request (nginx auth_request). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* Writes the scope names of bits, each wrapped in quote (or bare when
 * quote is empty) and separated by sep, into out. Returns the length. */
static size_t scope_text(uint32_t bits, const char *quote, const char *sep, char *out, size_t size) {
  size_t used = 0;
  out[0] = '\0';
  for (uint32_t b = 1; b <= GH_SCOPE_ADMIN; b <<= 1) {
    if (!(bits & b)) continue;
    int w = snprintf(out + used, size - used, "%s%s%s%s", used ? sep : "", quote, gh_scope_name(b), quote);
    if (w < 0 || (size_t)w >= size - used) break;
    used += (size_t)w;
  }
  return used;
}

/* Written directly rather than through jansson: this is the cheapest
 * authenticated call, and every value is an id or a scope name. */
gh_status gh_api_me(gh_req *r) {
  const gh_principal *p = &r->principal;
  int key = p->kind == GH_CRED_API_KEY;
  char scopes[320], *text = NULL;
  scope_text(p->scopes, "\"", ",", scopes, sizeof scopes);
  int n =
      key ? asprintf(&text,
                     "{\"type\":\"api_key\",\"org_id\":\"%s\",\"livemode\":%s,\"scopes\":[%s],\"api_key_id\":\"%s\"}",
                     p->org_id, p->livemode ? "true" : "false", scopes, p->credential_id)
          : asprintf(&text,
                     "{\"type\":\"session\",\"org_id\":\"%s\",\"livemode\":%s,\"scopes\":[%s],\"user_id\":\"%s\","
                     "\"session_id\":\"%s\"}",
                     p->org_id, p->livemode ? "true" : "false", scopes, p->user_id, p->credential_id);
  if (n < 0) return GH_ERR_NOMEM;
  return gh_req_reply_text(r, 200, "application/json; charset=utf-8", text);
}

gh_status gh_api_auth_check(gh_req *r) {
  const gh_principal *p = &r->principal;
  const char *want = gh_req_query(r, "scope");
  if (want) {
    uint32_t bit = gh_scope_parse(want);
    if (!bit) return gh_req_error(r, GH_ERR_INVALID_REQUEST, "scope", "Unknown scope.");
    if (!(p->scopes & bit)) return GH_ERR_FORBIDDEN;
  }
  char scopes[256];
  scope_text(p->scopes, "", " ", scopes, sizeof scopes);
  gh_req_add_header(r, "Gatehouse-Org-Id", p->org_id);
  gh_req_add_header(r, "Gatehouse-Livemode", p->livemode ? "true" : "false");
  gh_req_add_header(r, "Gatehouse-Scopes", scopes);
  gh_req_add_header(r, "Gatehouse-Credential-Id", p->credential_id);
  return gh_req_reply(r, 204, NULL);
}
