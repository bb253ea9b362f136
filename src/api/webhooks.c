/* webhooks.c: webhook endpoints, their deliveries, and redelivery (api.md,
 * "Webhooks").
 *
 * Creating, deleting and rotating are sensitive (admin session, recent
 * re-authentication: the route table); reading and redelivering need
 * admin (a session or a key with scope admin). An endpoint belongs to the
 * org and mode of the request's context (a session's live mode unless
 * `Gatehouse-Mode: test`). The signing secret exists in clear only in the
 * creation and rotation responses; the database gets it sealed under the
 * server's webhook.key (webhooks/secret.h) in a column the runtime role
 * cannot read back. The URL is checked here (scheme, no user information,
 * every resolved address public; loopback too in development mode) and
 * again by the workers at each connection (webhooks/urlcheck.h).
 * Creating, deleting and rotating an endpoint and redelivering an event
 * are audited (webhook_endpoint.created|deleted|rotated, event.redelivered)
 * in the change's own transaction (events/events.h). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "api/objects.h"
#include "config/config.h"
#include "config/state.h"
#include "core/buf.h"
#include "core/rand.h"
#include "db/db.h"
#include "events/events.h"
#include "webhooks/secret.h"
#include "webhooks/sign.h"
#include "webhooks/urlcheck.h"

#define MAX_EVENTS 64
#define MAX_DESCRIPTION 500

const gh_field gh_api_webhook_create_body[] = {
    {"url", GH_F_STRING, true, false},
    {"events", GH_F_ARRAY, true, false},
    {"description", GH_F_STRING, false, true},
    {0},
};

#define WHE_COLS                                                                                                       \
  "w.id, w.org_id, w.livemode, w.url, array_to_string(w.events, ' '), w.description, w.status, w.disabled_reason, "    \
  "floor(extract(epoch from w.created_at))::bigint, floor(extract(epoch from w.updated_at))::bigint"

static json_t *render_endpoint(const PGresult *res, int row) {
  json_t *events = json_array();
  char buf[MAX_EVENTS * 72];
  gh_buf_copy(buf, sizeof buf, PQgetvalue(res, row, 4));
  char *save = NULL;
  for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
    json_array_append_new(events, json_string(t));
  return json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, s:o, s:s, s:o, s:o, s:o}", "object", "webhook_endpoint", "id",
                   PQgetvalue(res, row, 0), "org_id", PQgetvalue(res, row, 1), "livemode",
                   !strcmp(PQgetvalue(res, row, 2), "t"), "url", PQgetvalue(res, row, 3), "events", events,
                   "description", gh_api_text_col(res, row, 5), "status", PQgetvalue(res, row, 6), "disabled_reason",
                   gh_api_text_col(res, row, 7), "created_at", gh_obj_time(gh_db_getll(res, row, 8)), "updated_at",
                   gh_obj_time(gh_db_getll(res, row, 9)));
}

#define WHD_COLS                                                                                                       \
  "a.id, a.org_id, a.livemode, a.endpoint_id, a.event_id, a.attempt, a.status_code, a.latency_ms, a.error, "           \
  "floor(extract(epoch from a.next_retry_at))::bigint, floor(extract(epoch from a.created_at))::bigint"

static json_t *render_delivery(const PGresult *res, int row) {
  json_t *code = PQgetisnull(res, row, 6) ? json_null() : json_integer(gh_db_getll(res, row, 6));
  return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:I, s:o, s:I, s:o, s:o, s:o}", "object", "webhook_delivery", "id",
                   PQgetvalue(res, row, 0), "org_id", PQgetvalue(res, row, 1), "livemode",
                   !strcmp(PQgetvalue(res, row, 2), "t"), "endpoint_id", PQgetvalue(res, row, 3), "event_id",
                   PQgetvalue(res, row, 4), "attempt", (json_int_t)gh_db_getll(res, row, 5), "status_code", code,
                   "latency_ms", (json_int_t)gh_db_getll(res, row, 7), "error", gh_api_text_col(res, row, 8),
                   "next_retry_at", gh_obj_time(gh_db_getll(res, row, 9)), "created_at",
                   gh_obj_time(gh_db_getll(res, row, 10)));
}

/* Event types an endpoint may ask for: "*" alone, or a list of
 * `<object>.<verb>` names whose object is one of the contract's. The verb
 * is not pinned to today's list, so a new event type needs no change here;
 * an unknown object (a typo) is refused rather than never delivered. */
