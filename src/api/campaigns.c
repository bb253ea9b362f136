/* campaigns.c: the campaigns platform: campaigns and their leads (api.md,
 * "Resources of the three platforms").
 *
 * A lead's campaign_id must name a campaign of the caller's org and mode.
 * The database enforces that itself (a composite foreign key on id, org and
 * mode), so the happy path costs no extra look-up; only when it refuses do
 * we ask which id it was and whose: another org's campaign is 403
 * org_mismatch, anything else 400 naming the field.
 *
 * POST /v1/leads/import checks every lead in C first, then inserts them all
 * with one statement: all or nothing. */
#include <stdio.h>

#include "api/api.h"
#include "api/common.h"
#include "api/resource.h"

#define IMPORT_MAX 1000

static gh_status lead_refused(gh_req *r);

static const char *const campaign_statuses[] = {"draft", "active", "paused", "archived", NULL};
static const gh_res_col campaign_cols[] = {
    {"name", GH_COL_TEXT, GH_CHECK_NAME, NULL},
    {"status", GH_COL_TEXT, GH_CHECK_ENUM, campaign_statuses},
    {"metadata", GH_COL_JSON, GH_CHECK_NONE, NULL},
    {"updated_at", GH_COL_TIME, GH_CHECK_NONE, NULL},
    {0},
};

static const char *const campaign_prefix[] = {"cmp_", NULL};
static const gh_res_col lead_cols[] = {
    {"email", GH_COL_TEXT, GH_CHECK_EMAIL, NULL},
    {"name", GH_COL_TEXT, GH_CHECK_NAME, NULL},
    {"campaign_id", GH_COL_TEXT, GH_CHECK_ID, campaign_prefix},
    {"metadata", GH_COL_JSON, GH_CHECK_NONE, NULL},
    {"updated_at", GH_COL_TIME, GH_CHECK_NONE, NULL},
    {0},
};
static const gh_res_type lead = {"gh.leads", "lead_", "lead", lead_cols, lead_refused, NULL};

/* Deleting a campaign keeps its leads with campaign_id null (0003: ON
 * DELETE SET NULL (campaign_id)); each is a lead.updated. */
static const gh_res_child campaign_children[] = {{&lead, "campaign_id", GH_CHILD_SET_NULL}, {0}};
static const gh_res_type campaign = {"gh.campaigns", "cmp_", "campaign", campaign_cols, NULL, campaign_children};

const gh_field gh_api_campaign_create_body[] = {
    {"name", GH_F_STRING, true, false},
    {"status", GH_F_STRING, false, false},
    {"metadata", GH_F_OBJECT, false, false},
    {0},
};
const gh_field gh_api_campaign_update_body[] = {
    {"name", GH_F_STRING, false, false},
    {"status", GH_F_STRING, false, false},
    {"metadata", GH_F_OBJECT, false, false},
    {0},
};
const gh_field gh_api_lead_create_body[] = {
    {"email", GH_F_STRING, true, false},
    {"name", GH_F_STRING, false, true},
    {"campaign_id", GH_F_STRING, false, true},
    {"metadata", GH_F_OBJECT, false, false},
    {0},
};
const gh_field gh_api_lead_update_body[] = {
    {"email", GH_F_STRING, false, false},
    {"name", GH_F_STRING, false, true},
    {"campaign_id", GH_F_STRING, false, true},
    {"metadata", GH_F_OBJECT, false, false},
    {0},
};
const gh_field gh_api_lead_import_body[] = {
    {"leads", GH_F_ARRAY, true, false},
    {0},
};

gh_status gh_api_campaign_list(gh_req *r) { return gh_res_list(r, &campaign, NULL, NULL); }
gh_status gh_api_campaign_get(gh_req *r) { return gh_res_get(r, &campaign); }
gh_status gh_api_campaign_create(gh_req *r) { return gh_res_create(r, &campaign); }
gh_status gh_api_campaign_update(gh_req *r) { return gh_res_update(r, &campaign); }
gh_status gh_api_campaign_delete(gh_req *r) { return gh_res_delete(r, &campaign); }

gh_status gh_api_lead_list(gh_req *r) { return gh_res_list(r, &lead, NULL, NULL); }
gh_status gh_api_lead_get(gh_req *r) { return gh_res_get(r, &lead); }
gh_status gh_api_lead_create(gh_req *r) { return gh_res_create(r, &lead); }
gh_status gh_api_lead_update(gh_req *r) { return gh_res_update(r, &lead); }
gh_status gh_api_lead_delete(gh_req *r) { return gh_res_delete(r, &lead); }

/* The database refused campaign ids (one per lead, null where none; many:
 * from an import, so the param names the lead). Finds the first id that is
 * no campaign of this org and mode and answers 403 org_mismatch if another
 * org owns it, else 400. */
