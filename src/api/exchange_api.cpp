#include "hub/api/exchange_api.hpp"

#include "hub/api/json_body.hpp"

namespace hub::api {

using boost::asio::awaitable;
using http::Access;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;

void register_exchange_routes(http::Router& router, exchange::ExchangeService& service,
                              std::uint64_t import_body_limit) {
  const auto pushers = Access::roles({Role::agency_system, Role::agency_operator});
  router.add(Verb::put, "/api/v1/resources/{code}/records/{key}", pushers,
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const std::string key(req.param("key"));
               nlohmann::json data = body_object(req, true);
               auto w = co_await service.put(req, code, key, std::move(data));
               co_return Response::json(w.created ? Status::created : Status::ok,
                                        json_text({{"key", w.key}, {"version", w.version}}));
             });
  router.add(Verb::delete_, "/api/v1/resources/{code}/records/{key}", pushers,
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const std::string key(req.param("key"));
               co_await service.remove(req, code, key);
               Response r;
               r.status = Status::no_content;
               co_return r;
             });
  router.add(Verb::get, "/api/v1/resources/{code}/records/{key}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const std::string key(req.param("key"));
               auto out = co_await service.read(req, code, key);
               co_return Response::json(Status::ok, std::move(out));
             },
             {.data_request = true, .operation = "read"});
  router.add(Verb::post, "/api/v1/resources/{code}/verify", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const nlohmann::json body = body_object(req, true);
               auto out = co_await service.verify(req, code, body);
               co_return Response::json(Status::ok, std::move(out));
             },
             {.data_request = true, .operation = "verify"});
  router.add(Verb::get, "/api/v1/resources/{code}/records", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               auto out = co_await service.query(req, code);
               co_return Response::json(Status::ok, std::move(out));
             },
             {.data_request = true, .operation = "query"});
  router.add(Verb::get, "/api/v1/resources/{code}/changes", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               auto out = co_await service.changes(req, code);
               co_return Response::json(Status::ok, std::move(out));
             },
             {.data_request = true, .operation = "changes"});
  router.add(Verb::post, "/api/v1/resources/{code}/aggregate", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const nlohmann::json body = body_object(req, true);
               auto out = co_await service.aggregate(req, code, body);
               co_return Response::json(Status::ok, std::move(out));
             },
             {.data_request = true, .operation = "aggregate"});
  router.add(Verb::post, "/api/v1/resources/{code}/imports", pushers,
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               auto out = co_await service.import(req, code);
               co_return Response::json(Status::ok, std::move(out));
             },
             {.body_limit = import_body_limit,
              .data_request = false,
              .operation = {},
              .stream_body = true});
  router.add(Verb::get, "/api/v1/licences", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               auto out = co_await service.licences(req);
               co_return Response::json(Status::ok, std::move(out));
             },
             {.data_request = true, .operation = "licence_lookup"});
}

}  // namespace hub::api
