/* deliver.c: the webhook delivery workers (see deliver.h).
 *
 * One thread = one database connection + one curl multi handle. The loop:
 * read notifications, claim if there is room and a reason (a NOTIFY, the
 * 1 s poll, or the last claim came back full), drive the transfers, collect
 * finished ones into a result batch, record the batch, then sleep in
 * curl_multi_poll() on the transfers AND the database socket, so a NOTIFY
 * wakes the worker at once. Nothing here is shared between threads except
 * the read-only options and the stop flag. */
#include "webhooks/deliver.h"

#include <curl/curl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rand.h"
#include "db/db.h"
#include "webhooks/secret.h"
#include "webhooks/sign.h"
#include "webhooks/urlcheck.h"

#define MAX_THREADS 64
#define BATCH 100          /* deliveries per claim */
#define MAX_INFLIGHT 400   /* sends per worker */
#define LEASE_S 30         /* a claim's lease (gh.webhook_claim) */
#define POLL_MS 1000       /* look for due retries at least this often */
#define RECORD_MS 25       /* results wait at most this long */
#define TIMEOUT_MS 15000   /* per attempt, connection included */
#define STOP_GRACE_MS 5000 /* sends in flight at stop get this long */

typedef struct job {
  long long queue_id;
  int attempt;
  char event_id[GH_ID_MAX];
  char endpoint_id[GH_ID_MAX];
  char *body; /* owned; the same bytes on every attempt */
  size_t body_len;
  struct curl_slist *headers; /* owned */
  CURL *easy;                 /* owned */
  int64_t start_us;
  bool refused; /* the address check refused the connection */
} job;

typedef struct {
  long long queue_id;
  char attempt_id[GH_ID_MAX];
  int status;      /* 0: no response */
  int latency_ms;  /* of the attempt */
  int retry_after; /* seconds; -1: none */
  const char *err; /* static; NULL when there was a response */
} result;

typedef struct {
  int index;
  CURLM *multi;
  job **inflight; /* MAX_INFLIGHT slots */
  int ninflight;
  result *results; /* MAX_INFLIGHT + BATCH */
  int nresults;
  int64_t first_result_us;
  unsigned listen_generation;
  bool listening;
} worker;

static gh_webhook_opts opts;
static pthread_t threads[MAX_THREADS];
static int nthreads;
static atomic_bool running;

/* ---------------------------------------------------------------- one send */

/* Refuses, after curl's own resolution, any address that is not allowed:
 * the URL was checked at creation, but a name may resolve elsewhere now. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr) {
  job *j = clientp;
  if (purpose != CURLSOCKTYPE_IPCXN || !gh_whurl_allowed(gh_whurl_classify(&addr->addr), opts.dev)) {
    j->refused = true;
    return CURL_SOCKET_BAD;
  }
  return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/* Response bodies are not kept. */
static size_t discard(char *p, size_t size, size_t n, void *u) {
  (void)p, (void)u;
  return size * n;
}

static void job_free(job *j) {
  if (!j) return;
  if (j->easy) curl_easy_cleanup(j->easy);
  curl_slist_free_all(j->headers);
  free(j->body);
  free(j);
}

/* The body: {"id","type","created_at","livemode","data"} with data verbatim
 * from the event row (its bytes never change, so neither does the
 * signature's input from one attempt to the next). The id and type are
 * plain ASCII by construction (ids base62, types ^[a-z_]+\.[a-z_]+$). */
static char *make_body(const char *id, const char *type, const char *created, bool live, const char *data,
                       size_t *len) {
  size_t n = strlen(id) + strlen(type) + strlen(created) + strlen(data) + 96;
  char *b = malloc(n);
  if (!b) return NULL;
  int w = snprintf(b, n, "{\"id\":\"%s\",\"type\":\"%s\",\"created_at\":\"%s\",\"livemode\":%s,\"data\":%s}", id, type,
                   created, live ? "true" : "false", data);
  if (w < 0 || (size_t)w >= n) {
    free(b);
    return NULL;
  }
  *len = (size_t)w;
  return b;
}

