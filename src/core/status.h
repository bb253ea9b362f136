/* status.h: the one status type of Gatehouse.
 *
 * Every function that can fail returns a gh_status. The main values map
 * one-to-one onto the wire contract's error codes (api.md, "Errors"); the
 * HTTP layer turns a status into an HTTP status and code in one table
 * (gh_status_http(), gh_status_code()). Internal causes that the client must
 * not see (a dropped database connection, a full queue) have their own values
 * but map onto the contract's 500/503. */
#ifndef GH_STATUS_H
#define GH_STATUS_H

typedef enum {
  GH_OK = 0,
  GH_ASYNC,      /* handler suspended itself; it answers later */
  GH_NO_CONTENT, /* 204: success with no body */
  GH_CREATED,    /* 201 */
  /* contract errors */
  GH_ERR_INVALID_REQUEST,     /* 400 invalid_request */
  GH_ERR_UNAUTHORIZED,        /* 401 unauthorized */
  GH_ERR_TOKEN_EXPIRED,       /* 401 token_expired */
  GH_ERR_INVALID_CREDENTIALS, /* 401 invalid_credentials */
  GH_ERR_FORBIDDEN,           /* 403 forbidden */
  GH_ERR_ORG_MISMATCH,        /* 403 org_mismatch */
  GH_ERR_REAUTH_REQUIRED,     /* 403 reauthentication_required */
  GH_ERR_CSRF_FAILED,         /* 403 csrf_failed */
  GH_ERR_HTTPS_REQUIRED,      /* 403 https_required */
  GH_ERR_NOT_FOUND,           /* 404 not_found */
  GH_ERR_METHOD_NOT_ALLOWED,  /* 405 method_not_allowed */
  GH_ERR_CONFLICT,            /* 409 conflict */
  GH_ERR_PAYLOAD_TOO_LARGE,   /* 413 payload_too_large */
  GH_ERR_URI_TOO_LONG,        /* 414 uri_too_long */
  GH_ERR_UNSUPPORTED_MEDIA,   /* 415 unsupported_media_type */
  GH_ERR_RATE_LIMITED,        /* 429 rate_limit_exceeded */
  GH_ERR_HEADERS_TOO_LARGE,   /* 431 headers_too_large */
  GH_ERR_INTERNAL,            /* 500 internal_error */
  GH_ERR_UNAVAILABLE,         /* 503 unavailable */
  /* internal causes (mapped onto the two above) */
  GH_ERR_DB,      /* query failed: 500 */
  GH_ERR_DB_DOWN, /* database unreachable: 503 */
  GH_ERR_BUSY,    /* a bounded queue is full: 503 */
  GH_ERR_NOMEM,   /* allocation failed: 500 */
  GH_ERR_IO,      /* file or system call failed: 500 */
  GH_STATUS_COUNT
} gh_status;

/* HTTP status for s (200 for GH_OK). */
int gh_status_http(gh_status s);
/* The contract's wire code for an error status ("invalid_request", ...);
 * NULL for success values. Static string. */
const char *gh_status_code(gh_status s);
/* A default human message for s. Static string. */
const char *gh_status_message(gh_status s);
/* True for the error values. */
static inline int gh_status_is_error(gh_status s) { return s >= GH_ERR_INVALID_REQUEST; }

#endif
