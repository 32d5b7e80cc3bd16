#include "hub/api/caller.hpp"

#include "hub/core/error.hpp"
#include "hub/http/purpose.hpp"

namespace hub::api {

Caller anonymous_caller_of(const http::Request& request) {
  Caller c;
  c.request_id = request.request_id;
  c.remote_address = request.remote_address;
  c.remote_is_loopback = request.remote_is_loopback;
  c.purpose = http::purpose_of(request);
  if (const auto token = request.header("X-Subject-Authorization"); !token.empty()) {
    c.subject_authorization = std::string(token);
  }
  c.worker = request.worker;
  return c;
}

Caller caller_of(const http::Request& request) {
  if (!request.principal) throw ApiError(ErrorCode::unauthenticated, "authentication is required");
  Caller c = anonymous_caller_of(request);
  c.principal = *request.principal;
  return c;
}

}  // namespace hub::api
