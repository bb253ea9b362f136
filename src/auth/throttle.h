/* throttle.h: login and re-authentication abuse limits (api.md, "Rate
 * limits"): at most 10 failed attempts per account per 15 minutes, and 100
 * attempts per client address per minute. Once an account's failure limit
 * is reached every attempt on it — the right password included, from any
 * address — is refused until the window passes; existing sessions are not
 * touched. Checked before the password is looked at.
 *
 * In-process fixed windows; the shared Redis store of the rate-limit issue
 * will take over when REDIS_URL is set. */
#ifndef GH_THROTTLE_H
#define GH_THROTTLE_H

#define GH_THROTTLE_ACCOUNT_FAILURES 10
#define GH_THROTTLE_ACCOUNT_WINDOW 900
#define GH_THROTTLE_IP_ATTEMPTS 100
#define GH_THROTTLE_IP_WINDOW 60

/* Counts an attempt by ip on account (lower-cased email or user id).
 * Returns 0 if it may proceed, else the seconds until it may (>= 1). */
int gh_throttle_attempt(const char *account, const char *ip);
/* Records a failed attempt on account. */
void gh_throttle_failed(const char *account);
/* Forgets everything (tests). */
void gh_throttle_reset(void);

#endif
