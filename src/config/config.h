/* config.h: the process settings of api.md's "Process interface".
 *
 * Settings come from the environment, are validated once at start-up by a
 * table (name, default, parser) and are read-only afterwards. */
#ifndef GH_CONFIG_H
#define GH_CONFIG_H
#include <stdbool.h>

#include "core/status.h"

typedef struct {
  char *database_url;     /* owned; NULL: embedded cluster under ./var/ */
  char *app_database_url; /* owned; NULL: derived (role gatehouse_app) */
  char *listen_host;      /* owned */
  int listen_port;        /* 0: let the kernel pick (logged at start) */
  bool signup_open;
  bool dev;
  char *redis_url;          /* owned or NULL */
  char *tls_cert, *tls_key; /* owned or NULL */
  char *trusted_proxies;    /* owned or NULL: raw CIDR list */
  int reauth_window_seconds;
  char *state_dir; /* owned; absolute */
  bool rate_limits_off;
  int key_rate, key_burst, session_rate, session_burst;
  char *rls_context;          /* "auto", "extension" or "sealed" */
  int http_threads;           /* GATEHOUSE_HTTP_THREADS, default 2 x cores */
  int hash_threads;           /* GATEHOUSE_HASH_THREADS, default cores */
  int access_ttl_seconds;     /* 900; GATEHOUSE_ACCESS_TTL_SECONDS with GATEHOUSE_DEV=1 */
  int shutdown_grace_seconds; /* GATEHOUSE_SHUTDOWN_GRACE_SECONDS: drain before stopping */
  int webhook_workers;        /* GATEHOUSE_WEBHOOK_WORKERS, 0..64, default 2 */
  int usage_retention_days;   /* GATEHOUSE_USAGE_RETENTION_DAYS: 0 (keep) or 2..100000, default 400 */
} gh_config;

/* Reads the environment into cfg. On a bad value, logs which setting and why
 * and returns GH_ERR_INVALID_REQUEST. cfg is owned by the caller; release it
 * with gh_config_free(). */
gh_status gh_config_load(gh_config *cfg);
void gh_config_free(gh_config *cfg);

/* Splits "host:port" or "[v6]:port". Returns 0 on success; *host is
 * malloc'ed. Exposed for the unit tests. */
int gh_config_parse_listen(const char *s, char **host, int *port);
/* Parses "off" or "key=R/B,session=R/B" (either part optional). */
int gh_config_parse_rate_limits(const char *s, gh_config *cfg);

/* The settings in force, set once by main() before any thread starts. */
extern const gh_config *gh_cfg;

#endif
