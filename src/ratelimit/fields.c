/* fields.c: see fields.h. */
#include "ratelimit/fields.h"

#include "core/buf.h"

/* "name";<k1>=<v1>;<k2>=<v2>, or "" when it does not fit. Rendered on
 * every limited request, so without printf (core/buf.h): snprintf was
 * about half of the limiter's instructions (callgrind, bench/ratelimit.sh). */
static void field(const char *name, const char *k1, int64_t v1, const char *k2, int64_t v2, char *out, size_t size) {
  if (!size) return;
  gh_buf b;
  gh_buf_init(&b, out, size);
  gh_buf_char(&b, '"');
  gh_buf_str(&b, name);
  gh_buf_str(&b, k1);
  gh_buf_int(&b, v1);
  gh_buf_str(&b, k2);
  gh_buf_int(&b, v2);
  if (b.cut) out[0] = '\0';
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
