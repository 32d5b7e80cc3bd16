#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "hub/core/principal.hpp"
#include "hub/http/message.hpp"

namespace hub::http {

// Who may call a route. Every route must declare one: there is no default, so a route cannot be
// registered open by accident (deny by default). Object-level rules (own agency, provider or
// consumer of a grant) are the service's, on top of this.
class Access {
 public:
  enum class Kind { anyone, loopback_or_admin, principal, roles };

  static Access anyone() { return Access(Kind::anyone, 0); }
  // Anyone calling from the loopback interface; elsewhere a hub_admin (for /metrics).
  static Access loopback_or_admin() { return Access(Kind::loopback_or_admin, 0); }
  // Any authenticated principal.
  static Access principal() { return Access(Kind::principal, 0); }
  // An authenticated principal holding at least one of `roles`.
  static Access roles(std::initializer_list<Role> roles) {
    RoleSet set = 0;
    for (Role r : roles) set |= role_bit(r);
    return Access(Kind::roles, set);
  }

  Kind kind() const { return kind_; }
  RoleSet role_set() const { return roles_; }
  bool needs_principal() const { return kind_ == Kind::principal || kind_ == Kind::roles; }

 private:
  Access(Kind kind, RoleSet roles) : kind_(kind), roles_(roles) {}
  Kind kind_;
  RoleSet roles_;
};

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

struct RouteOptions {
  std::uint64_t body_limit = 0;  // 0: the configured JSON body limit
  bool data_request = false;     // carries X-Purpose (API.md's D routes), recorded in the ledger
  std::string_view operation;    // the ledger operation of a data request (read, query, ...)
  bool stream_body = false;      // the handler reads the body as it arrives (Request::body_reader)
};

struct Route {
  Verb verb;
  std::string pattern;  // "/api/v1/resources/{code}/records/{key}"
  Access access;
  Handler handler;
  RouteOptions options;
  std::vector<std::string> segments;  // pattern split on '/'
};

struct RouteMatch {
  enum class Kind { found, not_found, method_not_allowed } kind = Kind::not_found;
  const Route* route = nullptr;
  std::size_t index = 0;
  std::vector<std::pair<std::string, std::string>> params;
  std::string allow;  // for 405: the methods the path does take
};

// The route table. Data, not code: a list of (method, pattern) → handler. Matching tells an
// unknown path (404) from a known path with the wrong method (405 with Allow).
class Router {
 public:
  void add(Verb verb, std::string pattern, Access access, Handler handler,
           RouteOptions options = {});
  RouteMatch match(Verb verb, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace hub::http
