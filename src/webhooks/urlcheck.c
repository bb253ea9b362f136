/* urlcheck.c: URL rules and the public-address test (see urlcheck.h).
 * URLs are parsed with libcurl's own parser (curl_url), the same one that
 * will later connect, so the host checked is the host used. */
#include "webhooks/urlcheck.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#define URL_MAX 2048

typedef struct {
  unsigned char net[16];
  int bits;
} range;

/* IPv4 ranges that are not the public Internet (IANA special-purpose
 * registry; "globally reachable: false" plus multicast and reserved). */
static const range v4_nonpublic[] = {
    {{0, 0, 0, 0}, 8},       /* "this network" */
    {{10, 0, 0, 0}, 8},      /* private */
    {{100, 64, 0, 0}, 10},   /* carrier-grade NAT */
    {{169, 254, 0, 0}, 16},  /* link-local, cloud metadata */
    {{172, 16, 0, 0}, 12},   /* private */
    {{192, 0, 0, 0}, 24},    /* IETF protocol assignments */
    {{192, 0, 2, 0}, 24},    /* TEST-NET-1 */
    {{192, 88, 99, 0}, 24},  /* 6to4 relay anycast (deprecated) */
    {{192, 168, 0, 0}, 16},  /* private */
    {{198, 18, 0, 0}, 15},   /* benchmarking */
    {{198, 51, 100, 0}, 24}, /* TEST-NET-2 */
    {{203, 0, 113, 0}, 24},  /* TEST-NET-3 */
    {{224, 0, 0, 0}, 4},     /* multicast */
    {{240, 0, 0, 0}, 4},     /* reserved, and 255.255.255.255 broadcast */
};

/* IPv6 ranges that are not the public Internet. The forms that carry an
 * IPv4 address are handled before this table. */
static const range v6_nonpublic[] = {
    {{0}, 96},                                  /* ::/96: unspecified, IPv4-compatible */
    {{0x01, 0x00}, 64},                         /* 100::/64 discard */
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48}, /* 64:ff9b:1::/48 local NAT64 */
    {{0x20, 0x01, 0x00, 0x00}, 32},             /* 2001::/32 Teredo */
    {{0x20, 0x01, 0x00, 0x00}, 23},             /* 2001::/23 IETF protocol assignments */
    {{0x20, 0x01, 0x0d, 0xb8}, 32},             /* documentation */
    {{0x3f, 0xff}, 20},                         /* 3fff::/20 documentation */
    {{0x5f, 0x00}, 16},                         /* 5f00::/16 segment routing */
    {{0xfc, 0x00}, 7},                          /* unique local */
    {{0xfe, 0x80}, 10},                         /* link-local */
    {{0xfe, 0xc0}, 10},                         /* site-local (deprecated) */
    {{0xff, 0x00}, 8},                          /* multicast */
};

static bool in_range(const unsigned char *a, const range *r) {
  int full = r->bits / 8, rest = r->bits % 8;
  if (memcmp(a, r->net, (size_t)full)) return false;
  if (!rest) return true;
  unsigned char mask = (unsigned char)(0xff << (8 - rest));
  return (a[full] & mask) == (r->net[full] & mask);
}

gh_addr_class gh_whurl_classify_v4(const unsigned char a[4]) {
  if (a[0] == 127) return GH_ADDR_LOOPBACK;
  for (size_t i = 0; i < sizeof v4_nonpublic / sizeof *v4_nonpublic; i++)
    if (in_range(a, &v4_nonpublic[i])) return GH_ADDR_NONPUBLIC;
  return GH_ADDR_PUBLIC;
}

gh_addr_class gh_whurl_classify_v6(const unsigned char a[16]) {
  static const unsigned char loopback[16] = {[15] = 1};
  static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
  static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
  if (!memcmp(a, loopback, 16)) return GH_ADDR_LOOPBACK;
  /* ::ffff:a.b.c.d and 64:ff9b::a.b.c.d reach the IPv4 address itself. */
  if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12)) {
    gh_addr_class c = gh_whurl_classify_v4(a + 12);
    return c == GH_ADDR_LOOPBACK && a[1] == 0x64 ? GH_ADDR_NONPUBLIC : c;
  }
  /* 6to4 (2002:a.b.c.d::/48) tunnels to the embedded IPv4 address. */
  if (a[0] == 0x20 && a[1] == 0x02) {
    gh_addr_class c = gh_whurl_classify_v4(a + 2);
    return c == GH_ADDR_PUBLIC ? GH_ADDR_PUBLIC : GH_ADDR_NONPUBLIC;
  }
  for (size_t i = 0; i < sizeof v6_nonpublic / sizeof *v6_nonpublic; i++)
    if (in_range(a, &v6_nonpublic[i])) return GH_ADDR_NONPUBLIC;
  /* Only global unicast (2000::/3) is public. */
  if ((a[0] & 0xe0) != 0x20) return GH_ADDR_NONPUBLIC;
  return GH_ADDR_PUBLIC;
}

