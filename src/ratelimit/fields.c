/* fields.c: see fields.h. */
#include "ratelimit/fields.h"

#include <string.h>

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

/* "name";<k1>=<v1>;<k2>=<v2>, or "" when it does not fit. Rendered on
 * every limited request, so by hand: snprintf was about half of the
 * limiter's instructions (callgrind, bench/ratelimit.sh). */
static void field(const char *name, const char *k1, int64_t v1, const char *k2, int64_t v2, char *out, size_t size) {
  size_t len = 0;
  if (size) out[0] = '\0';
  if (!(put(out, size, &len, "\"", 1) && put(out, size, &len, name, strlen(name)) &&
        put(out, size, &len, k1, strlen(k1)) && put_int(out, size, &len, v1) && put(out, size, &len, k2, strlen(k2)) &&
        put_int(out, size, &len, v2)) &&
      size)
    out[0] = '\0';
}

void gh_rl_policy_field(const char *name, int quota, int window, char *out, size_t size) {
  field(name, "\";q=", quota, ";w=", window, out, size);
}

void gh_rl_state_field(const char *name, int64_t remaining, int64_t reset, char *out, size_t size) {
  field(name, "\";r=", remaining, ";t=", reset, out, size);
}

bool gh_rl_tighter(const gh_rl_state *a, const gh_rl_state *b) {
  if (!a->name) return false;
  if (!b->name) return true;
  if (a->refused != b->refused) return a->refused;
  if (!a->refused && a->remaining != b->remaining) return a->remaining < b->remaining;
  return a->reset > b->reset;
}
