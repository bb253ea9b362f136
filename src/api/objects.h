/* objects.h: JSON renderings of the API's objects, shared by handlers.
 * Each returns a new reference (owned by the caller). */
#ifndef GH_OBJECTS_H
#define GH_OBJECTS_H
#include <jansson.h>
#include <libpq-fe.h>

#include "auth/principal.h"

/* A timestamp (epoch seconds) as RFC 3339, or null for 0. */
json_t *gh_obj_time(long long epoch);

/* Column lists the renderers expect, for use in SELECTs. */
#define GH_ORG_COLS                                                                                                    \
  "o.id, o.name, o.session_idle_timeout_seconds, o.session_max_lifetime_seconds, "                                     \
  "floor(extract(epoch from o.created_at))::bigint"
#define GH_USER_COLS "u.id, u.org_id, u.email, u.role, u.status, floor(extract(epoch from u.created_at))::bigint"
#define GH_ORG_NCOLS 5
#define GH_USER_NCOLS 6

json_t *gh_obj_org(const PGresult *res, int row, int col);
json_t *gh_obj_user(const PGresult *res, int row, int col);
/* The session part of the login body and of GET /v1/auth/session. */
json_t *gh_obj_session(const gh_principal *p, long long created_at);

#endif
