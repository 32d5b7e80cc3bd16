#include "hub/api/sharing_api.hpp"

#include "hub/api/json_body.hpp"

namespace hub::api {

namespace {

using boost::asio::awaitable;
using http::Access;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;
using nlohmann::json;

const auto kOfficers = {Role::agency_cdo, Role::agency_data_officer};
const auto kDeciders = {Role::agency_cdo, Role::agency_data_officer, Role::hub_admin};

}  // namespace

void register_sharing_routes(http::Router& router, sharing::SharingService& service) {
  router.add(Verb::post, "/api/v1/applications", Access::roles(kOfficers),
             [&service](Request& req) -> awaitable<Response> {
               const json body = body_object(req);
               auto out = co_await service.apply(req, body);
               co_return Response::json(Status::created, json_text(out));
             });
  router.add(Verb::get, "/api/v1/applications", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               auto out = co_await service.applications(req);
               co_return Response::json(Status::ok, std::move(out));
             });
  router.add(Verb::get, "/api/v1/applications/{id}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               auto out = co_await service.application(req, id);
               co_return Response::json(Status::ok, json_text(out));
             });
  router.add(Verb::post, "/api/v1/applications/{id}/decision", Access::roles(kDeciders),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const json body = body_object(req);
               auto out = co_await service.decide(req, id, body);
               co_return Response::json(Status::ok, json_text(out));
             });
  router.add(Verb::post, "/api/v1/applications/{id}/withdraw", Access::roles(kOfficers),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               auto out = co_await service.withdraw(req, id);
               co_return Response::json(Status::ok, json_text(out));
             });

  router.add(Verb::get, "/api/v1/grants", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               auto out = co_await service.grants(req);
               co_return Response::json(Status::ok, std::move(out));
             });
  router.add(Verb::get, "/api/v1/grants/{id}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               auto out = co_await service.grant(req, id);
               co_return Response::json(Status::ok, json_text(out));
             });
  router.add(Verb::delete_, "/api/v1/grants/{id}", Access::roles(kDeciders),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               co_await service.revoke(req, id);
               Response r;
               r.status = Status::no_content;
               co_return r;
             });

  router.add(Verb::post, "/api/v1/resources/{code}/records/{key}/objections", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const std::optional<std::string> key(req.param("key"));
               const json body = body_object(req);
               auto out = co_await service.object(req, code, key, body);
               co_return Response::json(Status::created, json_text(out));
             });
  // The same for a record named in the body by its key or by the caller's ref (API.md Part 2:
  // a consumer whose grant masks the key has the ref).
  router.add(Verb::post, "/api/v1/resources/{code}/objections", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const std::optional<std::string> key;
               const json body = body_object(req);
               auto out = co_await service.object(req, code, key, body);
               co_return Response::json(Status::created, json_text(out));
             });
  router.add(Verb::post, "/api/v1/objections/{id}/resolution",
             Access::roles({Role::agency_cdo, Role::agency_data_officer, Role::agency_operator}),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const json body = body_object(req);
               auto out = co_await service.resolve(req, id, body);
               co_return Response::json(Status::ok, json_text(out));
             });
  router.add(Verb::get, "/api/v1/objections", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               auto out = co_await service.objections(req);
               co_return Response::json(Status::ok, std::move(out));
             });
  router.add(Verb::get, "/api/v1/objections/{id}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               auto out = co_await service.objection(req, id);
               co_return Response::json(Status::ok, json_text(out));
             });
}

}  // namespace hub::api
