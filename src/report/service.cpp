#include "hub/report/service.hpp"

#include <chrono>
#include <functional>
#include <map>

#include "hub/core/dates.hpp"
#include "hub/core/error.hpp"
#include "hub/core/worker.hpp"
#include "hub/indicators/service.hpp"
#include "hub/store/pg.hpp"
#include "workbook.hpp"

namespace hub::report {

namespace {

using json = nlohmann::json;

// The bounds of a period as timestamps: the start of `from` and of the day after `to`, in the
// city's time (the rollups' days are the city's).
#define HUB_PERIOD_START "(($1::date)::timestamp AT TIME ZONE 'Asia/Shanghai')"
#define HUB_PERIOD_END "((($2::date + 1))::timestamp AT TIME ZONE 'Asia/Shanghai')"

// Every member, and those disabled (or succeeded) during or after the period: a period before
// a reorganisation keeps the rows of the agencies it had.
constexpr pg::Query kAgencies{"report_agencies",
                              "SELECT code, name, level, parent_code FROM agencies"
                              " WHERE disabled_at IS NULL OR disabled_at >= " HUB_PERIOD_START
                              " ORDER BY code"};

constexpr pg::Query kTraffic{
    "report_traffic",
    "SELECT agency_code, sum(requests_served), sum(records_shared), sum(requests_made),"
    " sum(denied_requests), sum(service_calls_served), sum(upstream_calls),"
    " sum(upstream_failures) FROM agency_daily WHERE day BETWEEN $1::date AND $2::date"
    " GROUP BY 1"};

constexpr pg::Query kWorkflow{"report_workflow",
                              "SELECT agency_code, event, sum(n) FROM workflow_daily"
                              " WHERE day BETWEEN $1::date AND $2::date GROUP BY 1, 2"};

// The histogram's rows as they are: summing them here is cheaper than PostgreSQL's grouping by
// agency and tenths (median_hours takes repeated values).
constexpr pg::Query kReplies{
    "report_replies",
    "SELECT agency_code, tenths, n FROM reply_daily WHERE day BETWEEN $1::date AND $2::date"};

// What is still waiting past a deadline that fell in the period: the rollups count late replies
// when they come; these are the ones that have not come yet (partial indexes on the waiting rows).
constexpr pg::Query kWaiting{
    "report_waiting",
    "SELECT 'application', provider_code, count(*) FROM applications"
    " WHERE status = 'pending' AND due_at < now() AND due_at >= " HUB_PERIOD_START
    " AND due_at < " HUB_PERIOD_END
    " GROUP BY 2"
    " UNION ALL "
    "SELECT 'objection', provider_code, count(*) FROM objections"
    " WHERE status = 'open' AND due_at < now() AND due_at >= " HUB_PERIOD_START
    " AND due_at < " HUB_PERIOD_END " GROUP BY 2"};

// The catalogue as of the period's end: resources registered by then and not retired before it
// began, each under the agency that provided it then (resource_moves: a succession after the
// period gives it back to the predecessor); published ones among them, first published in the
// period; of those the hub holds records of, empty (none), fresh when updated (or, never
// updated, published) within their cycle's allowance before the period's end or now,
// whichever is earlier, else stale.
constexpr pg::Query kResources{
    "report_resources",
    "SELECT provider_code, count(*), count(*) FILTER (WHERE published),"
    " count(*) FILTER (WHERE published AND newly),"
    " count(*) FILTER (WHERE published AND held AND record_count > 0),"
    " count(*) FILTER (WHERE published AND held AND record_count = 0),"
    " count(*) FILTER (WHERE published AND held AND record_count > 0 AND NOT stale),"
    " count(*) FILTER (WHERE published AND held AND record_count > 0 AND stale)"
    " FROM (SELECT coalesce((SELECT m.from_code FROM resource_moves m"
    "   WHERE m.resource_code = r.code AND m.moved_at >= " HUB_PERIOD_END
    "   ORDER BY m.moved_at LIMIT 1), r.provider_code) AS provider_code,"
    "  record_count, kind <> 'service' AS held,"
    "  published_at IS NOT NULL AND published_at < " HUB_PERIOD_END
    "  AND (status = 'published' OR retired_at >= " HUB_PERIOD_START
    ") AS published,"
    "  published_at >= " HUB_PERIOD_START
    " AS newly,"
    "  coalesce(last_updated_at, published_at, created_at) <"
    "  least(now(), " HUB_PERIOD_END
    ") - hub_update_allowance(document->>'update_cycle') AS stale"
    "  FROM resources r WHERE kind <> 'computation' AND created_at < " HUB_PERIOD_END
    "  AND (retired_at IS NULL OR retired_at >= " HUB_PERIOD_START
    ")) r"
    " GROUP BY 1"};

// Demands assigned in the period, answered in it by or after their deadline, and still waiting
// past a deadline that fell in it; escalations of a provider's decisions brought in the period.
constexpr pg::Query kDemands{
    "report_demands",
    "SELECT provider_code,"
    " count(*) FILTER (WHERE assigned_at >= " HUB_PERIOD_START " AND assigned_at < " HUB_PERIOD_END
    "),"
    " count(*) FILTER (WHERE answered_at >= " HUB_PERIOD_START " AND answered_at < " HUB_PERIOD_END
    "  AND answered_at <= due_at),"
    " count(*) FILTER (WHERE (answered_at >= " HUB_PERIOD_START " AND answered_at < " HUB_PERIOD_END
    "  AND answered_at > due_at) OR (status = 'assigned' AND due_at < now() AND due_at "
    ">= " HUB_PERIOD_START "  AND due_at < " HUB_PERIOD_END
    "))"
    " FROM demands WHERE provider_code IS NOT NULL GROUP BY 1"};
constexpr pg::Query kEscalations{"report_escalations",
                                 "SELECT provider_code, count(*) FROM escalations"
                                 " WHERE created_at >= " HUB_PERIOD_START
                                 " AND created_at < " HUB_PERIOD_END " GROUP BY 1"};

// Agencies whose systems wrote records in the period (pushes, imports), by the resource's
// provider then.
constexpr pg::Query kWriters{
    "report_writers",
    "SELECT DISTINCT coalesce((SELECT m.from_code FROM resource_moves m"
    "   WHERE m.resource_code = d.resource_code AND m.moved_at >= " HUB_PERIOD_END
    "   ORDER BY m.moved_at LIMIT 1), r.provider_code)"
    " FROM resource_daily d JOIN resources r ON r.code = d.resource_code"
    " WHERE d.day BETWEEN $1::date AND $2::date AND d.records_written > 0"};

// Requests by consumer and purpose code, from the sealer's rollup.
constexpr pg::Query kPurposes{
    "report_purposes",
    "SELECT consumer_code, purpose_code, sum(requests), sum(refused) FROM purpose_daily"
    " WHERE day BETWEEN $1::date AND $2::date GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2"};

// Each agency's data quality: the mean of its published datasets' last measured scores, to two
// decimals (docs/reports.md: today's measurements whatever the period).
constexpr pg::Query kQuality{
    "report_quality",
    "SELECT r.provider_code, round(avg(q.score), 2)::float8 FROM resources r"
    " JOIN resource_quality q ON q.resource_code = r.code"
    " WHERE r.status = 'published' AND r.kind IN ('dataset', 'licence') GROUP BY 1"};

constexpr pg::Query kDays{"report_activity_days",
                          "SELECT to_char(d, 'YYYY-MM-DD'), coalesce(sum(a.requests_made), 0),"
                          " coalesce(sum(a.denied_requests), 0), coalesce(sum(a.records_shared), 0)"
                          " FROM generate_series($1::date, $2::date, interval '1 day') d"
                          " LEFT JOIN agency_daily a ON a.day = d::date GROUP BY d ORDER BY d"};

constexpr pg::Query kCategories{
    "report_activity_categories",
    "SELECT r.category, sum(l.requests),"
    " coalesce(sum(l.records) FILTER (WHERE l.operation NOT IN ('verify', 'aggregate')), 0)"
    " FROM ledger_daily l"
    " JOIN resources r ON r.code = l.resource_code"
    " WHERE l.day BETWEEN $1::date AND $2::date AND l.allowed GROUP BY 1 ORDER BY 1"};

constexpr pg::Query kNow{"report_now", "SELECT " HUB_SQL_TS("now()")};
// Indicator reporting: the active indicators, and when each period's first version came.
constexpr pg::Query kIndicators{
    "report_indicators",
    "SELECT code, frequency, reporter_code, due_working_day, start_period,"
    " floor(extract(epoch FROM created_at))::bigint FROM indicators WHERE status = 'active'"};
constexpr pg::Query kIndicatorFirsts{
    "report_indicator_firsts",
    "SELECT v.indicator_code, v.period, floor(extract(epoch FROM min(v.reported_at)))::bigint"
    " FROM indicator_values v JOIN indicators i ON i.code = v.indicator_code"
    " AND i.status = 'active' WHERE v.ledger_index IS NOT NULL GROUP BY 1, 2"};

std::chrono::sys_days parse_date(const std::string& s) {
  return std::chrono::sys_days{std::chrono::year_month_day{
      std::chrono::year(std::stoi(s.substr(0, 4))),
      std::chrono::month(static_cast<unsigned>(std::stoi(s.substr(5, 2)))),
      std::chrono::day(static_cast<unsigned>(std::stoi(s.substr(8, 2))))}};
}

}  // namespace

Period period_of(const std::optional<std::string>& from, const std::optional<std::string>& to) {
  Period p;
  p.to = city_date();
  p.from = p.to.substr(0, 8) + "01";
  for (auto [name, given, target] :
       {std::tuple{"from", &from, &p.from}, std::tuple{"to", &to, &p.to}}) {
    const auto& v = *given;
    if (!v) continue;
    if (!is_date(*v)) bad_query_param(name, "must be a date (YYYY-MM-DD)");
    if (v->substr(0, 4) < "2000") bad_query_param(name, "is before 2000");
    *target = *v;
  }
  const auto first = parse_date(p.from), last = parse_date(p.to);
  if (first > last) bad_query_param("from", "must not be after to");
  if ((last - first).count() > 5 * 366) bad_query_param("to", "a period is at most five years");
  return p;
}

boost::asio::awaitable<Report> ReportService::sharing_status(const Caller& caller,
                                                             const Period& period) {
  const pg::Params range = pg::Params().add(period.from).add(period.to);
  auto steps = pg::batch(
      pg::step(kNow), pg::step(kAgencies, pg::Params().add(period.from)), pg::step(kTraffic, range),
      pg::step(kWorkflow, range), pg::step(kReplies, range), pg::step(kWaiting, range),
      pg::step(kResources, range), pg::step(kDemands, range), pg::step(kEscalations, range),
      pg::step(kWriters, range), pg::step(kPurposes, range), pg::step(kQuality),
      pg::step(kIndicators), pg::step(kIndicatorFirsts));
  auto lease = co_await caller.db().acquire();
  auto results = co_await lease->pipeline(steps);

  Report report;
  report.from = period.from;
  report.to = period.to;
  report.generated_at = results[0].get(0, 0);
  std::map<std::string, AgencyRow, std::less<>> rows;
  const pg::Result& agencies = results[1];
  for (int i = 0; i < agencies.rows(); ++i) {
    AgencyRow row;
    row.agency_code = agencies.get(i, 0);
    row.agency_name = agencies.get(i, 1);
    row.level = agencies.get(i, 2);
    row.parent_code = agencies.get_text(i, 3);
    rows.emplace(row.agency_code, std::move(row));
  }
  // Rollup rows of an agency that no longer exists are left out: every member has a row, and
  // only members.
  auto row_of = [&rows](std::string_view code) -> AgencyRow* {
    auto it = rows.find(code);
    return it == rows.end() ? nullptr : &it->second;
  };
  const pg::Result& traffic = results[2];
  for (int i = 0; i < traffic.rows(); ++i) {
    if (AgencyRow* r = row_of(traffic.get(i, 0))) {
      r->requests_served = traffic.get_int(i, 1);
      r->records_shared = traffic.get_int(i, 2);
      r->requests_made = traffic.get_int(i, 3);
      r->denied_requests = traffic.get_int(i, 4);
      r->service_calls_served = traffic.get_int(i, 5);
      r->upstream_calls = traffic.get_int(i, 6);
      r->upstream_failures = traffic.get_int(i, 7);
    }
  }
  const pg::Result& workflow = results[3];
  for (int i = 0; i < workflow.rows(); ++i) {
    AgencyRow* r = row_of(workflow.get(i, 0));
    if (r == nullptr) continue;
    const std::string_view event = workflow.get(i, 1);
    const std::int64_t n = workflow.get_int(i, 2);
    if (event == "application_received") r->applications_received += n;
    if (event == "application_approved") r->applications_approved += n;
    if (event == "application_rejected") r->applications_rejected += n;
    if (event == "application_replied_late") r->applications_overdue += n;
    if (event == "objection_received") r->objections_received += n;
    if (event == "objection_resolved_on_time") r->objections_resolved_on_time += n;
    if (event == "objection_resolved_late") r->objections_overdue += n;
  }
  std::map<std::string, std::vector<std::pair<int, std::int64_t>>, std::less<>> replies;
  const pg::Result& reply_rows = results[4];
  for (int i = 0; i < reply_rows.rows(); ++i) {
    replies[std::string(reply_rows.get(i, 0))].emplace_back(
        static_cast<int>(reply_rows.get_int(i, 1)), reply_rows.get_int(i, 2));
  }
  for (auto& [code, histogram] : replies) {
    if (AgencyRow* r = row_of(code)) r->median_reply_hours = median_hours(std::move(histogram));
  }
  const pg::Result& waiting = results[5];
  for (int i = 0; i < waiting.rows(); ++i) {
    AgencyRow* r = row_of(waiting.get(i, 1));
    if (r == nullptr) continue;
    (waiting.get(i, 0) == "application" ? r->applications_overdue : r->objections_overdue) +=
        waiting.get_int(i, 2);
  }
  const pg::Result& resources = results[6];
  for (int i = 0; i < resources.rows(); ++i) {
    if (AgencyRow* r = row_of(resources.get(i, 0))) {
      r->resources_catalogued = resources.get_int(i, 1);
      r->resources_published = resources.get_int(i, 2);
      r->resources_newly_published = resources.get_int(i, 3);
      r->resources_with_data = resources.get_int(i, 4);
      r->resources_empty = resources.get_int(i, 5);
      r->resources_fresh = resources.get_int(i, 6);
      r->resources_stale = resources.get_int(i, 7);
    }
  }
  const pg::Result& demands = results[7];
  for (int i = 0; i < demands.rows(); ++i) {
    if (AgencyRow* r = row_of(demands.get(i, 0))) {
      r->demands_received = demands.get_int(i, 1);
      r->demands_answered_on_time = demands.get_int(i, 2);
      r->demands_overdue = demands.get_int(i, 3);
    }
  }
  const pg::Result& escalations = results[8];
  for (int i = 0; i < escalations.rows(); ++i) {
    if (AgencyRow* r = row_of(escalations.get(i, 0))) {
      r->escalations_received = escalations.get_int(i, 1);
    }
  }
  const pg::Result& writers = results[9];
  for (int i = 0; i < writers.rows(); ++i) {
    if (AgencyRow* r = row_of(writers.get(i, 0))) r->connected = true;
  }
  for (auto& [code, row] : rows) {
    if (row.requests_served > 0 || row.requests_made > 0 || row.service_calls_served > 0) {
      row.connected = true;
    }
  }
  const pg::Result& purposes = results[10];
  for (int i = 0; i < purposes.rows(); ++i) {
    if (row_of(purposes.get(i, 0)) == nullptr) continue;  // members only, as above
    report.purposes.push_back({std::string(purposes.get(i, 0)), std::string(purposes.get(i, 1)),
                               purposes.get_int(i, 2), purposes.get_int(i, 3)});
  }
  const pg::Result& quality = results[11];
  for (int i = 0; i < quality.rows(); ++i) {
    if (AgencyRow* r = row_of(quality.get(i, 0))) {
      r->data_quality = std::stod(std::string(quality.get(i, 1)));
    }
  }
  // Indicators: each active indicator's periods whose due time fell on a day of the period (the
  // city's), has passed, and came after the indicator was defined (nobody is late for a deadline
  // set after it); and whether the period's first version came by it.
  std::map<std::pair<std::string, std::string>, std::int64_t> firsts;
  const pg::Result& reported = results[13];
  for (int i = 0; i < reported.rows(); ++i) {
    firsts[{std::string(reported.get(i, 0)), std::string(reported.get(i, 1))}] =
        reported.get_int(i, 2);
  }
  const pg::Result& indicator_rows = results[12];
  const auto from_day = parse_date(period.from);
  const auto to_day = parse_date(period.to);
  for (int i = 0; i < indicator_rows.rows(); ++i) {
    AgencyRow* r = row_of(indicator_rows.get(i, 2));
    const auto frequency = indicators::frequency_of(indicator_rows.get(i, 1));
    if (r == nullptr || !frequency) continue;
    auto first = indicators::parse_period(indicator_rows.get(i, 4), *frequency);
    if (!first) continue;
    const std::string code(indicator_rows.get(i, 0));
    const int working_day = static_cast<int>(indicator_rows.get_int(i, 3));
    const std::chrono::system_clock::time_point defined{
        std::chrono::seconds(indicator_rows.get_int(i, 5))};
    const auto now = std::chrono::system_clock::now();
    indicators::Period p = *first;
    for (int guard = 0; guard < 5000; ++guard, p = p.next()) {
      const auto due = indicators::due_at(p, working_day, calendar_);
      const auto day = calendar_.local_day(due);
      if (day > to_day || due > now) break;
      if (day < from_day || due < defined) continue;
      ++r->indicators_due;
      auto it = firsts.find({code, p.text()});
      if (it != firsts.end() &&
          std::chrono::system_clock::time_point(std::chrono::seconds(it->second)) <= due) {
        ++r->indicators_on_time;
      }
    }
  }
  report.agencies.reserve(rows.size());
  for (auto& [code, row] : rows) report.agencies.push_back(std::move(row));
  score_and_rank(report.agencies, services_.config.report);
  co_return report;
}

boost::asio::awaitable<json> ReportService::activity(const Caller& caller, const Period& period) {
  const pg::Params range = pg::Params().add(period.from).add(period.to);
  auto steps = pg::batch(pg::step(kDays, range), pg::step(kCategories, range));
  auto lease = co_await caller.db().acquire();
  auto results = co_await lease->pipeline(steps);
  json days = json::array();
  for (int i = 0; i < results[0].rows(); ++i) {
    days.push_back({{"day", results[0].get(i, 0)},
                    {"requests", results[0].get_int(i, 1)},
                    {"denied", results[0].get_int(i, 2)},
                    {"records", results[0].get_int(i, 3)}});
  }
  json categories = json::array();
  for (int i = 0; i < results[1].rows(); ++i) {
    categories.push_back({{"category", results[1].get(i, 0)},
                          {"requests", results[1].get_int(i, 1)},
                          {"records", results[1].get_int(i, 2)}});
  }
  co_return json{{"from", period.from},
                 {"to", period.to},
                 {"days", std::move(days)},
                 {"categories", std::move(categories)}};
}

boost::asio::awaitable<std::string> ReportService::xlsx(const Report& report) {
  const std::function<std::string(const std::string&)> write =
      [&report](const std::string& tmp_dir) { return to_xlsx(report, tmp_dir); };
  co_return co_await workbook_off_thread(services_, write);
}

}  // namespace hub::report
