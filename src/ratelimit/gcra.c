/* gcra.c: see gcra.h. */
#include "ratelimit/gcra.h"

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

int gh_gcra_window(gh_gcra_limit l) {
  int w = (l.burst + l.rate - 1) / (l.rate > 0 ? l.rate : 1);
  return w > 0 ? w : 1;
}

gh_rl_state gh_gcra_state(const char *name, gh_gcra_limit l, gh_gcra_result r) {
  return (gh_rl_state){name, l.burst, gh_gcra_window(l), r.remaining, ceil_s(r.reset_us), !r.allowed};
}

void gh_gcra_policy_header(const char *name, gh_gcra_limit l, char *out, size_t size) {
  gh_rl_policy_field(name, l.burst, gh_gcra_window(l), out, size);
}

void gh_gcra_state_header(const char *name, gh_gcra_result r, char *out, size_t size) {
  gh_rl_state_field(name, r.remaining, ceil_s(r.reset_us), out, size);
}

int gh_gcra_retry_after(gh_gcra_result r) {
  int64_t s = ceil_s(r.retry_after_us);
  return s < 1 ? 1 : (int)s;
}
