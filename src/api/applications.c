/* applications.c: the applications platform: applications and their
 * reviews (api.md, "Resources of the three platforms").
 *
 * A review is requested for an application (POST
 * /v1/applications/{id}/reviews, scope write:reviews alone) and the review
 * service reports back with PATCH /v1/reviews/{id}. The application is read
 * under the caller's context in the same statement that inserts the review,
 * so another org's or the other mode's application is simply not found. */
#include <string.h>

#include "api/api.h"
#include "api/resource.h"

static const gh_res_col application_cols[] = {
    {"name", GH_COL_TEXT, GH_CHECK_NAME, NULL},
    {"data", GH_COL_JSON, GH_CHECK_NONE, NULL},
    {"metadata", GH_COL_JSON, GH_CHECK_NONE, NULL},
    {"updated_at", GH_COL_TIME, GH_CHECK_NONE, NULL},
    {0},
};

static const char *const review_statuses[] = {"queued", "running", "completed", "failed", NULL};
static const gh_res_col review_cols[] = {
    {"application_id", GH_COL_TEXT, GH_CHECK_NONE, NULL},
    {"status", GH_COL_TEXT, GH_CHECK_ENUM, review_statuses},
    {"result", GH_COL_JSON, GH_CHECK_NONE, NULL},
    {"updated_at", GH_COL_TIME, GH_CHECK_NONE, NULL},
    {0},
};
static const gh_res_type review = {"gh.reviews", "rev_", "review", review_cols, NULL, NULL};

/* Deleting an application deletes its reviews (0003: ON DELETE CASCADE);
 * each is a review.deleted. */
static const gh_res_child application_children[] = {{&review, "application_id", GH_CHILD_CASCADE}, {0}};
static const gh_res_type application = {"gh.applications", "app_", "application",
                                        application_cols,  NULL,   application_children};

const gh_field gh_api_application_create_body[] = {
    {"name", GH_F_STRING, true, false},
    {"data", GH_F_OBJECT, false, false},
    {"metadata", GH_F_OBJECT, false, false},
    {0},
};
const gh_field gh_api_application_update_body[] = {
    {"name", GH_F_STRING, false, false},
    {"data", GH_F_OBJECT, false, false},
    {"metadata", GH_F_OBJECT, false, false},
    {0},
};
const gh_field gh_api_review_update_body[] = {
    {"status", GH_F_STRING, true, false},
    {"result", GH_F_ANY, false, true},
    {0},
};

gh_status gh_api_application_list(gh_req *r) { return gh_res_list(r, &application, NULL, NULL); }
gh_status gh_api_application_get(gh_req *r) { return gh_res_get(r, &application); }
gh_status gh_api_application_create(gh_req *r) { return gh_res_create(r, &application); }
gh_status gh_api_application_update(gh_req *r) { return gh_res_update(r, &application); }
gh_status gh_api_application_delete(gh_req *r) { return gh_res_delete(r, &application); }

gh_status gh_api_review_list(gh_req *r) { return gh_res_list(r, &review, NULL, NULL); }
gh_status gh_api_review_get(gh_req *r) { return gh_res_get(r, &review); }
/* The review service reporting a completed review is review.completed;
 * any other change of a review is review.updated. */
gh_status gh_api_review_update(gh_req *r) {
  const char *status = gh_req_string(r, "status");
  return gh_res_update_as(r, &review, status && !strcmp(status, "completed") ? "completed" : "updated");
}

gh_status gh_api_review_request(gh_req *r) {
  const char *app_id = gh_res_path_id(r, &application);
  if (!app_id) return GH_ERR_NOT_FOUND;
  char id[GH_ID_MAX];
  gh_id_new(id, review.prefix);
  gh_res_txn t;
  gh_res_txn_init(&t);
  int k = gh_res_stmt(&t), pid = gh_res_param(&t, k, id), papp = gh_res_param(&t, k, app_id);
  /* No row when the application is not visible: then gh_api_missing. */
  gh_res_sql(&t, k,
             "INSERT INTO gh.reviews (id, org_id, livemode, application_id) "
             "SELECT $%d, (SELECT gh.current_org()), (SELECT gh.current_livemode()), a.id "
             "FROM gh.applications a WHERE a.id = $%d RETURNING ",
             pid, papp);
  gh_res_select(&t, k, &review);
  gh_res_event(&t, k, &review, NULL, "requested");
  return gh_res_reply_row(r, &review, &t, k, app_id, 201);
}
