/* resource.h: the generic layer under the resources of the three platforms
 * (applications.c, campaigns.c, contracts.c).
 *
 * A resource is described once, as data (gh_res_type: table, id prefix,
 * object type, columns with their JSON kind and the check their values
 * need); get, list, create, update and delete are then the same code for
 * every resource. Row-level security decides what a statement sees and may
 * write, so nothing here filters by org or mode: inserts take both from the
 * request's context ((SELECT gh.current_org()), (SELECT
 * gh.current_livemode())).
 *
 * Every request's statements run as one transaction in one pipeline
 * (gh_res_txn, then gh_db_ctx_txn). A write names its event with
 * gh_res_event(): the transaction then runs through gh_events_txn
 * (events/events.h), every row of the named statement is rendered once,
 * inside the open transaction, becomes one event each (`<object>.<verb>`,
 * data.object = that rendering) and is also what the handler answers
 * with. No row, no event. A row changed by a foreign key's referential
 * action would make no event, so a parent with such children
 * (gh_res_type.children) changes them itself first (gh_res_delete). */
#ifndef GH_API_RESOURCE_H
#define GH_API_RESOURCE_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "db/db.h"
#include "http/request.h"

typedef enum {
  GH_COL_TEXT, /* text; JSON string or null */
  GH_COL_JSON, /* jsonb; any JSON value, SQL NULL rendered as null */
  GH_COL_TIME  /* timestamptz; RFC 3339 UTC or null; never written by clients */
} gh_col_kind;

typedef enum {
  GH_CHECK_NONE,
  GH_CHECK_NAME,  /* 1..200 characters, no control characters */
  GH_CHECK_EMAIL, /* gh_text_is_email */
  GH_CHECK_ENUM,  /* one of values[] */
  GH_CHECK_ID     /* an id with prefix values[0] */
} gh_col_check;

typedef struct {
  const char *name; /* the JSON field and the column */
  gh_col_kind kind;
  gh_col_check check;        /* applied to string values from clients */
  const char *const *values; /* GH_CHECK_ENUM, GH_CHECK_ID; NULL-terminated */
} gh_res_col;

typedef struct gh_res_type gh_res_type;

/* What deleting a parent does to a child's rows: the referential action of
 * the child's composite foreign key (0003). */
typedef enum {
  GH_CHILD_SET_NULL, /* ON DELETE SET NULL (col): the row stays, <child>.updated */
  GH_CHILD_CASCADE   /* ON DELETE CASCADE: the row goes, <child>.deleted */
} gh_child_action;

/* A resource whose rows name this one (col) through such a foreign key.
 * gh_res_delete changes them itself, before the parent goes, so that each
 * changed row makes its own event (see there). */
typedef struct {
  const gh_res_type *type; /* the child */
  const char *col;         /* its column naming the parent */
  gh_child_action action;  /* must be the foreign key's */
} gh_res_child;

struct gh_res_type {
  const char *table;  /* "gh.applications" */
  const char *prefix; /* "app_" */
  const char *object; /* "application" */
  /* Rendered after "object", id, org_id, livemode, created_at; {0}-ended. */
  const gh_res_col *cols;
  /* Called when the database refused a written value (a foreign key: no
   * such parent in this org and mode) to say which one; NULL: plain 400. */
  gh_status (*refused)(gh_req *r);
  /* Every child with a referential action on this resource; {0}-ended,
   * NULL: none. */
  const gh_res_child *children;
};

/* ---- one transaction, built statement by statement --------------------- */

#define GH_RES_STMTS 4
#define GH_RES_PARAMS 12
#define GH_RES_SQL 2048

typedef struct {
  gh_db_stmt st[GH_RES_STMTS];
  const char *vals[GH_RES_STMTS][GH_RES_PARAMS];
  char sql[GH_RES_STMTS][GH_RES_SQL];
  size_t len[GH_RES_STMTS];
  char *owned[GH_RES_STMTS * GH_RES_PARAMS]; /* freed by gh_res_txn_free */
  int n, nowned;
  bool overflow; /* a statement or parameter did not fit: run fails */
  PGresult *res[GH_RES_STMTS];
  /* Set by gh_res_event, in the order the events are written: the event
   * every row of statement ev[i].stmt makes. */
  struct {
    const gh_res_type *ty;
    int stmt;
    char type[64];
    json_t *rendered; /* owned: the statement's rows as rendered for the events */
  } ev[GH_RES_STMTS];
  int nev;
} gh_res_txn;

void gh_res_txn_init(gh_res_txn *t);
/* Starts a new statement; returns its index (results land in t->res[k]). */
int gh_res_stmt(gh_res_txn *t);
/* Appends formatted text to statement k's SQL. Only identifiers from the
 * static resource tables and placeholders: values go through parameters. */
