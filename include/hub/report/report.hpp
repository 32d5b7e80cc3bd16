#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hub/core/config.hpp"

namespace hub::report {

// One agency's row of the sharing-status report (共享情况通报), API.md "Report". The counts are
// gathered by ReportService from rollups; score and rank by score_and_rank().
struct AgencyRow {
  std::string agency_code;
  std::string agency_name;
  int rank = 0;
  double score = 0;
  std::int64_t resources_catalogued = 0;
  std::int64_t resources_published = 0;
  std::int64_t resources_with_data = 0;
  std::int64_t resources_fresh = 0;
  std::int64_t resources_stale = 0;
  std::int64_t applications_received = 0;
  std::int64_t applications_approved = 0;
  std::int64_t applications_rejected = 0;
  std::int64_t applications_overdue = 0;
  std::optional<double> median_reply_hours;  // null: no reply by a person in the period
  std::int64_t requests_served = 0;
  std::int64_t requests_made = 0;
  std::int64_t records_shared = 0;
  std::int64_t denied_requests = 0;
  std::int64_t objections_received = 0;
  std::int64_t objections_resolved_on_time = 0;
  std::int64_t objections_overdue = 0;
  // Interface services (API.md Part 2): allowed calls of the agency's services, and the share of
  // the calls its upstreams were tried for that they answered without 5xx or timeout (null
  // without such calls).
  std::int64_t service_calls_served = 0;
  std::int64_t upstream_calls = 0;
  std::int64_t upstream_failures = 0;
  std::optional<double> service_availability() const;
};

struct Report {
  std::string from;  // YYYY-MM-DD, inclusive
  std::string to;    // YYYY-MM-DD, inclusive
  std::string generated_at;
  std::vector<AgencyRow> agencies;  // in rank order
};

// The columns of every representation, in order. CSV and XLSX carry the JSON field names as their
// header row (programs read them); the XLSX adds each column's Chinese title above (people read
// it).
struct Column {
  std::string_view field;
  std::string_view title_zh;
};
const std::vector<Column>& columns();

// The score's four parts, each in [0, 1] (docs/reports.md):
//   freshness   resources_fresh / (resources_fresh + resources_stale): of the published
//               resources the hub holds records of (interface services have none), 0 with none;
//   timeliness  1 - applications_overdue / applications due (1 with none);
//   objections  1 - objections_overdue / objections due (1 with none);
//   volume      ln(1 + requests_served) / ln(1 + the most any agency served) (0 when none did).
struct ScoreParts {
  double freshness = 0;
  double timeliness = 0;
  double objections = 0;
  double volume = 0;
};
ScoreParts score_parts(const AgencyRow& row, std::int64_t most_served);

// Sets every row's score (0..100, two decimals: the weighted mean of its parts) and rank (1..n,
// by score, ties broken by agency code), and sorts the rows by rank.
void score_and_rank(std::vector<AgencyRow>& rows, const ReportConfig& weights);

// The median of a histogram of reply times in tenths of an hour, (tenths, count) in any order,
// in hours; nullopt when it is empty. An even count takes the mean of the two middle values.
std::optional<double> median_hours(std::vector<std::pair<int, std::int64_t>> histogram);

nlohmann::json to_json(const Report& report);
// UTF-8 with a byte-order mark (so spreadsheet programs read the Chinese names), CRLF line ends
// (RFC 4180), the JSON field names as the header row.
std::string to_csv(const Report& report);
// An .xlsx workbook (libxlsxwriter): one sheet with a title, the period, Chinese and field-name
// headers, the rows in rank order, frozen headers and an autofilter. Written through a private
// temporary file in `tmp_dir` (libxlsxwriter writes files only), removed before returning.
std::string to_xlsx(const Report& report, const std::string& tmp_dir);

}  // namespace hub::report
