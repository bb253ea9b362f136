/* clock.c: see clock.h. */
#include "core/clock.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"

int64_t gh_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec;
}

int64_t gh_mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void gh_rfc3339(int64_t epoch, char out[32]) {
  if (epoch < GH_RFC3339_MIN) epoch = GH_RFC3339_MIN;
  if (epoch > GH_RFC3339_MAX) epoch = GH_RFC3339_MAX;
  time_t t = (time_t)epoch;
  struct tm tm;
  gmtime_r(&t, &tm);
  /* Not strftime's %Y: RFC 3339 wants four digits, also before year 1000
   * (found by fuzz/fuzz_headers.c). The parser keeps times within
   * 0001..9999, so four digits always suffice. */
  gh_buf b;
  gh_buf_init(&b, out, 32);
  gh_buf_uint_padded(&b, (unsigned)(tm.tm_year + 1900) % 10000u, 4);
  gh_buf_char(&b, '-');
  gh_buf_uint_padded(&b, (unsigned)(tm.tm_mon + 1) % 100u, 2);
  gh_buf_char(&b, '-');
  gh_buf_uint_padded(&b, (unsigned)tm.tm_mday % 100u, 2);
  gh_buf_char(&b, 'T');
  gh_buf_uint_padded(&b, (unsigned)tm.tm_hour % 100u, 2);
  gh_buf_char(&b, ':');
  gh_buf_uint_padded(&b, (unsigned)tm.tm_min % 100u, 2);
  gh_buf_char(&b, ':');
  gh_buf_uint_padded(&b, (unsigned)tm.tm_sec % 100u, 2);
  gh_buf_char(&b, 'Z');
}

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++, (*p)++) {
    if (!isdigit((unsigned char)**p)) return -1;
    v = v * 10 + (**p - '0');
  }
  *out = v;
  return 0;
}

int gh_rfc3339_parse(const char *s, int64_t *epoch) {
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
  const char *p = s;
  if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d)) return -1;
  if ((*p != 'T' && *p != 't') || (p++, digits(&p, 2, &h)) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
      digits(&p, 2, &sec))
    return -1;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p)) return -1;
    while (isdigit((unsigned char)*p))
      p++;
  }
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    sign = *p++ == '+' ? 1 : -1;
    if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59) return -1;
  } else {
    return -1;
  }
  if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60) return -1;
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return -1;
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
  tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec > 59 ? 59 : sec;
  int64_t t = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
  /* An offset can carry 0001-01-01 or 9999-12-31 out of the four-digit
   * years that RFC 3339 (and gh_rfc3339) can write. */
  if (t < GH_RFC3339_MIN || t > GH_RFC3339_MAX) return -1;
  *epoch = t;
  return 0;
}
