#include "hub/api/coordination_api.hpp"

#include "hub/api/caller.hpp"
#include "hub/api/json_body.hpp"
#include "hub/api/pagination.hpp"
#include "upload_answer.hpp"

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

json demand_json(const coordination::Demand& d) {
  return {{"id", d.id},
          {"status", d.status},
          {"consumer_code", d.consumer_code},
          {"title", d.title},
          {"description", d.description},
          {"items_wanted", d.items_wanted},
          {"purpose", d.purpose},
          {"legal_basis", nullable(d.legal_basis)},
          {"suggested_provider_code", nullable(d.suggested_provider_code)},
          {"provider_code", nullable(d.provider_code)},
          {"assigned_at", nullable(d.assigned_at)},
          {"due_at", nullable(d.due_at)},
          {"overdue", d.overdue},
          {"outcome", nullable(d.outcome)},
          {"resource_code", nullable(d.resource_code)},
          {"reason", nullable(d.reason)},
          {"answered_at", nullable(d.answered_at)},
          {"accepted", d.accepted ? json(*d.accepted) : json(nullptr)},
          {"acceptance_note", nullable(d.acceptance_note)},
          {"closed_at", nullable(d.closed_at)},
          {"created_at", d.created_at},
          {"created_by", d.created_by}};
}

coordination::DemandRequest demand_of(const json& raw) {
  JsonBody body{json(raw)};
  coordination::DemandRequest r;
  auto title = body.line("title", true, 200);
  auto description = body.string("description", true, 4000);
  auto items = body.strings("items_wanted", true, 200, 200);
  auto purpose = body.string("purpose", true, 500);
  r.legal_basis = body.string("legal_basis", false, 1000);
  if (r.legal_basis && r.legal_basis->empty()) r.legal_basis.reset();
  r.suggested_provider_code = body.line("suggested_provider_code", false, 18);
  if (title && title->empty()) body.error("title", "must not be empty");
  if (description && description->empty()) body.error("description", "must not be empty");
  if (purpose && purpose->empty()) body.error("purpose", "must not be empty");
  if (items) {
    for (std::size_t i = 0; i < items->size(); ++i) {
      if ((*items)[i].empty()) body.error("items_wanted[" + std::to_string(i) + "]", "is empty");
    }
  }
  body.finish();
  r.title = *title;
  r.description = *description;
  r.items_wanted = *items;
  r.purpose = *purpose;
  return r;
}

std::string assignment_of(const json& raw) {
  JsonBody body{json(raw)};
  auto provider = body.line("provider_code", true, 18);
  body.finish();
  return *provider;
}

coordination::DemandAnswer answer_of(const json& raw) {
  JsonBody body{json(raw)};
  auto outcome = body.string("outcome", true, 20);
  auto resource = body.line("resource_code", false, 40);
  auto reason = body.string("reason", false, 2000);
  if (outcome && *outcome != "catalogued" && *outcome != "not_held" && *outcome != "refused") {
    body.error("outcome", "must be catalogued, not_held or refused");
  }
  if (outcome && *outcome != "catalogued" && (!reason || reason->empty())) {
    body.error("reason", "not_held and refused need a reason");
  }
  body.finish();
  return {*outcome, resource, reason && !reason->empty() ? reason : std::nullopt};
}

std::pair<bool, std::optional<std::string>> acceptance_of(const json& raw) {
  JsonBody body{json(raw)};
  auto accepted = body.boolean("accepted", true);
  auto note = body.string("note", false, 2000);
  body.finish();
  return {*accepted, note};
}

coordination::DemandFilter demand_filter(const Request& req) {
  coordination::DemandFilter f;
  f.direction = req.query_param("direction");
  if (f.direction && f.direction->empty()) f.direction.reset();
  if (f.direction && *f.direction != "incoming" && *f.direction != "outgoing") {
    throw ApiError(ErrorCode::validation_failed, "direction is incoming or outgoing",
                   {{"direction", "must be incoming or outgoing"}}, 400);
  }
  f.status = req.query_param("status");
  if (f.status && f.status->empty()) f.status.reset();
  if (f.status) {
    bool known = false;
    for (const char* s : {"open", "assigned", "answered", "closed", "disputed", "overdue"}) {
      known = known || *f.status == s;
    }
    if (!known) {
      throw ApiError(ErrorCode::validation_failed,
                     "status must be one of open, assigned, answered, closed, disputed, overdue",
                     {{"status",
                       "must be one of open, assigned, answered, closed, disputed, "
                       "overdue"}},
                     400);
    }
  }
  f.agency = req.query_filter("agency");
  return f;
}

json escalation_json(const coordination::Escalation& e) {
  return {{"id", e.id},
          {"status", e.status},
          {"application_id", e.application_id},
          {"consumer_code", e.consumer_code},
          {"provider_code", e.provider_code},
          {"resource_code", e.resource_code},
          {"reason", e.reason},
          {"outcome", nullable(e.outcome)},
          {"note", nullable(e.note)},
          {"created_at", e.created_at},
          {"created_by", e.created_by},
          {"ruled_at", nullable(e.ruled_at)},
          {"ruled_by", nullable(e.ruled_by)}};
}

