/* status.c: the single status → HTTP status → wire code table. */
#include "core/status.h"

static const struct {
  int http;
  const char *code;
  const char *message;
} table[GH_STATUS_COUNT] = {
    [GH_OK] = {200, 0, "OK"},
    [GH_ASYNC] = {200, 0, "OK"},
    [GH_NO_CONTENT] = {204, 0, "No content"},
    [GH_CREATED] = {201, 0, "Created"},
    [GH_ERR_INVALID_REQUEST] = {400, "invalid_request", "The request is invalid."},
    [GH_ERR_UNAUTHORIZED] = {401, "unauthorized", "Missing or invalid credentials."},
    [GH_ERR_TOKEN_EXPIRED] = {401, "token_expired", "The session token has expired."},
    [GH_ERR_INVALID_CREDENTIALS] = {401, "invalid_credentials", "Invalid email or password."},
    [GH_ERR_FORBIDDEN] = {403, "forbidden", "The credential does not allow this operation."},
    [GH_ERR_ORG_MISMATCH] = {403, "org_mismatch", "The resource belongs to a different organization."},
    [GH_ERR_REAUTH_REQUIRED] = {403, "reauthentication_required", "Re-authenticate to perform this operation."},
    [GH_ERR_CSRF_FAILED] = {403, "csrf_failed", "CSRF check failed."},
    [GH_ERR_HTTPS_REQUIRED] = {403, "https_required", "HTTPS is required."},
    [GH_ERR_NOT_FOUND] = {404, "not_found", "No such resource."},
    [GH_ERR_METHOD_NOT_ALLOWED] = {405, "method_not_allowed", "Method not allowed on this resource."},
    [GH_ERR_CONFLICT] = {409, "conflict", "The request conflicts with the current state."},
    [GH_ERR_PAYLOAD_TOO_LARGE] = {413, "payload_too_large", "The request body is larger than 1 MiB."},
    [GH_ERR_URI_TOO_LONG] = {414, "uri_too_long", "The request line is longer than 8 KiB."},
    [GH_ERR_UNSUPPORTED_MEDIA] = {415, "unsupported_media_type", "The request body must be application/json."},
    [GH_ERR_RATE_LIMITED] = {429, "rate_limit_exceeded", "Too many requests."},
    [GH_ERR_HEADERS_TOO_LARGE] = {431, "headers_too_large", "The request headers are too large."},
    [GH_ERR_INTERNAL] = {500, "internal_error", "Internal error."},
    [GH_ERR_UNAVAILABLE] = {503, "unavailable", "The service is temporarily unavailable."},
    [GH_ERR_DB] = {500, "internal_error", "Internal error."},
    [GH_ERR_DB_DOWN] = {503, "unavailable", "The service is temporarily unavailable."},
    [GH_ERR_BUSY] = {503, "unavailable", "The service is busy; try again shortly."},
    [GH_ERR_NOMEM] = {500, "internal_error", "Internal error."},
    [GH_ERR_IO] = {500, "internal_error", "Internal error."},
};

int gh_status_http(gh_status s) { return (s >= 0 && s < GH_STATUS_COUNT && table[s].http) ? table[s].http : 500; }

const char *gh_status_code(gh_status s) { return (s >= 0 && s < GH_STATUS_COUNT) ? table[s].code : "internal_error"; }

const char *gh_status_message(gh_status s) {
  return (s >= 0 && s < GH_STATUS_COUNT) ? table[s].message : "Internal error.";
}
