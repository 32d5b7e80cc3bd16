#include "hub/api/compute_api.hpp"

#include "hub/api/caller.hpp"
#include "hub/api/json_body.hpp"
#include "hub/api/recorded_answer.hpp"
#include "hub/core/json.hpp"
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

json computation_json(const compute::Computation& c) {
  json inputs = json::array();
  for (const auto& i : c.inputs) {
    inputs.push_back({{"name", i.name},
                      {"resource_code", i.resource_code},
                      {"provider_code", i.provider_code},
                      {"items", i.items}});
  }
  json outputs = json::array();
  for (const auto& o : c.outputs) {
    outputs.push_back({{"name", o.name}, {"type", o.type}, {"title", o.title}});
  }
  json dependence = json::object();
  for (const auto& [name, items] : c.dependence) {
    dependence[name] = std::vector<std::string>(items.begin(), items.end());
  }
  json reviews = json::array();
  for (const auto& r : c.reviews) {
    reviews.push_back({{"provider_code", r.provider_code},
                       {"decision", r.decision},
                       {"opinion", nullable(r.opinion)},
                       {"decided_by", nullable(r.decided_by)},
                       {"decided_at", nullable(r.decided_at)}});
  }
  return {{"code", c.code},
          {"version", c.version},
          {"name", c.name},
          {"description", c.description},
          {"subject", c.subject},
          {"owner_code", c.owner_code},
          {"status", c.status},
          {"inputs", std::move(inputs)},
          {"outputs", std::move(outputs)},
          {"program", c.program},
          {"dependence", std::move(dependence)},
          {"reviews", std::move(reviews)},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at},
          {"created_by", nullable(c.created_by)},
          {"activated_at", nullable(c.activated_at)}};
}

json authorization_json(const sharing::SubjectAuthorization& a) {
  json out = {{"id", a.id},
              {"recorder_code", a.recorder_code},
              {"recorded_by", a.recorded_by},
              {"recipient_code", a.recipient_code},
              {"purpose", a.purpose},
              {"resource_codes", a.resource_codes},
              {"computation_codes", a.computation_codes},
              {"valid_until", a.valid_until},
              {"created_at", a.created_at},
              {"revoked_at", nullable(a.revoked_at)},
              {"status", a.status}};
  if (a.token) out["token"] = *a.token;
  return out;
}

// The body of POST and PUT /computations: the shape; the rules that need the catalog are the
// domain's.
compute::ComputationRequest computation_request(const Request& req) {
  JsonBody body(req);
  compute::ComputationRequest r;
  auto name = body.line("name", true, 200);
  auto description = body.string("description", false, 4000);
  auto subject = body.string("subject", true, 20);
  auto program = body.string("program", true, 16 * 1024);
  r.owner_code = body.string("owner_code", false, 18);
  auto list = [&body](const char* field, std::size_t max) -> const json* {
    const json* v = body.raw(field);
    if (!v) {
      body.error(field, "is required");
      return nullptr;
    }
    if (!v->is_array() || v->empty() || v->size() > max) {
      body.error(field, "must be an array of 1 to " + std::to_string(max) + " objects");
      return nullptr;
    }
    return v;
  };
  auto text = [](const json& o, const char* field, std::size_t max) -> std::optional<std::string> {
    auto it = o.find(field);
    if (it == o.end() || !it->is_string() || it->get<std::string>().size() > max) {
      return std::nullopt;
    }
    return it->get<std::string>();
  };
  if (const json* inputs = list("inputs", 8)) {
    for (std::size_t i = 0; i < inputs->size(); ++i) {
      const json& in = (*inputs)[i];
      const std::string at = "inputs[" + std::to_string(i) + "]";
      compute::InputSpec spec;
      auto n = in.is_object() ? text(in, "name", 64) : std::nullopt;
      auto code = in.is_object() ? text(in, "resource_code", 64) : std::nullopt;
      const auto items = in.is_object() ? in.find("items") : in.end();
      bool items_ok = in.is_object() && items != in.end() && items->is_array() && !items->empty() &&
                      items->size() <= 32;
      if (items_ok) {
        for (const auto& item : *items) {
          if (!item.is_string() || item.get<std::string>().size() > 64) {
            items_ok = false;
            break;
          }
          spec.items.push_back(item.get<std::string>());
        }
      }
      if (!n || !code || !items_ok || in.size() != 3) {
        body.error(at, "is {name, resource_code, items: [1 to 32 item names]}");
        continue;
      }
      spec.name = *n;
      spec.resource_code = *code;
      r.inputs.push_back(std::move(spec));
    }
  }
  if (const json* outputs = list("outputs", 64)) {
    for (std::size_t i = 0; i < outputs->size(); ++i) {
      const json& out = (*outputs)[i];
      const std::string at = "outputs[" + std::to_string(i) + "]";
      auto n = out.is_object() ? text(out, "name", 64) : std::nullopt;
      auto type = out.is_object() ? text(out, "type", 16) : std::nullopt;
      auto title = out.is_object() ? text(out, "title", 300) : std::nullopt;
      if (!n || !type || !title || out.size() != 3) {
        body.error(at, "is {name, type, title}");
        continue;
      }
      r.outputs.push_back({*n, *type, *title});
    }
  }
  body.finish();
  r.name = *name;
  r.description = description.value_or("");
  r.subject = *subject;
  r.program = *program;
  return r;
}