/* Adds one signature ("v1,…") for key_hex to sig (space-separated). */
static gh_status add_signature(const char *endpoint_id, const char *key_hex, const job *j, long long ts, char *sig,
                               size_t size) {
  unsigned char key[GH_WHSIGN_KEY_MAX];
  size_t klen = 0;
  gh_status s = gh_whsecret_open_hex(opts.master, endpoint_id, key_hex, key, &klen);
  /* Sealed before a `gatehouse webhook rekey` this node or the database
   * has not caught up with yet. */
  if (s == GH_ERR_INVALID_REQUEST && opts.master_prev)
    s = gh_whsecret_open_hex(opts.master_prev, endpoint_id, key_hex, key, &klen);
  if (s) return s;
  char one[GH_WHSIGN_SIG_MAX];
  s = gh_whsign_sign(key, klen, j->event_id, ts, j->body, j->body_len, one);
  sodium_memzero(key, sizeof key);
  if (s) return s;
  size_t used = strlen(sig);
  int w = snprintf(sig + used, size - used, "%s%s", used ? " " : "", one);
  return w < 0 || (size_t)w >= size - used ? GH_ERR_INTERNAL : GH_OK;
}

/* Builds the transfer for one claimed row (columns of gh.webhook_claim). */
static job *job_new(const PGresult *r, int row) {
  job *j = calloc(1, sizeof *j);
  if (!j) return NULL;
  j->queue_id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
  j->attempt = (int)strtol(PQgetvalue(r, row, 1), NULL, 10);
  gh_buf_copy(j->event_id, sizeof j->event_id, PQgetvalue(r, row, 2));
  gh_buf_copy(j->endpoint_id, sizeof j->endpoint_id, PQgetvalue(r, row, 7));
  j->body = make_body(j->event_id, PQgetvalue(r, row, 3), PQgetvalue(r, row, 4), !strcmp(PQgetvalue(r, row, 5), "t"),
                      PQgetvalue(r, row, 6), &j->body_len);
  if (!j->body) goto fail;
  long long ts = gh_now();
  char sig[2 * GH_WHSIGN_SIG_MAX + 2] = "";
  if (add_signature(j->endpoint_id, PQgetvalue(r, row, 9), j, ts, sig, sizeof sig)) goto fail;
  /* During a rotation's 24 h the old secret signs too. */
  if (!PQgetisnull(r, row, 10) && add_signature(j->endpoint_id, PQgetvalue(r, row, 10), j, ts, sig, sizeof sig))
    goto fail;
  char h[GH_ID_MAX + 64];
  snprintf(h, sizeof h, "webhook-id: %s", j->event_id);
  j->headers = curl_slist_append(j->headers, h);
  snprintf(h, sizeof h, "webhook-timestamp: %lld", ts);
  j->headers = curl_slist_append(j->headers, h);
  char sh[sizeof sig + 32];
  snprintf(sh, sizeof sh, "webhook-signature: %s", sig);
  j->headers = curl_slist_append(j->headers, sh);
  j->headers = curl_slist_append(j->headers, "Content-Type: application/json");
  j->headers = curl_slist_append(j->headers, "User-Agent: Gatehouse-Webhooks/1");
  /* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
  j->headers = curl_slist_append(j->headers, "Expect:");
  if (!j->headers) goto fail;

  CURL *e = j->easy = curl_easy_init();
  if (!e) goto fail;
  curl_easy_setopt(e, CURLOPT_URL, PQgetvalue(r, row, 8));
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, opts.dev ? "https,http" : "https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  /* Never through a proxy from the environment: the address check must
   * apply to the receiver itself. */
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, j);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len);
  curl_easy_setopt(e, CURLOPT_PRIVATE, j);
  return j;
fail:
  job_free(j);
  return NULL;
}

/* A short, secret-free reason for an attempt without a response. */
static const char *reason(const job *j, CURLcode rc) {
  if (j->refused) return "address refused";
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT: return "timeout";
  case CURLE_COULDNT_RESOLVE_HOST: return "dns";
  case CURLE_COULDNT_CONNECT: return "connect failed";
  case CURLE_UNSUPPORTED_PROTOCOL: return "scheme refused";
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CACERT_BADFILE: return "tls";
  case CURLE_GOT_NOTHING:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_PARTIAL_FILE: return "connection lost";
  default: return "error";
  }
}

