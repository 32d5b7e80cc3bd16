#include "hub/api/sharing_api.hpp"

#include "hub/api/caller.hpp"
#include "hub/api/json_body.hpp"
#include "hub/api/pagination.hpp"
#include "hub/core/text.hpp"

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

json application_json(const sharing::Application& a) {
  return {{"id", a.id},
          {"status", a.status},
          {"due_at", nullable(a.due_at)},
          {"grant_id", nullable(a.grant_id)},
          {"consumer_code", a.consumer_code},
          {"provider_code", a.provider_code},
          {"resource_code", a.resource_code},
          {"items", a.items},
          {"clear_items", a.clear_items},
          {"operations", a.operations},
          {"purpose", a.purpose},
          {"legal_basis", nullable(a.legal_basis)},
          {"valid_until", a.valid_until},
          {"created_at", a.created_at},
          {"created_by", a.created_by},
          {"decided_at", nullable(a.decided_at)},
          {"decided_by", nullable(a.decided_by)},
          {"opinion", nullable(a.opinion)},
          {"overdue", a.overdue},
          {"resource_version", a.resource_version},
          {"withdrawn_at", nullable(a.withdrawn_at)},
          {"withdrawn_by", nullable(a.withdrawn_by)},
          {"purpose_codes", a.purpose_codes},
          {"renews_grant_id", nullable(a.renews_grant_id)},
          {"renewal_reason", nullable(a.renewal_reason)}};
}

json grant_json(const sharing::GrantRecord& g) {
  return {{"id", g.id},
          {"resource_code", g.resource_code},
          {"provider_code", g.provider_code},
          {"consumer_code", g.consumer_code},
          {"items", g.items},
          {"clear_items", g.clear_items},
          {"operations", g.operations},
          {"purpose", g.purpose},
          {"valid_until", g.valid_until},
          {"status", g.status},
          {"application_id", g.application_id},
          {"legal_basis", nullable(g.legal_basis)},
          {"created_at", g.created_at},
          {"revoked_at", nullable(g.revoked_at)},
          {"resource_changes", g.resource_changes},
          {"purpose_codes", g.purpose_codes},
          {"ended_at", nullable(g.ended_at)},
          {"revoked_reason", nullable(g.revoked_reason)},
          {"renewal_application_id", nullable(g.renewal_application_id)},
          {"privacy", g.privacy}};
}

// `key` and `ref` are members only when the viewer may see them.
json objection_json(const sharing::Objection& o) {
  json out = {{"id", o.id},
              {"status", o.status},
              {"due_at", o.due_at},
              {"resource_code", o.resource_code},
              {"provider_code", o.provider_code},
              {"consumer_code", o.consumer_code},
              {"items", o.items},
              {"description", o.description},
              {"outcome", nullable(o.outcome)},
              {"note", nullable(o.note)},
              {"created_at", o.created_at},
              {"created_by", o.created_by},
              {"resolved_at", nullable(o.resolved_at)},
              {"resolved_by", nullable(o.resolved_by)},
              {"overdue", o.overdue},
              {"grant_id", o.grant_id}};
  if (o.key) out["key"] = *o.key;
  if (o.ref) out["ref"] = *o.ref;
  return out;
}

sharing::ApplicationRequest application_of(const json& raw) {
  JsonBody body{json(raw)};
  auto resource_code = body.string("resource_code", true, 40);
  auto items = body.strings("items", true, 500, 63);
  auto clear = body.strings("clear_items", false, 500, 63);
  // Dataset operations, or an interface service's operation ids (at most 100, each up to 63
  // characters: docs/catalog.md).
  auto operations = body.strings("operations", true, 100, 63);
  auto purpose = body.string("purpose", true, 500);
  // The purposes the grant is for (政务服务事项编码, scenario codes): each data request under it
  // names one (X-Purpose-Code).
  auto purpose_codes = body.strings("purpose_codes", false, 50, 64);
  if (purpose_codes) {
    for (std::size_t i = 0; i < purpose_codes->size(); ++i) {
      if (!is_token_chars((*purpose_codes)[i], 64)) {
        body.error("purpose_codes[" + std::to_string(i) + "]", "is 1 to 64 of [A-Za-z0-9._-]");
      }
    }
  }
  auto legal = body.string("legal_basis", false, 1000);
  if (legal && legal->empty()) legal.reset();
  auto until = body.string("valid_until", true, 40);
  body.finish();  // shape first: unknown fields, types
  return {*resource_code, *items,   clear.value_or(std::vector<std::string>{}),
          *operations,    *purpose, purpose_codes.value_or(std::vector<std::string>{}),
          legal,          *until};
}

