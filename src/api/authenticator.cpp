#include "hub/api/authenticator.hpp"

#include <boost/beast/core/string.hpp>

#include "hub/core/error.hpp"

namespace hub::api {

namespace {
[[noreturn]] void unauthenticated(std::string detail) {
  throw ApiError(ErrorCode::unauthenticated, std::move(detail))
      .with_header("WWW-Authenticate", "Bearer realm=\"hub\"");
}
}  // namespace

std::optional<Principal> Authenticator::identify(const http::Request& request) const {
  auto header = request.header("Authorization");
  std::optional<Principal> by_token;
  if (!header.empty()) {
    if (header.size() < 7 || !boost::beast::iequals(header.substr(0, 7), "Bearer ")) {
      unauthenticated("use Authorization: Bearer <token>");
    }
    auto token = header.substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    by_token = directory_.by_token(token);
    if (!by_token) unauthenticated("the token is unknown, expired or revoked");
  }
  std::optional<Principal> by_cert;
  if (request.peer_cert_sha256) by_cert = directory_.by_certificate(*request.peer_cert_sha256);
  if (by_token && by_cert && by_token->id != by_cert->id) {
    unauthenticated("the client certificate and the token belong to different principals");
  }
  if (by_token) return by_token;
  return by_cert;
}

boost::asio::awaitable<void> Authenticator::admit(http::Request& request,
                                                  const http::Route& route) {
  using Kind = http::Access::Kind;
  const auto& access = route.access;
  if (access.kind() == Kind::anyone) co_return;
  if (access.kind() == Kind::loopback_or_admin && request.remote_is_loopback) co_return;
  if (!directory_.loaded()) throw DbUnavailable("principal directory not loaded yet");

  request.principal = identify(request);
  if (!request.principal) unauthenticated("authentication is required");
  const Principal& p = *request.principal;
  if (access.kind() == Kind::loopback_or_admin && !p.has(Role::hub_admin)) {
    throw ApiError(ErrorCode::forbidden, "only hub_admin may read this from another host");
  }
  if (access.kind() == Kind::roles && !p.has_any(access.role_set())) {
    throw ApiError(ErrorCode::forbidden, "your roles do not allow this operation");
  }
  if (auto wait = limiter_.take(p)) {
    throw ApiError(ErrorCode::rate_limited, "too many requests; slow down")
        .with_header("Retry-After", std::to_string(*wait));
  }
}

}  // namespace hub::api
