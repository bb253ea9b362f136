/* transport.h: which requests came over HTTPS, and from whom (api.md,
 * "Transport").
 *
 * A request is HTTPS when it arrived over our own TLS, or when its peer is
 * a trusted proxy (GATEHOUSE_TRUSTED_PROXIES) whose X-Forwarded-Proto says
 * https. Plain HTTP is accepted only from a loopback peer (127.0.0.0/8,
 * ::1); anything else gets 403 https_required before its credentials are
 * looked at. X-Forwarded-* from a peer that is not a trusted proxy is
 * ignored, for the client IP too: otherwise any client could choose the
 * address that rate limits, usage and the audit log record.
 *
 * The decision is a pure function of its inputs so that the unit tests and
 * the fuzzer can walk every case. */
#ifndef GH_TRANSPORT_H
#define GH_TRANSPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/status.h"

#define GH_TRANSPORT_MAX_CIDRS 64
#define GH_IP_TEXT_MAX 64

typedef struct {
  int family; /* AF_INET or AF_INET6 */
  unsigned char addr[16];
  int prefix; /* bits */
} gh_cidr;

typedef struct {
  gh_cidr cidr[GH_TRANSPORT_MAX_CIDRS];
  int n;
} gh_cidr_list;

/* Parses "10.0.0.0/8, 192.168.1.7, ::1/128" (comma-separated; an address
 * without "/n" is one host). Host bits under the prefix must be zero (a
 * typo such as 10.0.0.1/8 is refused, not silently widened). NULL or "" is
 * the empty list. Returns GH_OK, or GH_ERR_INVALID_REQUEST with the
 * offending entry named in bad (NUL-terminated, truncated to bad_size). */
gh_status gh_cidr_list_parse(const char *text, gh_cidr_list *out, char *bad, size_t bad_size);

/* True if the address (text form, IPv4 or IPv6) lies in one of the list's
 * ranges. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 ranges. */
bool gh_cidr_list_contains(const gh_cidr_list *l, const char *ip);

/* 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. */
bool gh_transport_is_loopback(const char *ip);

typedef struct {
  const char *peer_ip;         /* the TCP peer, text form */
  bool tls;                    /* arrived over our own TLS */
  const char *forwarded_proto; /* X-Forwarded-Proto or NULL */
  const char *forwarded_for;   /* X-Forwarded-For or NULL */
  const gh_cidr_list *trusted; /* may be NULL: none */
} gh_transport_in;

typedef struct {
  bool https;                     /* came over HTTPS (ours or the proxy's) */
  bool refuse;                    /* 403 https_required */
  bool via_proxy;                 /* the peer is a trusted proxy */
  char client_ip[GH_IP_TEXT_MAX]; /* the client, as far as can be believed */
} gh_transport_out;

/* Decides for one request. Never fails: malformed forwarded headers from a
 * trusted proxy are not believed (the peer stays the client; the request
 * counts as plain HTTP). */
void gh_transport_decide(const gh_transport_in *in, gh_transport_out *out);

#endif
