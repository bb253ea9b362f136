/* scopes.c: the contract's scope names (api.md, "Scopes"). */
#include <string.h>

#include "auth/principal.h"

static const char *const names[] = {
    "read:applications", "write:applications", "read:reviews",   "write:reviews",   "read:campaigns", "write:campaigns",
    "read:leads",        "write:leads",        "read:contracts", "write:contracts", "admin",
};

uint32_t gh_scope_parse(const char *name) {
  for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
    if (!strcmp(name, names[i])) return 1u << i;
  return 0;
}

const char *gh_scope_name(uint32_t bit) {
  for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
    if (bit == 1u << i) return names[i];
  return NULL;
}
