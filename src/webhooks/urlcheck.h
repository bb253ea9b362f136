/* urlcheck.h: which webhook URLs and addresses may be reached (SSRF).
 *
 * A webhook URL is an absolute https:// URL (http:// too with
 * GATEHOUSE_DEV=1) without user information, whose host resolves only to
 * public addresses. Non-public: loopback, private (RFC 1918, unique local),
 * carrier-grade NAT, link-local (cloud metadata at 169.254.169.254),
 * unspecified, multicast, broadcast, reserved, documentation and
 * benchmarking ranges, and IPv6 forms that embed or tunnel to IPv4
 * (IPv4-mapped and -compatible, NAT64, 6to4, Teredo) unless the embedded
 * address is public. Development mode allows loopback only (a local
 * receiver), never the rest.
 *
 * The check runs twice: at creation (gh_whurl_check, which resolves the
 * name) and at every connection (the workers classify the address curl is
 * about to connect to, after its own resolution), so a name that
 * re-resolves to a private address later (DNS rebinding) is still refused. */
#ifndef GH_WEBHOOKS_URLCHECK_H
#define GH_WEBHOOKS_URLCHECK_H
#include <stdbool.h>
#include <sys/socket.h>

#include "core/status.h"

typedef enum { GH_ADDR_PUBLIC = 0, GH_ADDR_LOOPBACK, GH_ADDR_NONPUBLIC } gh_addr_class;

gh_addr_class gh_whurl_classify_v4(const unsigned char a[4]);
gh_addr_class gh_whurl_classify_v6(const unsigned char a[16]);
/* AF_INET / AF_INET6 socket address; anything else is non-public. */
gh_addr_class gh_whurl_classify(const struct sockaddr *sa);
/* A textual IPv4 or IPv6 address (tests, logs); not an address: non-public. */
gh_addr_class gh_whurl_classify_text(const char *ip);
/* Whether a connection to an address of class c is allowed. */
bool gh_whurl_allowed(gh_addr_class c, bool dev);

/* Validates url for a new endpoint. With resolve, the host is resolved and
 * every address must be allowed (a name that does not resolve is refused).
 * On refusal returns GH_ERR_INVALID_REQUEST and points *why at a static
 * sentence for the client. */
gh_status gh_whurl_check(const char *url, bool dev, bool resolve, const char **why);

#endif
