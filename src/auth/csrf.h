/* csrf.h: cross-site request forgery defences for cookie sessions.
 *
 * Unsafe methods (POST, PUT, PATCH, DELETE) authenticated by the session
 * cookie need the header X-CSRF-Token equal to the session's token (derived
 * from the session id, auth/token.h), and an Origin header — or, without
 * one, Referer — when present must name this server. Requests with an
 * Authorization header never reach these checks: they carry no ambient
 * credential. */
#ifndef GH_CSRF_H
#define GH_CSRF_H
#include "http/request.h"

/* 1 if neither Origin nor Referer is present, or the one that is names
 * this server (scheme and Host of the request). */
int gh_csrf_origin_ok(gh_req *r);
/* The same decision on plain strings (origin, referer and host may be
 * NULL; scheme "http" or "https"): the part that sees attacker bytes, kept
 * pure so the fuzzer reaches it. */
int gh_csrf_origin_matches(const char *origin, const char *referer, const char *scheme, const char *host);
/* For a cookie-authenticated request: GH_OK, or GH_ERR_CSRF_FAILED. */
gh_status gh_csrf_check(gh_req *r);

#endif
