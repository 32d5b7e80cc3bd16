#include "hub/core/error.hpp"

namespace hub {

namespace {
struct ErrorInfo {
  std::string_view name;
  unsigned status;
  std::string_view title;
};

constexpr ErrorInfo info(ErrorCode code) {
  switch (code) {
    // API.md fixes the list of codes; a malformed request is a failed validation of the request.
    case ErrorCode::bad_request:
      return {"validation_failed", 400, "Bad request"};
    case ErrorCode::unauthenticated:
      return {"unauthenticated", 401, "Authentication required"};
    case ErrorCode::forbidden:
      return {"forbidden", 403, "Forbidden"};
    case ErrorCode::not_found:
      return {"not_found", 404, "Not found"};
    case ErrorCode::method_not_allowed:
      return {"method_not_allowed", 405, "Method not allowed"};
    case ErrorCode::validation_failed:
      return {"validation_failed", 422, "Validation failed"};
    case ErrorCode::purpose_required:
      return {"purpose_required", 400, "Purpose required"};
    case ErrorCode::no_grant:
      return {"no_grant", 403, "No grant"};
    case ErrorCode::purpose_mismatch:
      return {"purpose_mismatch", 403, "Purpose mismatch"};
    case ErrorCode::budget_exhausted:
      return {"budget_exhausted", 403, "Privacy budget exhausted"};
    case ErrorCode::authorization_required:
      return {"authorization_required", 403, "The data subject's authorisation is required"};
    case ErrorCode::not_shareable:
      return {"not_shareable", 422, "Not shareable"};
    case ErrorCode::conflict:
      return {"conflict", 409, "Conflict"};
    case ErrorCode::payload_too_large:
      return {"payload_too_large", 413, "Payload too large"};
    case ErrorCode::header_too_large:
      return {"payload_too_large", 431, "Request header fields too large"};
    case ErrorCode::rate_limited:
      return {"rate_limited", 429, "Too many requests"};
    case ErrorCode::request_timeout:
      // A body that arrives slower than the hub waits for (imports under their minimum rate).
      return {"request_timeout", 408, "Request timeout"};
    case ErrorCode::not_implemented:
      // A Transfer-Encoding the hub does not read (RFC 9112 §6.1).
      return {"not_implemented", 501, "Not implemented"};
    case ErrorCode::unavailable:
      return {"unavailable", 503, "Service unavailable"};
    case ErrorCode::internal:
      return {"internal", 500, "Internal error"};
    case ErrorCode::upstream_rejected:
      return {"upstream_rejected", 422, "The provider's service rejected the call"};
    case ErrorCode::bad_gateway:
      return {"bad_gateway", 502, "Bad gateway"};
    case ErrorCode::gateway_timeout:
      return {"gateway_timeout", 504, "Gateway timeout"};
  }
  return {"internal", 500, "Internal error"};
}
}  // namespace

std::string_view error_code_name(ErrorCode code) { return info(code).name; }
unsigned error_code_status(ErrorCode code) { return info(code).status; }
std::string_view error_code_title(ErrorCode code) { return info(code).title; }

}  // namespace hub
