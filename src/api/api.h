/* api.h: the request handlers, one group per resource family; each group
 * lives in its own file of src/api/. Wired to paths in src/http/routes.c. */
#ifndef GH_API_H
#define GH_API_H
#include "http/request.h"

/* ops.c: health, readiness, metrics */
gh_status gh_api_healthz(gh_req *r);
gh_status gh_api_readyz(gh_req *r);
gh_status gh_api_metrics(gh_req *r);

/* identity.c: sign-up and login */
gh_status gh_api_signup(gh_req *r);
gh_status gh_api_signup_gate(gh_req *r); /* 403 while GATEHOUSE_SIGNUP=closed */
gh_status gh_api_login(gh_req *r);
extern const gh_field gh_api_signup_body[];
extern const gh_field gh_api_login_body[];

/* org.c: the caller's organization */
gh_status gh_api_org_get(gh_req *r);

/* session.c: the browser session's own endpoints */
gh_status gh_api_auth_refresh(gh_req *r);
gh_status gh_api_auth_logout(gh_req *r);
gh_status gh_api_auth_session(gh_req *r);
gh_status gh_api_auth_reauthenticate(gh_req *r);
gh_status gh_api_auth_password(gh_req *r);
gh_status gh_api_invitation_accept(gh_req *r);
extern const gh_field gh_api_logout_body[];
extern const gh_field gh_api_reauth_body[];
extern const gh_field gh_api_password_body[];
extern const gh_field gh_api_accept_body[];

/* me.c: who am I; the gateway check */
gh_status gh_api_me(gh_req *r);
gh_status gh_api_auth_check(gh_req *r);

/* keys.c: API key management */
gh_status gh_api_key_create(gh_req *r);
gh_status gh_api_key_list(gh_req *r);
gh_status gh_api_key_get(gh_req *r);
gh_status gh_api_key_revoke(gh_req *r);
gh_status gh_api_key_rotate(gh_req *r);
extern const gh_field gh_api_key_create_body[];
extern const gh_field gh_api_key_rotate_body[];

/* events.c: the event outbox and the audit log, read */
gh_status gh_api_event_list(gh_req *r);
gh_status gh_api_event_get(gh_req *r);
gh_status gh_api_audit_list(gh_req *r);
/* usage.c: API key usage (admin) */
gh_status gh_api_key_usage(gh_req *r);
gh_status gh_api_usage(gh_req *r);

/* ---- organization settings, users, force logout */

/* org_admin.c: changing the caller's organization; ending all its sessions */
gh_status gh_api_org_update(gh_req *r);
gh_status gh_api_org_force_logout(gh_req *r);
extern const gh_field gh_api_org_update_body[];

/* members.c: the org's users and invitations */
gh_status gh_api_user_list(gh_req *r);
gh_status gh_api_user_get(gh_req *r);
gh_status gh_api_user_create(gh_req *r);
gh_status gh_api_user_update(gh_req *r);
gh_status gh_api_user_delete(gh_req *r);
gh_status gh_api_user_force_logout(gh_req *r);
extern const gh_field gh_api_user_create_body[];
extern const gh_field gh_api_user_update_body[];

/* ---- resources of the three platforms (generic layer: resource.h) */

/* applications.c: applications and their reviews */
gh_status gh_api_application_list(gh_req *r);
gh_status gh_api_application_get(gh_req *r);
gh_status gh_api_application_create(gh_req *r);
gh_status gh_api_application_update(gh_req *r);
gh_status gh_api_application_delete(gh_req *r);
gh_status gh_api_review_request(gh_req *r);
gh_status gh_api_review_list(gh_req *r);
gh_status gh_api_review_get(gh_req *r);
gh_status gh_api_review_update(gh_req *r);
extern const gh_field gh_api_application_create_body[];
extern const gh_field gh_api_application_update_body[];
extern const gh_field gh_api_review_update_body[];

/* campaigns.c: campaigns and their leads */
gh_status gh_api_campaign_list(gh_req *r);
gh_status gh_api_campaign_get(gh_req *r);
gh_status gh_api_campaign_create(gh_req *r);
gh_status gh_api_campaign_update(gh_req *r);
gh_status gh_api_campaign_delete(gh_req *r);
gh_status gh_api_lead_list(gh_req *r);
gh_status gh_api_lead_get(gh_req *r);
gh_status gh_api_lead_create(gh_req *r);
gh_status gh_api_lead_update(gh_req *r);
gh_status gh_api_lead_delete(gh_req *r);
gh_status gh_api_lead_import(gh_req *r);
extern const gh_field gh_api_campaign_create_body[];
extern const gh_field gh_api_campaign_update_body[];
extern const gh_field gh_api_lead_create_body[];
extern const gh_field gh_api_lead_update_body[];
extern const gh_field gh_api_lead_import_body[];

/* contracts.c: contracts, deployment, executions */
gh_status gh_api_contract_list(gh_req *r);
gh_status gh_api_contract_get(gh_req *r);
gh_status gh_api_contract_create(gh_req *r);
gh_status gh_api_contract_update(gh_req *r);
gh_status gh_api_contract_deploy(gh_req *r);
gh_status gh_api_contract_execute(gh_req *r);
gh_status gh_api_contract_executions(gh_req *r);
extern const gh_field gh_api_contract_create_body[];
extern const gh_field gh_api_contract_update_body[];
extern const gh_field gh_api_contract_execute_body[];

/* webhooks.c: webhook endpoints, their deliveries, event redelivery */
gh_status gh_api_webhook_create(gh_req *r);
gh_status gh_api_webhook_list(gh_req *r);
gh_status gh_api_webhook_get(gh_req *r);
gh_status gh_api_webhook_delete(gh_req *r);
gh_status gh_api_webhook_rotate(gh_req *r);
gh_status gh_api_webhook_deliveries(gh_req *r);
gh_status gh_api_event_redeliver(gh_req *r);
extern const gh_field gh_api_webhook_create_body[];

#endif
