/* redis_url.h: REDIS_URL, parsed once at start-up (config.c validates it,
 * redis.c connects with it).
 *
 * Accepted: redis://[[user]:password@]host[:port][/db]
 *   host  a name or IPv4 address, or an IPv6 address in brackets
 *   port  1..65535, default 6379
 *   db    0..1000000, default 0 (an empty path or "/" is 0)
 * user and password may be percent-encoded (%40 for '@', %3A for ':').
 * Refused, rather than guessed at: any other scheme (rediss:// too: the
 * Debian hiredis has no TLS), a user without ":password", an empty password,
 * a query or fragment, anything after the db number. The password is owned
 * here and never logged; parse errors name the part that is wrong, never its
 * value. */
#ifndef GH_REDIS_URL_H
#define GH_REDIS_URL_H
#include "core/status.h"

typedef struct {
  char *host;     /* owned; without brackets */
  int port;       /* 6379 by default */
  int db;         /* 0 by default */
  char *user;     /* owned or NULL (AUTH password alone) */
  char *password; /* owned or NULL (no AUTH); wiped by gh_redis_url_free */
} gh_redis_url;

/* Parses s into *out (zeroed first). On GH_ERR_INVALID_REQUEST *why (if
 * non-NULL) is set to a static sentence on what is wrong and *out holds
 * nothing to free. */
gh_status gh_redis_url_parse(const char *s, gh_redis_url *out, const char **why);
/* Releases what *u owns (the password wiped first); *u is zeroed. */
void gh_redis_url_free(gh_redis_url *u);

#endif
