#include "hub/monitor/monitor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "hub/indicators/service.hpp"
#include "hub/report/quality.hpp"
#include "hub/store/leader.hpp"

namespace hub::monitor {

namespace {

// pg_advisory_lock key of the monitor ("hubwarn").
constexpr std::int64_t kLockKey = 6878436279101517;

// An hour's subject: the consumer and the hour's start in UTC.
#define HUB_HOUR_SUBJECT \
  "h.consumer_code || '@' || to_char(h.hour AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24\":00Z\"')"

// The hours the hourly rules look at: the last day's, so a round missed while no node led is
// made up; an alert opens once per subject however often an hour is looked at.
#define HUB_RECENT_HOURS "h.hour >= date_trunc('hour', now()) - interval '1 day'"

// Not opened before for this subject: each round would otherwise try the insert again (and
// draw a sequence number and a UUID) for every condition still standing. ON CONFLICT stays for
// two rounds racing (a leader change).
#define HUB_NOT_OPENED(rule, subject) \
  "NOT EXISTS (SELECT 1 FROM alerts x WHERE x.rule = " rule " AND x.subject = " subject ")"

// $1 factor, $2 minimum requests, $3 baseline days.
constexpr const char* kVolumeSpike =
    "INSERT INTO alerts (rule, severity, agency_code, subject, detail)"
    " SELECT 'volume_spike', 'warning', h.consumer_code, " HUB_HOUR_SUBJECT ","
    " jsonb_build_object('hour', " HUB_SQL_TS("h.hour") ", 'requests', h.requests,"
    " 'baseline_per_hour', round(b.mean, 1), 'factor', $1::int, 'baseline_days', $3::int)"
    " FROM ledger_hourly h JOIN agencies a ON a.code = h.consumer_code"
    " CROSS JOIN LATERAL (SELECT coalesce(sum(p.requests), 0)::numeric / ($3::int * 24) AS mean"
    "  FROM ledger_hourly p WHERE p.consumer_code = h.consumer_code"
    "  AND p.hour >= h.hour - make_interval(days => $3::int) AND p.hour < h.hour) b"
    " WHERE " HUB_RECENT_HOURS " AND h.requests >= $2::bigint"
    " AND h.requests > $1::int * b.mean AND " HUB_NOT_OPENED("'volume_spike'", HUB_HOUR_SUBJECT)
    " ON CONFLICT (rule, subject) DO NOTHING";

// $1 threshold.
constexpr const char* kDeniedBurst =
    "INSERT INTO alerts (rule, severity, agency_code, subject, detail)"
    " SELECT 'denied_burst', 'warning', h.consumer_code, " HUB_HOUR_SUBJECT ","
    " jsonb_build_object('hour', " HUB_SQL_TS("h.hour") ", 'denied', h.refused,"
    " 'threshold', $1::bigint)"
    " FROM ledger_hourly h JOIN agencies a ON a.code = h.consumer_code"
    " WHERE " HUB_RECENT_HOURS " AND h.refused >= $1::bigint"
    " AND " HUB_NOT_OPENED("'denied_burst'", HUB_HOUR_SUBJECT)
    " ON CONFLICT (rule, subject) DO NOTHING";

// Candidates of off_hours_bulk ($1 threshold); which hours are off is the calendar's (C++).
constexpr const char* kBulkHours =
    "SELECT h.consumer_code, extract(epoch FROM h.hour)::bigint, h.requests, h.records"
    " FROM ledger_hourly h JOIN agencies a ON a.code = h.consumer_code"
    " WHERE " HUB_RECENT_HOURS
    " AND h.records >= $1::bigint"
    " AND " HUB_NOT_OPENED("'off_hours_bulk'", HUB_HOUR_SUBJECT);

constexpr const char* kOffHoursBulk =
    "INSERT INTO alerts (rule, severity, agency_code, subject, detail)"
    " SELECT 'off_hours_bulk', 'critical', h.consumer_code, " HUB_HOUR_SUBJECT ","
    " jsonb_build_object('hour', " HUB_SQL_TS("h.hour") ", 'requests', $3::bigint,"
    " 'records', $4::bigint, 'threshold', $5::bigint)"
    " FROM (SELECT $1::text AS consumer_code, to_timestamp($2::bigint) AS hour) h"
    " ON CONFLICT (rule, subject) DO NOTHING";

constexpr const char* kOverdueApplications =
    "INSERT INTO alerts (rule, severity, agency_code, resource_code, subject, detail)"
    " SELECT 'overdue_application', 'warning', provider_code, resource_code, id,"
    " jsonb_build_object('application_id', id, 'consumer_code', consumer_code,"
    " 'due_at', " HUB_SQL_TS("due_at") ")"
    " FROM applications w WHERE status = 'pending' AND due_at < now()"
    " AND " HUB_NOT_OPENED("'overdue_application'", "w.id")
    " ON CONFLICT (rule, subject) DO NOTHING";

constexpr const char* kOverdueObjections =
    "INSERT INTO alerts (rule, severity, agency_code, resource_code, subject, detail)"
    " SELECT 'overdue_objection', 'warning', provider_code, resource_code, id,"
    " jsonb_build_object('objection_id', id, 'consumer_code', consumer_code,"
    " 'due_at', " HUB_SQL_TS("due_at") ")"
    " FROM objections w WHERE status = 'open' AND due_at < now()"
    " AND " HUB_NOT_OPENED("'overdue_objection'", "w.id")
    " ON CONFLICT (rule, subject) DO NOTHING";

// A published resource not updated within its cycle's allowance (the report's rule too). The
// subject carries the last update, so a resource that goes stale again after an update alerts
// again.
#define HUB_STALE_SUBJECT "r.code || '@' || coalesce(" HUB_SQL_TS("r.last_updated_at") ", 'never')"
constexpr const char* kStaleResources =
    "INSERT INTO alerts (rule, severity, agency_code, resource_code, subject, detail)"
    " SELECT 'stale_resource', 'info', provider_code, code, " HUB_STALE_SUBJECT ","
    " jsonb_build_object('update_cycle', document->>'update_cycle',"
    " 'last_updated_at', " HUB_SQL_TS_OPT("last_updated_at") ")"
    " FROM resources r WHERE status = 'published' AND kind NOT IN ('service', 'computation')"
    " AND jsonb_typeof(document->'source') IS DISTINCT FROM 'object'"
    " AND coalesce(last_updated_at, published_at, created_at)"
    "  < now() - hub_update_allowance(document->>'update_cycle')"
    " AND " HUB_NOT_OPENED("'stale_resource'", HUB_STALE_SUBJECT)
    " ON CONFLICT (rule, subject) DO NOTHING";

// A returned resource (数据回流: its document has a source) late against its update cycle, by the
// same allowance: a warning, since the ministry's data stopped arriving or its provider stopped
// loading it (docs/coordination.md "Returned data"). Instead of stale_resource for it.
constexpr const char* kReturnedLate =
    "INSERT INTO alerts (rule, severity, agency_code, resource_code, subject, detail)"
    " SELECT 'returned_late', 'warning', provider_code, code, " HUB_STALE_SUBJECT ","
    " jsonb_build_object('update_cycle', document->>'update_cycle',"
    " 'ministry_code', document->'source'->>'ministry_code',"
    " 'channel', document->'source'->>'channel',"
    " 'last_updated_at', " HUB_SQL_TS_OPT("last_updated_at") ")"
    " FROM resources r WHERE status = 'published' AND kind NOT IN ('service', 'computation')"
    " AND jsonb_typeof(document->'source') = 'object'"
    " AND coalesce(last_updated_at, published_at, created_at)"
    "  < now() - hub_update_allowance(document->>'update_cycle')"
    " AND " HUB_NOT_OPENED("'returned_late'", HUB_STALE_SUBJECT)
    " ON CONFLICT (rule, subject) DO NOTHING";

// Published datasets whose quality was never measured or whose records changed since (the change
// counter moved), first; then those measured over a day ago (freshness and objections change
// with time alone); the longest waiting first within each.
constexpr const char* kQualityDue =
    "SELECT code FROM (SELECT r.code, q.measured_at,"
    "  q.resource_code IS NULL OR q.seq IS DISTINCT FROM"
    "  coalesce((SELECT next_seq FROM record_sequences s WHERE s.resource_code = r.code), 1)"
    "  AS changed"
    " FROM resources r LEFT JOIN resource_quality q ON q.resource_code = r.code"
    " WHERE r.status = 'published' AND r.kind IN ('dataset', 'licence')) d"
    " WHERE changed OR measured_at < now() - interval '1 day'"
    " ORDER BY changed DESC, measured_at NULLS FIRST, code LIMIT $1";
constexpr const char* kMeasureTimeout = "SET statement_timeout = 30000";
constexpr const char* kMeasureTimeoutOff = "RESET statement_timeout";
constexpr const char* kMeasureQuality = "SELECT (hub_measure_quality($1, $2, $3)).score";

// A grant whose verify answers that were not a full match reached the hour's budget: its holder
// probes for keys or values (API.md Part 2). Once per grant and city day; against the consumer.
#define HUB_VERIFY_SUBJECT "g.id || '@' || hub_local_day(now())::text"
constexpr const char* kVerifyEnumeration =
    "INSERT INTO alerts (rule, severity, agency_code, resource_code, subject, detail)"
    " SELECT 'verify_enumeration', 'critical', g.consumer_code, "
    "g.resource_code, " HUB_VERIFY_SUBJECT
    ","
    " jsonb_build_object('grant_id', g.id, 'provider_code', g.provider_code,"
    " 'misses_in_hour', m.n, 'limit', $1::int)"
    " FROM (SELECT grant_id, sum(misses) AS n FROM verify_misses"
    "  WHERE minute > now() - interval '1 hour' GROUP BY 1 HAVING sum(misses) >= $1::int) m"
    " JOIN grants g ON g.id = m.grant_id"
    " WHERE " HUB_NOT_OPENED("'verify_enumeration'",
                             HUB_VERIFY_SUBJECT) " ON CONFLICT (rule, subject) DO NOTHING";

// A service whose breaker opened on some node (API.md Part 2): its calls fail at the upstream.
// Once per service and city hour; against the provider, whose upstream it is.
#define HUB_OUTAGE_SUBJECT                                                       \
  "o.resource_code || '@' || to_char(o.opened_at AT TIME ZONE 'Asia/Shanghai', " \
  "'YYYY-MM-DD\"T\"HH24')"
constexpr const char* kServiceUnavailable =
    "INSERT INTO alerts (rule, severity, agency_code, resource_code, subject, detail)"
    " SELECT DISTINCT ON (" HUB_OUTAGE_SUBJECT
    ") 'service_unavailable', 'critical',"
    " o.provider_code, o.resource_code, " HUB_OUTAGE_SUBJECT
    ","
    " jsonb_build_object('upstream', o.upstream, 'failures', o.failures,"
    " 'last_failure', o.last_failure, 'opened_at', o.opened_at)"
    " FROM service_outages o JOIN agencies a ON a.code = o.provider_code"
    " WHERE o.opened_at > now() - interval '1 day' AND " HUB_NOT_OPENED(
        "'service_unavailable'",
        HUB_OUTAGE_SUBJECT) " ORDER BY " HUB_OUTAGE_SUBJECT
                            ", o.opened_at ON CONFLICT (rule, subject) DO NOTHING";
constexpr const char* kPruneOutages =
    "DELETE FROM service_outages WHERE opened_at < now() - interval '7 days'";

// A live grant ends within $1 days and no renewal waits for its provider (API.md Part 2): its
// holder should renew it or let it go knowingly. Against the consumer; the subject carries the
// end, so a renewed grant warns again before its new end.
#define HUB_EXPIRING_SUBJECT "g.id || '@' || " HUB_SQL_TS("g.valid_until")
constexpr const char* kGrantExpiring =
    "INSERT INTO alerts (rule, severity, agency_code, resource_code, subject, detail)"
    " SELECT 'grant_expiring', 'warning', g.consumer_code, g.resource_code, " HUB_EXPIRING_SUBJECT
    ", jsonb_build_object('grant_id', g.id, 'provider_code', g.provider_code,"
    " 'valid_until', " HUB_SQL_TS("g.valid_until") ","
    " 'days_left', ceil(extract(epoch FROM g.valid_until - now()) / 86400)::int)"
    " FROM grants g JOIN agencies a ON a.code = g.consumer_code"
    " WHERE g.revoked_at IS NULL AND g.ended_at IS NULL AND g.valid_until > now()"
    " AND g.valid_until <= now() + make_interval(days => $1::int)"
    " AND NOT EXISTS (SELECT 1 FROM applications r WHERE r.renews_grant_id = g.id"
    "  AND r.status = 'pending')"
    " AND " HUB_NOT_OPENED("'grant_expiring'", HUB_EXPIRING_SUBJECT)
    " ON CONFLICT (rule, subject) DO NOTHING";

// A demand assigned to an agency and not answered by its deadline (API.md Part 2). Against the
// agency it is assigned to; the subject carries the deadline, so a reassigned demand that runs
// late again alerts again.
#define HUB_DEMAND_SUBJECT "d.id || '@' || " HUB_SQL_TS("d.due_at")
constexpr const char* kDemandOverdue =
    "INSERT INTO alerts (rule, severity, agency_code, subject, detail)"
    " SELECT 'demand_overdue', 'warning', d.provider_code, " HUB_DEMAND_SUBJECT
    ", jsonb_build_object('demand_id', d.id, 'consumer_code', d.consumer_code,"
    " 'title', d.title, 'due_at', " HUB_SQL_TS("d.due_at") ")"
    " FROM demands d JOIN agencies a ON a.code = d.provider_code"
    " WHERE d.status = 'assigned' AND d.due_at < now()"
    " AND " HUB_NOT_OPENED("'demand_overdue'", HUB_DEMAND_SUBJECT)
    " ON CONFLICT (rule, subject) DO NOTHING";

// The working-day calendar holds no year after the current one, and its last year ends within the
// window (API.md Part 2): deadlines after it would count no holiday. The hub's, not an agency's.
// $1 subject, $2 last year, $3 its last day, $4 days left.
constexpr const char* kCalendarEnding =
    "INSERT INTO alerts (rule, severity, agency_code, subject, detail)"
    " SELECT 'calendar_ending', 'warning', NULL, $1,"
    " jsonb_build_object('last_year', $2::int, 'ends_on', $3::text, 'days_left', $4::int)"
    " WHERE " HUB_NOT_OPENED("'calendar_ending'", "$1") " ON CONFLICT (rule, subject) DO NOTHING";

// Active indicators and the periods each has a recorded value for (API.md Part 2, "Indicator
// reporting"): the first period missing from its start on is checked for its due time here, by
// the calendar, which SQL does not hold.
constexpr const char* kIndicatorsDue =
    "SELECT i.code, i.frequency, i.reporter_code, i.due_working_day, i.start_period,"
    " (SELECT array_to_json(array_agg(DISTINCT v.period ORDER BY v.period))::text"
    " FROM indicator_values v WHERE v.indicator_code = i.code AND v.ledger_index IS NOT NULL)"
    " FROM indicators i WHERE i.status = 'active'";
// $1 the reporter, $2 subject (code@period: once per period), $3 code, $4 period, $5 due at.
constexpr const char* kIndicatorOverdue =
    "INSERT INTO alerts (rule, severity, agency_code, subject, detail)"
    " SELECT 'indicator_overdue', 'warning', $1, $2,"
    " jsonb_build_object('indicator_code', $3::text, 'period', $4::text, 'due_at', $5::text)"
    " WHERE " HUB_NOT_OPENED("'indicator_overdue'", "$2") " ON CONFLICT (rule, subject) DO NOTHING";

constexpr const char* kOpenCounts =
    "SELECT rule, count(*) FROM alerts WHERE status = 'open' GROUP BY 1";

constexpr const char* kPrune =
    "DELETE FROM ledger_hourly WHERE hour < now() - make_interval(days => $1::int)";
// Verify misses count within the last hour only.
constexpr const char* kPruneVerifyMisses =
    "DELETE FROM verify_misses WHERE minute < now() - interval '2 hours'";

}  // namespace

const std::vector<Rule>& rules() {
  static const std::vector<Rule> all = {
      {"volume_spike", "warning"},        {"denied_burst", "warning"},
      {"off_hours_bulk", "critical"},     {"overdue_application", "warning"},
      {"overdue_objection", "warning"},   {"stale_resource", "info"},
      {"verify_enumeration", "critical"}, {"service_unavailable", "critical"},
      {"grant_expiring", "warning"},      {"demand_overdue", "warning"},
      {"calendar_ending", "warning"},     {"returned_late", "warning"},
      {"indicator_overdue", "warning"},
  };
  return all;
}

Monitor::Monitor(MonitorOptions options, sharing::WorkingCalendar calendar)
    : options_(std::move(options)),
      calendar_(std::move(calendar)),
      loop_(
          options_.config.interval,
          [this] {
            round();
            return false;
          },
          [this](const std::exception& e, bool first) {
            if (first) spdlog::warn("early warning: {}", e.what());
            stats_.failures.fetch_add(1, std::memory_order_relaxed);
            session_.reset();
            stats_.leader.store(false);
          }) {}

Monitor::~Monitor() { stop(); }

void Monitor::start() { loop_.start(); }

void Monitor::stop() {
  loop_.stop();
  session_.reset();
  stats_.leader.store(false);
}

bool Monitor::off_hours(const sharing::WorkingCalendar& calendar, const MonitorConfig& config,
                        std::chrono::system_clock::time_point at) {
  const auto day = calendar.local_day(at);
  if (!calendar.is_working_day(day)) return true;
  const auto local = at + calendar.utc_offset();
  const auto hour = std::chrono::floor<std::chrono::hours>(local - day).count();
  return hour < config.work_start_hour || hour >= config.work_end_hour;
}

void Monitor::round() {
  if (!session_) {
    session_ = std::make_unique<pg::LeaderSession>(pg::LeaderSession::Options{
        options_.conninfo, options_.connect_timeout, "SET application_name = 'hub-early-warning'",
        kLockKey, "early warning: this node evaluates the rules now"});
  }
  PGconn* c = session_->conn();
  if (session_->lead()) {
    stats_.leader.store(true);
    const std::uint64_t opened = evaluate();
    if (opened > 0) {
      stats_.opened.fetch_add(opened, std::memory_order_relaxed);
      spdlog::info("early warning: {} alert(s) opened", opened);
    }
  }
  // Every node counts the open alerts for its own /metrics.
  auto counts = pg::exec_blocking(c, kOpenCounts, pg::Params());
  std::map<std::string, std::int64_t> open;
  for (int i = 0; i < counts.rows(); ++i) {
    open[std::string(counts.get(i, 0))] = counts.get_int(i, 1);
  }
  std::lock_guard lock(counts_mutex_);
  open_counts_ = std::move(open);
}

std::uint64_t Monitor::evaluate() {
  PGconn* c = session_->conn();
  const MonitorConfig& cfg = options_.config;
  std::uint64_t opened = 0;
  auto run = [&](const char* sql, const pg::Params& params) {
    opened += static_cast<std::uint64_t>(pg::exec_blocking(c, sql, params).affected());
  };
  run(kVolumeSpike, pg::Params()
                        .add(static_cast<std::int64_t>(cfg.spike_factor))
                        .add(static_cast<std::int64_t>(cfg.spike_min_requests))
                        .add(static_cast<std::int64_t>(cfg.baseline_days)));
  run(kDeniedBurst, pg::Params().add(static_cast<std::int64_t>(cfg.denied_burst)));
  auto bulk = pg::exec_blocking(c, kBulkHours,
                                pg::Params().add(static_cast<std::int64_t>(cfg.off_hours_records)));
  for (int i = 0; i < bulk.rows(); ++i) {
    const std::chrono::system_clock::time_point hour{std::chrono::seconds(bulk.get_int(i, 1))};
    if (!off_hours(calendar_, cfg, hour)) continue;
    run(kOffHoursBulk, pg::Params()
                           .add(bulk.get(i, 0))
                           .add(bulk.get_int(i, 1))
                           .add(bulk.get_int(i, 2))
                           .add(bulk.get_int(i, 3))
                           .add(static_cast<std::int64_t>(cfg.off_hours_records)));
  }
  run(kOverdueApplications, pg::Params());
  run(kOverdueObjections, pg::Params());
  run(kStaleResources, pg::Params());
  run(kReturnedLate, pg::Params());
  run(kVerifyEnumeration,
      pg::Params().add(static_cast<std::int64_t>(options_.verify_misses_per_hour)));
  run(kServiceUnavailable, pg::Params());
  run(kGrantExpiring, pg::Params().add(static_cast<std::int64_t>(cfg.grant_expiring_days)));
  run(kDemandOverdue, pg::Params());
  // An indicator whose next period is past its due time: one alert per period, for the reporter.
  const auto now_time = std::chrono::system_clock::now();
  auto due_rows = pg::exec_blocking(c, kIndicatorsDue, pg::Params());
  for (int i = 0; i < due_rows.rows(); ++i) {
    const auto frequency = indicators::frequency_of(due_rows.get(i, 1));
    if (!frequency) continue;
    const auto start = indicators::parse_period(due_rows.get(i, 4), *frequency);
    if (!start) continue;
    std::vector<std::string> reported;
    if (!due_rows.is_null(i, 5)) {
      for (const auto& p : nlohmann::json::parse(due_rows.get(i, 5))) {
        reported.push_back(p.get<std::string>());
      }
    }
    const auto next = indicators::first_missing(*start, reported, calendar_.local_day(now_time));
    if (!next) continue;
    const auto due = indicators::due_at(*next, static_cast<int>(due_rows.get_int(i, 3)), calendar_);
    if (now_time <= due) continue;
    const std::string code(due_rows.get(i, 0));
    run(kIndicatorOverdue, pg::Params()
                               .add(due_rows.get(i, 2))
                               .add(code + "@" + next->text())
                               .add(code)
                               .add(next->text())
                               .add(sharing::format_time(due)));
  }
  if (const auto last = calendar_.last_year(); last && cfg.calendar_ending_days > 0) {
    using namespace std::chrono;
    const sys_days end{year{*last} / December / 31};
    const auto left = (end - calendar_.local_day(system_clock::now())).count();
    if (left <= static_cast<long>(cfg.calendar_ending_days)) {
      run(kCalendarEnding, pg::Params()
                               .add("calendar@" + std::to_string(*last))
                               .add(static_cast<std::int64_t>(*last))
                               .add(std::to_string(*last) + "-12-31")
                               .add(static_cast<std::int64_t>(left)));
    }
  }
  const auto now = std::chrono::steady_clock::now();
  if (now >= next_prune_) {
    pg::exec_blocking(c, kPruneOutages, pg::Params());
    // The hourly rollup is a working table: the baselines need baseline_days of it.
    pg::exec_blocking(c, kPrune,
                      pg::Params().add(static_cast<std::int64_t>(cfg.baseline_days + 2)));
    pg::exec_blocking(c, kPruneVerifyMisses, pg::Params());
    next_prune_ = now + std::chrono::hours(1);
  }
  // Data quality, last: a few resources re-measured a round, those never measured or written
  // since first, so that the data-quality report and the score read current measurements. A
  // failure here (a statement timeout on a huge resource) costs the measurement, not the rules.
  // Within a time budget a round (about a sixth of the interval, at least two seconds), each
  // measurement bounded on the server (30 s).
  const auto budget = std::max<std::chrono::milliseconds>(
      std::chrono::milliseconds(2000),
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.config.interval / 6));
  const auto measuring_until = std::chrono::steady_clock::now() + budget;
  auto due = pg::exec_blocking(c, kQualityDue, pg::Params().add(std::int64_t{50}));
  pg::exec_blocking(c, kMeasureTimeout);
  for (int i = 0; i < due.rows() && std::chrono::steady_clock::now() < measuring_until; ++i) {
    try {
      pg::exec_blocking(c, kMeasureQuality,
                        pg::Params()
                            .add(due.get(i, 0))
                            .add(report::QualityService::kExactRecords)
                            .add(report::QualityService::kSampleProbes));
    } catch (const pg::PgError& e) {
      spdlog::warn("early warning: measuring the quality of {} failed: {}", due.get(i, 0),
                   e.what());
    }
  }
  pg::exec_blocking(c, kMeasureTimeoutOff);
  return opened;
}

void Monitor::render_metrics(std::string& out) const {
  std::map<std::string, std::int64_t> open;
  {
    std::lock_guard lock(counts_mutex_);
    open = open_counts_;
  }
  out += "# HELP hub_alerts_open Early-warning alerts not yet acknowledged.\n";
  out += "# TYPE hub_alerts_open gauge\n";
  for (const auto& r : rules()) {
    auto it = open.find(r.name);
    out += "hub_alerts_open{rule=\"" + std::string(r.name) + "\",severity=\"" + r.severity +
           "\"} " + std::to_string(it == open.end() ? 0 : it->second) + "\n";
  }
  out += "# TYPE hub_alerts_opened_total counter\nhub_alerts_opened_total ";
  out += std::to_string(stats_.opened.load()) + "\n";
  out += "# TYPE hub_monitor_leader gauge\nhub_monitor_leader ";
  out += std::string(stats_.leader.load() ? "1" : "0") + "\n";
  out += "# TYPE hub_monitor_failures_total counter\nhub_monitor_failures_total ";
  out += std::to_string(stats_.failures.load()) + "\n";
}

}  // namespace hub::monitor
