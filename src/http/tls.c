/* tls.c: see tls.h. Every loaded pair is kept until shutdown: a handshake
 * that started with the old pair may still be reading it while a reload
 * swaps in the new one, and reloads are rare enough that the memory does
 * not matter. */
#include "http/tls.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define MAX_CHAIN 8

typedef struct pair {
  struct pair *older;
  gnutls_pcert_st chain[MAX_CHAIN];
  unsigned n;
  gnutls_privkey_t key;
} pair;

static _Atomic(pair *) current;
static pthread_mutex_t reload_mu = PTHREAD_MUTEX_INITIALIZER;
static char *cert_file, *key_file;

static void pair_free(pair *p) {
  for (unsigned i = 0; i < p->n; i++)
    gnutls_pcert_deinit(&p->chain[i]);
  if (p->key) gnutls_privkey_deinit(p->key);
  free(p);
}

/* Reads and checks both files; NULL (logged) on any problem. */
static pair *load(void) {
  gnutls_datum_t cert = {NULL, 0}, key = {NULL, 0};
  pair *p = calloc(1, sizeof *p);
  int rc = p ? gnutls_load_file(cert_file, &cert) : GNUTLS_E_MEMORY_ERROR;
  const char *what = "certificate", *file = cert_file;
  if (rc >= 0) {
    p->n = MAX_CHAIN;
    rc = gnutls_pcert_list_import_x509_raw(p->chain, &p->n, &cert, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0) p->n = 0;
  }
  if (rc >= 0) {
    what = "key", file = key_file;
    rc = gnutls_load_file(key_file, &key);
  }
  if (rc >= 0 && (rc = gnutls_privkey_init(&p->key)) >= 0)
    rc = gnutls_privkey_import_x509_raw(p->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
  if (rc >= 0) {
    /* The key must belong to the leaf certificate: compare public keys. */
    what = "key (does not match the certificate)";
    gnutls_pubkey_t a = NULL, b = NULL;
    gnutls_datum_t da = {NULL, 0}, db = {NULL, 0};
    rc = gnutls_pubkey_init(&b);
    if (rc >= 0) rc = gnutls_pubkey_import_privkey(b, p->key, 0, 0);
    a = p->chain[0].pubkey;
    if (rc >= 0) rc = gnutls_pubkey_export2(a, GNUTLS_X509_FMT_DER, &da);
    if (rc >= 0) rc = gnutls_pubkey_export2(b, GNUTLS_X509_FMT_DER, &db);
    if (rc >= 0 && (da.size != db.size || memcmp(da.data, db.data, da.size))) rc = GNUTLS_E_CERTIFICATE_KEY_MISMATCH;
    gnutls_free(da.data);
    gnutls_free(db.data);
    if (b) gnutls_pubkey_deinit(b);
  }
  if (key.data) {
    gnutls_memset(key.data, 0, key.size);
    gnutls_free(key.data);
  }
  gnutls_free(cert.data);
  if (rc < 0) {
    gh_log(GH_LOG_ERROR, "TLS: cannot use the %s from %s: %s", what, file, gnutls_strerror(rc));
    if (p) pair_free(p);
    return NULL;
  }
  return p;
}

static int on_cert(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
                   const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                   unsigned int *pcert_length, gnutls_privkey_t *privkey) {
  (void)s, (void)req_ca_dn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
  pair *p = atomic_load(&current);
  if (!p) return -1;
  *pcert = p->chain;
  *pcert_length = p->n;
  *privkey = p->key;
  return 0;
}

void *gh_tls_cert_callback(void) { return (void *)on_cert; }

gh_status gh_tls_init(const char *cert_path, const char *key_path) {
  cert_file = strdup(cert_path);
  key_file = strdup(key_path);
  if (!cert_file || !key_file) return GH_ERR_INTERNAL;
  pair *p = load();
  if (!p) return GH_ERR_IO;
  atomic_store(&current, p);
  return GH_OK;
}

gh_status gh_tls_reload(void) {
  if (!cert_file) return GH_OK; /* not serving TLS */
  pthread_mutex_lock(&reload_mu);
  pair *p = load();
  if (p) {
    p->older = atomic_load(&current);
    atomic_store(&current, p);
    gh_log(GH_LOG_INFO, "TLS: certificate reloaded from %s", cert_file);
  } else {
    gh_log(GH_LOG_WARN, "TLS: reload failed; still serving the previous certificate");
  }
  pthread_mutex_unlock(&reload_mu);
  return p ? GH_OK : GH_ERR_IO;
}

void gh_tls_shutdown(void) {
  pair *p = atomic_exchange(&current, NULL);
  while (p) {
    pair *older = p->older;
    pair_free(p);
    p = older;
  }
  free(cert_file);
  free(key_file);
  cert_file = key_file = NULL;
}
