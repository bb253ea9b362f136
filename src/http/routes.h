/* routes.h: the one declarative route table.
 *
 * Every route of the API is a row of gh_routes[] in routes.c: method, path,
 * handler, accepted credentials, required scope, sensitive flag, body
 * schema. Authorization is audited in that one screen, and the tests
 * enumerate it (`gatehouse routes` prints it as JSON). */
#ifndef GH_ROUTES_H
#define GH_ROUTES_H
#include "http/request.h"

extern const gh_route gh_routes[];
extern const int gh_routes_count;

typedef enum { GH_MATCH_OK, GH_MATCH_NO_PATH, GH_MATCH_NO_METHOD } gh_match;

/* Finds the route for method + path. On GH_MATCH_OK sets *route and copies
 * the {param} segments into params (at most GH_MAX_PATH_PARAMS, each under
 * param_size bytes; longer segments do not match). On GH_MATCH_NO_METHOD
 * writes the allowed methods ("GET, POST") into allow. org_form: the path
 * was reached as /v1/orgs/{org_id}/…, where only routes with org_path
 * exist (the others are 404 by any method, and not in allow). */
gh_match gh_routes_find(const char *method, const char *path, bool org_form, const gh_route **route,
                        char params[][GH_ID_MAX * 2], int *nparams, char *allow, size_t allow_size);

#endif