sharing::DecisionRequest decision_of(const json& raw) {
  JsonBody body{json(raw)};
  auto decision = body.string("decision", true, 10);
  auto opinion = body.string("opinion", false, 2000);
  auto items = body.strings("items", false, 500, 63);
  auto operations = body.strings("operations", false, 100, 63);
  if (decision && *decision != "approve" && *decision != "reject") {
    body.error("decision", "must be approve or reject");
  }
  if (decision && *decision == "reject" && (!opinion || opinion->empty())) {
    body.error("opinion", "a rejection needs an opinion (the reasons)");
  }
  body.finish();
  return {*decision == "approve", opinion, items, operations};
}

// POST /grants/{id}/revocation: why (required, shown to the consumer).
std::string revocation_reason_of(const json& raw) {
  JsonBody body{json(raw)};
  auto reason = body.string("reason", true, 1000);
  if (reason && reason->empty()) body.error("reason", "must say why the grant is revoked");
  body.finish();
  return *reason;
}

sharing::RenewalRequest renewal_of(const json& raw) {
  JsonBody body{json(raw)};
  auto until = body.string("valid_until", true, 40);
  auto reason = body.string("reason", true, 1000);
  body.finish();
  return {*until, *reason};
}

json renewal_json(const sharing::Renewal& r) {
  json out = {{"status", r.status}, {"grant_id", r.grant.id}, {"grant", grant_json(r.grant)}};
  if (r.application) {
    out["application_id"] = r.application->id;
    out["due_at"] = nullable(r.application->due_at);
    out["application"] = application_json(*r.application);
  }
  return out;
}

// The record is named by `path_key`, or when there is none by `key` or `ref` in the body.
sharing::ObjectionRequest objection_of(const json& raw,
                                       const std::optional<std::string>& path_key) {
  JsonBody body{json(raw)};
  sharing::ObjectionRequest r;
  r.key = path_key;
  if (!path_key) {
    r.key = body.string("key", false, 512);
    r.ref = body.string("ref", false, 2048);
    if (r.key.has_value() == r.ref.has_value()) {
      body.error("key", "name the record by key or by ref");
    }
  }
  auto items = body.strings("items", true, 500, 63);
  auto description = body.string("description", true, 2000);
  if (items && items->empty()) body.error("items", "must name at least one item");
  body.finish();
  r.items = *items;
  r.description = *description;
  return r;
}

sharing::ResolutionRequest resolution_of(const json& raw) {
  JsonBody body{json(raw)};
  auto outcome = body.string("outcome", true, 20);
  auto note = body.string("note", true, 2000);
  if (outcome && *outcome != "corrected" && *outcome != "rejected") {
    body.error("outcome", "must be corrected or rejected");
  }
  body.finish();
  return {*outcome == "corrected", *note};
}

// A list's status filter: the values the list knows, or a 400.
std::optional<std::string> status_filter(const Request& req,
                                         std::initializer_list<const char*> allowed) {
  auto v = req.query_param("status");
  if (!v || v->empty()) return std::nullopt;
  for (const char* a : allowed) {
    if (*v == a) return v;
  }
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  throw ApiError(ErrorCode::validation_failed, "status must be one of " + list,
                 {{"status", "must be one of " + list}}, 400);
}

// The application and objection lists' filters: incoming (as provider) or outgoing (as consumer),
// default both; `agency` for hub-level callers.
sharing::WorkflowFilter workflow_filter(const Request& req,
                                        std::initializer_list<const char*> statuses) {
  sharing::WorkflowFilter f;
  f.direction = req.query_param("direction");
  if (f.direction && *f.direction != "incoming" && *f.direction != "outgoing") {
    throw ApiError(ErrorCode::validation_failed, "direction is incoming or outgoing",
                   {{"direction", "must be incoming or outgoing"}}, 400);
  }
  f.agency = req.query_param("agency");
  f.status = status_filter(req, statuses);
  return f;
}

}  // namespace

