#include "hub/api/ledger_api.hpp"

#include <charconv>

#include "hub/api/caller.hpp"
#include "hub/api/json_body.hpp"
#include "hub/api/pagination.hpp"

namespace hub::api {

using boost::asio::awaitable;
using http::Access;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;

namespace {

std::optional<std::uint64_t> uint_param(const Request& req, const char* name) {
  auto v = req.query_filter(name);
  if (!v) return std::nullopt;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || end != v->data() + v->size() || n > (std::uint64_t{1} << 62)) {
    bad_query_param(name, "must be a non-negative integer");
  }
  return n;
}

}  // namespace

void register_ledger_routes(http::Router& router, ledger::LedgerService& service,
                            const CursorCodec& cursors) {
  // Everyone signed in lists entries; the service keeps agencies to their own.
  router.add(Verb::get, "/api/v1/ledger/entries", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "ledger");
               const ledger::EntryFilter filter{req.query_filter("agency"),
                                                req.query_filter("request_id"),
                                                req.query_filter("resource_code"),
                                                req.query_filter("from"),
                                                req.query_filter("to"),
                                                req.query_filter("subject")};
               auto out = co_await service.entries(caller, filter, page);
               co_return Response::json(Status::ok, list_body(out, cursors, "ledger"));
             });
  router.add(Verb::get, "/api/v1/ledger/checkpoint", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               auto note = co_await service.checkpoint(caller);
               co_return Response::text(Status::ok, std::move(note), "text/plain; charset=utf-8");
             });
  router.add(Verb::get, "/api/v1/ledger/public-key", Access::principal(),
             [&service](Request&) -> awaitable<Response> {
               co_return Response::json(Status::ok, json_text(service.public_key()));
             });
  router.add(Verb::get, "/api/v1/ledger/proof/inclusion", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto index = uint_param(req, "index");
               if (!index) bad_query_param("index", "is required");
               const auto tree_size = uint_param(req, "tree_size");
               auto out = co_await service.inclusion(caller, *index, tree_size);
               co_return Response::json(Status::ok, json_text(out));
             });
  router.add(Verb::get, "/api/v1/ledger/proof/consistency", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto first = uint_param(req, "first");
               const auto second = uint_param(req, "second");
               if (!first) bad_query_param("first", "is required");
               auto out = co_await service.consistency(caller, *first, second);
               co_return Response::json(Status::ok, json_text(out));
             });
}

}  // namespace hub::api
