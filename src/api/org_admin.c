/* org_admin.c: changing the caller's organization (api.md, "Organization,
 * users, force logout"): PATCH /v1/org and POST /v1/org/force_logout.
 *
 * Both are sensitive operations (admin session, recent re-authentication:
 * enforced by the route table). Row-level security shows a request only its
 * own org's row, so the statements name no org. A change of the session
 * timeouts applies to existing sessions from their next request, and an org
 * force logout (a bumped gh.orgs.session_epoch) ends every session of the
 * org, the caller's included; both announce gh.invalidate('org', id) as the
 * last statement of their transaction and return only once every live node
 * has dropped the org's cached sessions. */
#include <stdio.h>

#include "api/api.h"
#include "api/common.h"
#include "api/objects.h"
#include "config/config.h"
#include "core/text.h"
#include "db/db.h"
#include "events/events.h"

/* api.md: idle timeout 300..86400 (2.. with GATEHOUSE_DEV=1), absolute
 * lifetime 3600..2592000. */
#define IDLE_MIN 300
#define IDLE_MIN_DEV 2
#define IDLE_MAX 86400
#define LIFETIME_MIN 3600
#define LIFETIME_MAX 2592000

const gh_field gh_api_org_update_body[] = {
    {"name", GH_F_STRING, false, false},
    {"session_idle_timeout_seconds", GH_F_INT, false, false},
    {"session_max_lifetime_seconds", GH_F_INT, false, false},
    {0},
};

static json_t *render_org(const PGresult *res, int row) { return gh_obj_org(res, row, 0); }

static const char *const invalidate_org = "SELECT gh.invalidate('org', o.id) FROM gh.orgs o";

/* The optional integer field as decimal text in out (*value NULL when
 * absent); out of [min, max]: 400 naming the field. */
static gh_status int_field(gh_req *r, const char *field, long long min, long long max, char *out, size_t size,
                           const char **value) {
  long long n;
  bool present;
  *value = NULL;
  gh_status s = gh_api_body_int(r, field, min, max, &n, &present);
  if (s || !present) return s;
  snprintf(out, size, "%lld", n);
  *value = out;
  return GH_OK;
}

gh_status gh_api_org_update(gh_req *r) {
  const char *name = gh_req_string(r, "name"), *idle = NULL, *lifetime = NULL;
  char idle_s[24], lifetime_s[24];
  if (name && !gh_text_is_name(name, 200))
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "name", "The organization name must have 1 to 200 characters.");
  gh_status s = int_field(r, "session_idle_timeout_seconds", gh_cfg->dev ? IDLE_MIN_DEV : IDLE_MIN, IDLE_MAX, idle_s,
                          sizeof idle_s, &idle);
  if (s) return s;
  s = int_field(r, "session_max_lifetime_seconds", LIFETIME_MIN, LIFETIME_MAX, lifetime_s, sizeof lifetime_s,
                &lifetime);
  if (s) return s;
  const char *vals[3] = {name, idle, lifetime};
  gh_db_stmt q[2] = {
      {"UPDATE gh.orgs o SET name = coalesce($1, o.name), "
       "session_idle_timeout_seconds = coalesce($2::int, o.session_idle_timeout_seconds), "
       "session_max_lifetime_seconds = coalesce($3::int, o.session_max_lifetime_seconds) RETURNING " GH_ORG_COLS,
       3, vals, NULL},
      {invalidate_org, 0, NULL, NULL},
  };
  /* Announced even for a new name alone: cached session profiles (GET
   * /v1/auth/session) show the org. */
  PGresult *res[2] = {0};
  /* The audit entry names the fields the request set (not their values:
   * the event carries the org as it now is). */
  json_t *fields = json_array();
  const char *names[3] = {"name", "session_idle_timeout_seconds", "session_max_lifetime_seconds"};
  for (int i = 0; i < 3; i++)
    if (vals[i]) json_array_append_new(fields, json_string(names[i]));
  gh_events_change c = {.render = render_org,
                        .event = "org.updated",
                        .action = "org.updated",
                        .details = json_pack("{s:o}", "fields", fields)};
  s = gh_events_change_run(r, q, 2, res, &c);
  if (!s && PQntuples(res[0]) != 1) s = GH_ERR_UNAUTHORIZED; /* no org in this context: the session ended meanwhile */
  if (!s) {
    gh_api_wait_invalidated(res[1]);
    s = gh_req_reply(r, 200, json_incref(c.object));
  }
  gh_db_clear(res, 2);
  gh_events_change_free(&c);
  return s;
}

gh_status gh_api_org_force_logout(gh_req *r) {
  gh_db_stmt q[2] = {
      {"UPDATE gh.orgs o SET session_epoch = o.session_epoch + 1 RETURNING " GH_ORG_COLS, 0, NULL, NULL},
      {invalidate_org, 0, NULL, NULL},
  };
  PGresult *res[2] = {0};
  /* session.force_logout, as for one user, with the org as its object. */
  gh_events_change c = {.render = render_org, .event = "session.force_logout", .action = "org.force_logout"};
  gh_status s = gh_events_change_run(r, q, 2, res, &c);
  gh_events_change_free(&c);
  if (s) return s;
  if (PQntuples(res[0]) != 1) {
    gh_db_clear(res, 2);
    return GH_ERR_UNAUTHORIZED;
  }
  gh_api_wait_invalidated(res[1]);
  gh_db_clear(res, 2);
  return gh_req_reply(r, 204, NULL);
}