// Renders a run's answer ({"outputs": {...}}) into the body it will send, and tells the domain
// its SHA-256 for the ledger entries.
class JsonRunSink final : public exchange::ShareSink, public RecordedAnswer {
 public:
  std::string deliver(const exchange::ShareAnswer& answer) override {
    std::string& out = begin();
    json outputs = json::object();
    if (const auto* r = std::get_if<exchange::ComputeResult>(&answer)) {
      for (const auto& [name, value] : r->outputs) outputs[name] = value;
    }
    write_json(out, json{{"outputs", std::move(outputs)}});
    return digest();
  }
  std::string refuse(const ApiError& error) override { return RecordedAnswer::refuse(error); }
  void recorded(std::int64_t index) override { RecordedAnswer::recorded(index); }
};

}  // namespace

void register_compute_routes(http::Router& router, compute::ComputeService& service,
                             sharing::ConsentService& consents, exchange::ExchangeService& exchange,
                             const CursorCodec& cursors) {
  router.add(Verb::post, "/api/v1/computations", Access::roles({Role::hub_admin, Role::agency_cdo}),
             [&service](Request& req) -> awaitable<Response> {
               const compute::ComputationRequest r = computation_request(req);
               const Caller caller = caller_of(req);
               auto out = co_await service.create(caller, r);
               co_return Response::json(Status::created, json_text(computation_json(out)));
             });
  router.add(Verb::get, "/api/v1/computations", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "computations");
               const auto status = req.query_choice("status", {"review", "active", "rejected"});
               auto out = co_await service.list(caller, status, page);
               co_return Response::json(Status::ok,
                                        list_body(out, computation_json, cursors, "computations"));
             });
  router.add(Verb::get, "/api/v1/computations/{code}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const Caller caller = caller_of(req);
               auto out = co_await service.get(caller, code);
               co_return Response::json(Status::ok, json_text(computation_json(out)));
             });
  router.add(Verb::put, "/api/v1/computations/{code}",
             Access::roles({Role::hub_admin, Role::agency_cdo}),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const compute::ComputationRequest r = computation_request(req);
               const Caller caller = caller_of(req);
               auto out = co_await service.revise(caller, code, r);
               co_return Response::json(Status::ok, json_text(computation_json(out)));
             });
  router.add(Verb::post, "/api/v1/computations/{code}/approval",
             Access::roles({Role::agency_cdo, Role::agency_data_officer}),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               JsonBody body(req);
               auto approve = body.boolean("approve", true);
               auto opinion = body.string("opinion", false, 2000);
               body.finish();
               const Caller caller = caller_of(req);
               auto out = co_await service.review(caller, code, *approve, opinion);
               co_return Response::json(Status::ok, json_text(computation_json(out)));
             });
  router.add(Verb::post, "/api/v1/computations/{code}/run", Access::principal(),
             [&service, &exchange](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const std::string code(req.param("code"));
               JsonRunSink sink;
               std::optional<ApiError> refusal;
               try {
                 const json body = body_object(req);
                 if (!body.contains("subject_key") || !body["subject_key"].is_string() ||
                     body.size() != 1) {
                   throw ApiError(ErrorCode::validation_failed, "a run is {subject_key}",
                                  {{"subject_key", "is required (a string), and nothing else"}},
                                  422);
                 }
                 const compute::RunRequest r{body["subject_key"].get<std::string>()};
                 co_await service.run(caller, code, r, sink);
               } catch (const ApiError& e) {
                 refusal = e;
               }
               if (refusal) {
                 // Refused before the domain saw it (a body that is not JSON, no subject_key):
                 // still a data request, so still an entry.
                 if (!sink.touched()) {
                   try {
                     co_await exchange.refused(caller, "compute", code, *refusal, sink);
                   } catch (const ApiError&) {
                   }
                 }
                 throw sink.annotate(*refusal);
               }
               co_return sink.response();
             },
             {.data_request = true, .operation = "compute"});

  router.add(Verb::post, "/api/v1/authorizations", Access::roles({Role::agency_system}),
             [&consents](Request& req) -> awaitable<Response> {
               JsonBody body(req);
               sharing::AuthorizationRequest r;
               auto subject = body.string("subject_key", true, 512);
               auto recipient = body.string("recipient_code", true, 18);
               auto purpose = body.string("purpose", true, 500);
               auto resources = body.strings("resource_codes", false, 50, 64);
               auto computations = body.strings("computation_codes", false, 50, 64);
               auto until = body.string("valid_until", true, 40);
               body.finish();
               r.subject_key = *subject;
               r.recipient_code = *recipient;
               r.purpose = *purpose;
               r.resource_codes = resources.value_or(std::vector<std::string>{});
               r.computation_codes = computations.value_or(std::vector<std::string>{});
               r.valid_until = *until;
               const Caller caller = caller_of(req);
               auto out = co_await consents.record(caller, r);
               co_return Response::json(Status::created, json_text(authorization_json(out)));
             });
  router.add(Verb::get, "/api/v1/authorizations", Access::principal(),
             [&consents](Request& req) -> awaitable<Response> {
               const auto subject = req.query_param("subject");
               if (!subject) bad_query_param("subject", "is required: the subject's key");
               const Caller caller = caller_of(req);
               auto out = co_await consents.for_subject(caller, *subject);
               json items = json::array();
               for (const auto& a : out) items.push_back(authorization_json(a));
               co_return Response::json(Status::ok, json_text(json{{"items", std::move(items)},
                                                                   {"next_cursor", nullptr}}));
             });
  router.add(Verb::delete_, "/api/v1/authorizations/{id}",
             Access::roles({Role::agency_system, Role::agency_cdo, Role::hub_admin}),
             [&consents](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               co_await consents.revoke(caller, id);
               Response r;
               r.status = Status::no_content;
               co_return r;
             });
}

}  // namespace hub::api
