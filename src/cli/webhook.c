/* webhook.c: `gatehouse webhook verify` — checks a delivery the way a
 * receiver would (Standard Webhooks, webhooks/sign.h), without any server,
 * database or state directory:
 *
 *   gatehouse webhook verify --secret whsec_… --id evt_… --timestamp 1700000000 \
 *       --signature 'v1,…' < body
 *
 * The body is read from standard input, byte for byte. Exit status: 0 valid
 * (a v1 signature matches and the timestamp is within 5 minutes of now); 1
 * invalid (message on stderr); 2 usage error. Without --signature (the
 * webhook-signature header, also taken from $WEBHOOK_SIGNATURE) the
 * expected "v1,…" signature is printed and the status is 2, for comparing
 * by hand. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "webhooks/sign.h"

#define BODY_MAX (16 * 1024 * 1024)

static int usage(void) {
  fprintf(stderr, "usage: gatehouse webhook verify --secret whsec_... --id ID --timestamp T "
                  "[--signature 'v1,...'] < body\n"
                  "       gatehouse webhook rekey   (new webhook.key; secrets re-sealed; DATABASE_URL)\n");
  return 2;
}

/* Reads all of stdin (at most BODY_MAX bytes) into a malloc'ed buffer. */
static char *read_body(size_t *len) {
  size_t cap = 65536, n = 0;
  char *b = malloc(cap);
  if (!b) return NULL;
  for (;;) {
    if (n == cap) {
      if (cap >= BODY_MAX) {
        free(b);
        return NULL;
      }
      char *nb = realloc(b, cap * 2);
      if (!nb) {
        free(b);
        return NULL;
      }
      b = nb, cap *= 2;
    }
    size_t got = fread(b + n, 1, cap - n, stdin);
    n += got;
    if (got == 0) break;
  }
  if (ferror(stdin)) {
    free(b);
    return NULL;
  }
  *len = n;
  return b;
}

static int verify(int argc, char **argv) {
  const char *secret = NULL, *id = NULL, *ts = NULL, *sig = getenv("WEBHOOK_SIGNATURE");
  for (int i = 1; i < argc; i++) {
    const char **slot = !strcmp(argv[i], "--secret")      ? &secret
                        : !strcmp(argv[i], "--id")        ? &id
                        : !strcmp(argv[i], "--timestamp") ? &ts
                        : !strcmp(argv[i], "--signature") ? &sig
                                                          : NULL;
    if (!slot || i + 1 >= argc) return usage();
    *slot = argv[++i];
  }
  if (!secret || !id || !ts) return usage();
  if (sodium_init() < 0) return 1;
  unsigned char key[GH_WHSIGN_KEY_MAX];
  size_t klen = 0;
  if (gh_whsign_parse_secret(secret, key, &klen)) {
    fprintf(stderr, "gatehouse webhook verify: the secret is not whsec_<base64>\n");
    return 2;
  }
  size_t len = 0;
  char *body = read_body(&len);
  if (!body) {
    sodium_memzero(key, sizeof key);
    fprintf(stderr, "gatehouse webhook verify: cannot read the body from standard input\n");
    return 2;
  }
  int rc;
  if (!sig) {
    char want[GH_WHSIGN_SIG_MAX];
    char *end;
    long long t = strtoll(ts, &end, 10);
    if (*end || gh_whsign_sign(key, klen, id, t, body, len, want)) {
      fprintf(stderr, "gatehouse webhook verify: bad timestamp\n");
    } else {
      printf("%s\n", want);
      fprintf(stderr, "gatehouse webhook verify: no --signature given; the expected signature is printed\n");
    }
    rc = 2;
  } else {
    gh_status s = gh_whsign_verify(key, klen, id, ts, body, len, sig, gh_now(), GH_WHSIGN_TOLERANCE_S);
    if (s == GH_OK) {
      fprintf(stderr, "valid\n");
      rc = 0;
    } else {
      fprintf(stderr, "invalid: %s\n",
              s == GH_ERR_TOKEN_EXPIRED     ? "timestamp outside the 5-minute tolerance"
              : s == GH_ERR_INVALID_REQUEST ? "malformed id, timestamp or signature"
                                            : "no signature matches");
      rc = 1;
    }
  }
  sodium_memzero(key, sizeof key);
  free(body);
  return rc;
}

int gh_cli_webhook(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "verify")) return verify(argc - 1, argv + 1);
  if (argc == 2 && !strcmp(argv[1], "rekey")) return gh_cli_webhook_rekey();
  return usage();
}
