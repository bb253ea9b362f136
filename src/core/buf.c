/* buf.c: see buf.h. */
#include "core/buf.h"

#include <string.h>

void gh_buf_init(gh_buf *b, char *mem, size_t cap) {
  b->p = mem;
  b->cap = cap;
  b->len = 0;
  b->cut = false;
  mem[0] = '\0';
}

void gh_buf_mem(gh_buf *b, const char *s, size_t n) {
  size_t room = b->cap - 1 - b->len;
  if (n > room) {
    n = room;
    b->cut = true;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void gh_buf_str(gh_buf *b, const char *s) {
  if (s) gh_buf_mem(b, s, strlen(s));
}

void gh_buf_char(gh_buf *b, char c) { gh_buf_mem(b, &c, 1); }

void gh_buf_uint_padded(gh_buf *b, unsigned long long v, int width) {
  char d[20];
  int i = (int)sizeof d;
  do {
    d[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v && i > 0);
  while ((int)sizeof d - i < width && i > 0)
    d[--i] = '0';
  gh_buf_mem(b, d + i, sizeof d - (size_t)i);
}

void gh_buf_int(gh_buf *b, long long v) {
  if (v < 0) gh_buf_char(b, '-');
  /* -(v + 1) + 1 avoids overflowing on LLONG_MIN. */
  gh_buf_uint_padded(b, v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v, 1);
}

size_t gh_buf_copy(char *out, size_t size, const char *s) {
  if (!s) s = "";
  size_t n = strlen(s);
  size_t k = n < size ? n : size - 1;
  memcpy(out, s, k);
  out[k] = '\0';
  return n;
}
