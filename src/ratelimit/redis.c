/* redis.c: the shared rate-limit store (see redis.h): thread-local hiredis
 * connections, the two Lua scripts, and the process-wide up/down state that
 * makes a dead Redis cost one failed attempt a second instead of one per
 * request. */
#include "ratelimit/redis.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "ratelimit/redis_url.h"

/* GCRA, one request. KEYS[1]: the limit; ARGV[1]: T, ARGV[2]: burst * T
 * (µs, from gh_gcra_interval). Returns {allowed, base, now}: base =
 * max(tat, now) before this request, from which gh_gcra_apply rebuilds the
 * same answer (remaining, reset, retry-after) in C. Numbers stay below 2^53,
 * exact in Lua's doubles; the tat is written with %d, never in Lua's %.14g.
 * replicate_commands: Redis before 5 otherwise refuses a write after TIME;
 * from 7 it is a no-op. */
static const char GCRA_LUA[] =
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "local T, window = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
    "local tat = tonumber(redis.call('GET', KEYS[1])) or 0\n"
    "local base = tat > now and tat or now\n"
    "local nxt = base + T\n"
    "if nxt - now <= window then\n"
    "  redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', string.format('%d', math.ceil((nxt - now) / 1000)))\n"
    "  return {1, base, now}\n"
    "end\n"
    "return {0, base, now}\n";

/* Fixed window. KEYS[1]: the counter; ARGV[1]: window (ms), ARGV[2]: "1"
 * to count this one first. Returns {count, ms left} (PTTL: negative when no
 * window runs); the node compares the count with its limit. The expiry is
 * set with the first count (and again should the key ever lack one), so a
 * window is never endless. */
static const char WINDOW_LUA[] = "local n\n"
                                 "if ARGV[2] == '1' then\n"
                                 "  n = redis.call('INCR', KEYS[1])\n"
                                 "  if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then\n"
                                 "    redis.call('PEXPIRE', KEYS[1], ARGV[1])\n"
                                 "  end\n"
                                 "else\n"
                                 "  n = tonumber(redis.call('GET', KEYS[1])) or 0\n"
                                 "end\n"
                                 "return {n, redis.call('PTTL', KEYS[1])}\n";

enum { S_GCRA, S_WINDOW, S_COUNT };
static const char *const scripts[S_COUNT] = {GCRA_LUA, WINDOW_LUA};

/* Process-wide state: set by gh_redis_init before threads start, then only
 * read (url) or changed atomically. */
static gh_redis_url url;
static bool enabled;
static atomic_int up;            /* 1 while believed reachable */
static atomic_uint outage;       /* incremented at every down transition */
static atomic_llong next_try_us; /* while down: no attempt before this */
static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* One thread's connection. */
typedef struct {
  redisContext *c;
  unsigned outage; /* the outage counter when it connected */
  bool used;       /* has answered a command since */
  char sha[S_COUNT][41];
} tconn;

static void tconn_free(void *p) {
  tconn *t = p;
  if (!t) return;
  if (t->c) redisFree(t->c);
  free(t);
}
static void make_key(void) { pthread_key_create(&conn_key, tconn_free); }

bool gh_redis_enabled(void) { return enabled; }
bool gh_redis_up(void) { return enabled && atomic_load_explicit(&up, memory_order_relaxed); }

/* The reason of a failure, for the log: hiredis's error text or Redis's
 * error reply (neither ever holds the password), truncated. */
static void reason_of(char *out, size_t n, const redisContext *c, const redisReply *r, const char *what) {
  if (c && c->err)
    snprintf(out, n, "%s: %s", what, c->errstr);
  else if (r && r->type == REDIS_REPLY_ERROR)
    snprintf(out, n, "%s: %.*s", what, (int)(r->len < 200 ? r->len : 200), r->str);
  else
    snprintf(out, n, "%s: unexpected reply", what);
}

static void mark_down(const char *why) {
  gh_metrics_inc(GH_M_REDIS_ERRORS);
  atomic_store(&next_try_us, gh_mono_us() + GH_REDIS_RETRY_MS * 1000LL);
  int was = 1;
  if (atomic_compare_exchange_strong(&up, &was, 0)) {
    atomic_fetch_add(&outage, 1);
    gh_metrics_redis_up(0);
    gh_log_obj(GH_LOG_WARN, "redis unavailable: rate limits fall back to this node's in-process store",
               json_pack("{s:s, s:s, s:i}", "error", why, "host", url.host, "retry_ms", GH_REDIS_RETRY_MS));
  }
}

static void mark_up(void) {
  int was = 0;
  if (atomic_compare_exchange_strong(&up, &was, 1)) {
    gh_metrics_redis_up(1);
    gh_log_obj(GH_LOG_INFO, "redis reachable: rate limits are shared through it",
               json_pack("{s:s, s:i, s:i}", "host", url.host, "port", url.port, "db", url.db));
  }
}

