#include "hub/http/dispatch.hpp"

#include <spdlog/spdlog.h>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/http/problem.hpp"
#include "hub/store/pg.hpp"

namespace hub::http {

boost::asio::awaitable<void> LoopbackGatekeeper::admit(Request& request, const Route& route) {
  switch (route.access.kind()) {
    case Access::Kind::anyone:
      co_return;
    case Access::Kind::loopback_or_admin:
      if (request.remote_is_loopback) co_return;
      break;
    case Access::Kind::principal:
    case Access::Kind::roles:
      break;
  }
  throw ApiError(ErrorCode::unauthenticated, "authentication is required");
}

boost::asio::awaitable<std::optional<Response>> admit(const Route& route, Request& request,
                                                      Gatekeeper& gate) {
  try {
    co_await gate.admit(request, route);
    co_return std::nullopt;
  } catch (const ApiError& e) {
    co_return problem(e);
  } catch (const DbUnavailable& e) {
    co_return problem(ErrorCode::unavailable, "the hub is not ready; retry later");
  } catch (const std::exception& e) {
    spdlog::error("request {}: {}", request.request_id, e.what());
  }
  co_return problem(ErrorCode::internal, "internal error; quote the request id to the operators");
}

boost::asio::awaitable<Response> dispatch(const Route& route, Request& request) {
  try {
    co_return co_await route.handler(request);
  } catch (const ApiError& e) {
    co_return problem(e);
  } catch (const DbUnavailable& e) {
    spdlog::warn("request {}: database unavailable: {}", request.request_id, e.what());
    co_return problem(ErrorCode::unavailable, "the database is unavailable; retry later");
  } catch (const pg::PgError& e) {
    if (e.sqlstate() == "57014") {
      // A statement the hub bounds on the server (statement_timeout) ran out of time.
      spdlog::warn("request {}: {} (57014): answered 503", request.request_id, e.what());
      co_return problem(ApiError(ErrorCode::unavailable,
                                 "the database did not finish this in time; nothing of it was "
                                 "stored; retry later")
                            .with_header("Retry-After", "10"));
    }
    if (e.sqlstate() == "40001" || e.sqlstate() == "40P01") {
      // Concurrent writers met (two writers of one unique value, a deadlock between two
      // imports): the statement was rolled back, and trying again settles it.
      spdlog::warn("request {}: {} ({}): answered 503", request.request_id, e.what(), e.sqlstate());
      co_return problem(ApiError(ErrorCode::unavailable,
                                 "a concurrent write to the same records stopped this "
                                 "one; retry")
                            .with_header("Retry-After", "1"));
    }
    spdlog::error("request {}: database error {}: {}", request.request_id, e.sqlstate(), e.what());
  } catch (const std::exception& e) {
    spdlog::error("request {}: {}", request.request_id, e.what());
  }
  co_return problem(ErrorCode::internal, "internal error; quote the request id to the operators");
}

}  // namespace hub::http
