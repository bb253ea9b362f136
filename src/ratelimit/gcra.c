/* gcra.c: see gcra.h. */
#include "ratelimit/gcra.h"

#include <stdio.h>
#include <string.h>

void gh_gcra_interval(gh_gcra_limit l, int64_t *t_us, int64_t *window_us) {
  *t_us = 1000000 / (l.rate > 0 ? l.rate : 1);
  *window_us = *t_us * (l.burst > 0 ? l.burst : 1);
}

gh_gcra_result gh_gcra_apply(gh_gcra_limit l, int64_t *tat, int64_t now) {
  gh_gcra_result r = {false, 0, 0, 0};
  int64_t t, window;
  gh_gcra_interval(l, &t, &window);
  int64_t base = *tat > now ? *tat : now;
  int64_t next = base + t;
  if (next - now <= window) {
    r.allowed = true;
    *tat = next;
    r.remaining = (int)((window - (next - now)) / t);
    r.reset_us = next - now;
  } else {
    r.remaining = 0;
    r.reset_us = base - now;
    r.retry_after_us = next - window - now;
  }
  return r;
}

static int64_t ceil_s(int64_t us) { return (us + 999999) / 1000000; }

void gh_gcra_policy_header(const char *name, gh_gcra_limit l, char *out, size_t size) {
  int w = (l.burst + l.rate - 1) / (l.rate > 0 ? l.rate : 1);
  snprintf(out, size, "\"%s\";q=%d;w=%d", name, l.burst, w > 0 ? w : 1);
}

/* Appends src (n bytes) at out[*len] if it fits (and a NUL after). */
static bool put(char *out, size_t size, size_t *len, const char *src, size_t n) {
  if (*len + n + 1 > size) return false;
  memcpy(out + *len, src, n);
  *len += n;
  out[*len] = '\0';
  return true;
}

static bool put_int(char *out, size_t size, size_t *len, int64_t v) {
  char d[24];
  size_t i = sizeof d;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    d[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) d[--i] = '-';
  return put(out, size, len, d + i, sizeof d - i);
}

/* Rendered on every limited request, so by hand: snprintf was about half
 * of the limiter's instructions (callgrind, bench/ratelimit.sh). */
void gh_gcra_state_header(const char *name, gh_gcra_result r, char *out, size_t size) {
  size_t len = 0;
  if (size) out[0] = '\0';
  if (!(put(out, size, &len, "\"", 1) && put(out, size, &len, name, strlen(name)) && put(out, size, &len, "\";r=", 4) &&
        put_int(out, size, &len, r.remaining) && put(out, size, &len, ";t=", 3) &&
        put_int(out, size, &len, ceil_s(r.reset_us))) &&
      size)
    out[0] = '\0';
}

int gh_gcra_retry_after(gh_gcra_result r) {
  int64_t s = ceil_s(r.retry_after_us);
  return s < 1 ? 1 : (int)s;
}
