/* tls.h: serving HTTPS ourselves (GATEHOUSE_TLS_CERT / GATEHOUSE_TLS_KEY)
 * through libmicrohttpd's GnuTLS support.
 *
 * libmicrohttpd asks for the certificate at each handshake through a
 * callback (MHD_OPTION_HTTPS_CERT_CALLBACK) instead of holding a copy, so
 * that SIGHUP can load a renewed certificate without restarting the
 * daemon: connections already open keep the certificate they started with,
 * new handshakes get the new one. A reload that fails (unreadable file,
 * key not matching) keeps the old certificate and says so in the log.
 *
 * Protocols: TLS 1.2 and 1.3 only; AEAD ciphers with forward secrecy
 * (GH_TLS_PRIORITIES). X25519 is the first group: it is the key share
 * clients send first, and preferring P-256 made GnuTLS answer most TLS 1.3
 * handshakes with a HelloRetryRequest (an extra round trip and key). */
#ifndef GH_TLS_H
#define GH_TLS_H
#include "core/status.h"

#define GH_TLS_PRIORITIES                                                                                              \
  "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"               \
  "-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:"         \
  "%SERVER_PRECEDENCE"

/* Loads the PEM certificate chain and key. Call once before the server
 * starts; GH_ERR_IO (logged) if they cannot be used. */
gh_status gh_tls_init(const char *cert_path, const char *key_path);
/* Loads the files again (SIGHUP). GH_OK if the new pair is in use. */
gh_status gh_tls_reload(void);
/* The callback to hand libmicrohttpd (a gnutls_certificate_retrieve_function2). */
void *gh_tls_cert_callback(void);
/* Frees every pair ever loaded (after the server stopped). */
void gh_tls_shutdown(void);

#endif
