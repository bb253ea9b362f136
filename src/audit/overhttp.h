/* overhttp.h: credentials sent over plain HTTP (refused 403 https_required,
 * docs/decisions.md 78) — which of them are logged one by one and, for a
 * well-formed API key, audited in the key's org.
 *
 * Anyone can send such requests, and a key with a valid checksum costs
 * nothing to make (the checksum is public), so the work is bounded:
 *   - the same key (by the hash of its secret) is handled at most once per
 *     GH_OVERHTTP_WINDOW_US per node: later sightings are only counted;
 *   - a process-wide budget (GCRA, ratelimit/gcra.h) caps what is handled
 *     one by one; beyond it a request is only counted;
 *   - the audit itself (the definer gh.audit_key_over_http, 0012) is not
 *     done on the HTTP thread: the entry goes into a bounded queue that the
 *     listener's thread writes after each poll (within about 250 ms).
 * The counts of what was not handled one by one are logged as one line at
 * most once a second. The answer (403 https_required) never changes. */
#ifndef GH_OVERHTTP_H
#define GH_OVERHTTP_H
#include <stdbool.h>
#include <stdint.h>

#include "http/request.h"
#include "ratelimit/gcra.h"

#define GH_OVERHTTP_WINDOW_US 60000000LL /* one handling per key per minute */
#define GH_OVERHTTP_SETS 512
#define GH_OVERHTTP_WAYS 4
#define GH_OVERHTTP_TAG 16 /* bytes of the key's hash kept (a keyed hash: no collisions to fear) */
#define GH_OVERHTTP_RATE 20
#define GH_OVERHTTP_BURST 50
#define GH_OVERHTTP_SUMMARY_US 1000000LL /* at most one summary line a second */

/* The pure part: recent keys, the budget, the counts not yet summarised.
 * Times are monotonic microseconds; not locked (the caller locks). */
typedef struct {
  struct {
    unsigned char tag[GH_OVERHTTP_TAG];
    int64_t at; /* 0: empty */
  } recent[GH_OVERHTTP_SETS][GH_OVERHTTP_WAYS];
  int64_t tat;          /* the budget's GCRA state */
  gh_gcra_limit budget; /* zero: {GH_OVERHTTP_RATE, GH_OVERHTTP_BURST} */
  int64_t last_summary; /* when the last summary was due */
  long repeated;        /* same key again within the window, since the last summary */
  long suppressed;      /* over the budget (or queue full), since the last summary */
} gh_overhttp_state;

typedef enum {
  GH_OVERHTTP_HANDLE,     /* log it (and audit it, for a key) */
  GH_OVERHTTP_REPEATED,   /* this key was handled within the window: count only */
  GH_OVERHTTP_SUPPRESSED, /* over the budget, or no room to queue its audit: count only */
} gh_overhttp_verdict;

/* One sighting at now_us. key_hash: the keyed hash of a well-formed API key
 * (32 bytes), or NULL for any other credential (budget only, never
 * REPEATED). room: whether its audit could be queued (ignored without a
 * key); without room a key is SUPPRESSED and spends no budget. A key that
 * is handled is remembered for the window; REPEATED and SUPPRESSED are
 * added to the counts. */
gh_overhttp_verdict gh_overhttp_decide(gh_overhttp_state *s, const unsigned char *key_hash, bool room, int64_t now_us);
/* Forgets a key (its audit could not be written: try again next time). */
void gh_overhttp_forget(gh_overhttp_state *s, const unsigned char key_hash[32]);
/* True when a summary line is due at now_us (counts pending and none for
 * GH_OVERHTTP_SUMMARY_US): hands the counts over and resets them. */
bool gh_overhttp_summary_due(gh_overhttp_state *s, int64_t now_us, long *repeated, long *suppressed);

/* The process-wide use, from transport() in http/server.c: a refused
 * plain-HTTP request carried Authorization; key_hash as above (the request
 * gives the entry's client address, User-Agent and request id). Logs the
 * warning line when handled; cheap otherwise (one mutex, no I/O except
 * the summary line when due). */
void gh_overhttp_seen(gh_req *r, const unsigned char *key_hash);
/* On the listener's thread (db/listen.h tick): writes the queued audit
 * entries, then the summary line if due. */
void gh_overhttp_tick(void);

#endif
