/* setup.h: the start-up shared by serve, migrate and the admin commands:
 * settings, secrets, the database (embedded or DATABASE_URL), migrations,
 * and the runtime role's connection parameters. */
#ifndef GH_SETUP_H
#define GH_SETUP_H
#include <stdbool.h>

#include "config/config.h"
#include "config/state.h"
#include "core/status.h"

typedef struct {
  gh_config cfg;
  gh_state *state;       /* sodium_malloc'ed */
  char *admin_url;       /* owned: DATABASE_URL or the embedded cluster's */
  bool started_embedded; /* this process started the embedded cluster */
  char rls_context[16];
} gh_setup;

/* Loads settings and secrets, reaches the database, migrates, and points
 * the runtime database layer (db.h) at the unprivileged role. */
gh_status gh_setup_start(gh_setup *su);
/* Undoes gh_setup_start (stops the embedded cluster if we started it). */
void gh_setup_stop(gh_setup *su);

#endif