/* Sends argv (never formatted into a string) and returns the reply, or
 * NULL with *why set (the context is then unusable). */
static redisReply *command(redisContext *c, int argc, const char **argv, const size_t *lens, char *why, size_t n,
                           const char *what) {
  redisReply *r = redisCommandArgv(c, argc, argv, lens);
  if (!r) reason_of(why, n, c, NULL, what);
  return r;
}

/* True if r is a status reply "OK". */
static bool is_ok(const redisReply *r) { return r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK"); }

static bool load_script(tconn *t, int s, char *why, size_t n) {
  const char *argv[3] = {"SCRIPT", "LOAD", scripts[s]};
  redisReply *r = command(t->c, 3, argv, NULL, why, n, "SCRIPT LOAD");
  bool ok = r && r->type == REDIS_REPLY_STRING && r->len == 40;
  if (ok)
    memcpy(t->sha[s], r->str, 41);
  else if (r)
    reason_of(why, n, t->c, r, "SCRIPT LOAD");
  freeReplyObject(r);
  return ok;
}

/* Connects t: TCP with the timeouts, AUTH, SELECT, the scripts. */
static bool dial(tconn *t, char *why, size_t n) {
  struct timeval tv = {0, GH_REDIS_TIMEOUT_MS * 1000};
  if (t->c) redisFree(t->c);
  t->used = false;
  t->outage = atomic_load(&outage);
  t->c = redisConnectWithTimeout(url.host, url.port, tv);
  if (!t->c || t->c->err) {
    snprintf(why, n, "connect: %s", t->c ? t->c->errstr : "out of memory");
    goto fail;
  }
  if (redisSetTimeout(t->c, tv) != REDIS_OK) {
    reason_of(why, n, t->c, NULL, "timeout");
    goto fail;
  }
  if (url.password) {
    const char *argv[3] = {"AUTH", url.user ? url.user : url.password, url.password};
    redisReply *r = command(t->c, url.user ? 3 : 2, argv, NULL, why, n, "AUTH");
    bool ok = is_ok(r);
    if (r && !ok) reason_of(why, n, t->c, r, "AUTH");
    freeReplyObject(r);
    if (!ok) goto fail;
  }
  if (url.db) {
    char db[16];
    snprintf(db, sizeof db, "%d", url.db);
    const char *argv[2] = {"SELECT", db};
    redisReply *r = command(t->c, 2, argv, NULL, why, n, "SELECT");
    bool ok = is_ok(r);
    if (r && !ok) reason_of(why, n, t->c, r, "SELECT");
    freeReplyObject(r);
    if (!ok) goto fail;
  }
  for (int s = 0; s < S_COUNT; s++)
    if (!load_script(t, s, why, n)) goto fail;
  return true;
fail:
  if (t->c) redisFree(t->c);
  t->c = NULL;
  return false;
}

/* The calling thread's connection, or NULL when Redis is to be skipped
 * (down and not yet time to retry, or this attempt failed). */
static tconn *conn_get(void) {
  tconn *t = pthread_getspecific(conn_key);
  if (!t) {
    if (!(t = calloc(1, sizeof *t))) return NULL;
    pthread_setspecific(conn_key, t);
  }
  bool is_up = atomic_load(&up);
  /* A connection from before an outage may be half-dead: start afresh. */
  if (t->c && (!is_up || t->outage != atomic_load(&outage))) {
    redisFree(t->c);
    t->c = NULL;
  }
  if (t->c) return t;
  if (!is_up) {
    /* Down: one attempt a second for the whole process, by whichever
     * thread claims it. */
    long long now = gh_mono_us(), next = atomic_load(&next_try_us);
    if (now < next || !atomic_compare_exchange_strong(&next_try_us, &next, now + GH_REDIS_RETRY_MS * 1000LL))
      return NULL;
  }
  char why[256];
  if (!dial(t, why, sizeof why)) {
    mark_down(why);
    return NULL;
  }
  mark_up();
  return t;
}

/* EVALSHA script s on key with args; NOSCRIPT (a flushed or replaced
 * server) loads the script again and retries once; a broken connection
 * that had worked before (closed by the server while idle) is redialled
 * and retried once. Returns the reply or NULL after mark_down. */
static redisReply *eval(int s, const char *key, int nargs, const char **args) {
  if (!enabled) return NULL;
  tconn *t = conn_get();
  if (!t) {
    gh_metrics_inc(GH_M_REDIS_FALLBACKS);
    return NULL;
  }
  const char *argv[8];
  int argc = 0;
  argv[argc++] = "EVALSHA";
  argv[argc++] = t->sha[s];
  argv[argc++] = "1";
  argv[argc++] = key;
  for (int i = 0; i < nargs && argc < 8; i++)
    argv[argc++] = args[i];
  char why[256] = "EVALSHA: NOSCRIPT again after SCRIPT LOAD";
  for (int attempt = 0; attempt < 2; attempt++) {
    redisReply *r = redisCommandArgv(t->c, argc, argv, NULL);
    if (r && r->type != REDIS_REPLY_ERROR) {
      t->used = true;
      return r;
    }
    if (r && !strncmp(r->str, "NOSCRIPT", 8)) {
      freeReplyObject(r);
      if (!load_script(t, s, why, sizeof why)) break;
      argv[1] = t->sha[s];
      continue;
    }
    reason_of(why, sizeof why, t->c, r, "EVALSHA");
    bool error_reply = r != NULL; /* Redis answered: redialling would not help */
    freeReplyObject(r);
    if (error_reply || !t->used || attempt) break;
    if (!dial(t, why, sizeof why)) break;
    argv[1] = t->sha[s];
  }
  if (t->c) redisFree(t->c);
  t->c = NULL;
  mark_down(why);
  gh_metrics_inc(GH_M_REDIS_FALLBACKS);
  return NULL;
}

gh_status gh_redis_gcra(const char *key, gh_gcra_limit l, gh_gcra_result *res) {
  int64_t t, window;
  gh_gcra_interval(l, &t, &window);
  char a[24], b[24];
  snprintf(a, sizeof a, "%lld", (long long)t);
  snprintf(b, sizeof b, "%lld", (long long)window);
  const char *args[2] = {a, b};
  redisReply *r = eval(S_GCRA, key, 2, args);
  if (!r) return GH_ERR_UNAVAILABLE;
  gh_status s = GH_ERR_UNAVAILABLE;
  if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->type == REDIS_REPLY_INTEGER &&
      r->element[1]->type == REDIS_REPLY_INTEGER && r->element[2]->type == REDIS_REPLY_INTEGER) {
    int64_t base = r->element[1]->integer, now = r->element[2]->integer;
    *res = gh_gcra_apply(l, &base, now);
    /* Same arithmetic on the same numbers: a disagreement means a script
     * other than ours answered. */
    if (res->allowed == (r->element[0]->integer == 1)) s = GH_OK;
  }
  freeReplyObject(r);
  if (s) {
    mark_down("EVALSHA: unexpected reply to the GCRA script");
    gh_metrics_inc(GH_M_REDIS_FALLBACKS);
  }
  return s;
}

