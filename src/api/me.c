/* me.c: GET /v1/me and GET /v1/auth/check — who the credential is, from
 * what authentication already resolved (the credential cache for API
 * keys): no database work of their own. /v1/auth/check is the target of a
 * reverse proxy's auth sub-request (nginx auth_request). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/buf.h"

/* Appends the scope names of bits, each wrapped in quote (or bare when
 * quote is empty) and separated by sep. */
static void scope_text(gh_buf *b, uint32_t bits, const char *quote, const char *sep) {
  size_t start = b->len;
  for (uint32_t bit = 1; bit <= GH_SCOPE_ADMIN; bit <<= 1) {
    if (!(bits & bit)) continue;
    if (b->len > start) gh_buf_str(b, sep);
    gh_buf_str(b, quote);
    gh_buf_str(b, gh_scope_name(bit));
    gh_buf_str(b, quote);
  }
}

/* Written directly rather than through jansson: this is the cheapest
 * authenticated call, and every value is an id or a scope name. */
gh_status gh_api_me(gh_req *r) {
  const gh_principal *p = &r->principal;
  char text[1024];
  gh_buf b;
  gh_buf_init(&b, text, sizeof text);
  gh_buf_str(&b, p->kind == GH_CRED_API_KEY ? "{\"type\":\"api_key\",\"org_id\":\""
                                            : "{\"type\":\"session\",\"org_id\":\"");
  gh_buf_str(&b, p->org_id);
  gh_buf_str(&b, p->livemode ? "\",\"livemode\":true,\"scopes\":[" : "\",\"livemode\":false,\"scopes\":[");
  scope_text(&b, p->scopes, "\"", ",");
  if (p->kind == GH_CRED_API_KEY) {
    gh_buf_str(&b, "],\"api_key_id\":\"");
  } else {
    gh_buf_str(&b, "],\"user_id\":\"");
    gh_buf_str(&b, p->user_id);
    gh_buf_str(&b, "\",\"session_id\":\"");
  }
  gh_buf_str(&b, p->credential_id);
  gh_buf_str(&b, "\"}");
  char *owned = b.cut ? NULL : strdup(text); /* every scope and id fits: a cut is a bug */
  if (!owned) return b.cut ? GH_ERR_INTERNAL : GH_ERR_NOMEM;
  return gh_req_reply_text(r, 200, "application/json; charset=utf-8", owned);
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
  gh_buf b;
  gh_buf_init(&b, scopes, sizeof scopes);
  scope_text(&b, p->scopes, "", " ");
  gh_req_add_header(r, "Gatehouse-Org-Id", p->org_id);
  gh_req_add_header(r, "Gatehouse-Livemode", p->livemode ? "true" : "false");
  gh_req_add_header(r, "Gatehouse-Scopes", scopes);
  gh_req_add_header(r, "Gatehouse-Credential-Id", p->credential_id);
  return gh_req_reply(r, 204, NULL);
}
