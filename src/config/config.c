/* config.c: environment settings, validated once (see config.h). */
#include "config/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "ratelimit/redis_url.h"

const gh_config *gh_cfg;

static char *dup_env(const char *name) {
  const char *v = getenv(name);
  return (v && *v) ? strdup(v) : NULL;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

int gh_config_parse_listen(const char *s, char **host, int *port) {
  const char *colon;
  size_t hlen;
  const char *h = s;
  if (!s || !*s) return -1;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':') return -1;
    h = s + 1;
    hlen = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon) return -1;
    hlen = (size_t)(colon - s);
  }
  if (hlen == 0 || parse_int(colon + 1, 0, 65535, port) != 0) return -1;
  *host = strndup(h, hlen);
  return *host ? 0 : -1;
}

static int parse_rate(const char *v, int *rate, int *burst) {
  char buf[64];
  size_t n = strlen(v);
  if (n >= sizeof buf) return -1;
  memcpy(buf, v, n + 1);
  char *slash = strchr(buf, '/');
  if (!slash) return -1;
  *slash = '\0';
  return (parse_int(buf, 1, 1000000, rate) == 0 && parse_int(slash + 1, 1, 1000000, burst) == 0) ? 0 : -1;
}

int gh_config_parse_rate_limits(const char *s, gh_config *cfg) {
  if (!strcmp(s, "off")) {
    cfg->rate_limits_off = true;
    return 0;
  }
  char buf[256];
  size_t n = strlen(s);
  if (n >= sizeof buf) return -1;
  memcpy(buf, s, n + 1);
  char *save = NULL;
  for (char *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(part, '=');
    if (!eq) return -1;
    *eq = '\0';
    if (!strcmp(part, "key")) {
      if (parse_rate(eq + 1, &cfg->key_rate, &cfg->key_burst)) return -1;
    } else if (!strcmp(part, "session")) {
      if (parse_rate(eq + 1, &cfg->session_rate, &cfg->session_burst)) return -1;
    } else {
      return -1;
    }
  }
  return 0;
}

static gh_status bad(const char *name, const char *why) {
  gh_log(GH_LOG_ERROR, "invalid setting %s: %s", name, why);
  return GH_ERR_INVALID_REQUEST;
}

