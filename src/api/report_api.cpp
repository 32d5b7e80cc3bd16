#include "hub/api/report_api.hpp"

#include "hub/api/caller.hpp"
#include "hub/api/json_body.hpp"
#include "hub/api/pagination.hpp"
#include "hub/core/error.hpp"

namespace hub::api {

using boost::asio::awaitable;
using http::Access;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;

namespace {

using nlohmann::json;

// API.md: hub_admin, coordinator and agency_cdo read reports; alerts are the hub's staff's, and
// an agency_cdo reads (but does not acknowledge) its own agency's (API.md Part 2).
Access report_readers() {
  return Access::roles({Role::hub_admin, Role::coordinator, Role::agency_cdo});
}
Access alert_staff() { return Access::roles({Role::hub_admin, Role::coordinator}); }

report::Period period_param(const Request& req) {
  return report::period_of(req.query_filter("from"), req.query_filter("to"));
}

Response download(std::string body, std::string content_type, const report::Period& p,
                  const char* extension, const char* name = "sharing-status") {
  Response res = Response::text(Status::ok, std::move(body), std::move(content_type));
  res.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + std::string(name) +
                                                      "-" + p.from + "-" + p.to + "." + extension +
                                                      "\"");
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

json issue_json(const report::Issue& i) {
  return {{"id", i.id},
          {"number", i.number},
          {"title", i.title},
          {"from", i.from},
          {"to", i.to},
          {"issued_at", i.issued_at},
          {"issued_by", i.issued_by},
          {"sha256", i.sha256},
          {"signature", i.signature}};
}

report::IssueRequest issue_request_of(const json& raw) {
  JsonBody body{json(raw)};
  auto from = body.string("from", true, 10);
  auto to = body.string("to", true, 10);
  auto number = body.line("number", true, 100);
  auto title = body.line("title", true, 200);
  if (number && number->empty()) body.error("number", "must not be empty");
  if (title && title->empty()) body.error("title", "must not be empty");
  body.finish();
  return {report::period_of(from, to), *number, *title};
}

}  // namespace

void register_report_routes(http::Router& router, report::ReportService& reports,
                            report::IssueService& issues, report::QualityService& quality,
                            monitor::AlertService& alerts, const CursorCodec& cursors) {
  // A resource's quality: its provider's agency principals and the hub's staff (API.md Part 2);
  // anyone else gets the 404 of a resource they may not see.
  router.add(Verb::get, "/api/v1/resources/{code}/quality", Access::principal(),
             [&quality](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const Caller caller = caller_of(req);
               auto out = co_await quality.resource(caller, code);
               co_return Response::json(Status::ok, json_text(report::to_json(out)));
             });
  router.add(Verb::get, "/api/v1/reports/data-quality", report_readers(),
             [&quality](Request& req) -> awaitable<Response> {
               const auto format = req.query_filter("format").value_or("json");
               if (format != "json" && format != "csv" && format != "xlsx") {
                 bad_query_param("format", "must be json, csv or xlsx");
               }
               const report::Period period = period_param(req);
               const Caller caller = caller_of(req);
               const report::QualityReport out = co_await quality.report(caller, period);
               if (format == "csv") {
                 co_return download(report::to_csv(out), "text/csv; charset=utf-8", period, "csv",
                                    "data-quality");
               }
               if (format == "xlsx") {
                 std::string book = co_await quality.xlsx(out);
                 co_return download(
                     std::move(book),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", period,
                     "xlsx", "data-quality");
               }
               co_return Response::json(Status::ok, json_text(report::to_json(out)));
             });
  // Issued reports (通报): frozen bytes, the same at every fetch (API.md Part 2).
  router.add(Verb::post, "/api/v1/reports/issues",
             Access::roles({Role::coordinator, Role::hub_admin}),
             [&issues](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto request = issue_request_of(body_object(req));
               auto out = co_await issues.issue(caller, request);
               co_return Response::json(Status::created, json_text(issue_json(out)));
             });
  router.add(Verb::get, "/api/v1/reports/issues", report_readers(),
             [&issues, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "report-issues");
               auto out = co_await issues.issues(caller, page);
               co_return Response::json(Status::ok,
                                        list_body(out, issue_json, cursors, "report-issues"));
             });
  router.add(Verb::get, "/api/v1/reports/issues/{id}", report_readers(),
             [&issues](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const auto format = req.query_filter("format").value_or("json");
               if (format != "json" && format != "csv" && format != "xlsx") {
                 bad_query_param("format", "must be json, csv or xlsx");
               }
               const Caller caller = caller_of(req);
               auto f = co_await issues.file(caller, id, format);
               const char* type = format == "json" ? "application/json"
                                  : format == "csv"
                                      ? "text/csv; charset=utf-8"
                                      : "application/vnd.openxmlformats-officedocument."
                                        "spreadsheetml.sheet";
               Response res = Response::text(Status::ok, std::move(f.body), type);
               // The signature and digest of the JSON bytes travel with every representation.
               res.headers.emplace_back("X-Hub-Report-Sha256", f.issue.sha256);
               res.headers.emplace_back("X-Hub-Report-Signature", f.issue.signature);
               if (format != "json") {
                 res.headers.emplace_back("Content-Disposition",
                                          "attachment; filename=\"report-issue-" + f.issue.from +
                                              "-" + f.issue.to + "." + format + "\"");
               }
               co_return res;
             });
  // format= picks the representation whatever Accept says (API.md).
  router.add(Verb::get, "/api/v1/reports/sharing-status", report_readers(),
             [&reports](Request& req) -> awaitable<Response> {
               const auto format = req.query_filter("format").value_or("json");
               if (format != "json" && format != "csv" && format != "xlsx") {
                 bad_query_param("format", "must be json, csv or xlsx");
               }
               const report::Period period = period_param(req);
               const auto group_by = req.query_choice("group_by", {"level", "parent"});
               const Caller caller = caller_of(req);
               report::Report out = co_await reports.sharing_status(caller, period);
               out.group_by = group_by.value_or("");
               if (format == "csv") {
                 co_return download(report::to_csv(out), "text/csv; charset=utf-8", period, "csv");
               }
               if (format == "xlsx") {
                 std::string book = co_await reports.xlsx(out);
                 co_return download(
                     std::move(book),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", period,
                     "xlsx");
               }
               co_return Response::json(Status::ok, json_text(report::to_json(out)));
             });
  router.add(Verb::get, "/api/v1/reports/activity", report_readers(),
             [&reports](Request& req) -> awaitable<Response> {
               const report::Period period = period_param(req);
               const Caller caller = caller_of(req);
               auto out = co_await reports.activity(caller, period);
               co_return Response::json(Status::ok, json_text(out));
             });
  router.add(Verb::get, "/api/v1/alerts", report_readers(),
             [&alerts, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "alerts");
               const monitor::AlertFilter filter{req.query_filter("status"),
                                                 req.query_filter("rule"),
                                                 req.query_filter("agency")};
               auto out = co_await alerts.list(caller, filter, page);
               co_return Response::json(Status::ok, list_body(out, cursors, "alerts"));
             });
  router.add(
      Verb::post, "/api/v1/alerts/{id}/ack", alert_staff(),
      [&alerts](Request& req) -> awaitable<Response> {
        const Caller caller = caller_of(req);
        JsonBody body(req.message.body().empty() ? nlohmann::json::object() : body_object(req));
        const auto note = body.string("note", false, 1000);
        body.finish();
        const std::string id(req.param("id"));
        auto out = co_await alerts.acknowledge(caller, id, note);
        co_return Response::json(Status::ok, json_text(out));
      });
}

}  // namespace hub::api
