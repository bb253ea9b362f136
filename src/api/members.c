/* members.c: the users of the caller's organization (api.md, "Organization,
 * users, force logout").
 *
 * Admins (sessions of role admin, API keys with scope admin) read the
 * users, members and pending invitees alike. Inviting, re-roling, removing
 * and force-logging-out users are sensitive operations (admin session,
 * recent re-authentication: enforced by the route table). Row-level security
 * confines every statement to the caller's org, so another org's user is
 * never found here and gh_api_missing() answers 403 org_mismatch for it; a
 * malformed id, or another kind of object's (an inv_ id, say), is 404
 * whoever owns it.
 *
 * Whatever changes what a user's sessions may do (role, removal, force
 * logout) calls gh.invalidate('user', id) as the last statement of the same
 * transaction and returns only once every live node has dropped that user's
 * cached sessions (gh_api_wait_invalidated). The database refuses to demote
 * or delete the org's last active admin (a trigger raising 'last_admin',
 * which db.c maps to GH_ERR_CONFLICT): 409 conflict.
 *
 * An invitation's token is returned once, in the creation response; the
 * database keeps its keyed hash (auth/token.h). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "api/objects.h"
#include "auth/token.h"
#include "core/rand.h"
#include "core/text.h"
#include "db/db.h"
#include "events/events.h"

/* How long an invitation may be accepted (api.md: 7 days), as SQL. */
#define INVITE_TTL "interval '7 days'"
#define EMAIL_MAX 254

const gh_field gh_api_user_create_body[] = {
    {"email", GH_F_STRING, true, false},
    {"role", GH_F_STRING, true, false},
    {0},
};
const gh_field gh_api_user_update_body[] = {
    {"role", GH_F_STRING, true, false},
    {0},
};

static int role_valid(const char *role) { return role && (!strcmp(role, "admin") || !strcmp(role, "member")); }

static gh_status bad_role(gh_req *r) {
  return gh_req_error(r, GH_ERR_INVALID_REQUEST, "role", "role must be admin or member.");
}

static gh_status last_admin(gh_req *r) {
  return gh_req_error(r, GH_ERR_CONFLICT, NULL, "The organization's last admin cannot be demoted or removed.");
}

static json_t *render_user(const PGresult *res, int row) { return gh_obj_user(res, row, 0); }

static const gh_api_reader users = {
    .by_id = "SELECT " GH_USER_COLS " FROM gh.users u WHERE u.id = $1",
    .page = "SELECT " GH_USER_COLS " FROM gh.users u WHERE ($2::text IS NULL OR u.seq < "
            "(SELECT seq FROM gh.users WHERE id = $2)) ORDER BY u.seq DESC LIMIT $1::int",
    .cursor_exists = "SELECT 1 FROM gh.users WHERE id = $1",
    .prefix = "usr_",
    .render = render_user,
};

gh_status gh_api_user_list(gh_req *r) { return gh_api_list_or_get(r, NULL, &users); }

gh_status gh_api_user_get(gh_req *r) {
  const char *id = gh_req_param(r, 0);
  if (!gh_id_valid(id, "usr_")) return GH_ERR_NOT_FOUND;
  return gh_api_list_or_get(r, id, &users);
}

gh_status gh_api_user_create(gh_req *r) {
  const char *email = gh_req_string(r, "email"), *role = gh_req_string(r, "role");
  if (!gh_text_is_email(email)) return gh_req_error(r, GH_ERR_INVALID_REQUEST, "email", "Not a valid email address.");
  if (!role_valid(role)) return bad_role(r);
  char user_id[GH_ID_MAX], inv_id[GH_ID_MAX], token[GH_TOKEN_MAX], lower[EMAIL_MAX + 2];
  unsigned char hash[GH_HASH_BYTES];
  gh_id_new(user_id, "usr_");
  gh_id_new(inv_id, "inv_");
  gh_text_lower(email, lower, sizeof lower);
  gh_token_new(token);
  gh_token_hash(token, strlen(token), hash);
  const char *uvals[3] = {user_id, lower, role};
  const char *ivals[3] = {inv_id, user_id, (const char *)hash};
  const int ilens[3] = {0, 0, GH_HASH_BYTES};
  gh_db_stmt q[2] = {
      {"INSERT INTO gh.users AS u (id, org_id, email, role, status) "
       "VALUES ($1, (SELECT gh.current_org()), $2, $3, 'invited') RETURNING " GH_USER_COLS,
       3, uvals, NULL},
      {"INSERT INTO gh.invitations AS i (id, org_id, user_id, token_hash, expires_at) "
       "VALUES ($1, (SELECT gh.current_org()), $2, $3::bytea, now() + " INVITE_TTL ") RETURNING i.id, "
       "floor(extract(epoch from i.expires_at))::bigint, floor(extract(epoch from i.created_at))::bigint, i.org_id",
       3, ivals, ilens},
  };
  PGresult *res[2] = {0};
  /* The event carries the user, never the invitation (its token). */
  gh_events_change c = {.render = render_user,
                        .event = "user.invited",
                        .action = "user.invited",
                        .details = json_pack("{s:s}", "role", role)};
  gh_status s = gh_events_change_run(r, q, 2, res, &c);
  sodium_memzero(hash, sizeof hash);
  if (s) {
    gh_events_change_free(&c);
    sodium_memzero(token, sizeof token);
    if (s == GH_ERR_CONFLICT) return gh_req_error(r, s, "email", "An account with this email already exists.");
    return s;
  }
  if (PQntuples(res[0]) != 1 || PQntuples(res[1]) != 1 || !c.object) {
    sodium_memzero(token, sizeof token);
    gh_db_clear(res, 2);
    gh_events_change_free(&c);
    return GH_ERR_INTERNAL;
  }
  json_t *inv = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "object", "invitation", "id", PQgetvalue(res[1], 0, 0),
                          "org_id", PQgetvalue(res[1], 0, 3), "token", token, "expires_at",
                          gh_obj_time(gh_db_getll(res[1], 0, 1)), "created_at", gh_obj_time(gh_db_getll(res[1], 0, 2)));
  sodium_memzero(token, sizeof token);
  json_t *out = json_pack("{s:O, s:o}", "user", c.object, "invitation", inv);
  gh_db_clear(res, 2);
  gh_events_change_free(&c);
  if (!out) return GH_ERR_NOMEM;
  return gh_req_reply(r, 201, out);
}

