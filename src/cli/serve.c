/* serve.c: `gatehouse serve` — migrate, then serve until SIGTERM/SIGINT;
 * on the signal stop accepting, finish requests in flight, then exit 0. */
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>

#include "audit/overhttp.h"
#include "auth/activity.h"
#include "auth/keycache.h"
#include "auth/keyuse.h"
#include "auth/sesscache.h"
#include "auth/password.h"
#include "auth/profile.h"
#include "cli/cli.h"
#include "cli/setup.h"
#include "core/clock.h"
#include "core/log.h"
#include "db/listen.h"
#include "ratelimit/limiter.h"
#include "ratelimit/redis.h"
#include "http/server.h"
#include "http/tls.h"
#include "usage/usage.h"
#include "webhooks/deliver.h"

#define DRAIN_SECONDS 30
/* About a second of Argon2id work on two cores: a longer queue only makes
 * logins wait; beyond it they are refused at once (503 + Retry-After). */
#define HASH_QUEUE 64

/* Once a minute, on the listener's thread: forget expired credentials. */
static void sweep_caches(void) {
  static int64_t last;
  int64_t now = gh_now();
  if (now - last < 60) return;
  last = now;
  gh_sesscache_sweep(now);
  gh_keycache_sweep(now);
}

int gh_cli_serve(int argc, char **argv) {
  (void)argc;
  (void)argv;
  /* Block the stop signals (and SIGHUP, the TLS certificate reload) before
   * any thread starts, so that only the sigwait() below receives them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  gh_setup su;
  gh_status s = gh_setup_start(&su);
  gh_server *srv = NULL;
  gh_listen_on("key", gh_keycache_drop_id, gh_keycache_flush);
  gh_listen_on("session", gh_sesscache_drop_session, gh_sesscache_flush);
  gh_listen_on("user", gh_sesscache_drop_user, NULL);
  gh_listen_on("org", gh_sesscache_drop_org, NULL);
  gh_listen_on("session", gh_profile_drop_session, gh_profile_flush);
  gh_listen_on("user", gh_profile_drop_user, NULL);
  gh_listen_on("org", gh_profile_drop_org, NULL);
  gh_listen_on_tick(gh_activity_flush);
  gh_listen_on_tick(gh_keyuse_flush);
  gh_listen_on_tick(gh_overhttp_tick);
  gh_listen_on_tick(gh_usage_tick);
  gh_listen_on_tick(sweep_caches);
  /* Before the HTTP threads: they read its state without locks. With
   * limits off there is nothing to share. */
  if (!s && !su.cfg.rate_limits_off) s = gh_redis_init(su.cfg.redis_url);
  if (!s) s = gh_listen_start();
  if (!s) s = gh_password_init(su.cfg.hash_threads, HASH_QUEUE);
  if (!s) srv = gh_server_new(&su.cfg, &s);
  /* Deliveries start once the server runs: events only come from it (or
   * from other nodes, whose queue rows this node shares). */
  if (!s) {
    gh_webhook_opts wo = {.threads = su.cfg.webhook_workers,
                          .dev = su.cfg.dev,
                          .master = su.state->webhook_key,
                          .master_prev = su.state->has_webhook_key_prev ? su.state->webhook_key_prev : NULL};
    s = gh_webhook_start(&wo);
  }
  if (s) {
    gh_log(GH_LOG_ERROR, "gatehouse serve: start-up failed");
    gh_webhook_stop();
    gh_server_free(srv, 0);
    gh_listen_stop();
    gh_password_shutdown();
    gh_redis_shutdown();
    gh_setup_stop(&su);
    return 1;
  }
  if (su.cfg.rate_limits_off) gh_log(GH_LOG_WARN, "GATEHOUSE_RATE_LIMITS=off: rate limiting is disabled");
  char addr[128];
  snprintf(addr, sizeof addr, "%s%s%s:%d",
           su.cfg.listen_host[0] != '[' && su.cfg.listen_host[0] != '\0' && __builtin_strchr(su.cfg.listen_host, ':')
               ? "["
               : "",
           su.cfg.listen_host, __builtin_strchr(su.cfg.listen_host, ':') ? "]" : "", gh_server_port(srv));
  gh_log_obj(GH_LOG_INFO, "listening",
             json_pack("{s:s, s:s, s:b, s:b}", "listen", addr, "rls_context", su.rls_context, "dev", su.cfg.dev, "tls",
                       su.cfg.tls_cert != NULL));

  int sig = 0;
  while (!sigwait(&stop, &sig) && sig == SIGHUP)
    gh_tls_reload();
  if (su.cfg.shutdown_grace_seconds > 0) {
    /* Serve on for the grace period with "Connection: close" and a failing
     * /readyz, so that a proxy moves away without losing a request; a second
     * SIGTERM/SIGINT cuts it short. */
    gh_log_obj(GH_LOG_INFO, "draining",
               json_pack("{s:i, s:i}", "signal", sig, "seconds", su.cfg.shutdown_grace_seconds));
    gh_server_drain();
    struct timespec grace = {su.cfg.shutdown_grace_seconds, 0};
    sigdelset(&stop, SIGHUP);
    while (sigtimedwait(&stop, NULL, &grace) < 0 && errno == EINTR) {
    }
  }
  gh_log_obj(GH_LOG_INFO, "stopping", json_pack("{s:i}", "signal", sig));
  gh_server_free(srv, DRAIN_SECONDS);
  /* After the requests (which may still queue events); before the
   * database goes: in-flight sends finish or are released. */
  gh_webhook_stop();
  gh_listen_stop();
  /* Every request has finished (and was counted): write the last counts. */
  gh_usage_stop();
  gh_password_shutdown();
  gh_keycache_reset();
  gh_sesscache_reset();
  gh_profile_flush();
  gh_limiter_reset();
  gh_redis_shutdown();
  gh_setup_stop(&su);
  gh_log(GH_LOG_INFO, "stopped");
  return 0;
}