void gh_res_sql(gh_res_txn *t, int k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends statement k's select list for ty (the columns gh_res_render
 * reads). */
void gh_res_select(gh_res_txn *t, int k, const gh_res_type *ty);
/* Adds a parameter to statement k (borrowed: v must outlive the run; NULL
 * is SQL NULL); returns its number, for "$n". */
int gh_res_param(gh_res_txn *t, int k, const char *v);
/* Same, taking ownership of v (malloc'd; NULL means the allocation failed). */
int gh_res_param_owned(gh_res_txn *t, int k, char *v);
/* Every row of statement k (an object of ty) makes an event of type
 * "<object>.<verb>" (object NULL: ty->object), written in the same
 * transaction by gh_res_txn_run. Several statements may make events: they
 * are written in the order of these calls, each statement's in row order. */
void gh_res_event(gh_res_txn *t, int k, const gh_res_type *ty, const char *object, const char *verb);
/* Statement k's rows as rendered (for its events, when it has any, else
 * rendered now): a new reference to an array. */
json_t *gh_res_rows(gh_res_txn *t, const gh_res_type *ty, int k);
/* Runs the statements with the request's credential and mode (and the
 * events, see gh_res_event). */
gh_status gh_res_txn_run(gh_req *r, gh_res_txn *t);
void gh_res_txn_free(gh_res_txn *t);

/* ---- objects ------------------------------------------------------------ */

/* Row `row` of a result selected with gh_res_select as a JSON object (new
 * reference). */
json_t *gh_res_render(const gh_res_type *ty, const PGresult *res, int row);
/* Every row, as a JSON array (new reference). */
json_t *gh_res_render_all(const gh_res_type *ty, const PGresult *res);

/* The path's object id (parameter 0) if it has ty's prefix, else NULL (the
 * caller answers 404: no object of this kind has such an id). */
const char *gh_res_path_id(gh_req *r, const gh_res_type *ty);

/* Applies the columns' checks to the string values of obj; 400 naming
 * prefix + field on the first failure. */
gh_status gh_res_check(gh_req *r, const gh_res_type *ty, json_t *obj, const char *prefix);
/* Applies a body schema to obj, as the dispatcher does to a body (object,
 * unknown fields, types, required fields); 400 naming prefix + field.
 * prefix names obj itself, e.g. "leads[2]" (fields become "leads[2].x"). */
gh_status gh_res_check_fields(gh_req *r, json_t *obj, const gh_field *schema, const char *prefix);

/* Runs t and answers `http` with the row of statement k, or, when k has no
 * row, with gh_api_missing(id) (404 or 403 org_mismatch). A value the
 * database refused goes to ty->refused. A 204 answer has no body. Frees t. */
gh_status gh_res_reply_row(gh_req *r, const gh_res_type *ty, gh_res_txn *t, int k, const char *id, int http);

/* ---- the generic handlers ----------------------------------------------- */

/* Runs one statement on the path's object and answers with its row (see
 * gh_res_reply_row): before + select list + after, in which $1 is the
 * object's id and a "%s" the table (both are static text of the caller).
 * verb: the event the changed row makes (NULL: a read, none). */
gh_status gh_res_on_object(gh_req *r, const gh_res_type *ty, const char *before, const char *after, int http,
                           const char *verb);

gh_status gh_res_get(gh_req *r, const gh_res_type *ty);
/* Newest first, ?limit and ?starting_after. With parent, the list of the
 * path's parent object (parameter 0): rows whose parent_col is its id; an
 * invisible parent is gh_api_missing. */
gh_status gh_res_list(gh_req *r, const gh_res_type *ty, const gh_res_type *parent, const char *parent_col);
/* INSERT of the body's fields (201); absent fields take the defaults. */
gh_status gh_res_create(gh_req *r, const gh_res_type *ty);
/* UPDATE of the body's fields (200); an empty body changes nothing (and
 * makes no event). gh_res_update_as names the event's verb ("updated"). */
gh_status gh_res_update(gh_req *r, const gh_res_type *ty);
gh_status gh_res_update_as(gh_req *r, const gh_res_type *ty, const char *verb);
/* DELETE of the path's object (204, <object>.deleted with the object as it
 * was). With ty->children, in the same transaction: the parent's row is
 * locked (FOR UPDATE, which waits for and then blocks any insert or update
 * naming it), then each child's rows are changed as the foreign key's
 * action would change them, each row rendered as GET answers it (after a
 * SET NULL; as it was before a CASCADE) into its own <child>.updated or
 * <child>.deleted, then the parent is deleted and its action finds nothing
 * left to do. The children's events come first, in creation order, then
 * the parent's: the order of the changes (as if a client had detached or
 * deleted them first), so no event names an object already reported
 * deleted. */
gh_status gh_res_delete(gh_req *r, const gh_res_type *ty);

#endif
