/* admin.c: `gatehouse migrate`, `gatehouse org create`, `gatehouse routes`. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/token.h"
#include "cli/cli.h"
#include "cli/setup.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/text.h"
#include "db/db.h"
#include "http/routes.h"

#define INVITE_TTL (7 * 24 * 3600)

int gh_cli_migrate(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: gatehouse migrate\n  applies pending migrations to DATABASE_URL (or the embedded cluster)\n");
    return 0;
  }
  gh_setup su;
  gh_status s = gh_setup_start(&su);
  if (!s) printf("migrated (rls context: %s)\n", su.rls_context);
  gh_setup_stop(&su);
  return s ? 1 : 0;
}

static int org_create(const char *name, const char *email) {
  if (!gh_text_is_name(name, 200) || !gh_text_is_email(email)) {
    fprintf(stderr, "gatehouse org create: invalid --name or --admin-email\n");
    return 2;
  }
  gh_setup su;
  gh_status s = gh_setup_start(&su);
  if (s) {
    gh_setup_stop(&su);
    return 1;
  }
  char org_id[GH_ID_MAX], user_id[GH_ID_MAX], inv_id[GH_ID_MAX], token[GH_TOKEN_MAX], lower[256], expires[32];
  unsigned char hash[GH_HASH_BYTES];
  gh_id_new(org_id, "org_");
  gh_id_new(user_id, "usr_");
  gh_id_new(inv_id, "inv_");
  gh_token_new(token);
  gh_token_hash(token, strlen(token), hash);
  gh_text_lower(email, lower, sizeof lower);
  gh_rfc3339(gh_now() + INVITE_TTL, expires);
  const char *vals[7] = {org_id, name, user_id, lower, inv_id, (const char *)hash, expires};
  const int lens[7] = {0, 0, 0, 0, 0, GH_HASH_BYTES, 0};
  gh_db_stmt q = {"SELECT gh.org_create_with_invite($1, $2, $3, $4, $5, $6::bytea, $7::timestamptz)", 7, vals, lens};
  PGresult *res;
  s = gh_db_exec(&q, &res);
  PQclear(res);
  int rc = 0;
  if (s == GH_ERR_CONFLICT) {
    fprintf(stderr, "gatehouse org create: %s is already registered\n", email);
    rc = 1;
  } else if (s) {
    fprintf(stderr, "gatehouse org create: failed\n");
    rc = 1;
  } else {
    printf("org_id: %s\nadmin_user_id: %s\ninvitation_id: %s\ninvitation_expires_at: %s\ninvitation_token: %s\n",
           org_id, user_id, inv_id, expires, token);
    printf("(the token is shown once; the admin accepts it with POST /v1/invitations/accept)\n");
  }
  sodium_memzero(token, sizeof token);
  gh_setup_stop(&su);
  return rc;
}

int gh_cli_org(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "create")) {
    fprintf(stderr, "usage: gatehouse org create --name NAME --admin-email EMAIL\n");
    return 2;
  }
  static const struct option opts[] = {
      {"name", required_argument, 0, 'n'}, {"admin-email", required_argument, 0, 'e'}, {0, 0, 0, 0}};
  const char *name = NULL, *email = NULL;
  int c;
  optind = 2;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'n')
      name = optarg;
    else if (c == 'e')
      email = optarg;
    else
      return 2;
  }
  if (!name || !email) {
    fprintf(stderr, "usage: gatehouse org create --name NAME --admin-email EMAIL\n");
    return 2;
  }
  return org_create(name, email);
}

/* A route's body schema as JSON: [{name, type, required, nullable}], or
 * null when the route takes no fields (an empty body or {} only). The
 * OpenAPI test compares it with the document's request bodies. */
static json_t *body_fields(const gh_field *fields) {
  static const char *const types[] = {
      [GH_F_STRING] = "string", [GH_F_INT] = "integer", [GH_F_BOOL] = "boolean",
      [GH_F_OBJECT] = "object", [GH_F_ARRAY] = "array", [GH_F_ANY] = "any",
  };
  if (!fields) return json_null();
  json_t *out = json_array();
  for (const gh_field *f = fields; f->name; f++)
    json_array_append_new(out, json_pack("{s:s, s:s, s:b, s:b}", "name", f->name, "type", types[f->type], "required",
                                         f->required, "nullable", f->nullable));
  return out;
}

int gh_cli_routes(int argc, char **argv) {
  (void)argc;
  (void)argv;
  json_t *list = json_array();
  for (int i = 0; i < gh_routes_count; i++) {
    const gh_route *r = &gh_routes[i];
    json_t *scopes = json_array();
    for (uint32_t b = 1; b <= GH_SCOPE_ADMIN; b <<= 1)
      if (r->scope & b) json_array_append_new(scopes, json_string(gh_scope_name(b)));
    json_t *kinds = json_array();
    if (r->auth & GH_AUTH_KEY) json_array_append_new(kinds, json_string("api_key"));
    if (r->auth & GH_AUTH_SESSION) json_array_append_new(kinds, json_string("session"));
    json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:o, s:b, s:b, s:o}", "method", r->method, "path", r->path,
                                          "credentials", kinds, "scopes", scopes, "sensitive", r->sensitive != 0,
                                          "org_path", r->org_path, "body", body_fields(r->body)));
  }
  char *text = json_dumps(list, JSON_INDENT(2));
  json_decref(list);
  if (!text) return 1;
  puts(text);
  free(text);
  return 0;
}
