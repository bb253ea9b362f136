/* migrate.h: schema migrations, run with the privileged DATABASE_URL role.
 *
 * Order, under a session advisory lock so that nodes starting together are
 * safe: sql/roles.sql (roles and schemas, idempotent), the runtime role's
 * password, the org-context implementation (sql/context/extension.sql or
 * sealed.sql, chosen once and recorded in gh_meta.settings), then every
 * sql/migrations/NNNN_*.sql not yet in gh_meta.schema_migrations, each in
 * its own transaction as role gatehouse_owner. The SQL is compiled into the
 * binary (build/gen/sql_embed.c). */
#ifndef GH_MIGRATE_H
#define GH_MIGRATE_H
#include <stddef.h>

#include "core/status.h"

/* admin_url: the migrating role. app_password: set on gatehouse_app (NULL:
 * leave it). want: "auto", "extension" or "sealed". Writes the context
 * implementation in force into impl (e.g. "extension"). */
gh_status gh_migrate_run(const char *admin_url, const char *app_password, const char *want, char *impl,
                         size_t impl_size);

#endif