gh_status gh_config_load(gh_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (cores < 1) cores = 1;
  cfg->key_rate = 100, cfg->key_burst = 200;
  cfg->session_rate = 50, cfg->session_burst = 100;
  cfg->reauth_window_seconds = 300;
  cfg->access_ttl_seconds = 900;
  cfg->http_threads = (int)(2 * cores);
  cfg->hash_threads = (int)cores;
  cfg->webhook_workers = 2;
  cfg->usage_retention_days = 400;

  cfg->database_url = dup_env("DATABASE_URL");
  cfg->app_database_url = dup_env("GATEHOUSE_APP_DATABASE_URL");
  cfg->redis_url = dup_env("REDIS_URL");
  cfg->tls_cert = dup_env("GATEHOUSE_TLS_CERT");
  cfg->tls_key = dup_env("GATEHOUSE_TLS_KEY");
  cfg->trusted_proxies = dup_env("GATEHOUSE_TRUSTED_PROXIES");

  /* Checked here so that a malformed REDIS_URL stops the start like any
   * other bad setting; the reason names the part, never echoes the URL (it
   * may hold a password). */
  if (cfg->redis_url) {
    gh_redis_url u;
    const char *why = NULL;
    if (gh_redis_url_parse(cfg->redis_url, &u, &why)) return bad("REDIS_URL", why);
    gh_redis_url_free(&u);
  }

  const char *v = getenv("GATEHOUSE_LISTEN");
  if (gh_config_parse_listen(v && *v ? v : "127.0.0.1:8080", &cfg->listen_host, &cfg->listen_port))
    return bad("GATEHOUSE_LISTEN", "expected host:port");

  v = getenv("GATEHOUSE_SIGNUP");
  if (!v || !*v || !strcmp(v, "open"))
    cfg->signup_open = true;
  else if (!strcmp(v, "closed"))
    cfg->signup_open = false;
  else
    return bad("GATEHOUSE_SIGNUP", "expected open or closed");

  v = getenv("GATEHOUSE_DEV");
  cfg->dev = v && !strcmp(v, "1");

  v = getenv("GATEHOUSE_SHUTDOWN_GRACE_SECONDS");
  if (v && *v && parse_int(v, 0, 300, &cfg->shutdown_grace_seconds))
    return bad("GATEHOUSE_SHUTDOWN_GRACE_SECONDS", "expected 0..300");
  v = getenv("GATEHOUSE_REAUTH_WINDOW_SECONDS");
  if (v && *v && parse_int(v, 1, 86400, &cfg->reauth_window_seconds))
    return bad("GATEHOUSE_REAUTH_WINDOW_SECONDS", "expected 1..86400");

  /* A short access-token lifetime lets tests watch silent refresh; only in
   * development mode, like the short idle timeout. */
  v = getenv("GATEHOUSE_ACCESS_TTL_SECONDS");
  if (v && *v && (!cfg->dev || parse_int(v, 2, 900, &cfg->access_ttl_seconds)))
    return bad("GATEHOUSE_ACCESS_TTL_SECONDS", "expected 2..900, and only with GATEHOUSE_DEV=1");

  v = getenv("GATEHOUSE_RATE_LIMITS");
  if (v && *v && gh_config_parse_rate_limits(v, cfg))
    return bad("GATEHOUSE_RATE_LIMITS", "expected off or key=R/B,session=R/B");

  v = getenv("GATEHOUSE_RLS_CONTEXT");
  if (!v || !*v) v = "auto";
  if (strcmp(v, "auto") && strcmp(v, "extension") && strcmp(v, "sealed"))
    return bad("GATEHOUSE_RLS_CONTEXT", "expected auto, extension or sealed");
  cfg->rls_context = strdup(v);

  v = getenv("GATEHOUSE_HTTP_THREADS");
  if (v && *v && parse_int(v, 1, 256, &cfg->http_threads)) return bad("GATEHOUSE_HTTP_THREADS", "expected 1..256");
  v = getenv("GATEHOUSE_HASH_THREADS");
  if (v && *v && parse_int(v, 1, 256, &cfg->hash_threads)) return bad("GATEHOUSE_HASH_THREADS", "expected 1..256");
  v = getenv("GATEHOUSE_WEBHOOK_WORKERS");
  if (v && *v && parse_int(v, 0, 64, &cfg->webhook_workers)) return bad("GATEHOUSE_WEBHOOK_WORKERS", "expected 0..64");
  /* 0 keeps every row; otherwise at least 2 days, so that the default query
   * (the last 24 h) always has its minutes. */
  v = getenv("GATEHOUSE_USAGE_RETENTION_DAYS");
  if (v && *v && (parse_int(v, 0, 100000, &cfg->usage_retention_days) || cfg->usage_retention_days == 1))
    return bad("GATEHOUSE_USAGE_RETENTION_DAYS", "expected 0 (keep all) or 2..100000");

  if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
    return bad("GATEHOUSE_TLS_CERT", "GATEHOUSE_TLS_CERT and GATEHOUSE_TLS_KEY go together");

  v = getenv("GATEHOUSE_STATE_DIR");
  char cwd[PATH_MAX];
  if (!v || !*v) v = "var";
  if (v[0] == '/') {
    cfg->state_dir = strdup(v);
  } else {
    if (!getcwd(cwd, sizeof cwd)) return bad("GATEHOUSE_STATE_DIR", "cannot resolve working directory");
    size_t n = strlen(cwd) + strlen(v) + 2;
    cfg->state_dir = malloc(n);
    if (cfg->state_dir) snprintf(cfg->state_dir, n, "%s/%s", cwd, v);
  }
  if (!cfg->state_dir || !cfg->rls_context) return GH_ERR_NOMEM;
  return GH_OK;
}

void gh_config_free(gh_config *cfg) {
  if (!cfg) return;
  free(cfg->database_url);
  free(cfg->app_database_url);
  free(cfg->listen_host);
  free(cfg->redis_url);
  free(cfg->tls_cert);
  free(cfg->tls_key);
  free(cfg->trusted_proxies);
  free(cfg->state_dir);
  free(cfg->rls_context);
  memset(cfg, 0, sizeof *cfg);
}
