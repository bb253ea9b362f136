/* routes.c: the route table and its matcher (see routes.h).
 *
 * Order of checks (api.md): the dispatcher in server.c applies, for the row
 * found here, credentials (auth), the org in the URL, the credential kind
 * and scope (a session's role gives its scopes: admin all, member every
 * resource scope), re-authentication for `sensitive` rows, then the body
 * schema, and only then calls the handler. A row with auth GH_AUTH_OPEN
 * skips the credential steps. Rows with org_path are also reachable under
 * /v1/orgs/{org_id}, where another org's id is 403 org_mismatch. */
#include "http/routes.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "http/apidocs.h"
#include "http/static.h"

/* clang-format off */
const gh_route gh_routes[] = {
    /* Operations: open. */
    {.method = "GET", .path = "/healthz", .handler = gh_api_healthz},
    {.method = "GET", .path = "/readyz", .handler = gh_api_readyz},
    {.method = "GET", .path = "/metrics", .handler = gh_api_metrics},

    /* Identities: open routes that create sessions. */
    {.method = "POST", .path = "/v1/signup", .handler = gh_api_signup, .body = gh_api_signup_body,
     .gate = gh_api_signup_gate},
    {.method = "POST", .path = "/v1/auth/login", .handler = gh_api_login, .body = gh_api_login_body},
    {.method = "POST", .path = "/v1/invitations/accept", .handler = gh_api_invitation_accept,
     .body = gh_api_accept_body},
    /* Refresh authenticates itself with the refresh cookie (and checks
     * Origin): the access token may have expired, which is why it runs. */
    {.method = "POST", .path = "/v1/auth/refresh", .handler = gh_api_auth_refresh},

    /* The browser session itself. */
    {.method = "POST", .path = "/v1/auth/logout", .handler = gh_api_auth_logout, .auth = GH_AUTH_SESSION,
     .body = gh_api_logout_body},
    {.method = "GET", .path = "/v1/auth/session", .handler = gh_api_auth_session, .auth = GH_AUTH_SESSION},
    {.method = "POST", .path = "/v1/auth/reauthenticate", .handler = gh_api_auth_reauthenticate,
     .auth = GH_AUTH_SESSION, .body = gh_api_reauth_body},
    {.method = "POST", .path = "/v1/auth/password", .handler = gh_api_auth_password, .auth = GH_AUTH_SESSION,
     .sensitive = GH_SENSITIVE_SELF, .body = gh_api_password_body},

    /* The caller's organization. */
    {.method = "GET", .path = "/v1/org", .handler = gh_api_org_get, .auth = GH_AUTH_ANY},

    /* Who am I; the gateway check (no database work). */
    {.method = "GET", .path = "/v1/me", .handler = gh_api_me, .auth = GH_AUTH_ANY},
    {.method = "GET", .path = "/v1/auth/check", .handler = gh_api_auth_check, .auth = GH_AUTH_ANY},

    /* API keys: admins read; admin sessions that re-authenticated change. */
    {.method = "POST", .path = "/v1/api_keys", .handler = gh_api_key_create, .auth = GH_AUTH_SESSION,
     .sensitive = GH_SENSITIVE_ADMIN, .body = gh_api_key_create_body},
    {.method = "GET", .path = "/v1/api_keys", .handler = gh_api_key_list, .auth = GH_AUTH_ANY,
     .scope = GH_SCOPE_ADMIN},
    {.method = "GET", .path = "/v1/api_keys/{id}", .handler = gh_api_key_get, .auth = GH_AUTH_ANY,
     .scope = GH_SCOPE_ADMIN},
    {.method = "POST", .path = "/v1/api_keys/{id}/revoke", .handler = gh_api_key_revoke, .auth = GH_AUTH_SESSION,
     .sensitive = GH_SENSITIVE_ADMIN},
    {.method = "POST", .path = "/v1/api_keys/{id}/rotate", .handler = gh_api_key_rotate, .auth = GH_AUTH_SESSION,
     .sensitive = GH_SENSITIVE_ADMIN, .body = gh_api_key_rotate_body},

    /* Events and the audit log: admins read (written by the changes). */
    {.method = "GET", .path = "/v1/events", .handler = gh_api_event_list, .auth = GH_AUTH_ANY,
     .scope = GH_SCOPE_ADMIN},
    {.method = "GET", .path = "/v1/events/{id}", .handler = gh_api_event_get, .auth = GH_AUTH_ANY,
     .scope = GH_SCOPE_ADMIN},
    {.method = "GET", .path = "/v1/audit_log", .handler = gh_api_audit_list, .auth = GH_AUTH_ANY,
     .scope = GH_SCOPE_ADMIN},
    /* Usage counters: admins read (api/usage.c). */
    {.method = "GET", .path = "/v1/api_keys/{id}/usage", .handler = gh_api_key_usage, .auth = GH_AUTH_ANY,
     .scope = GH_SCOPE_ADMIN},
    {.method = "GET", .path = "/v1/usage", .handler = gh_api_usage, .auth = GH_AUTH_ANY, .scope = GH_SCOPE_ADMIN},

    /* Organization settings, users, force logout: admins read; admin
     * sessions that re-authenticated change. */
    {.method = "PATCH", .path = "/v1/org", .handler = gh_api_org_update, .auth = GH_AUTH_SESSION,
     .sensitive = GH_SENSITIVE_ADMIN, .body = gh_api_org_update_body},
    {.method = "POST", .path = "/v1/org/force_logout", .handler = gh_api_org_force_logout, .auth = GH_AUTH_SESSION,
     .sensitive = GH_SENSITIVE_ADMIN},
    {.method = "GET", .path = "/v1/users", .handler = gh_api_user_list, .auth = GH_AUTH_ANY,
     .scope = GH_SCOPE_ADMIN},
    {.method = "POST", .path = "/v1/users", .handler = gh_api_user_create, .auth = GH_AUTH_SESSION,
     .sensitive = GH_SENSITIVE_ADMIN, .body = gh_api_user_create_body},
    {.method = "GET", .path = "/v1/users/{id}", .handler = gh_api_user_get, .auth = GH_AUTH_ANY,
     .scope = GH_SCOPE_ADMIN},
    {.method = "PATCH", .path = "/v1/users/{id}", .handler = gh_api_user_update, .auth = GH_AUTH_SESSION,
     .sensitive = GH_SENSITIVE_ADMIN, .body = gh_api_user_update_body},
    {.method = "DELETE", .path = "/v1/users/{id}", .handler = gh_api_user_delete, .auth = GH_AUTH_SESSION,
     .sensitive = GH_SENSITIVE_ADMIN},
    {.method = "POST", .path = "/v1/users/{id}/force_logout", .handler = gh_api_user_force_logout,
     .auth = GH_AUTH_SESSION, .sensitive = GH_SENSITIVE_ADMIN},

    /* ---- resources (begin) */
    /* Applications platform: applications, reviews. A review is requested
     * with write:reviews alone. */
    {.method = "GET", .path = "/v1/applications", .handler = gh_api_application_list,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_READ_APPLICATIONS},
    {.method = "POST", .path = "/v1/applications", .handler = gh_api_application_create,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_APPLICATIONS,
     .body = gh_api_application_create_body},
    {.method = "GET", .path = "/v1/applications/{id}", .handler = gh_api_application_get,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_READ_APPLICATIONS},
    {.method = "PATCH", .path = "/v1/applications/{id}", .handler = gh_api_application_update,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_APPLICATIONS,
     .body = gh_api_application_update_body},
    {.method = "DELETE", .path = "/v1/applications/{id}", .handler = gh_api_application_delete,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_APPLICATIONS},
    {.method = "POST", .path = "/v1/applications/{id}/reviews", .handler = gh_api_review_request,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_REVIEWS},
    {.method = "GET", .path = "/v1/reviews", .handler = gh_api_review_list,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_READ_REVIEWS},
    {.method = "GET", .path = "/v1/reviews/{id}", .handler = gh_api_review_get,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_READ_REVIEWS},
    {.method = "PATCH", .path = "/v1/reviews/{id}", .handler = gh_api_review_update,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_REVIEWS, .body = gh_api_review_update_body},

    /* Campaigns platform: campaigns, leads. */
    {.method = "GET", .path = "/v1/campaigns", .handler = gh_api_campaign_list,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_READ_CAMPAIGNS},
    {.method = "POST", .path = "/v1/campaigns", .handler = gh_api_campaign_create,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_CAMPAIGNS, .body = gh_api_campaign_create_body},
    {.method = "GET", .path = "/v1/campaigns/{id}", .handler = gh_api_campaign_get,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_READ_CAMPAIGNS},
    {.method = "PATCH", .path = "/v1/campaigns/{id}", .handler = gh_api_campaign_update,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_CAMPAIGNS, .body = gh_api_campaign_update_body},
    {.method = "DELETE", .path = "/v1/campaigns/{id}", .handler = gh_api_campaign_delete,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_CAMPAIGNS},
    {.method = "GET", .path = "/v1/leads", .handler = gh_api_lead_list,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_READ_LEADS},
    {.method = "POST", .path = "/v1/leads", .handler = gh_api_lead_create,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_LEADS, .body = gh_api_lead_create_body},
    {.method = "POST", .path = "/v1/leads/import", .handler = gh_api_lead_import,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_LEADS, .body = gh_api_lead_import_body},
    {.method = "GET", .path = "/v1/leads/{id}", .handler = gh_api_lead_get,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_READ_LEADS},
    {.method = "PATCH", .path = "/v1/leads/{id}", .handler = gh_api_lead_update,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_LEADS, .body = gh_api_lead_update_body},
    {.method = "DELETE", .path = "/v1/leads/{id}", .handler = gh_api_lead_delete,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_LEADS},

    /* Contracts platform: contracts (never deleted: DELETE is 405),
     * deployment, executions. */
    {.method = "GET", .path = "/v1/contracts", .handler = gh_api_contract_list,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_READ_CONTRACTS},
    {.method = "POST", .path = "/v1/contracts", .handler = gh_api_contract_create,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_CONTRACTS, .body = gh_api_contract_create_body},
    {.method = "GET", .path = "/v1/contracts/{id}", .handler = gh_api_contract_get,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_READ_CONTRACTS},
    {.method = "PATCH", .path = "/v1/contracts/{id}", .handler = gh_api_contract_update,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_CONTRACTS, .body = gh_api_contract_update_body},
    {.method = "POST", .path = "/v1/contracts/{id}/deploy", .handler = gh_api_contract_deploy,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_CONTRACTS},
    {.method = "POST", .path = "/v1/contracts/{id}/execute", .handler = gh_api_contract_execute,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_WRITE_CONTRACTS, .body = gh_api_contract_execute_body},
    {.method = "GET", .path = "/v1/contracts/{id}/executions", .handler = gh_api_contract_executions,
     .auth = GH_AUTH_ANY, .org_path = true, .scope = GH_SCOPE_READ_CONTRACTS},
    /* ---- resources (end) */

    /* ---- webhooks (begin): admins read and redeliver; admin sessions that
     * re-authenticated create, delete and rotate. */
    {.method = "POST", .path = "/v1/webhook_endpoints", .handler = gh_api_webhook_create, .auth = GH_AUTH_SESSION,
     .sensitive = GH_SENSITIVE_ADMIN, .body = gh_api_webhook_create_body},
    {.method = "GET", .path = "/v1/webhook_endpoints", .handler = gh_api_webhook_list, .auth = GH_AUTH_ANY,
     .scope = GH_SCOPE_ADMIN},
    {.method = "GET", .path = "/v1/webhook_endpoints/{id}", .handler = gh_api_webhook_get, .auth = GH_AUTH_ANY,
     .scope = GH_SCOPE_ADMIN},
    {.method = "DELETE", .path = "/v1/webhook_endpoints/{id}", .handler = gh_api_webhook_delete,
     .auth = GH_AUTH_SESSION, .sensitive = GH_SENSITIVE_ADMIN},
    {.method = "POST", .path = "/v1/webhook_endpoints/{id}/rotate_secret", .handler = gh_api_webhook_rotate,
     .auth = GH_AUTH_SESSION, .sensitive = GH_SENSITIVE_ADMIN},
    {.method = "GET", .path = "/v1/webhook_endpoints/{id}/deliveries", .handler = gh_api_webhook_deliveries,
     .auth = GH_AUTH_ANY, .scope = GH_SCOPE_ADMIN},
    {.method = "POST", .path = "/v1/events/{id}/redeliver", .handler = gh_api_event_redeliver, .auth = GH_AUTH_ANY,
     .scope = GH_SCOPE_ADMIN},
    /* ---- webhooks (end) */

    /* ---- admin panel (begin): the embedded files of web/ (static.c), open.
     * Only these exact paths; any other path outside /v1/ stays 404. */
    {.method = "GET", .path = "/", .handler = gh_static_serve},
    {.method = "GET", .path = "/index.html", .handler = gh_static_serve},
    {.method = "GET", .path = "/app.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/session.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/app.css", .handler = gh_static_serve},
    {.method = "GET", .path = "/api.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/errors.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/ui.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/reauth.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/secret.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/scopes.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/keys.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/chart.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/usage.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/settings.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/members.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/webhooks.js", .handler = gh_static_serve},
    {.method = "GET", .path = "/audit.js", .handler = gh_static_serve},
    /* ---- admin panel (end) */

    /* ---- API reference (begin): docs/openapi.yaml and the page that
     * renders it (apidocs.c), open. Only these exact paths. */
    {.method = "GET", .path = "/docs", .handler = gh_apidocs_serve},
    {.method = "GET", .path = "/docs/openapi.yaml", .handler = gh_apidocs_serve},
    {.method = "GET", .path = "/docs/reference.js", .handler = gh_apidocs_serve},
    {.method = "GET", .path = "/docs/reference.css", .handler = gh_apidocs_serve},
    {.method = "GET", .path = "/docs/swagger-ui-bundle.js", .handler = gh_apidocs_serve},
    {.method = "GET", .path = "/docs/swagger-ui.css", .handler = gh_apidocs_serve},
    /* ---- API reference (end) */
};
/* clang-format on */
const int gh_routes_count = sizeof gh_routes / sizeof *gh_routes;