static bool event_type_ok(const char *t) {
  static const char *const objects[] = {"api_key",    "session",         "user", "org",      "application",
                                        "review",     "campaign",        "lead", "contract", "contract_execution",
                                        "invitation", "webhook_endpoint"};
  const char *dot = strchr(t, '.');
  size_t n = strlen(t);
  if (!dot || n > 64 || dot == t || !dot[1] || strchr(dot + 1, '.')) return false;
  for (const char *p = t; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || *p == '_' || *p == '.')) return false;
  for (size_t i = 0; i < sizeof objects / sizeof *objects; i++)
    if (strlen(objects[i]) == (size_t)(dot - t) && !memcmp(objects[i], t, (size_t)(dot - t))) return true;
  return false;
}

/* The body's events as a space-separated list (out). */
static gh_status parse_events(gh_req *r, char *out, size_t size) {
  json_t *arr = json_object_get(r->json, "events"), *v;
  size_t i, used = 0, n = json_array_size(arr);
  if (n == 0 || n > MAX_EVENTS)
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "events", "events must be [\"*\"] or 1 to 64 event types.");
  out[0] = '\0';
  json_array_foreach(arr, i, v) {
    const char *t = json_string_value(v);
    bool star = t && !strcmp(t, "*");
    if (!t || (star && n != 1) || (!star && !event_type_ok(t)))
      return gh_req_error(r, GH_ERR_INVALID_REQUEST, "events",
                          "events must be [\"*\"] or a list of event types such as \"lead.created\".");
    /* Duplicates are dropped. */
    bool dup = false;
    for (size_t k = 0; k < i && !dup; k++)
      dup = !strcmp(json_string_value(json_array_get(arr, k)), t);
    if (dup) continue;
    int w = snprintf(out + used, size - used, "%s%s", used ? " " : "", t);
    if (w < 0 || (size_t)w >= size - used) return GH_ERR_INTERNAL;
    used += (size_t)w;
  }
  return GH_OK;
}

/* A fresh secret for endpoint id: the clear "whsec_…" (for the response)
 * and its sealed form (for the database). */
static gh_status new_secret(const char *id, char clear[GH_WHSIGN_SECRET_MAX], unsigned char *sealed,
                            size_t *sealed_len) {
  unsigned char key[GH_WHSECRET_BYTES];
  gh_whsecret_new(key);
  gh_status s = gh_whsign_format_secret(key, sizeof key, clear, GH_WHSIGN_SECRET_MAX);
  if (!s) s = gh_whsecret_seal(gh_secrets->webhook_key, id, key, sizeof key, sealed, sealed_len);
  sodium_memzero(key, sizeof key);
  return s;
}

static gh_status reply_with_secret(gh_req *r, int http, PGresult *row, char clear[GH_WHSIGN_SECRET_MAX]) {
  json_t *o = render_endpoint(row, 0);
  json_object_set_new(o, "secret", json_string(clear));
  sodium_memzero(clear, GH_WHSIGN_SECRET_MAX);
  return gh_req_reply(r, http, o);
}

