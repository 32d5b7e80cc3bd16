#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "hub/core/config.hpp"

namespace hub::report {

// One agency's row of the sharing-status report (共享情况通报), API.md "Report" and Part 2
// "Coordination". The counts are gathered by ReportService from rollups; score and rank by
// score_and_rank().
struct AgencyRow {
  std::string agency_code;
  std::string agency_name;
  std::string level;                       // for group_by=level
  std::optional<std::string> parent_code;  // for group_by=parent
  int rank = 0;
  double score = 0;
  std::int64_t resources_catalogued = 0;
  std::int64_t resources_published = 0;
  std::int64_t resources_newly_published = 0;  // first published in the period
  std::int64_t resources_with_data = 0;
  // Published resources the hub holds records of, by state: empty (none yet: counted neither
  // fresh nor stale), fresh (updated within their cycle), stale.
  std::int64_t resources_empty = 0;
  std::int64_t resources_fresh = 0;
  std::int64_t resources_stale = 0;
  std::int64_t applications_received = 0;
  std::int64_t applications_approved = 0;
  std::int64_t applications_rejected = 0;
  std::int64_t applications_overdue = 0;
  std::optional<double> median_reply_hours;  // null: no reply by a person in the period
  // Demands (需求清单) assigned to the agency in the period, answered by their deadline, and
  // answered late or still unanswered past a deadline that fell in the period.
  std::int64_t demands_received = 0;
  std::int64_t demands_answered_on_time = 0;
  std::int64_t demands_overdue = 0;
  std::int64_t escalations_received = 0;  // its decisions brought to the coordination group
  // Indicator reporting (指标报送): its active indicators' periods whose due time fell in the
  // period, and of those, the ones whose first version came by it.
  std::int64_t indicators_due = 0;
  std::int64_t indicators_on_time = 0;
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
  // The mean of the last measured quality scores (0..100) of its published datasets
  // (resource_quality); null when none was measured.
  std::optional<double> data_quality;
  // An allowed data request (made or served), or records written by its systems, in the period:
  // counted by the totals' members_connected.
  bool connected = false;
};

// Requests of one consumer that named one purpose code (X-Purpose-Code) in the period; an empty
// code is requests that named none.
struct PurposeRow {
  std::string consumer_code;
  std::string purpose_code;
  std::int64_t requests = 0;  // answered 2xx
  std::int64_t refused = 0;   // refused by the access rules (401, 403)
};

struct Report {
  std::string from;  // YYYY-MM-DD, inclusive
  std::string to;    // YYYY-MM-DD, inclusive
  std::string generated_at;
  std::vector<AgencyRow> agencies;   // in rank order
  std::vector<PurposeRow> purposes;  // by consumer, then most requests first
  // "level" or "parent": the JSON adds groups:[{group, totals}] (none when empty).
  std::string group_by;
};

// What a column holds, for the representations: how to write it and whether totals sum it.
enum class CellKind {
  text,
  rank,
  score,  // 0..100, two decimals
  count,  // summed in the totals
  hours,  // a median: two decimals, null when none
  share,  // 0..1, four decimals, null when none
};
using Cell = std::variant<std::monostate, std::string_view, std::int64_t, double>;

// The columns of every representation, in order, each with how to read it from a row. CSV and
// XLSX carry the JSON field names as their header row (programs read them); the XLSX adds each
// column's Chinese title above (people read it).
struct Column {
  std::string_view field;
  std::string_view title_zh;
  CellKind kind;
  Cell (*value)(const AgencyRow&);
};
const std::vector<Column>& columns();

// The score's parts, each in [0, 1], or none where the period gives no basis for judging it
// (docs/reports.md, "The score"); a part without a basis leaves its weight to the others:
//   freshness   resources_fresh / (fresh + stale + empty): of the published resources the hub
//               holds records of; none when the agency publishes only interface services; 0 when
//               it publishes nothing;
//   timeliness  1 - (applications + demands) late / due; none when nothing fell due;
//   objections  1 - objections_overdue / objections due; none when none fell due;
//   volume      ln(1 + requests_served) / ln(1 + the most any agency served); none when no
//               agency served any;
//   quality     data_quality / 100; none when none of its datasets was measured.
struct ScoreParts {
  std::optional<double> freshness;
  std::optional<double> timeliness;
  std::optional<double> objections;
  std::optional<double> volume;
  std::optional<double> quality;
};
ScoreParts score_parts(const AgencyRow& row, std::int64_t most_served);

// Sets every row's score (0..100, two decimals: the weighted mean of the parts it has, 0 with
// none) and rank (1..n, by score, ties broken by agency code), and sorts the rows by rank.
void score_and_rank(std::vector<AgencyRow>& rows, const ReportConfig& weights);

// The median of a histogram of reply times in tenths of an hour, (tenths, count) in any order,
// in hours; nullopt when it is empty. An even count takes the mean of the two middle values.
std::optional<double> median_hours(std::vector<std::pair<int, std::int64_t>> histogram);

// Every count column summed over the rows, plus agencies (how many rows) and members_connected.
nlohmann::json totals(const std::vector<AgencyRow>& rows);
// {from, to, generated_at, agencies:[...], totals:{...}, purposes:[...]}, and groups:[{group,
// totals}] in group order when report.group_by is set (group: the level, or the parent's code, null
// for none).
nlohmann::json to_json(const Report& report);
// UTF-8 with a byte-order mark (so spreadsheet programs read the Chinese names), CRLF line ends
// (RFC 4180), the JSON field names as the header row.
std::string to_csv(const Report& report);
// An .xlsx workbook (libxlsxwriter): one sheet with a title, the period, Chinese and field-name
// headers, the rows in rank order, frozen headers and an autofilter; a second sheet of requests
// by consumer and purpose code. Written through a private
// temporary file in `tmp_dir` (libxlsxwriter writes files only), removed before returning.
std::string to_xlsx(const Report& report, const std::string& tmp_dir);

}  // namespace hub::report
