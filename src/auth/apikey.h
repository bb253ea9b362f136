/* apikey.h: the API key format.
 *
 *   sk_live_<32>  or  sk_test_<32>
 *
 * The 32 base62 characters are 26 random ones (about 155 bits, libsodium's
 * CSPRNG) followed by a 6-character checksum: the first 32 bits of
 * BLAKE2b-256 over "sk_live_<26>" written in base62. A mistyped or invented
 * key fails the checksum and is refused before any cache or database
 * look-up; secret scanners can recognise (and verify) our keys from the
 * prefix and the checksum alone. The checksum is public: it protects
 * against typos and junk, not against forgery (the 155 random bits do). */
#ifndef GH_APIKEY_H
#define GH_APIKEY_H
#include <stdbool.h>
#include <stddef.h>

#define GH_KEY_PREFIX_LEN 8 /* "sk_live_" */
#define GH_KEY_RANDOM 26
#define GH_KEY_CHECKSUM 6
#define GH_KEY_LEN (GH_KEY_PREFIX_LEN + GH_KEY_RANDOM + GH_KEY_CHECKSUM) /* 40 */
#define GH_KEY_MAX (GH_KEY_LEN + 1)
#define GH_KEY_REDACTED_MAX 24

/* Writes a fresh key of the given mode into out (NUL-terminated). */
void gh_apikey_new(bool livemode, char out[GH_KEY_MAX]);
/* 1 if s (n bytes) is a well-formed key with a valid checksum; sets
 * *livemode from its prefix. */
int gh_apikey_parse(const char *s, size_t n, bool *livemode) __attribute__((warn_unused_result));
/* "sk_live_...x7Qa": prefix, an ellipsis and the last 4 characters. */
void gh_apikey_redact(const char *key, char out[GH_KEY_REDACTED_MAX]);

#endif
