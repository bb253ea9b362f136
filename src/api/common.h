/* common.h: pieces every resource handler uses: list pagination, the
 * "not found here" answer (404 or 403 org_mismatch), the wait after a
 * cross-node invalidation, JSON column helpers. */
#ifndef GH_API_COMMON_H
#define GH_API_COMMON_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "http/request.h"

#define GH_LIST_DEFAULT 20
#define GH_LIST_MAX 100

/* Reads ?limit (1..100, default 20) and ?starting_after (an id with the
 * given prefix). Errors: 400 invalid_request naming the parameter. An
 * unknown starting_after is detected by the list query itself (see
 * gh_api_list_sql_cursor) and reported with gh_api_bad_cursor(). */
gh_status gh_api_list_params(gh_req *r, const char *id_prefix, int *limit, const char **starting_after);
gh_status gh_api_bad_cursor(gh_req *r);

/* The body's optional integer field (the route's schema made it a JSON
 * integer, jansson's 64 bits; null, where the schema allows it, counts as
 * absent). Present and within [min, max]: *out is its value, *present
 * true. Absent: *out untouched, *present false. Out of range: 400
 * invalid_request naming the field ("<field> must be an integer from min to
 * max."). present may be NULL. A handler on one object runs this, like
 * every check of its body, before it looks at the path's id (api.md: the
 * body's 400 comes before the addressed object's 404). */
gh_status gh_api_body_int(gh_req *r, const char *field, long long min, long long max, long long *out, bool *present);

/* Wraps up to limit + 1 rendered items (the query fetches one more than
 * asked to know whether more exist) as {"object":"list","data":[...],
 * "has_more":bool}. Takes ownership of items. */
json_t *gh_api_list(json_t *items, int limit);

/* Renders one row of a result (new reference). */
typedef json_t *(*gh_api_render_fn)(const PGresult *res, int row);

/* What a table-backed GET needs: the statement that reads one object by
 * id ($1), the one that reads a page ($1 limit, $2 the cursor id or NULL),
 * the one that tells whether a cursor id exists ($1), the ids' prefix and
 * the row renderer. */
typedef struct {
  const char *by_id, *page, *cursor_exists, *prefix;
  gh_api_render_fn render;
} gh_api_reader;

/* GET one object (id) or a page of them (id NULL) through the caller's org
 * context: 200 with the object or the list; 404/403 for an id not found
 * here; 400 for bad paging parameters. */
gh_status gh_api_list_or_get(gh_req *r, const char *id, const gh_api_reader *rd);

/* For an id the caller's context did not find: 403 org_mismatch when it
 * belongs to another organization (gh.object_owner, which reveals only
 * that), else 404 not_found (unknown, malformed, or the other mode of the
 * same org). Always returns an error status. */
gh_status gh_api_missing(gh_req *r, const char *id);

/* Waits until every live node has applied the invalidation announced by
 * gh.invalidate() in a transaction that has committed: res is the result
 * of the statement that called it (its sequence number in row 0, column
 * 0). Does nothing when res is NULL or has no single row (nothing was
 * invalidated). A node that does not acknowledge stops trusting its cache
 * after GH_LISTEN_TRUST_MS and is no longer waited for after
 * GH_LISTEN_FRESH_S (db/listen.h); the wait lasts a little longer than
 * that, so on return no node can still accept what was invalidated. The
 * change itself is committed whatever happens here. */
void gh_api_wait_invalidated(const PGresult *res);
/* The same, with the sequence number in column col. */
void gh_api_wait_invalidated_at(const PGresult *res, int col);

/* A jsonb/json column as a JSON value (new reference; null when SQL NULL
 * or unparsable). */
json_t *gh_api_json_col(const PGresult *res, int row, int col);
/* A text column, or JSON null when SQL NULL (new reference). */
json_t *gh_api_text_col(const PGresult *res, int row, int col);

#endif
