/* buf.h: text built into a caller's fixed buffer without printf.
 *
 * The request path formats a log line, a small JSON body and a few ids for
 * every request; snprintf's format interpretation was a tenth of a
 * /v1/me request's instructions. A gh_buf appends into memory the caller
 * owns (usually the stack), always keeps it NUL-terminated, and remembers
 * whether anything had to be cut so the caller can fall back. */
#ifndef GH_BUF_H
#define GH_BUF_H
#include <stdbool.h>
#include <stddef.h>

typedef struct {
  char *p;    /* borrowed: the caller's memory */
  size_t cap; /* bytes at p, the terminating NUL included */
  size_t len;
  bool cut; /* something did not fit */
} gh_buf;

/* Starts an empty text in mem (cap >= 1 bytes). */
void gh_buf_init(gh_buf *b, char *mem, size_t cap);
void gh_buf_mem(gh_buf *b, const char *s, size_t n);
void gh_buf_str(gh_buf *b, const char *s); /* NULL appends nothing */
void gh_buf_char(gh_buf *b, char c);
void gh_buf_int(gh_buf *b, long long v);
/* v in exactly width decimal digits, zero-padded (width <= 20). */
void gh_buf_uint_padded(gh_buf *b, unsigned long long v, int width);

/* Copies s (NULL: "") into out of size >= 1 bytes, cut to fit, always
 * NUL-terminated; returns strlen(s), so a result >= size means a cut. */
size_t gh_buf_copy(char *out, size_t size, const char *s);

#endif