/* ---------------------------------------------------------------- batches */

static void add_result(worker *w, const job *j, int status, const char *err, int retry_after) {
  result *r = &w->results[w->nresults++];
  r->queue_id = j->queue_id;
  gh_id_new(r->attempt_id, "whd_");
  r->status = status;
  r->err = err;
  r->retry_after = retry_after;
  gh_metrics_inc(status >= 200 && status <= 299 ? GH_M_WEBHOOK_OK : GH_M_WEBHOOK_FAILED);
  int64_t ms = (gh_mono_us() - j->start_us) / 1000;
  r->latency_ms = ms < 0 ? 0 : ms > 2000000000 ? 2000000000 : (int)ms;
  if (w->nresults == 1) w->first_result_us = gh_mono_us();
}

/* Appends "x" or "," "x" to a growing array literal. */
static int append(char **buf, size_t *len, size_t *cap, const char *s) {
  size_t n = strlen(s);
  if (*len + n + 2 > *cap) {
    size_t c = (*cap ? *cap * 2 : 1024) + n;
    char *b = realloc(*buf, c);
    if (!b) return -1;
    *buf = b, *cap = c;
  }
  if (*len > 1) (*buf)[(*len)++] = ',';
  memcpy(*buf + *len, s, n + 1);
  *len += n;
  return 0;
}

/* Sends the batch of results to gh.webhook_record. On a database failure
 * the results are dropped: the rows stay claimed until their lease ends,
 * then go out again (at least once; same webhook-id). */
static void record(worker *w) {
  if (!w->nresults) return;
  char *arr[6] = {0};
  size_t len[6], cap[6];
  int bad = 0;
  for (int k = 0; k < 6; k++) {
    arr[k] = malloc(2), len[k] = 1, cap[k] = 2;
    if (!arr[k])
      bad = 1;
    else
      memcpy(arr[k], "{", 2);
  }
  for (int i = 0; i < w->nresults && !bad; i++) {
    const result *r = &w->results[i];
    char q[24], st[16], lat[16], ra[16], err[64];
    snprintf(q, sizeof q, "%lld", r->queue_id);
    snprintf(st, sizeof st, r->status ? "%d" : "NULL", r->status);
    snprintf(lat, sizeof lat, "%d", r->latency_ms);
    if (r->retry_after >= 0)
      snprintf(ra, sizeof ra, "%d", r->retry_after);
    else
      snprintf(ra, sizeof ra, "NULL");
    /* Reasons are static ASCII words: quoting is enough. */
    if (r->err)
      snprintf(err, sizeof err, "\"%s\"", r->err);
    else
      snprintf(err, sizeof err, "NULL");
    bad |= append(&arr[0], &len[0], &cap[0], q) | append(&arr[1], &len[1], &cap[1], r->attempt_id) |
           append(&arr[2], &len[2], &cap[2], st) | append(&arr[3], &len[3], &cap[3], lat) |
           append(&arr[4], &len[4], &cap[4], ra) | append(&arr[5], &len[5], &cap[5], err);
  }
  for (int k = 0; k < 6 && !bad; k++) {
    if (len[k] + 2 > cap[k]) {
      char *b = realloc(arr[k], len[k] + 2);
      if (!b) {
        bad = 1;
        break;
      }
      arr[k] = b;
    }
    memcpy(arr[k] + len[k], "}", 2);
  }
  if (!bad) {
    const char *vals[6] = {arr[0], arr[1], arr[2], arr[3], arr[4], arr[5]};
    gh_db_stmt q = {"SELECT gh.webhook_record($1::bigint[], $2::text[], $3::int[], $4::int[], $5::int[], $6::text[])",
                    6, vals, NULL};
    PGresult *res = NULL;
    gh_status s = gh_db_exec(&q, &res);
    PQclear(res);
    if (s) {
      gh_metrics_inc(GH_M_WEBHOOK_RECORD_ERRORS);
      gh_log(GH_LOG_WARN, "webhook worker %d: recording %d results failed", w->index, w->nresults);
    }
  }
  for (int k = 0; k < 6; k++)
    free(arr[k]);
  w->nresults = 0;
}

