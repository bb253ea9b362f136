/* rekey.c: `gatehouse webhook rekey` — replaces the state directory's
 * webhook.key and re-seals every endpoint's signing secrets under it, so
 * that a key that may have leaked stops opening anything.
 *
 * Run it once, on one machine, with DATABASE_URL (the migrating role: the
 * sealed columns are not readable by the runtime role) and the shared state
 * directory; then distribute webhook.key and webhook.key.previous to every
 * node and restart them one by one. Nodes open a secret with webhook.key
 * and, failing that, webhook.key.previous, so old and new nodes, and rows
 * before and after, work together during the change-over.
 *
 * In one transaction: every row is opened (with webhook.key, else
 * webhook.key.previous) and sealed under a fresh key; the files are rotated
 * (previous ← current, current ← fresh) just before COMMIT. If the COMMIT
 * then fails, the rows are still sealed with what is now webhook.key.previous,
 * which nodes still read. A later run first re-seals such rows under the
 * current key without rotating ("repair"), so a key is only ever dropped
 * from webhook.key.previous once nothing is sealed with it. */
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/setup.h"
#include "config/state.h"
#include "webhooks/secret.h"

/* Opens a hex-sealed secret with the current key, else the previous one;
 * 1 current, 2 previous, 0 neither. */
static int open_any(const gh_state *st, const char *id, const char *hex, unsigned char *key, size_t *len) {
  if (!gh_whsecret_open_hex(st->webhook_key, id, hex, key, len)) return 1;
  if (st->has_webhook_key_prev && !gh_whsecret_open_hex(st->webhook_key_prev, id, hex, key, len)) return 2;
  return 0;
}

/* Seals key for id under master as hex into out (NUL-terminated). */
static int seal_hex(const unsigned char *master, const char *id, const unsigned char *key, size_t len, char *out,
                    size_t out_size) {
  unsigned char sealed[GH_WHSECRET_SEALED_MAX];
  size_t n = 0;
  if (gh_whsecret_seal(master, id, key, len, sealed, &n) || out_size < 2 * n + 1) return -1;
  sodium_bin2hex(out, out_size, sealed, n);
  return 0;
}

static int fail(PGconn *c, const char *what) {
  fprintf(stderr, "gatehouse webhook rekey: %s%s%s\n", what, c ? ": " : "", c ? PQerrorMessage(c) : "");
  if (c && PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
  return 1;
}

/* Re-seals every row under next; *old_only counts rows that opened only
 * with webhook.key.previous. Returns 0, or 1 after printing why. */
static int reseal_all(PGconn *c, const gh_state *st, const unsigned char *next, int *rows, int *old_only) {
  PGresult *res = PQexec(c, "SELECT id, encode(secret_ct, 'hex'), encode(prev_secret_ct, 'hex') "
                            "FROM gh.webhook_endpoints ORDER BY id FOR UPDATE");
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    PQclear(res);
    return fail(c, "cannot read the endpoints");
  }
  int rc = 0;
  *rows = PQntuples(res), *old_only = 0;
  for (int i = 0; i < *rows && !rc; i++) {
    const char *id = PQgetvalue(res, i, 0);
    char cur_hex[2 * GH_WHSECRET_SEALED_MAX + 1], prev_hex[2 * GH_WHSECRET_SEALED_MAX + 1];
    unsigned char key[GH_WHSIGN_KEY_MAX];
    size_t len = 0;
    int which = open_any(st, id, PQgetvalue(res, i, 1), key, &len);
    if (!which || seal_hex(next, id, key, len, cur_hex, sizeof cur_hex)) {
      fprintf(stderr, "gatehouse webhook rekey: the secret of %s opens with neither key; nothing changed\n", id);
      rc = 1;
    }
    if (which == 2) ++*old_only;
    int has_prev = !PQgetisnull(res, i, 2);
    if (!rc && has_prev) {
      /* The 24-hour previous secret of a rotation: re-sealed too; one that
       * no longer opens (long expired, sealed under a dropped key) is
       * cleared rather than kept unreadable. */
      int w = open_any(st, id, PQgetvalue(res, i, 2), key, &len);
      if (!w)
        has_prev = 0;
      else if (seal_hex(next, id, key, len, prev_hex, sizeof prev_hex))
        rc = 1;
    }
    sodium_memzero(key, sizeof key);
    if (rc) break;
    const char *vals[3] = {id, cur_hex, has_prev ? prev_hex : NULL};
    PGresult *u = PQexecParams(c,
                               "UPDATE gh.webhook_endpoints SET secret_ct = decode($2, 'hex'), "
                               "prev_secret_ct = decode($3, 'hex'), "
                               "prev_expires_at = CASE WHEN $3 IS NULL THEN NULL ELSE prev_expires_at END "
                               "WHERE id = $1",
                               3, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(u) != PGRES_COMMAND_OK) rc = fail(c, "cannot update an endpoint");
    PQclear(u);
  }
  PQclear(res);
  return rc;
}

int gh_cli_webhook_rekey(void) {
  gh_setup su;
  if (gh_setup_start(&su)) {
    gh_setup_stop(&su);
    return 1;
  }
  PGconn *c = PQconnectdb(su.admin_url);
  int rc = 0;
  if (PQstatus(c) != CONNECTION_OK) rc = fail(c, "cannot connect with DATABASE_URL");
  unsigned char next[GH_WHSECRET_MASTER_BYTES];
  int rows = 0, old_only = 0;
  if (!rc) {
    PQclear(PQexec(c, "BEGIN"));
    /* First pass decides the mode: if some rows still need the previous
     * key, seal them under the current key and stop there (repair). */
    rc = reseal_all(c, su.state, su.state->webhook_key, &rows, &old_only);
    if (!rc && old_only == 0) {
      randombytes_buf(next, sizeof next);
      rc = reseal_all(c, su.state, next, &rows, &old_only);
      if (!rc && gh_state_rotate_webhook_key(su.cfg.state_dir, next)) rc = fail(c, "cannot write the state files");
    }
    if (!rc) {
      PGresult *r = PQexec(c, "COMMIT");
      if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = fail(c, "COMMIT failed (webhook.key.previous still opens the rows)");
      PQclear(r);
    } else if (PQtransactionStatus(c) != PQTRANS_IDLE) {
      PQclear(PQexec(c, "ROLLBACK"));
    }
  }
  sodium_memzero(next, sizeof next);
  PQfinish(c);
  if (!rc && old_only)
    printf("repaired: %d endpoint secret(s) sealed with webhook.key.previous now use webhook.key; "
           "run `gatehouse webhook rekey` again to rotate\n",
           old_only);
  else if (!rc)
    printf("rotated: webhook.key replaced (the old one is webhook.key.previous); %d endpoint(s) re-sealed.\n"
           "Copy both files to every node's state directory and restart the nodes.\n",
           rows);
  gh_setup_stop(&su);
  return rc;
}
