/* clock.h: time helpers. Wall-clock seconds for deadlines and RFC 3339
 * output; a monotonic clock for durations. */
#ifndef GH_CLOCK_H
#define GH_CLOCK_H
#include <stdint.h>
#include <time.h>

/* Seconds since the epoch (wall clock). */
int64_t gh_now(void);
/* Monotonic microseconds, for measuring durations. */
int64_t gh_mono_us(void);
/* Formats epoch seconds as "2026-11-28T12:00:00Z" into out (>= 21 bytes). */
void gh_rfc3339(int64_t epoch, char out[32]);

/* Parses an RFC 3339 timestamp ("2026-11-28T12:00:00Z", optional
 * fraction, "Z" or a "+hh:mm"/"-hh:mm" offset) into epoch seconds. Returns
 * 0 on success, -1 if s is not exactly such a timestamp. */
int gh_rfc3339_parse(const char *s, int64_t *epoch);
/* The range it accepts: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define GH_RFC3339_MIN (-62135596800LL)
#define GH_RFC3339_MAX 253402300799LL

#endif
