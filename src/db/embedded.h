/* embedded.h: the embedded default database.
 *
 * With no DATABASE_URL, Gatehouse uses a private PostgreSQL cluster under
 * ./var/pg (GATEHOUSE_PG_DIR overrides), managed by scripts/pg.sh next to
 * the binary's build directory: initdb on first use, Unix socket only, run
 * as an unprivileged user when we are root. */
#ifndef GH_EMBEDDED_H
#define GH_EMBEDDED_H
#include <stdbool.h>

#include "core/status.h"

/* Starts the cluster if it is not running. *url receives its superuser URL
 * (malloc'ed, caller frees); *started tells whether this call started it. */
gh_status gh_embedded_start(char **url, bool *started);
/* Stops the cluster (used when this process started it). */
void gh_embedded_stop(void);

#endif