gh_status gh_redis_window(const char *key, int64_t window_ms, int64_t limit, bool incr, gh_redis_window_state *w) {
  char a[24];
  snprintf(a, sizeof a, "%lld", (long long)window_ms);
  const char *args[2] = {a, incr ? "1" : "0"};
  redisReply *r = eval(S_WINDOW, key, 2, args);
  if (!r) return GH_ERR_UNAVAILABLE;
  gh_status s = GH_ERR_UNAVAILABLE;
  if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_INTEGER &&
      r->element[1]->type == REDIS_REPLY_INTEGER && r->element[0]->integer >= 0) {
    int64_t n = r->element[0]->integer, ms = r->element[1]->integer;
    w->count = n;
    w->left_ms = ms > 0 ? ms : 0;
    w->wait_ms = n <= limit ? 0 : (ms < 1 ? 1 : ms);
    s = GH_OK;
  }
  freeReplyObject(r);
  if (s) {
    mark_down("EVALSHA: unexpected reply to the window script");
    gh_metrics_inc(GH_M_REDIS_FALLBACKS);
  }
  return s;
}

gh_status gh_redis_init(const char *u) {
  pthread_once(&key_once, make_key);
  if (!u || !*u) return GH_OK;
  const char *why = NULL;
  if (gh_redis_url_parse(u, &url, &why)) {
    gh_log(GH_LOG_ERROR, "invalid setting REDIS_URL: %s", why);
    return GH_ERR_INVALID_REQUEST;
  }
  enabled = true;
  /* Assume up, so that the first attempt below happens now and a failure
   * is logged as the transition it is. */
  atomic_store(&up, 1);
  gh_metrics_redis_up(1);
  tconn *t = conn_get();
  if (t) {
    gh_log_obj(GH_LOG_INFO, "redis reachable: rate limits are shared through it",
               json_pack("{s:s, s:i, s:i}", "host", url.host, "port", url.port, "db", url.db));
    /* This (main) thread serves no requests: do not keep its connection. */
    redisFree(t->c);
    t->c = NULL;
  }
  return GH_OK;
}

void gh_redis_shutdown(void) {
  pthread_once(&key_once, make_key); /* never read a key that was not created */
  tconn *t = pthread_getspecific(conn_key);
  if (t) {
    tconn_free(t);
    pthread_setspecific(conn_key, NULL);
  }
  enabled = false;
  gh_redis_url_free(&url);
}