gh_status gh_api_webhook_create(gh_req *r) {
  const char *url = gh_req_string(r, "url"), *desc = gh_req_string(r, "description"), *why = NULL;
  if (gh_whurl_check(url, gh_cfg->dev, true, &why)) return gh_req_error(r, GH_ERR_INVALID_REQUEST, "url", why);
  char events[MAX_EVENTS * 72];
  gh_status s = parse_events(r, events, sizeof events);
  if (s) return s;
  if (desc && strlen(desc) > MAX_DESCRIPTION)
    return gh_req_error(r, GH_ERR_INVALID_REQUEST, "description", "The description has at most 500 characters.");
  char id[GH_ID_MAX], clear[GH_WHSIGN_SECRET_MAX];
  unsigned char sealed[GH_WHSECRET_SEALED_MAX];
  size_t sealed_len = 0;
  gh_id_new(id, "whe_");
  if ((s = new_secret(id, clear, sealed, &sealed_len))) return s;
  const char *vals[6] = {id, url, events, desc, (const char *)sealed, r->principal.user_id};
  const int lens[6] = {0, 0, 0, 0, (int)sealed_len, 0};
  gh_db_stmt q = {"INSERT INTO gh.webhook_endpoints AS w (id, org_id, livemode, url, events, description, secret_ct, "
                  "created_by) VALUES ($1, (SELECT gh.current_org()), (SELECT gh.current_livemode()), $2, "
                  "string_to_array($3, ' '), $4, $5::bytea, nullif($6, '')) RETURNING " WHE_COLS,
                  6, vals, lens};
  PGresult *res = NULL;
  gh_events_change c = {.stmt = 0, .action = "webhook_endpoint.created"};
  s = gh_events_change_run(r, &q, 1, &res, &c);
  gh_events_change_free(&c);
  if (s) {
    sodium_memzero(clear, sizeof clear);
    return s;
  }
  s = reply_with_secret(r, 201, res, clear);
  PQclear(res);
  return s;
}

static const gh_api_reader endpoints = {
    .by_id = "SELECT " WHE_COLS " FROM gh.webhook_endpoints w WHERE w.id = $1",
    .page = "SELECT " WHE_COLS " FROM gh.webhook_endpoints w WHERE ($2::text IS NULL OR w.seq < "
            "(SELECT seq FROM gh.webhook_endpoints WHERE id = $2)) ORDER BY w.seq DESC LIMIT $1::int",
    .cursor_exists = "SELECT 1 FROM gh.webhook_endpoints WHERE id = $1",
    .prefix = "whe_",
    .render = render_endpoint,
};

gh_status gh_api_webhook_list(gh_req *r) { return gh_api_list_or_get(r, NULL, &endpoints); }

gh_status gh_api_webhook_get(gh_req *r) {
  const char *id = gh_req_param(r, 0);
  if (!gh_id_valid(id, "whe_")) return gh_api_missing(r, id);
  gh_status s = gh_api_list_or_get(r, id, &endpoints);
  return s == GH_ERR_NOT_FOUND ? gh_api_missing(r, id) : s;
}

gh_status gh_api_webhook_delete(gh_req *r) {
  const char *id = gh_req_param(r, 0);
  if (!gh_id_valid(id, "whe_")) return gh_api_missing(r, id);
  const char *vals[1] = {id};
  /* Its queued deliveries go with it (ON DELETE CASCADE): a worker that
   * already holds one finishes that send, and its result is dropped. */
  gh_db_stmt q = {"DELETE FROM gh.webhook_endpoints WHERE id = $1 RETURNING id", 1, vals, NULL};
  PGresult *res = NULL;
  gh_events_change c = {.stmt = 0, .action = "webhook_endpoint.deleted"};
  gh_status s = gh_events_change_run(r, &q, 1, &res, &c);
  gh_events_change_free(&c);
  if (s) return s;
  int n = PQntuples(res);
  PQclear(res);
  if (n != 1) return gh_api_missing(r, id);
  return gh_req_reply(r, 204, NULL);
}

