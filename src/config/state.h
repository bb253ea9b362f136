/* state.h: the server's own secrets in GATEHOUSE_STATE_DIR.
 *
 * Files, created on first start (mode 0600 in a 0700 directory) and shared
 * by every node of a deployment:
 *   pepper           32 random bytes: the HMAC key for every stored
 *                    credential hash (API keys, session, refresh and
 *                    invitation tokens), so a stolen table alone cannot even
 *                    confirm a guessed secret
 *   webhook.key      32 random bytes: encrypts webhook signing secrets
 *   webhook.key.previous  (optional) the key before `gatehouse webhook
 *                    rekey`: still tried when a secret does not open with
 *                    webhook.key, so nodes and rows may change over in any
 *                    order
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
  unsigned char webhook_key_prev[32];
  int has_webhook_key_prev;
  char app_db_password[65]; /* hex, NUL-terminated */
} gh_state;

/* Loads (creating when absent) the secrets under dir into *st. st should
 * live in sodium_malloc'ed or locked memory; wipe it with gh_state_wipe(). */
gh_status gh_state_load(const char *dir, gh_state *st);
void gh_state_wipe(gh_state *st);

/* Replaces dir/webhook.key with next (32 bytes), keeping the current one as
 * dir/webhook.key.previous; each file written whole and renamed into
 * place. `gatehouse webhook rekey` only. */
gh_status gh_state_rotate_webhook_key(const char *dir, const unsigned char next[32]);

/* The loaded state, set once by main() before threads start. */
extern const gh_state *gh_secrets;

#endif