gh_addr_class gh_whurl_classify(const struct sockaddr *sa) {
  if (!sa) return GH_ADDR_NONPUBLIC;
  if (sa->sa_family == AF_INET)
    return gh_whurl_classify_v4((const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr);
  if (sa->sa_family == AF_INET6)
    return gh_whurl_classify_v6((const unsigned char *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
  return GH_ADDR_NONPUBLIC;
}

gh_addr_class gh_whurl_classify_text(const char *ip) {
  unsigned char a[16];
  if (ip && inet_pton(AF_INET, ip, a) == 1) return gh_whurl_classify_v4(a);
  if (ip && inet_pton(AF_INET6, ip, a) == 1) return gh_whurl_classify_v6(a);
  return GH_ADDR_NONPUBLIC;
}

bool gh_whurl_allowed(gh_addr_class c, bool dev) { return c == GH_ADDR_PUBLIC || (dev && c == GH_ADDR_LOOPBACK); }

/* Every address host resolves to must be allowed; at least one must exist. */
static gh_status check_host(const char *host, bool dev, bool resolve, const char **why) {
  char h[256];
  size_t n = strlen(host);
  /* curl gives IPv6 literals in brackets. */
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
    if (n - 2 >= sizeof h) return GH_ERR_INVALID_REQUEST;
    memcpy(h, host + 1, n - 2);
    h[n - 2] = '\0';
    char *zone = strchr(h, '%');
    if (zone) {
      *why = "The url must not name an IPv6 zone.";
      return GH_ERR_INVALID_REQUEST;
    }
  } else {
    if (n >= sizeof h || n == 0) return GH_ERR_INVALID_REQUEST;
    memcpy(h, host, n + 1);
  }
  unsigned char a[16];
  bool literal = inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
  if (!literal && !resolve) return GH_OK;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  if (literal) hints.ai_flags = AI_NUMERICHOST;
  if (getaddrinfo(h, NULL, &hints, &res) || !res) {
    *why = "The url's host does not resolve.";
    return GH_ERR_INVALID_REQUEST;
  }
  gh_status s = GH_OK;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
    if (!gh_whurl_allowed(gh_whurl_classify(ai->ai_addr), dev)) s = GH_ERR_INVALID_REQUEST;
  freeaddrinfo(res);
  if (s) *why = "The url's host must resolve only to public addresses.";
  return s;
}

gh_status gh_whurl_check(const char *url, bool dev, bool resolve, const char **why) {
  *why = "The url must be an absolute https:// URL.";
  if (!url || !*url || strlen(url) > URL_MAX) return GH_ERR_INVALID_REQUEST;
  for (const char *p = url; *p; p++)
    if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) return GH_ERR_INVALID_REQUEST;
  CURLU *u = curl_url();
  if (!u) return GH_ERR_NOMEM;
  char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
  gh_status s = GH_ERR_INVALID_REQUEST;
  if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME)) goto out;
  if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) || curl_url_get(u, CURLUPART_HOST, &host, 0)) goto out;
  /* The URL must say its scheme: curl_url_set refuses a relative URL
   * without CURLU_DEFAULT_SCHEME, but check the text too. */
  if (strncasecmp(url, scheme, strlen(scheme)) || strncmp(url + strlen(scheme), "://", 3)) goto out;
  if (strcasecmp(scheme, "https") && !(dev && !strcasecmp(scheme, "http"))) {
    *why = dev ? "The url must be an absolute https:// or http:// URL." : "The url must be an absolute https:// URL.";
    goto out;
  }
  if (!curl_url_get(u, CURLUPART_USER, &user, 0) || !curl_url_get(u, CURLUPART_PASSWORD, &password, 0)) {
    *why = "The url must not contain user information.";
    goto out;
  }
  s = check_host(host, dev, resolve, why);
out:
  curl_free(scheme);
  curl_free(host);
  curl_free(user);
  curl_free(password);
  curl_url_cleanup(u);
  return s;
}