gh_status gh_api_webhook_rotate(gh_req *r) {
  const char *id = gh_req_param(r, 0);
  if (!gh_id_valid(id, "whe_")) return gh_api_missing(r, id);
  char clear[GH_WHSIGN_SECRET_MAX];
  unsigned char sealed[GH_WHSECRET_SEALED_MAX];
  size_t sealed_len = 0;
  gh_status s = new_secret(id, clear, sealed, &sealed_len);
  if (s) return s;
  const char *vals[2] = {id, (const char *)sealed};
  const int lens[2] = {0, (int)sealed_len};
  gh_db_stmt q[2] = {
      {"SELECT $1::text, gh.webhook_endpoint_rotate($1, $2::bytea)", 2, vals, lens},
      {"SELECT " WHE_COLS " FROM gh.webhook_endpoints w WHERE w.id = $1", 1, vals, NULL},
  };
  PGresult *res[2] = {0};
  gh_events_change c = {.stmt = 0, .action = "webhook_endpoint.rotated", .changed_col = 1};
  s = gh_events_change_run(r, q, 2, res, &c);
  gh_events_change_free(&c);
  if (s) {
    sodium_memzero(clear, sizeof clear);
    return s;
  }
  if (PQntuples(res[1]) != 1 || strcmp(PQgetvalue(res[0], 0, 1), "t")) {
    gh_db_clear(res, 2);
    sodium_memzero(clear, sizeof clear);
    return gh_api_missing(r, id);
  }
  s = reply_with_secret(r, 200, res[1], clear);
  gh_db_clear(res, 2);
  return s;
}

gh_status gh_api_webhook_deliveries(gh_req *r) {
  const char *id = gh_req_param(r, 0), *after = NULL;
  int limit;
  /* api.md's order (as usage.c): the request's parameters (400) before
   * the addressed object (404, 403 org_mismatch). */
  gh_status s = gh_api_list_params(r, "whd_", &limit, &after);
  if (s) return s;
  if (!gh_id_valid(id, "whe_")) return gh_api_missing(r, id);
  char lim[16];
  snprintf(lim, sizeof lim, "%d", limit + 1);
  const char *vals[3] = {id, lim, after};
  gh_db_stmt q[3] = {
      {"SELECT 1 FROM gh.webhook_endpoints WHERE id = $1", 1, vals, NULL},
      {"SELECT " WHD_COLS " FROM gh.webhook_attempts a WHERE a.endpoint_id = $1 AND ($3::text IS NULL OR a.seq < "
       "(SELECT seq FROM gh.webhook_attempts WHERE id = $3)) ORDER BY a.seq DESC LIMIT $2::int",
       3, vals, NULL},
      {"SELECT 1 FROM gh.webhook_attempts WHERE id = $1 AND endpoint_id = $2", 2, (const char *[]){after, id}, NULL},
  };
  PGresult *res[3] = {0};
  s = gh_db_ctx_txn(r->principal.hash, r->principal.livemode, q, after ? 3 : 2, res);
  if (s) return s;
  if (PQntuples(res[0]) != 1) {
    gh_db_clear(res, 3);
    return gh_api_missing(r, id);
  }
  if (after && PQntuples(res[2]) == 0) {
    gh_db_clear(res, 3);
    return gh_api_bad_cursor(r);
  }
  json_t *items = json_array();
  for (int i = 0; i < PQntuples(res[1]); i++)
    json_array_append_new(items, render_delivery(res[1], i));
  gh_db_clear(res, 3);
  return gh_req_reply(r, 200, gh_api_list(items, limit));
}

gh_status gh_api_event_redeliver(gh_req *r) {
  const char *id = gh_req_param(r, 0);
  if (!gh_id_valid(id, "evt_")) return gh_api_missing(r, id);
  const char *vals[1] = {id};
  gh_db_stmt q = {"SELECT $1::text, n IS NOT NULL, n FROM gh.webhook_redeliver($1) n", 1, vals, NULL};
  PGresult *res = NULL;
  gh_events_change c = {.stmt = 0, .action = "event.redelivered", .changed_col = 1};
  gh_status s = gh_events_change_run(r, &q, 1, &res, &c);
  gh_events_change_free(&c);
  if (s) return s;
  if (PQntuples(res) != 1 || PQgetisnull(res, 0, 2)) {
    PQclear(res);
    return gh_api_missing(r, id);
  }
  long long n = gh_db_getll(res, 0, 2);
  PQclear(res);
  return gh_req_reply(r, 202,
                      json_pack("{s:s, s:s, s:s, s:b, s:I}", "object", "event_redelivery", "event_id", id, "org_id",
                                r->principal.org_id, "livemode", r->principal.livemode, "endpoints", (json_int_t)n));
}
