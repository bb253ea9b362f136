/* deliver.h: the webhook delivery workers.
 *
 * `gatehouse serve` starts GATEHOUSE_WEBHOOK_WORKERS threads (default 2).
 * Each has its own runtime-role connection (no org context) and reaches
 * the queue of every org only through gh.webhook_claim / gh.webhook_record
 * / gh.webhook_release (sql/migrations/0010_webhooks.sql). A worker:
 *   - LISTENs on gh_webhooks (NOTIFYed by the fan-out trigger at commit) and
 *     also polls every second, for retries that fall due;
 *   - claims up to 100 due deliveries at a time (FOR UPDATE SKIP LOCKED, so
 *     several workers and nodes share the work; a 30 s lease brings a dead
 *     node's claims back) while it has fewer than 400 sends in flight;
 *   - sends them concurrently on one libcurl multi handle (connection
 *     reuse), each signed per Standard Webhooks (webhook-id = the event id,
 *     so every attempt and redelivery carries the same id), with no
 *     redirects, a 15 s timeout, TLS verified, and the address checked
 *     after resolution at every new connection (urlcheck.h);
 *   - records results in batches (at least every 25 ms while results wait).
 * Stopping: no new claims; sends in flight get up to 5 s to finish and are
 * recorded; the rest are released (due again at once, on any node). */
#ifndef GH_WEBHOOKS_DELIVER_H
#define GH_WEBHOOKS_DELIVER_H
#include <stdbool.h>

#include "core/status.h"

typedef struct {
  int threads;                      /* 0: no workers on this node */
  bool dev;                         /* GATEHOUSE_DEV=1: http:// and loopback allowed */
  const unsigned char *master;      /* the 32-byte webhook.key; outlives the workers */
  const unsigned char *master_prev; /* webhook.key.previous, or NULL (see config/state.h) */
} gh_webhook_opts;

/* Starts the workers (call once, before or after the HTTP server). */
gh_status gh_webhook_start(const gh_webhook_opts *o);
/* Stops and joins them (see above); safe to call when none were started. */
void gh_webhook_stop(void);

#endif
