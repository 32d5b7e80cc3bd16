#pragma once

#include "hub/http/router.hpp"
#include "hub/monitor/monitor.hpp"
#include "hub/report/issues.hpp"
#include "hub/report/quality.hpp"
#include "hub/report/service.hpp"

namespace hub::api {

// /api/v1/reports/...: the sharing-status and data-quality reports (JSON, CSV, XLSX) and the
// console's activity series; /api/v1/resources/{code}/quality; /api/v1/alerts: early-warning
// alerts and their acknowledgement.
void register_report_routes(http::Router& router, report::ReportService& reports,
                            report::IssueService& issues, report::QualityService& quality,
                            monitor::AlertService& alerts, const CursorCodec& cursors);

}  // namespace hub::api