std::string escalation_reason_of(const json& raw) {
  JsonBody body{json(raw)};
  auto reason = body.string("reason", true, 2000);
  if (reason && reason->empty()) body.error("reason", "say why the group should look at it");
  body.finish();
  return *reason;
}

std::pair<std::string, std::string> ruling_of(const json& raw) {
  JsonBody body{json(raw)};
  auto outcome = body.string("outcome", true, 20);
  auto note = body.string("note", true, 2000);
  if (outcome && *outcome != "upheld" && *outcome != "reconsider") {
    body.error("outcome", "must be upheld or reconsider");
  }
  if (note && note->empty()) body.error("note", "a ruling gives its reasons");
  body.finish();
  return {*outcome, *note};
}

json return_task_json(const coordination::ReturnTask& t) {
  return {{"id", t.id},
          {"task_no", t.task_no},
          {"title", t.title},
          {"ministry", t.ministry},
          {"responsible_agency_code", t.responsible_agency_code},
          {"due_date", t.due_date},
          {"status", t.status},
          {"overdue", t.overdue},
          {"resource_codes", t.resource_codes},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at},
          {"updated_by", nullable(t.updated_by)}};
}

coordination::ReturnTaskChange return_change_of(const json& raw) {
  JsonBody body{json(raw)};
  coordination::ReturnTaskChange change;
  change.status = body.string("status", false, 20);
  if (change.status) {
    const auto& all = coordination::return_statuses();
    if (std::find(all.begin(), all.end(), *change.status) == all.end()) {
      body.error("status", "must be not_started, path_identified, connected or sharing");
    }
  }
  change.resource_codes = body.strings("resource_codes", false, 100, 64);
  if (!change.status && !change.resource_codes) {
    body.error("status", "a change gives status, resource_codes or both");
  }
  body.finish();
  return change;
}

json returns_report_json(const coordination::ReturnsReport& r) {
  json ministries = json::array();
  for (const auto& m : r.ministries) {
    ministries.push_back({{"ministry", m.ministry},
                          {"tasks", m.tasks},
                          {"not_started", m.not_started},
                          {"path_identified", m.path_identified},
                          {"connected", m.connected},
                          {"sharing", m.sharing},
                          {"overdue", m.overdue}});
  }
  json late = json::array();
  for (const auto& l : r.late) {
    late.push_back({{"resource_code", l.resource_code},
                    {"name", l.name},
                    {"provider_code", l.provider_code},
                    {"ministry_code", nullable(l.ministry_code)},
                    {"channel", l.channel},
                    {"update_cycle", l.update_cycle},
                    {"last_updated_at", nullable(l.last_updated_at)}});
  }
  return {{"generated_at", r.generated_at}, {"ministries", ministries}, {"late", late}};
}

const auto kStaff = {Role::hub_admin, Role::coordinator};
constexpr std::uint64_t kReturnListLimit = 4u << 20;

}  // namespace

