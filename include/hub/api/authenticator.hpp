#pragma once

#include "hub/http/dispatch.hpp"
#include "hub/members/directory.hpp"
#include "hub/members/limits.hpp"

namespace hub::api {

// Authentication and the route-level part of authorization, from memory (no database round
// trip): a bearer token from the Authorization header (never the query string) or a verified
// client certificate bound to a system principal. A certificate and a token of different
// principals are refused together. Then the route's roles, then the principal's rate limit.
class Authenticator : public http::Gatekeeper {
 public:
  Authenticator(const members::Directory& directory, members::RateLimiter& limiter)
      : directory_(directory), limiter_(limiter) {}
  boost::asio::awaitable<void> admit(http::Request& request, const http::Route& route) override;

  // Who the request is from, if anyone (401 for bad credentials, nullopt for none).
  std::optional<Principal> identify(const http::Request& request) const;

 private:
  const members::Directory& directory_;
  members::RateLimiter& limiter_;
};

}  // namespace hub::api
