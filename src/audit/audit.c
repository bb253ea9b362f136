/* audit.c: audit entries as one INSERT per transaction (see audit.h). */
#include "audit/audit.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/rand.h"

/* Every entry of a transaction in one statement: the rows travel as one
 * JSON text, so the SQL text is constant (prepared once per connection)
 * whatever the number of entries. No context, no row. */
static const char insert_sql[] =
    "INSERT INTO gh.audit_log (id, org_id, action, actor, credential_id, target, ip, user_agent, request_id, details) "
    "SELECT a.id, c.org, a.action, a.actor, a.credential_id, a.target, a.ip, a.user_agent, a.request_id, "
    "coalesce(a.details, '{}') FROM (SELECT gh.current_org() AS org) c, "
    "ROWS FROM (json_to_recordset($1::json) AS (id text, action text, actor text, credential_id text, target text, "
    "ip text, user_agent text, request_id text, details jsonb)) WITH ORDINALITY AS a(id, action, actor, "
    "credential_id, target, ip, user_agent, request_id, details, ord) WHERE c.org IS NOT NULL ORDER BY a.ord";

void gh_audit_init(gh_audit_batch *b) { memset(b, 0, sizeof *b); }

void gh_audit_free(gh_audit_batch *b) {
  json_decref(b->rows);
  free(b->text);
  gh_audit_init(b);
}

int gh_audit_count(const gh_audit_batch *b) { return (int)json_array_size(b->rows); }

/* Length of the valid UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_len(const unsigned char *p) {
  if (p[0] < 0x80) return 1;
  size_t n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
  if (!n || p[0] == 0xC0 || p[0] == 0xC1 || p[0] > 0xF4) return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  /* Overlong three/four-byte forms, surrogates, beyond U+10FFFF. */
  if (n == 3 && p[0] == 0xE0 && p[1] < 0xA0) return 0;
  if (n == 3 && p[0] == 0xED && p[1] >= 0xA0) return 0;
  if (n == 4 && p[0] == 0xF0 && p[1] < 0x90) return 0;
  if (n == 4 && p[0] == 0xF4 && p[1] >= 0x90) return 0;
  return n;
}

void gh_audit_clean_text(const char *s, char *out, size_t size) {
  size_t o = 0;
  if (!size) return;
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
    size_t n = utf8_len(p);
    if (!n || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
      p++; /* an invalid byte or a control character: dropped */
      continue;
    }
    if (o + n >= size) break;
    memcpy(out + o, p, n);
    o += n;
    p += n;
  }
  out[o] = '\0';
}

static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

gh_status gh_audit_add_as(gh_audit_batch *b, gh_req *r, const char *action, const char *actor,
                          const char *credential_id, const char *target, json_t *details) {
  char id[GH_ID_MAX], ua[GH_AUDIT_UA_MAX + 1];
  gh_id_new(id, "aud_");
  gh_audit_clean_text(gh_req_header(r, "User-Agent"), ua, sizeof ua);
  if (!b->rows) b->rows = json_array();
  json_t *row = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:o}", "id", id, "action", action, "actor",
                          str_or_null(actor), "credential_id", str_or_null(credential_id), "target",
                          str_or_null(target), "ip", str_or_null(r->client_ip), "user_agent", str_or_null(ua),
                          "request_id", r->id, "details", details ? details : json_object());
  if (!b->rows || !row || json_array_append_new(b->rows, row)) return GH_ERR_NOMEM;
  return GH_OK;
}

gh_status gh_audit_add(gh_audit_batch *b, gh_req *r, const char *action, const char *target, json_t *details) {
  const gh_principal *p = &r->principal;
  const char *actor = p->kind == GH_CRED_SESSION ? p->user_id : p->credential_id;
  return gh_audit_add_as(b, r, action, actor, p->credential_id, target, details);
}

gh_status gh_audit_stmt(gh_audit_batch *b, gh_db_stmt *out) {
  if (!b->rows && !(b->rows = json_array())) return GH_ERR_NOMEM;
  free(b->text);
  b->text = json_dumps(b->rows, JSON_COMPACT);
  if (!b->text) return GH_ERR_NOMEM;
  b->vals[0] = b->text;
  *out = (gh_db_stmt){insert_sql, 1, b->vals, NULL};
  return GH_OK;
}

void gh_audit_login_failed(gh_req *r, const char *user_id, const char *reason) {
  char id[GH_ID_MAX], ua[GH_AUDIT_UA_MAX + 1];
  gh_id_new(id, "aud_");
  gh_audit_clean_text(gh_req_header(r, "User-Agent"), ua, sizeof ua);
  const char *vals[6] = {id, user_id, r->client_ip, ua, r->id, reason};
  gh_db_stmt q = {"SELECT gh.audit_login_failed($1, $2, $3, $4, $5, $6)", 6, vals, NULL};
  PGresult *res = NULL;
  gh_status s = gh_db_exec(&q, &res);
  PQclear(res);
  if (s) gh_log(GH_LOG_WARN, "audit entry of a failed login not written (request %s)", r->id);
}

gh_status gh_audit_key_over_http(const unsigned char key_hash[32], const char *ip, const char *user_agent,
                                 const char *request_id, bool *written) {
  char id[GH_ID_MAX];
  gh_id_new(id, "aud_");
  const char *vals[5] = {id, (const char *)key_hash, ip, user_agent, request_id};
  const int lens[5] = {0, 32, 0, 0, 0};
  gh_db_stmt q = {"SELECT gh.audit_key_over_http($1, $2::bytea, $3, $4, $5)", 5, vals, lens};
  PGresult *res = NULL;
  gh_status s = gh_db_exec(&q, &res);
  *written = !s && PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t");
  PQclear(res);
  return s;
}

gh_status gh_audit_txn_after(const gh_db_stmt *first, const unsigned char hash[32], gh_audit_batch *b,
                             PGresult **first_result) {
  *first_result = NULL;
  const char *vals[1] = {(const char *)hash};
  const int lens[1] = {32};
  gh_db_stmt q[3] = {*first, {"SELECT gh.begin_request($1::bytea, true)", 1, vals, lens}};
  gh_status s = gh_audit_stmt(b, &q[2]);
  if (s) return s;
  PGresult *res[3] = {0};
  s = gh_db_txn(q, 3, res);
  if (s) return s;
  *first_result = res[0];
  res[0] = NULL;
  gh_db_clear(res, 3);
  return GH_OK;
}

void gh_audit_write(gh_req *r, gh_audit_batch *b) {
  gh_db_stmt q;
  PGresult *res = NULL;
  gh_status s = gh_audit_stmt(b, &q);
  if (!s) s = gh_db_ctx_txn(r->principal.hash, r->principal.livemode, &q, 1, &res);
  PQclear(res);
  if (s) gh_log(GH_LOG_WARN, "audit entry not written (request %s)", r->id);
}
