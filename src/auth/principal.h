/* principal.h: who is making a request, once the credential is verified. */
#ifndef GH_PRINCIPAL_H
#define GH_PRINCIPAL_H
#include <stdbool.h>
#include <stdint.h>

#include "core/rand.h"

typedef enum { GH_CRED_NONE = 0, GH_CRED_API_KEY = 1, GH_CRED_SESSION = 2 } gh_cred_kind;

/* Scope bits; gh_scope_parse() maps the contract's names onto them. */
enum {
  GH_SCOPE_READ_APPLICATIONS = 1u << 0,
  GH_SCOPE_WRITE_APPLICATIONS = 1u << 1,
  GH_SCOPE_READ_REVIEWS = 1u << 2,
  GH_SCOPE_WRITE_REVIEWS = 1u << 3,
  GH_SCOPE_READ_CAMPAIGNS = 1u << 4,
  GH_SCOPE_WRITE_CAMPAIGNS = 1u << 5,
  GH_SCOPE_READ_LEADS = 1u << 6,
  GH_SCOPE_WRITE_LEADS = 1u << 7,
  GH_SCOPE_READ_CONTRACTS = 1u << 8,
  GH_SCOPE_WRITE_CONTRACTS = 1u << 9,
  GH_SCOPE_ADMIN = 1u << 10,
  GH_SCOPE_RESOURCES = (1u << 10) - 1, /* every resource scope */
  GH_SCOPE_ALL = (1u << 11) - 1,
};

/* Bit for a scope name (exact, lower case); 0 if unknown. */
uint32_t gh_scope_parse(const char *name);
/* Name of a single scope bit; NULL if not exactly one known bit. */
const char *gh_scope_name(uint32_t bit);

typedef struct {
  gh_cred_kind kind;
  bool livemode;
  uint32_t scopes; /* effective: admin implies all */
  char org_id[GH_ID_MAX];
  char credential_id[GH_ID_MAX]; /* key_… or ses_… */
  char user_id[GH_ID_MAX];       /* sessions only */
  char role[8];                  /* "admin"/"member" for sessions */
  unsigned char hash[32];        /* keyed hash of the presented secret */
  long long access_expires_at, expires_at, idle_expires_at, reauthenticated_at, created_at;
} gh_principal;

#endif
