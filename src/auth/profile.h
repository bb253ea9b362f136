/* profile.h: what GET /v1/auth/session shows besides the session itself
 * (the user and org objects, the role), cached per session so that the
 * call needs no database, like every other session check.
 *
 * Entries are dropped by the same announcements as the session cache
 * (session, user and org kinds; org settings changes always announce), and
 * refilled on the next miss; a fill that races an announcement is
 * discarded (epoch, as in credcache.h). */
#ifndef GH_PROFILE_H
#define GH_PROFILE_H
#include <stdint.h>

/* On a hit returns 1 and malloc'ed copies of the two JSON texts (caller
 * frees) and the role. */
int gh_profile_get(const char *session_id, char **user_json, char **org_json, char role[8]);
void gh_profile_put(const char *session_id, const char *user_id, const char *org_id, const char *user_json,
                    const char *org_json, const char *role, uint64_t epoch);
uint64_t gh_profile_epoch(void);
void gh_profile_drop_session(const char *id);
void gh_profile_drop_user(const char *id);
void gh_profile_drop_org(const char *id);
void gh_profile_flush(void);

#endif
