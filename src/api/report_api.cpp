#include "hub/api/report_api.hpp"

#include "hub/api/json_body.hpp"
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
                            monitor::AlertService& alerts) {
  // format= picks the representation whatever Accept says (API.md).
  router.add(Verb::get, "/api/v1/reports/sharing-status", report_readers(),
             [&reports](Request& req) -> awaitable<Response> {
               const auto format = req.query_filter("format").value_or("json");
               if (format != "json" && format != "csv" && format != "xlsx") {
                 bad_query_param("format", "must be json, csv or xlsx");
               }
               const report::Period period = report::period_param(req);
               const report::Report out = co_await reports.sharing_status(req, period);
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
               const report::Period period = report::period_param(req);
               auto out = co_await reports.activity(req, period);
               co_return Response::json(Status::ok, json_text(out));
             });
  router.add(Verb::get, "/api/v1/alerts", alert_staff(),
             [&alerts](Request& req) -> awaitable<Response> {
               std::string out = co_await alerts.list(req);
               co_return Response::json(Status::ok, std::move(out));
             });
  router.add(Verb::post, "/api/v1/alerts/{id}/ack", alert_staff(),
             [&alerts](Request& req) -> awaitable<Response> {
               auto out = co_await alerts.acknowledge(req);
               co_return Response::json(Status::ok, json_text(out));
             });
}

}  // namespace hub::api
