/* password.h: Argon2id password hashing (libsodium crypto_pwhash_str, PHC
 * strings) with OWASP's parameters (m = 19 MiB, t = 2, p = 1), run on a
 * bounded pool of its own so a login flood never stalls other traffic. */
#ifndef GH_PASSWORD_H
#define GH_PASSWORD_H
#include <sodium.h>
#include <stddef.h>

#include "core/pool.h"
#include "core/status.h"

#define GH_PASSWORD_MIN 10
#define GH_PASSWORD_MAX 256
#define GH_PWHASH_MAX crypto_pwhash_STRBYTES

/* Starts the hashing pool (threads workers, queue of `queue` jobs) and
 * prepares the dummy hash used for unknown accounts. */
gh_status gh_password_init(int threads, size_t queue);
void gh_password_shutdown(void);
/* The hashing pool (borrowed), for gh_req_defer. */
gh_pool *gh_password_pool(void);

/* 0 if pw has 10..256 characters (Unicode code points; pw is valid UTF-8). */
int gh_password_check_length(const char *pw);
/* Hashes pw into out (PHC string). */
gh_status gh_password_hash(const char *pw, char out[GH_PWHASH_MAX]);
/* 1 if pw matches hash. With hash NULL, verifies against a dummy hash so
 * that an unknown account costs the same time as a wrong password, and
 * returns 0. */
int gh_password_verify(const char *hash, const char *pw) __attribute__((warn_unused_result));

#endif