/* Claims up to n due deliveries and starts them; returns how many came. */
static int claim(worker *w, int n) {
  char lim[16], lease[16];
  snprintf(lim, sizeof lim, "%d", n);
  snprintf(lease, sizeof lease, "%d", LEASE_S);
  const char *vals[2] = {lim, lease};
  gh_db_stmt q = {"SELECT * FROM gh.webhook_claim($1::int, $2::int)", 2, vals, NULL};
  PGresult *res = NULL;
  if (gh_db_exec(&q, &res)) return 0;
  int got = PQntuples(res);
  long long unusable[BATCH];
  int nunusable = 0;
  for (int i = 0; i < got; i++) {
    job *j = job_new(res, i);
    if (!j) {
      /* Undecryptable secret (another webhook.key?) or no memory: recorded
       * as a failed attempt, so it follows the retry schedule visibly. */
      if (nunusable < BATCH) unusable[nunusable++] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
      continue;
    }
    j->start_us = gh_mono_us();
    if (curl_multi_add_handle(w->multi, j->easy) != CURLM_OK) {
      job_free(j);
      continue;
    }
    w->inflight[w->ninflight++] = j;
  }
  PQclear(res);
  for (int i = 0; i < nunusable; i++) {
    job fake = {.queue_id = unusable[i], .start_us = gh_mono_us()};
    add_result(w, &fake, 0, "secret unreadable", -1);
  }
  return got;
}

static void remove_inflight(worker *w, job *j) {
  for (int i = 0; i < w->ninflight; i++)
    if (w->inflight[i] == j) {
      w->inflight[i] = w->inflight[--w->ninflight];
      return;
    }
}

/* Moves finished transfers into the result batch. */
static void collect(worker *w) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(w->multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    job *j = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
    CURLcode rc = m->data.result;
    long code = 0;
    curl_off_t ra = -1;
    curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(m->easy_handle, CURLINFO_RETRY_AFTER, &ra);
    curl_multi_remove_handle(w->multi, m->easy_handle);
    if (!j) continue;
    if (rc == CURLE_OK && code >= 100 && code <= 599)
      add_result(w, j, (int)code, NULL, ra > 0 ? (ra > 86400 ? 86400 : (int)ra) : -1);
    else
      add_result(w, j, 0, reason(j, rc), -1);
    if (code < 200 || code > 299)
      gh_log_obj(GH_LOG_INFO, "webhook attempt failed",
                 json_pack("{s:s, s:s, s:i, s:i, s:s?}", "event_id", j->event_id, "endpoint_id", j->endpoint_id,
                           "attempt", j->attempt, "status_code", (int)code, "error",
                           rc == CURLE_OK ? NULL : reason(j, rc)));
    remove_inflight(w, j);
    job_free(j);
  }
}

/* ---------------------------------------------------------------- the loop */

static bool ensure_listening(worker *w, PGconn *c) {
  if (w->listening && w->listen_generation == gh_db_conn_generation()) return true;
  PGresult *r = PQexec(c, "LISTEN gh_webhooks");
  w->listening = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  w->listen_generation = gh_db_conn_generation();
  return w->listening;
}

/* Reads pending notifications; true if any arrived. */
static bool notified(PGconn *c) {
  bool any = false;
  PGnotify *n;
  if (!PQconsumeInput(c)) return false;
  while ((n = PQnotifies(c))) {
    any = true;
    PQfreemem(n);
  }
  return any;
}

static void release_all(worker *w) {
  if (!w->ninflight) return;
  size_t cap = (size_t)w->ninflight * 24 + 4, len = 1;
  char *arr = malloc(cap);
  if (arr) {
    arr[0] = '{', arr[1] = '\0';
    for (int i = 0; i < w->ninflight; i++) {
      int n = snprintf(arr + len, cap - len, "%s%lld", i ? "," : "", w->inflight[i]->queue_id);
      if (n > 0) len += (size_t)n;
    }
    snprintf(arr + len, cap - len, "}");
    const char *vals[1] = {arr};
    gh_db_stmt q = {"SELECT gh.webhook_release($1::bigint[])", 1, vals, NULL};
    PGresult *res = NULL;
    (void)gh_db_exec(&q, &res);
    PQclear(res);
    free(arr);
  }
  for (int i = 0; i < w->ninflight; i++) {
    curl_multi_remove_handle(w->multi, w->inflight[i]->easy);
    job_free(w->inflight[i]);
  }
  w->ninflight = 0;
}

