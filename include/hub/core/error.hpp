#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hub {

// The problem codes of API.md. Each maps to one HTTP status and title (see error.cpp).
enum class ErrorCode {
  bad_request,
  unauthenticated,
  forbidden,
  not_found,
  method_not_allowed,
  validation_failed,
  purpose_required,
  no_grant,
  purpose_mismatch,
  budget_exhausted,
  authorization_required,  // 403: an external member's request about a subject, unauthorised
  not_shareable,
  conflict,
  payload_too_large,
  header_too_large,
  rate_limited,
  request_timeout,
  not_implemented,
  unavailable,
  internal,
  // Interface services (API.md Part 2): what the provider's upstream did.
  upstream_rejected,  // 422: the upstream answered 4xx (other than 404)
  bad_gateway,        // 502: 5xx, 3xx, not JSON, too large, broken, refused address
  gateway_timeout,    // 504: no answer within the operation's timeout
};

std::string_view error_code_name(ErrorCode code);
unsigned error_code_status(ErrorCode code);
std::string_view error_code_title(ErrorCode code);

struct FieldError {
  std::string field;
  std::string message;
};

// An expected failure of a request, answered as problem+json. The detail is shown to the client,
// so it must never carry secrets or internal state.
class ApiError : public std::runtime_error {
 public:
  // `status` overrides the code's usual status where API.md gives another one (a malformed filter
  // is a 400 validation_failed, a bad body a 422).
  ApiError(ErrorCode code, std::string detail, std::vector<FieldError> errors = {},
           unsigned status = 0)
      : std::runtime_error(std::move(detail)),
        code_(code),
        errors_(std::move(errors)),
        status_(status != 0 ? status : error_code_status(code)) {}

  ErrorCode code() const { return code_; }
  unsigned status() const { return status_; }
  // Extra response headers (Retry-After of a 429).
  ApiError& with_header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  const std::vector<FieldError>& errors() const { return errors_; }

 private:
  ErrorCode code_;
  std::vector<FieldError> errors_;
  unsigned status_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// A query parameter that is not what the route takes: 400 validation_failed naming it.
[[noreturn]] inline void bad_query_param(const std::string& name, const std::string& message) {
  throw ApiError(ErrorCode::validation_failed, name + ": " + message, {{name, message}}, 400);
}

// The database cannot be reached (down, restarting, pool exhausted, timed out): answered 503.
class DbUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace hub
