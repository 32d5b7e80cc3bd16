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

// API.md: hub_admin, coordinator and agency_cdo read reports; alerts are the hub's staff's.
Access report_readers() {
  return Access::roles({Role::hub_admin, Role::coordinator, Role::agency_cdo});
}
Access alert_staff() { return Access::roles({Role::hub_admin, Role::coordinator}); }

report::Period period_param(const Request& req) {
  return report::period_of(req.query_filter("from"), req.query_filter("to"));
}

Response download(std::string body, std::string content_type, const report::Period& p,
                  const char* extension) {
  Response res = Response::text(Status::ok, std::move(body), std::move(content_type));
  res.headers.emplace_back("Content-Disposition", "attachment; filename=\"sharing-status-" +
                                                      p.from + "-" + p.to + "." + extension + "\"");
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

}  // namespace

void register_report_routes(http::Router& router, report::ReportService& reports,
                            monitor::AlertService& alerts, const CursorCodec& cursors) {
  // format= picks the representation whatever Accept says (API.md).
  router.add(Verb::get, "/api/v1/reports/sharing-status", report_readers(),
             [&reports](Request& req) -> awaitable<Response> {
               const auto format = req.query_filter("format").value_or("json");
               if (format != "json" && format != "csv" && format != "xlsx") {
                 bad_query_param("format", "must be json, csv or xlsx");
               }
               const report::Period period = period_param(req);
               const Caller caller = caller_of(req);
               const report::Report out = co_await reports.sharing_status(caller, period);
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
  router.add(Verb::get, "/api/v1/alerts", alert_staff(),
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