void register_coordination_routes(http::Router& router, coordination::DemandService& demands,
                                  coordination::EscalationService& escalations,
                                  coordination::ReturnService& returns,
                                  const CursorCodec& cursors) {
  router.add(Verb::post, "/api/v1/return-tasks/imports", Access::roles(kStaff),
             [&returns](Request& req) -> awaitable<Response> {
               if (!std::string(req.header("Content-Type")).starts_with("text/csv")) {
                 throw ApiError(ErrorCode::validation_failed,
                                "the return list is text/csv (task_no,title,ministry,"
                                "responsible_agency_code,due_date)",
                                {{"Content-Type", "text/csv"}}, 422);
               }
               const Caller caller = caller_of(req);
               const std::string& csv = req.message.body();
               auto out = co_await returns.import(caller, csv);
               json errors = json::array();
               for (const auto& e : out.errors) {
                 errors.push_back({{"line", e.line}, {"field", e.field}, {"message", e.message}});
               }
               json body = {{"created", out.created},
                            {"updated", out.updated},
                            {"unchanged", out.unchanged},
                            {"errors", errors}};
               co_return upload_answer(body, out.errors.size(), "return list");
             },
             {.body_limit = kReturnListLimit,
              .data_request = false,
              .operation = {},
              .stream_body = false});
  router.add(Verb::get, "/api/v1/return-tasks", Access::principal(),
             [&returns, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "return-tasks");
               coordination::ReturnTaskFilter filter;
               filter.status = req.query_choice(
                   "status", {"not_started", "path_identified", "connected", "sharing", "overdue"});
               filter.ministry = req.query_filter("ministry");
               filter.agency = req.query_filter("agency");
               auto out = co_await returns.tasks(caller, filter, page);
               co_return Response::json(Status::ok,
                                        list_body(out, return_task_json, cursors, "return-tasks"));
             });
  router.add(Verb::patch, "/api/v1/return-tasks/{id}",
             Access::roles(
                 {Role::hub_admin, Role::coordinator, Role::agency_cdo, Role::agency_data_officer}),
             [&returns](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               const auto change = return_change_of(body_object(req));
               auto out = co_await returns.change(caller, id, change);
               co_return Response::json(Status::ok, json_text(return_task_json(out)));
             });
  router.add(Verb::get, "/api/v1/reports/returns",
             Access::roles({Role::hub_admin, Role::coordinator, Role::agency_cdo}),
             [&returns](Request& req) -> awaitable<Response> {
               const auto format = req.query_param("format").value_or("json");
               if (format != "json" && format != "csv" && format != "xlsx") {
                 bad_query_param("format", "must be json, csv or xlsx");
               }
               const Caller caller = caller_of(req);
               auto report = co_await returns.report(caller);
               if (format == "json") {
                 co_return Response::json(Status::ok, json_text(returns_report_json(report)));
               }
               std::string body;
               std::string type;
               if (format == "csv") {
                 body = coordination::returns_csv(report);
                 type = "text/csv; charset=utf-8";
               } else {
                 body = co_await returns.report_xlsx(report);
                 type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
               }
               Response res = Response::text(Status::ok, std::move(body), type);
               res.headers.emplace_back(
                   "Content-Disposition",
                   "attachment; filename=\"returns-" + report.generated_at + "." + format + "\"");
               res.headers.emplace_back("Cache-Control", "no-store");
               co_return res;
             });
  router.add(Verb::post, "/api/v1/demands", Access::roles(kOfficers),
             [&demands](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto request = demand_of(body_object(req));
               auto out = co_await demands.post(caller, request);
               co_return Response::json(Status::created, json_text(demand_json(out)));
             });
  router.add(Verb::get, "/api/v1/demands", Access::principal(),
             [&demands, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "demands");
               const auto filter = demand_filter(req);
               auto out = co_await demands.demands(caller, filter, page);
               co_return Response::json(Status::ok,
                                        list_body(out, demand_json, cursors, "demands"));
             });
  router.add(Verb::get, "/api/v1/demands/{id}", Access::principal(),
             [&demands](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               auto out = co_await demands.demand(caller, id);
               co_return Response::json(Status::ok, json_text(demand_json(out)));
             });
  router.add(Verb::post, "/api/v1/demands/{id}/assignment",
             Access::roles({Role::coordinator, Role::hub_admin}),
             [&demands](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               const std::string provider = assignment_of(body_object(req));
               auto out = co_await demands.assign(caller, id, provider);
               co_return Response::json(Status::ok, json_text(demand_json(out)));
             });
  router.add(Verb::post, "/api/v1/demands/{id}/response", Access::roles(kOfficers),
             [&demands](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               const auto answer = answer_of(body_object(req));
               auto out = co_await demands.answer(caller, id, answer);
               co_return Response::json(Status::ok, json_text(demand_json(out)));
             });
  router.add(Verb::post, "/api/v1/demands/{id}/acceptance", Access::roles(kOfficers),
             [&demands](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               const auto [accepted, note] = acceptance_of(body_object(req));
               auto out = co_await demands.accept(caller, id, accepted, note);
               co_return Response::json(Status::ok, json_text(demand_json(out)));
             });

  router.add(Verb::post, "/api/v1/applications/{id}/escalation", Access::roles(kOfficers),
             [&escalations](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               const std::string reason = escalation_reason_of(body_object(req));
               auto out = co_await escalations.escalate(caller, id, reason);
               co_return Response::json(Status::created, json_text(escalation_json(out)));
             });
  router.add(Verb::post, "/api/v1/escalations/{id}/ruling", Access::roles({Role::coordinator}),
             [&escalations](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               const auto [outcome, note] = ruling_of(body_object(req));
               auto out = co_await escalations.rule(caller, id, outcome, note);
               co_return Response::json(Status::ok, json_text(escalation_json(out)));
             });
  router.add(Verb::get, "/api/v1/escalations", Access::principal(),
             [&escalations, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "escalations");
               coordination::EscalationFilter filter;
               filter.status = req.query_param("status");
               if (filter.status && filter.status->empty()) filter.status.reset();
               if (filter.status && *filter.status != "open" && *filter.status != "ruled") {
                 throw ApiError(ErrorCode::validation_failed, "status is open or ruled",
                                {{"status", "must be open or ruled"}}, 400);
               }
               filter.agency = req.query_filter("agency");
               auto out = co_await escalations.escalations(caller, filter, page);
               co_return Response::json(Status::ok,
                                        list_body(out, escalation_json, cursors, "escalations"));
             });
  router.add(Verb::get, "/api/v1/escalations/{id}", Access::principal(),
             [&escalations](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               auto out = co_await escalations.escalation(caller, id);
               co_return Response::json(Status::ok, json_text(escalation_json(out)));
             });
}

}  // namespace hub::api