static gh_status campaign_refused(gh_req *r, json_t *ids, bool many) {
  gh_res_txn t;
  gh_res_txn_init(&t);
  int k = gh_res_stmt(&t);
  gh_res_sql(&t, k,
             "SELECT u.ord - 1, u.id FROM jsonb_array_elements_text($%d::jsonb) WITH ORDINALITY AS u(id, ord) "
             "WHERE u.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM gh.campaigns c WHERE c.id = u.id) "
             "ORDER BY u.ord LIMIT 1",
             gh_res_param_owned(&t, k, json_dumps(ids, JSON_COMPACT)));
  gh_status s = gh_res_txn_run(r, &t);
  if (!s && PQntuples(t.res[k]) != 1) s = GH_ERR_INVALID_REQUEST; /* gone since: nothing better to say */
  if (!s) {
    char param[48] = "campaign_id";
    if (many) snprintf(param, sizeof param, "leads[%s].campaign_id", PQgetvalue(t.res[k], 0, 0));
    s = gh_api_missing(r, PQgetvalue(t.res[k], 0, 1));
    if (s == GH_ERR_ORG_MISMATCH)
      s = gh_req_error(r, s, param, "The campaign belongs to another organization.");
    else if (s == GH_ERR_NOT_FOUND)
      s = gh_req_error(r, GH_ERR_INVALID_REQUEST, param, "No such campaign.");
  }
  gh_res_txn_free(&t);
  return s;
}

static gh_status lead_refused(gh_req *r) {
  json_t *id = json_object_get(r->json, "campaign_id");
  if (!json_is_string(id)) return GH_ERR_INVALID_REQUEST; /* not the campaign: nothing more to say */
  json_t *ids = json_pack("[O]", id);
  gh_status s = ids ? campaign_refused(r, ids, false) : GH_ERR_NOMEM;
  json_decref(ids);
  return s;
}

/* Checks lead i like a POST /v1/leads body and appends its row (the lead
 * with a new id) to rows and its campaign_id (or null) to campaigns. */
static gh_status import_one(gh_req *r, size_t i, json_t *in, json_t *rows, json_t *campaigns) {
  char at[32], prefix[40], id[GH_ID_MAX];
  snprintf(at, sizeof at, "leads[%zu]", i);
  snprintf(prefix, sizeof prefix, "%s.", at);
  gh_status s = gh_res_check_fields(r, in, gh_api_lead_create_body, at);
  if (!s) s = gh_res_check(r, &lead, in, prefix);
  if (s) return s;
  gh_id_new(id, lead.prefix);
  json_t *row = json_copy(in), *campaign_id = json_object_get(in, "campaign_id");
  if (row && json_object_set_new(row, "id", json_string(id))) {
    json_decref(row);
    return GH_ERR_NOMEM;
  }
  /* json_array_append_new takes row, also when it fails. */
  if (!row || json_array_append_new(rows, row) || json_array_append(campaigns, campaign_id ? campaign_id : json_null()))
    return GH_ERR_NOMEM;
  return GH_OK;
}

static gh_status import_check(gh_req *r, json_t *in, json_t *rows, json_t *campaigns) {
  size_t n = json_array_size(in), i;
  json_t *v;
  if (n < 1 || n > IMPORT_MAX)
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "leads", "leads must hold 1 to 1000 leads.");
  json_array_foreach(in, i, v) {
    gh_status s = import_one(r, i, v, rows, campaigns);
    if (s) return s;
  }
  return GH_OK;
}

/* One statement for every lead: all are kept or none. Ordered by position,
 * so seq (hence the lists' order) follows the request, and the answer lists
 * the leads in the request's order. */
static gh_status import_insert(gh_req *r, json_t *rows, json_t *campaigns) {
  gh_res_txn t;
  gh_res_txn_init(&t);
  int k = gh_res_stmt(&t);
  gh_res_sql(&t, k,
             "WITH ins AS (INSERT INTO gh.leads (id, org_id, livemode, email, name, campaign_id, metadata) "
             "SELECT x.id, (SELECT gh.current_org()), (SELECT gh.current_livemode()), x.email, x.name, "
             "x.campaign_id, coalesce(x.metadata, '{}') FROM ROWS FROM (jsonb_to_recordset($%d::jsonb) AS (id text, "
             "email text, name text, campaign_id text, metadata jsonb)) WITH ORDINALITY AS x(id, email, name, "
             "campaign_id, metadata, ord) ORDER BY x.ord RETURNING *) SELECT ",
             gh_res_param_owned(&t, k, json_dumps(rows, JSON_COMPACT)));
  gh_res_select(&t, k, &lead);
  gh_res_sql(&t, k, " FROM ins ORDER BY seq");
  gh_res_event(&t, k, &lead, NULL, "created"); /* one lead.created per lead */
  gh_status s = gh_res_txn_run(r, &t);
  if (s == GH_ERR_INVALID_REQUEST) s = campaign_refused(r, campaigns, true);
  if (!s) s = gh_req_reply(r, 201, gh_api_list(gh_res_rows(&t, &lead, k), (int)json_array_size(rows)));
  gh_res_txn_free(&t);
  return s;
}

gh_status gh_api_lead_import(gh_req *r) {
  json_t *rows = json_array(), *campaigns = json_array();
  gh_status s = rows && campaigns ? import_check(r, json_object_get(r->json, "leads"), rows, campaigns) : GH_ERR_NOMEM;
  if (!s) s = import_insert(r, rows, campaigns);
  json_decref(rows);
  json_decref(campaigns);
  return s;
}
