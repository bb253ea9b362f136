/* transport.c: see transport.h. */
#include "http/transport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"

/* Text → 16 bytes (IPv4 as ::ffff:a.b.c.d, so one comparison serves both);
 * returns the family it was written in, or 0. */
static int to16(const char *ip, unsigned char out[16]) {
  struct in_addr v4;
  if (inet_pton(AF_INET, ip, &v4) == 1) {
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &v4, 4);
    return AF_INET;
  }
  if (inet_pton(AF_INET6, ip, out) == 1) return AF_INET6;
  return 0;
}

static bool in_range(const unsigned char a[16], const unsigned char net[16], int bits) {
  int whole = bits / 8, rest = bits % 8;
  if (memcmp(a, net, (size_t)whole)) return false;
  if (!rest) return true;
  unsigned char mask = (unsigned char)(0xff << (8 - rest));
  return (a[whole] & mask) == (net[whole] & mask);
}

static void trim(char *s) {
  size_t n = strlen(s), i = 0;
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = '\0';
  while (s[i] && isspace((unsigned char)s[i]))
    i++;
  memmove(s, s + i, n - i + 1);
}

/* One entry; the text is modified. */
static bool parse_one(char *item, gh_cidr *c) {
  char *slash = strchr(item, '/');
  long bits = -1;
  if (slash) {
    *slash = '\0';
    char *end;
    if (!isdigit((unsigned char)slash[1])) return false;
    bits = strtol(slash + 1, &end, 10);
    if (*end || bits < 0) return false;
  }
  int fam = to16(item, c->addr);
  if (!fam) return false;
  int max = fam == AF_INET ? 32 : 128;
  if (bits < 0) bits = max;
  if (bits > max) return false;
  c->family = fam;
  c->prefix = (int)bits + (fam == AF_INET ? 96 : 0); /* within the 16-byte form */
  /* Host bits must be zero. */
  for (int i = c->prefix; i < 128; i++)
    if (c->addr[i / 8] & (0x80 >> (i % 8))) return false;
  return true;
}

gh_status gh_cidr_list_parse(const char *text, gh_cidr_list *out, char *bad, size_t bad_size) {
  memset(out, 0, sizeof *out);
  if (bad_size) bad[0] = '\0';
  if (!text) return GH_OK;
  char *copy = strdup(text), *save = NULL;
  if (!copy) return GH_ERR_INTERNAL;
  gh_status s = GH_OK;
  for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    trim(item);
    if (!*item) continue;
    char shown[80];
    gh_buf_copy(shown, sizeof shown, item);
    if (out->n == GH_TRANSPORT_MAX_CIDRS || !parse_one(item, &out->cidr[out->n])) {
      if (bad_size) gh_buf_copy(bad, bad_size, shown);
      s = GH_ERR_INVALID_REQUEST;
      break;
    }
    out->n++;
  }
  free(copy);
  return s;
}

bool gh_cidr_list_contains(const gh_cidr_list *l, const char *ip) {
  unsigned char a[16];
  if (!l || !ip || !to16(ip, a)) return false;
  for (int i = 0; i < l->n; i++)
    if (in_range(a, l->cidr[i].addr, l->cidr[i].prefix)) return true;
  return false;
}

bool gh_transport_is_loopback(const char *ip) {
  static const unsigned char v6one[16] = {[15] = 1};
  unsigned char a[16];
  if (!ip || !to16(ip, a)) return false;
  if (!memcmp(a, v6one, 16)) return true;
  /* IPv4 (and IPv4-mapped) 127.0.0.0/8: ::ffff:127.0.0.0/104. */
  static const unsigned char v4lo[16] = {[10] = 0xff, [11] = 0xff, [12] = 127};
  return in_range(a, v4lo, 104);
}

/* The last comma-separated element of a header value, trimmed, into out;
 * false if there is none or it does not fit. Proxies append to these
 * headers, so the last element is what the proxy next to us saw. */
static bool last_element(const char *v, char *out, size_t size) {
  const char *start = strrchr(v, ',');
  start = start ? start + 1 : v;
  while (*start == ' ' || *start == '\t')
    start++;
  size_t n = strlen(start);
  while (n && (start[n - 1] == ' ' || start[n - 1] == '\t'))
    n--;
  if (!n || n >= size) return false;
  memcpy(out, start, n);
  out[n] = '\0';
  return true;
}

/* The client in X-Forwarded-For: walking from the right (the entries our
 * own proxies appended), the first address that is not a trusted proxy.
 * Entries left of it were written by the client and prove nothing. */
static bool forwarded_client(const char *xff, const gh_cidr_list *trusted, char *out, size_t size) {
  size_t len = strlen(xff);
  if (len > 4096) return false;
  char *copy = strdup(xff);
  if (!copy) return false;
  bool found = false;
  for (;;) {
    char item[GH_IP_TEXT_MAX];
    if (!last_element(copy, item, sizeof item)) break;
    unsigned char a[16];
    if (!to16(item, a)) break; /* junk (or "unknown"): stop believing */
    gh_buf_copy(out, size, item);
    found = true;
    if (!gh_cidr_list_contains(trusted, item)) break;
    char *comma = strrchr(copy, ',');
    if (!comma) break;
    *comma = '\0';
  }
  free(copy);
  return found;
}

void gh_transport_decide(const gh_transport_in *in, gh_transport_out *out) {
  memset(out, 0, sizeof *out);
  gh_buf_copy(out->client_ip, sizeof out->client_ip, in->peer_ip ? in->peer_ip : "unknown");
  out->https = in->tls;
  out->via_proxy = in->trusted && in->peer_ip && gh_cidr_list_contains(in->trusted, in->peer_ip);
  if (out->via_proxy) {
    char proto[16];
    if (!in->tls && in->forwarded_proto && last_element(in->forwarded_proto, proto, sizeof proto))
      out->https = !strcasecmp(proto, "https");
    char client[GH_IP_TEXT_MAX];
    if (in->forwarded_for && forwarded_client(in->forwarded_for, in->trusted, client, sizeof client))
      gh_buf_copy(out->client_ip, sizeof out->client_ip, client);
  }
  out->refuse = !out->https && !gh_transport_is_loopback(in->peer_ip);
}
