#pragma once

#include "hub/http/router.hpp"
#include "hub/monitor/monitor.hpp"
#include "hub/report/issues.hpp"
#include "hub/report/service.hpp"

namespace hub::api {

// /api/v1/reports/...: the sharing-status report (JSON, CSV, XLSX) and the console's activity
// series; /api/v1/alerts: early-warning alerts and their acknowledgement.
void register_report_routes(http::Router& router, report::ReportService& reports,
                            report::IssueService& issues, monitor::AlertService& alerts,
                            const CursorCodec& cursors);

}  // namespace hub::api
