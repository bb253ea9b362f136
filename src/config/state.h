/* state.h: the server's own secrets in GATEHOUSE_STATE_DIR.
 *
 * Files, created on first start (mode 0600 in a 0700 directory) and shared
 * by every node of a deployment:
 *   pepper           32 random bytes: the HMAC key for every stored
 *                    credential hash (API keys, session, refresh and
 *                    invitation tokens), so a stolen table alone cannot even
 *                    confirm a guessed secret
 *   webhook.key      32 random bytes: encrypts webhook signing secrets
 *   app-db-password  the generated password of role gatehouse_app
 * Creation is race-free: a file is written under a temporary name and
 * link(2)ed into place, so nodes starting together agree on one value. */
#ifndef GH_STATE_H
#define GH_STATE_H
#include <stddef.h>

#include "core/status.h"

#define GH_PEPPER_BYTES 32

typedef struct {
  unsigned char pepper[GH_PEPPER_BYTES];
  unsigned char webhook_key[32];
  char app_db_password[65]; /* hex, NUL-terminated */
} gh_state;

/* Loads (creating when absent) the secrets under dir into *st. st should
 * live in sodium_malloc'ed or locked memory; wipe it with gh_state_wipe(). */
gh_status gh_state_load(const char *dir, gh_state *st);
void gh_state_wipe(gh_state *st);

/* The loaded state, set once by main() before threads start. */
extern const gh_state *gh_secrets;

#endif
