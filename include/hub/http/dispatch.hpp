#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>

#include "hub/http/purpose.hpp"
#include "hub/http/router.hpp"

namespace hub::http {

// Decides whether a request may reach its route: authenticates it where the route needs a
// principal and checks the route's Access. Throws ApiError (401, 403, 429).
class Gatekeeper {
 public:
  virtual ~Gatekeeper() = default;
  virtual boost::asio::awaitable<void> admit(Request& request, const Route& route) = 0;
};

// The gate of the spine: open routes pass, loopback_or_admin passes loopback callers, and every
// route that needs a principal is refused until authentication is configured.
class LoopbackGatekeeper : public Gatekeeper {
 public:
  boost::asio::awaitable<void> admit(Request& request, const Route& route) override;
};

// The gate, run on the request's header before its body is read (an anonymous client cannot make
// the hub buffer a body). nullopt when admitted, else the problem to answer.
boost::asio::awaitable<std::optional<Response>> admit(const Route& route, Request& request,
                                                      Gatekeeper& gate);

// Runs an admitted route's handler; turns every failure into problem+json (domain errors as
// themselves, an unreachable database as 503, and anything unexpected as a 500 that tells the
// client nothing and the log everything).
boost::asio::awaitable<Response> dispatch(const Route& route, Request& request);

}  // namespace hub::http
