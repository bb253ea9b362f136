/* contracts.c: the contracts platform: contracts, their deployment and
 * executions (api.md, "Resources of the three platforms").
 *
 * Contracts are never deleted (the route table has no DELETE row, so that
 * is 405; the app role has no DELETE grant either). Only a deployed
 * contract executes; the contract language is out of scope, so an
 * execution completes at once with a deterministic result that echoes its
 * input. An execution is a record: written once, never changed. */
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "api/resource.h"

static const gh_res_col contract_cols[] = {
    {"name", GH_COL_TEXT, GH_CHECK_NAME, NULL},
    {"source", GH_COL_TEXT, GH_CHECK_NONE, NULL},
    {"status", GH_COL_TEXT, GH_CHECK_NONE, NULL},
    {"deployed_at", GH_COL_TIME, GH_CHECK_NONE, NULL},
    {"metadata", GH_COL_JSON, GH_CHECK_NONE, NULL},
    {"updated_at", GH_COL_TIME, GH_CHECK_NONE, NULL},
    {0},
};
static const gh_res_type contract = {"gh.contracts", "ctr_", "contract", contract_cols, NULL, NULL};

static const gh_res_col execution_cols[] = {
    {"contract_id", GH_COL_TEXT, GH_CHECK_NONE, NULL},
    {"input", GH_COL_JSON, GH_CHECK_NONE, NULL},
    {"status", GH_COL_TEXT, GH_CHECK_NONE, NULL},
    {"result", GH_COL_JSON, GH_CHECK_NONE, NULL},
    {0},
};
static const gh_res_type execution = {"gh.contract_executions", "cex_", "contract_execution",
                                      execution_cols,           NULL,   NULL};

const gh_field gh_api_contract_create_body[] = {
    {"name", GH_F_STRING, true, false},
    {"source", GH_F_STRING, true, false},
    {"metadata", GH_F_OBJECT, false, false},
    {0},
};
const gh_field gh_api_contract_update_body[] = {
    {"name", GH_F_STRING, false, false},
    {"source", GH_F_STRING, false, false},
    {"metadata", GH_F_OBJECT, false, false},
    {0},
};
const gh_field gh_api_contract_execute_body[] = {
    {"input", GH_F_ANY, false, true},
    {0},
};

gh_status gh_api_contract_list(gh_req *r) { return gh_res_list(r, &contract, NULL, NULL); }
gh_status gh_api_contract_get(gh_req *r) { return gh_res_get(r, &contract); }
gh_status gh_api_contract_create(gh_req *r) { return gh_res_create(r, &contract); }
gh_status gh_api_contract_update(gh_req *r) { return gh_res_update(r, &contract); }
gh_status gh_api_contract_executions(gh_req *r) { return gh_res_list(r, &execution, &contract, "contract_id"); }

/* Deploying again is allowed: it deploys the current source, now. */
gh_status gh_api_contract_deploy(gh_req *r) {
  return gh_res_on_object(r, &contract,
                          "UPDATE %s SET status = 'deployed', deployed_at = now() WHERE id = $1 RETURNING ", "", 200,
                          "deployed");
}

gh_status gh_api_contract_execute(gh_req *r) {
  const char *cid = gh_res_path_id(r, &contract);
  if (!cid) return GH_ERR_NOT_FOUND;
  json_t *input = json_object_get(r->json, "input");
  char id[GH_ID_MAX];
  gh_id_new(id, execution.prefix);
  gh_res_txn t;
  gh_res_txn_init(&t);
  /* Whether the contract is visible and deployed, and the execution, in one
   * round trip; the INSERT writes nothing unless it is deployed. */
  int state = gh_res_stmt(&t);
  gh_res_sql(&t, state, "SELECT status FROM gh.contracts WHERE id = $%d", gh_res_param(&t, state, cid));
  int k = gh_res_stmt(&t), pid = gh_res_param(&t, k, id), pcid = gh_res_param(&t, k, cid);
  int pin = gh_res_param_owned(&t, k, input ? json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("{}"));
  gh_res_sql(&t, k,
             "INSERT INTO gh.contract_executions (id, org_id, livemode, contract_id, input, status, result) "
             "SELECT $%d, (SELECT gh.current_org()), (SELECT gh.current_livemode()), c.id, $%d::jsonb, 'completed', "
             "jsonb_build_object('ok', true, 'output', $%d::jsonb) "
             "FROM gh.contracts c WHERE c.id = $%d AND c.status = 'deployed' RETURNING ",
             pid, pin, pin, pcid);
  gh_res_select(&t, k, &execution);
  /* The event carries the execution, as the answer does. */
  gh_res_event(&t, k, &execution, "contract", "executed");
  gh_status s = gh_res_txn_run(r, &t);
  if (!s && PQntuples(t.res[state]) != 1)
    s = gh_api_missing(r, cid);
  else if (!s && PQntuples(t.res[k]) != 1)
    s = gh_req_error(r, GH_ERR_CONFLICT, NULL, "The contract is not deployed.");
  else if (!s) {
    json_t *rows = gh_res_rows(&t, &execution, k);
    s = gh_req_reply(r, 201, json_incref(json_array_get(rows, 0)));
    json_decref(rows);
  }
  gh_res_txn_free(&t);
  return s;
}
