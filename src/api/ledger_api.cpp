#include "hub/api/ledger_api.hpp"

#include "hub/api/json_body.hpp"

namespace hub::api {

using boost::asio::awaitable;
using http::Access;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;

void register_ledger_routes(http::Router& router, ledger::LedgerService& service) {
  // Everyone signed in lists entries; the service keeps agencies to their own.
  router.add(Verb::get, "/api/v1/ledger/entries", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               auto out = co_await service.entries(req);
               co_return Response::json(Status::ok, std::move(out));
             });
  router.add(Verb::get, "/api/v1/ledger/checkpoint", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               auto note = co_await service.checkpoint(req);
               co_return Response::text(Status::ok, std::move(note), "text/plain; charset=utf-8");
             });
  router.add(Verb::get, "/api/v1/ledger/public-key", Access::principal(),
             [&service](Request&) -> awaitable<Response> {
               co_return Response::json(Status::ok, json_text(service.public_key()));
             });
  router.add(Verb::get, "/api/v1/ledger/proof/inclusion", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               auto out = co_await service.inclusion(req);
               co_return Response::json(Status::ok, json_text(out));
             });
  router.add(Verb::get, "/api/v1/ledger/proof/consistency", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               auto out = co_await service.consistency(req);
               co_return Response::json(Status::ok, json_text(out));
             });
}

}  // namespace hub::api
