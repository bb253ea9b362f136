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
gh_status gh_api_login(gh_req *r);
extern const gh_field gh_api_signup_body[];
extern const gh_field gh_api_login_body[];

/* org.c: the caller's organization */
gh_status gh_api_org_get(gh_req *r);

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

#endif