/* Matches one pattern; fills params on success. Walks both strings once
 * and gives up at the first differing byte: every request tries the
 * patterns in order, and most differ from the path a few bytes in. */
static int match_path(const char *pattern, const char *path, char params[][GH_ID_MAX * 2], int *nparams) {
  int n = 0;
  const char *p = pattern, *s = path;
  while (*p && *s) {
    if (*p != '/' || *s != '/') return 0;
    p++, s++;
    if (*p == '{') {
      size_t slen = strcspn(s, "/");
      if (slen == 0 || slen >= GH_ID_MAX * 2 || n >= GH_MAX_PATH_PARAMS) return 0;
      memcpy(params[n], s, slen);
      params[n][slen] = '\0';
      n++;
      s += slen;
      while (*p && *p != '/')
        p++;
    } else {
      while (*p && *p != '/' && *p == *s)
        p++, s++;
      if ((*p && *p != '/') || (*s && *s != '/')) return 0;
    }
  }
  if (*p || *s) return 0;
  *nparams = n;
  return 1;
}

gh_match gh_routes_find(const char *method, const char *path, bool org_form, const gh_route **route,
                        char params[][GH_ID_MAX * 2], int *nparams, char *allow, size_t allow_size) {
  gh_match m = GH_MATCH_NO_PATH;
  size_t used = 0;
  if (allow_size) allow[0] = '\0';
  for (int i = 0; i < gh_routes_count; i++) {
    char tmp[GH_MAX_PATH_PARAMS][GH_ID_MAX * 2];
    int n = 0;
    if (org_form && !gh_routes[i].org_path) continue;
    if (!match_path(gh_routes[i].path, path, tmp, &n)) continue;
    if (!strcmp(gh_routes[i].method, method)) {
      *route = &gh_routes[i];
      memcpy(params, tmp, sizeof tmp);
      *nparams = n;
      return GH_MATCH_OK;
    }
    m = GH_MATCH_NO_METHOD;
    if (used < allow_size) {
      int w = snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", gh_routes[i].method);
      if (w > 0) used += (size_t)w;
    }
  }
  return m;
}
