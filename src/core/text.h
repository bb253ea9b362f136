/* text.h: checks on user-supplied text fields (already valid UTF-8 when
 * they come from a parsed JSON body). */
#ifndef GH_TEXT_H
#define GH_TEXT_H
#include <stddef.h>
#include <stdint.h>

/* True if s looks like an email address: local@domain.tld, 3..254 bytes,
 * no spaces or control characters, one '@', a domain of two or more
 * non-empty dot-separated labels. */
int gh_text_is_email(const char *s);
/* True if s is one or more ASCII digits (no sign, space or other byte)
 * whose value is at most max; then *out is that value. Leading zeros are
 * accepted ("007" is 7). For integer query parameters such as ?limit. */
int gh_text_uint(const char *s, unsigned long max, unsigned long *out);
/* True if s has 1..max characters and no control characters. */
int gh_text_is_name(const char *s, size_t max);
/* Writes s lower-cased (ASCII) into out (size bytes). */
void gh_text_lower(const char *s, char *out, size_t size);

/* Copies s into out for a log line: printable ASCII kept, every other byte
 * (and '%', '"', '\\', so the result is also a valid JSON string body)
 * written as %XX, cut to fit. Never fails, so a hostile path cannot make a
 * log line disappear. */
void gh_text_log_safe(const char *s, char *out, size_t size);

/* FNV-1a of s: a hash-table index for short keys (not for secrets). */
uint32_t gh_text_hash32(const char *s);

#endif
