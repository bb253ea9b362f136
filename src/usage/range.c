/* range.c: the read side's parameters (see usage.h): from, to and
 * granularity → the aligned buckets. Pure: no clock, no I/O, so the rules
 * are unit-tested (tests/unit/test_usage.c). Buckets are UTC: a day is
 * 86400 s from midnight UTC, whatever offset `from` was written with. */
#include <string.h>

#include "core/clock.h"
#include "usage/usage.h"

typedef struct {
  const char *unit;
  int step;
  int64_t max_span; /* longest to - from, seconds */
} granularity;

/* The longest range per granularity bounds the answer (at most 1441, 745
 * and 367 buckets) and the rows one query may read (docs/decisions.md 52). */
static const granularity grans[] = {
    {"minute", 60, 24 * 3600},
    {"hour", 3600, 31 * 24 * 3600},
    {"day", 86400, 366 * 24 * 3600},
};

static int64_t floor_to(int64_t t, int step) { return t - (((t % step) + step) % step); }

static gh_status bad(const char **param, const char **message, const char *p, const char *m) {
  *param = p;
  *message = m;
  return GH_ERR_INVALID_REQUEST;
}

gh_status gh_usage_range_parse(const char *from, const char *to, const char *granularity_name, int64_t now,
                               gh_usage_range *out, const char **param, const char **message) {
  const granularity *g = &grans[1]; /* hour */
  if (granularity_name) {
    g = NULL;
    for (size_t i = 0; i < sizeof grans / sizeof *grans; i++)
      if (!strcmp(granularity_name, grans[i].unit)) g = &grans[i];
    if (!g) return bad(param, message, "granularity", "granularity must be minute, hour or day.");
  }
  int64_t t_to = now, t_from;
  if (to && gh_rfc3339_parse(to, &t_to))
    return bad(param, message, "to", "to must be an RFC 3339 time (2026-11-28T12:00:00Z).");
  if (!from)
    t_from = t_to - GH_USAGE_DEFAULT_SPAN;
  else if (gh_rfc3339_parse(from, &t_from))
    return bad(param, message, "from", "from must be an RFC 3339 time (2026-11-28T12:00:00Z).");
  if (t_from >= t_to) return bad(param, message, "from", "from must be before to.");
  if (t_to - t_from > g->max_span) {
    static const char *const too_long[] = {
        "The range from..to may span at most 24 hours with granularity minute.",
        "The range from..to may span at most 31 days with granularity hour.",
        "The range from..to may span at most 366 days with granularity day.",
    };
    return bad(param, message, "from", too_long[g - grans]);
  }
  out->unit = g->unit;
  out->step = g->step;
  out->first = floor_to(t_from, g->step);
  /* The last bucket is the one holding the last second before `to`. */
  out->last = floor_to(t_to - 1, g->step);
  out->buckets = (int)((out->last - out->first) / g->step) + 1;
  return GH_OK;
}
