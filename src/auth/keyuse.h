/* keyuse.h: last_used_at and last_used_ip of API keys, noted in memory on
 * every verified use and written in batches (gh.api_keys_touch) by the
 * listener's thread, so a key check costs no database write. Within one
 * batch a key's latest use wins. */
#ifndef GH_KEYUSE_H
#define GH_KEYUSE_H
#include <stdint.h>

void gh_keyuse_note(const char *key_id, int64_t at, const char *ip);
void gh_keyuse_flush(void);

#endif