static void *run(void *arg) {
  worker *w = arg;
  int64_t next_poll = 0;
  bool wake = true, full = false;
  while (atomic_load(&running)) {
    PGconn *c = gh_db_conn();
    if (!c || !ensure_listening(w, c)) {
      usleep(200000);
      continue;
    }
    if (notified(c)) wake = true;
    int64_t now = gh_mono_us();
    if (w->ninflight + BATCH <= MAX_INFLIGHT && (wake || full || now >= next_poll)) {
      int got = claim(w, BATCH);
      full = got == BATCH;
      wake = false;
      next_poll = now + POLL_MS * 1000;
    }
    int still = 0;
    curl_multi_perform(w->multi, &still);
    collect(w);
    now = gh_mono_us();
    if (w->nresults && (w->nresults >= BATCH || !w->ninflight || now - w->first_result_us >= RECORD_MS * 1000))
      record(w);
    /* Sleep on the transfers and the database socket (a NOTIFY). */
    int timeout_ms = (int)((next_poll - now) / 1000);
    if (w->nresults && timeout_ms > RECORD_MS) timeout_ms = RECORD_MS;
    if (full && w->ninflight + BATCH <= MAX_INFLIGHT) timeout_ms = 0;
    if (timeout_ms < 0) timeout_ms = 0;
    if (timeout_ms > 250) timeout_ms = 250; /* notice the stop flag */
    struct curl_waitfd fd = {.fd = PQsocket(c), .events = CURL_WAIT_POLLIN};
    curl_multi_poll(w->multi, fd.fd >= 0 ? &fd : NULL, fd.fd >= 0 ? 1 : 0, timeout_ms, NULL);
  }
  /* Stopping: let sends in flight finish for a moment, record, release the
   * rest (due again at once, for any node). */
  int64_t deadline = gh_mono_us() + STOP_GRACE_MS * 1000;
  while (w->ninflight && gh_mono_us() < deadline) {
    int still = 0;
    curl_multi_perform(w->multi, &still);
    collect(w);
    if (w->ninflight) curl_multi_poll(w->multi, NULL, 0, 50, NULL);
  }
  record(w);
  release_all(w);
  return NULL;
}

static worker workers[MAX_THREADS];

gh_status gh_webhook_start(const gh_webhook_opts *o) {
  opts = *o;
  if (opts.threads <= 0) return GH_OK;
  if (opts.threads > MAX_THREADS) opts.threads = MAX_THREADS;
  if (curl_global_init(CURL_GLOBAL_DEFAULT)) return GH_ERR_INTERNAL;
  atomic_store(&running, true);
  for (int i = 0; i < opts.threads; i++) {
    worker *w = &workers[i];
    memset(w, 0, sizeof *w);
    w->index = i;
    w->multi = curl_multi_init();
    w->inflight = calloc(MAX_INFLIGHT, sizeof *w->inflight);
    w->results = calloc(MAX_INFLIGHT + BATCH, sizeof *w->results);
    if (!w->multi || !w->inflight || !w->results) return GH_ERR_NOMEM;
    /* Connection reuse per receiver, within bounds. */
    curl_multi_setopt(w->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 128L);
    curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, 256L);
    if (pthread_create(&threads[i], NULL, run, w)) return GH_ERR_INTERNAL;
    nthreads++;
  }
  gh_log_obj(GH_LOG_INFO, "webhook workers started", json_pack("{s:i}", "threads", nthreads));
  return GH_OK;
}

void gh_webhook_stop(void) {
  if (!nthreads) return;
  atomic_store(&running, false);
  for (int i = 0; i < nthreads; i++) {
    pthread_join(threads[i], NULL);
    curl_multi_cleanup(workers[i].multi);
    free(workers[i].inflight);
    free(workers[i].results);
  }
  nthreads = 0;
  curl_global_cleanup();
}
