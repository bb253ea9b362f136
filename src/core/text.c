/* text.c: see text.h. */
#include "core/text.h"

#include <string.h>

int gh_text_is_email(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 3 || n > 254) return 0;
  const char *at = strchr(s, '@');
  if (!at || at == s || strchr(at + 1, '@')) return 0;
  /* The domain: at least two labels, none of them empty (no leading,
   * doubled or trailing dot: "a@..com", "a@.b.co", "a@b.co."). */
  const char *dom = at + 1;
  if (!strchr(dom, '.') || *dom == '.' || strstr(dom, "..") || dom[strlen(dom) - 1] == '.') return 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\' || *p == ',') return 0;
  return 1;
}

int gh_text_uint(const char *s, unsigned long max, unsigned long *out) {
  unsigned long v = 0;
  if (!s || !*s) return 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return 0;
    unsigned long d = (unsigned long)(*s - '0');
    if (v > max / 10) return 0;
    v *= 10; /* now v <= max */
    if (d > max - v) return 0;
    v += d;
  }
  *out = v;
  return 1;
}

int gh_text_is_name(const char *s, size_t max) {
  if (!s || !*s) return 0;
  size_t chars = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < ' ' || *p == 0x7f) return 0;
    if ((*p & 0xC0) != 0x80) chars++;
  }
  return chars <= max;
}

void gh_text_lower(const char *s, char *out, size_t size) {
  size_t i = 0;
  for (; s[i] && i + 1 < size; i++)
    out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
  out[i] = '\0';
}

void gh_text_log_safe(const char *s, char *out, size_t size) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && o + 4 < size; p++) {
    if (*p >= 0x20 && *p < 0x7f && *p != '%' && *p != '"' && *p != '\\') {
      out[o++] = (char)*p;
    } else {
      out[o++] = '%';
      out[o++] = hex[*p >> 4];
      out[o++] = hex[*p & 15];
    }
  }
  if (size) out[o < size ? o : size - 1] = '\0';
}

uint32_t gh_text_hash32(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}
