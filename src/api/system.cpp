#include "hub/api/system.hpp"

#include "hub/core/embedded.hpp"
#include "hub/core/error.hpp"
#include "hub/core/worker.hpp"
#include "hub/http/problem.hpp"
#include "hub/store/migrations.hpp"

namespace hub::api {

namespace {
constexpr pg::Query kReadiness{"system_readiness",
                               "SELECT coalesce(max(version), 0) FROM schema_migrations"};
}

std::string_view openapi_document() {
  for (const auto& [path, content] : embedded::files()) {
    if (path == "schemas/openapi.json") return content;
  }
  return "{}";
}

void register_system_routes(http::Router& router, SystemState& state,
                            std::function<std::string()> render_metrics,
                            std::function<bool()> directory_loaded) {
  using boost::asio::awaitable;
  using http::Access;
  using http::Response;
  using http::Verb;

  router.add(Verb::get, "/healthz", Access::anyone(), [](http::Request&) -> awaitable<Response> {
    co_return Response::json(http::Status::ok, R"({"status":"ok"})");
  });

  router.add(Verb::get, "/readyz", Access::anyone(),
             [&state, directory_loaded](http::Request& req) -> awaitable<Response> {
               if (state.stopping.load()) {
                 co_return http::problem(ErrorCode::unavailable, "the hub is stopping");
               }
               if (!state.migrated.load()) {
                 co_return http::problem(ErrorCode::unavailable,
                                         "the database is not reachable or not migrated yet");
               }
               if (!directory_loaded()) {
                 co_return http::problem(ErrorCode::unavailable,
                                         "the principal directory is not loaded yet");
               }
               // DbUnavailable from here becomes a 503 in dispatch.
               const pg::Params none;
               auto result = co_await req.worker->db().exec(kReadiness, none);
               if (result.get_int(0, 0) < pg::latest_migration_version()) {
                 co_return http::problem(ErrorCode::unavailable,
                                         "the database schema is older than this hub");
               }
               co_return Response::json(http::Status::ok, R"({"status":"ready"})");
             });

  router.add(Verb::get, "/metrics", Access::loopback_or_admin(),
             [render = std::move(render_metrics)](http::Request&) -> awaitable<Response> {
               co_return Response::text(http::Status::ok, render(),
                                        "text/plain; version=0.0.4; charset=utf-8");
             });

  router.add(Verb::get, "/openapi.json", Access::anyone(),
             [](http::Request&) -> awaitable<Response> {
               co_return Response::json(http::Status::ok, std::string(openapi_document()));
             });
}

}  // namespace hub::api
