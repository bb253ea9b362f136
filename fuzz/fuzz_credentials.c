/* fuzz_credentials.c: what an attacker controls before any credential is
 * verified — the Authorization header's Bearer token, the API key format
 * and checksum (src/auth/apikey.c), and the redaction shown in listings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/apikey.h"
#include "auth/authn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *header = malloc(size + 1);
  if (!header) return 0;
  memcpy(header, data, size);
  header[size] = '\0';
  const char *token = NULL;
  size_t len = 0;
  if (!gh_authn_bearer(header, &token, &len)) {
    if (token < header || token + len > header + size) abort();
  }
  /* The key parser sees raw bytes, NULs included. */
  bool live = false;
  if (gh_apikey_parse((const char *)data, size, &live) == 1) {
    if (size != GH_KEY_LEN) abort();
    char key[GH_KEY_MAX], red[GH_KEY_REDACTED_MAX];
    memcpy(key, data, GH_KEY_LEN);
    key[GH_KEY_LEN] = '\0';
    gh_apikey_redact(key, red);
    if (!memchr(red, '\0', sizeof red)) abort();
  }
  free(header);
  return 0;
}