gh_status gh_api_user_update(gh_req *r) {
  const char *id = gh_req_param(r, 0), *role = gh_req_string(r, "role");
  /* api.md's order: the body (400) before the addressed object (404). */
  if (!role_valid(role)) return bad_role(r);
  if (!gh_id_valid(id, "usr_")) return GH_ERR_NOT_FOUND;
  const char *vals[2] = {id, role};
  gh_db_stmt q[2] = {
      {"UPDATE gh.users u SET role = $2 WHERE u.id = $1 RETURNING " GH_USER_COLS, 2, vals, NULL},
      {"SELECT gh.invalidate('user', id) FROM gh.users WHERE id = $1", 1, vals, NULL},
  };
  PGresult *res[2] = {0};
  /* Audited, no event (api.md has no user.updated). */
  gh_events_change c = {
      .render = render_user, .action = "user.role_changed", .details = json_pack("{s:s}", "role", role)};
  gh_status s = gh_events_change_run(r, q, 2, res, &c);
  gh_events_change_free(&c);
  if (s == GH_ERR_CONFLICT) return last_admin(r);
  if (s) return s;
  if (PQntuples(res[0]) != 1) {
    gh_db_clear(res, 2);
    return gh_api_missing(r, id);
  }
  gh_api_wait_invalidated(res[1]);
  json_t *user = gh_obj_user(res[0], 0, 0);
  gh_db_clear(res, 2);
  return gh_req_reply(r, 200, user);
}

gh_status gh_api_user_delete(gh_req *r) {
  const char *id = gh_req_param(r, 0);
  if (!gh_id_valid(id, "usr_")) return GH_ERR_NOT_FOUND;
  const char *vals[1] = {id};
  /* The row is gone once deleted, so the invalidation and the event read
   * it from the DELETE itself: one row when a user of this org was
   * removed (the user as it was, then the invalidation's seq). */
  gh_db_stmt q = {"WITH d AS (DELETE FROM gh.users u WHERE u.id = $1 RETURNING u.id, u.org_id, u.email, u.role, "
                  "u.status, u.created_at) "
                  "SELECT " GH_USER_COLS ", gh.invalidate('user', u.id) FROM d u",
                  1, vals, NULL};
  PGresult *res = NULL;
  gh_events_change c = {.render = render_user, .event = "user.removed", .action = "user.removed"};
  gh_status s = gh_events_change_run(r, &q, 1, &res, &c);
  gh_events_change_free(&c);
  if (s == GH_ERR_CONFLICT) return last_admin(r);
  if (s) return s;
  if (PQntuples(res) != 1) {
    PQclear(res);
    return gh_api_missing(r, id);
  }
  gh_api_wait_invalidated_at(res, GH_USER_NCOLS);
  PQclear(res);
  return gh_req_reply(r, 204, NULL);
}

gh_status gh_api_user_force_logout(gh_req *r) {
  const char *id = gh_req_param(r, 0);
  if (!gh_id_valid(id, "usr_")) return GH_ERR_NOT_FOUND;
  const char *vals[1] = {id};
  gh_db_stmt q[2] = {
      {"UPDATE gh.users u SET session_epoch = u.session_epoch + 1 WHERE u.id = $1 RETURNING " GH_USER_COLS, 1, vals,
       NULL},
      {"SELECT gh.invalidate('user', id) FROM gh.users WHERE id = $1", 1, vals, NULL},
  };
  PGresult *res[2] = {0};
  /* The event's object is the user whose sessions ended. */
  gh_events_change c = {.render = render_user, .event = "session.force_logout", .action = "session.force_logout"};
  gh_status s = gh_events_change_run(r, q, 2, res, &c);
  gh_events_change_free(&c);
  if (s) return s;
  if (PQntuples(res[0]) != 1) {
    gh_db_clear(res, 2);
    return gh_api_missing(r, id);
  }
  gh_api_wait_invalidated(res[1]);
  gh_db_clear(res, 2);
  return gh_req_reply(r, 204, NULL);
}
