/* common.h: pieces every resource handler uses: list pagination, the
 * "not found here" answer (404 or 403 org_mismatch), JSON column helpers. */
#ifndef GH_API_COMMON_H
#define GH_API_COMMON_H
#include <jansson.h>
#include <libpq-fe.h>

#include "http/request.h"

#define GH_LIST_DEFAULT 20
#define GH_LIST_MAX 100

/* Reads ?limit (1..100, default 20) and ?starting_after (an id with the
 * given prefix). Errors: 400 invalid_request naming the parameter. An
 * unknown starting_after is detected by the list query itself (see
 * gh_api_list_sql_cursor) and reported with gh_api_bad_cursor(). */
gh_status gh_api_list_params(gh_req *r, const char *id_prefix, int *limit, const char **starting_after);
gh_status gh_api_bad_cursor(gh_req *r);

/* Wraps up to limit + 1 rendered items (the query fetches one more than
 * asked to know whether more exist) as {"object":"list","data":[...],
 * "has_more":bool}. Takes ownership of items. */
json_t *gh_api_list(json_t *items, int limit);

/* For an id the caller's context did not find: 403 org_mismatch when it
 * belongs to another organization (gh.object_owner, which reveals only
 * that), else 404 not_found (unknown, malformed, or the other mode of the
 * same org). Always returns an error status. */
gh_status gh_api_missing(gh_req *r, const char *id);

/* A jsonb/json column as a JSON value (new reference; null when SQL NULL
 * or unparsable). */
json_t *gh_api_json_col(const PGresult *res, int row, int col);
/* A text column, or JSON null when SQL NULL (new reference). */
json_t *gh_api_text_col(const PGresult *res, int row, int col);

#endif