void register_sharing_routes(http::Router& router, sharing::SharingService& service,
                             const CursorCodec& cursors) {
  router.add(Verb::post, "/api/v1/applications", Access::roles(kOfficers),
             [&service](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto application = application_of(body_object(req));
               auto out = co_await service.apply(caller, application);
               co_return Response::json(Status::created, json_text(application_json(out)));
             });
  router.add(Verb::get, "/api/v1/applications", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "applications");
               auto filter = workflow_filter(
                   req, {"pending", "approved", "rejected", "withdrawn", "overdue"});
               filter.resource_code = req.query_filter("resource_code");
               auto out = co_await service.applications(caller, filter, page);
               co_return Response::json(Status::ok,
                                        list_body(out, application_json, cursors, "applications"));
             });
  router.add(Verb::get, "/api/v1/applications/{id}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               auto out = co_await service.application(caller, id);
               co_return Response::json(Status::ok, json_text(application_json(out)));
             });
  router.add(Verb::post, "/api/v1/applications/{id}/decision", Access::roles(kDeciders),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               const auto decision = decision_of(body_object(req));
               auto out = co_await service.decide(caller, id, decision);
               co_return Response::json(Status::ok, json_text(application_json(out)));
             });
  router.add(Verb::post, "/api/v1/applications/{id}/withdraw", Access::roles(kOfficers),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               auto out = co_await service.withdraw(caller, id);
               co_return Response::json(Status::ok, json_text(application_json(out)));
             });

  router.add(Verb::get, "/api/v1/grants", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "grants");
               const sharing::GrantFilter filter{req.query_filter("resource_code"),
                                                 req.query_filter("consumer"),
                                                 req.query_filter("provider")};
               auto out = co_await service.grants(caller, filter, page);
               co_return Response::json(Status::ok, list_body(out, grant_json, cursors, "grants"));
             });
  router.add(Verb::get, "/api/v1/grants/{id}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               auto out = co_await service.grant(caller, id);
               co_return Response::json(Status::ok, json_text(grant_json(out)));
             });
  router.add(Verb::delete_, "/api/v1/grants/{id}", Access::roles(kDeciders),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               co_await service.revoke(caller, id, std::nullopt);
               Response r;
               r.status = Status::no_content;
               co_return r;
             });
  // The same with a reason, which the consumer is shown (API.md Part 2).
  router.add(Verb::post, "/api/v1/grants/{id}/revocation", Access::roles(kDeciders),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               const std::optional<std::string> reason = revocation_reason_of(body_object(req));
               co_await service.revoke(caller, id, reason);
               co_return Response::json(Status::ok, json_text(json{{"status", "revoked"}}));
             });
  router.add(Verb::post, "/api/v1/grants/{id}/renewal", Access::roles(kOfficers),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               const auto renewal = renewal_of(body_object(req));
               auto out = co_await service.renew(caller, id, renewal);
               co_return Response::json(Status::ok, json_text(renewal_json(out)));
             });

  router.add(Verb::post, "/api/v1/resources/{code}/records/{key}/objections", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const std::optional<std::string> key(req.param("key"));
               const Caller caller = caller_of(req);
               const auto objection = objection_of(body_object(req), key);
               auto out = co_await service.object(caller, code, objection);
               co_return Response::json(Status::created, json_text(objection_json(out)));
             });
  // The same for a record named in the body by its key or by the caller's ref (API.md Part 2:
  // a consumer whose grant masks the key has the ref).
  router.add(Verb::post, "/api/v1/resources/{code}/objections", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const std::optional<std::string> key;
               const Caller caller = caller_of(req);
               const auto objection = objection_of(body_object(req), key);
               auto out = co_await service.object(caller, code, objection);
               co_return Response::json(Status::created, json_text(objection_json(out)));
             });
  router.add(Verb::post, "/api/v1/objections/{id}/resolution",
             Access::roles({Role::agency_cdo, Role::agency_data_officer, Role::agency_operator}),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               const auto resolution = resolution_of(body_object(req));
               auto out = co_await service.resolve(caller, id, resolution);
               co_return Response::json(Status::ok, json_text(objection_json(out)));
             });
  router.add(Verb::get, "/api/v1/objections", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "objections");
               const auto filter = workflow_filter(req, {"open", "resolved", "overdue"});
               auto out = co_await service.objections(caller, filter, page);
               co_return Response::json(Status::ok,
                                        list_body(out, objection_json, cursors, "objections"));
             });
  router.add(Verb::get, "/api/v1/objections/{id}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               auto out = co_await service.objection(caller, id);
               co_return Response::json(Status::ok, json_text(objection_json(out)));
             });
}

}  // namespace hub::api
