#include "hub/indicators/service.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/ledger/merkle.hpp"
#include "hub/store/pg.hpp"

namespace hub::indicators {

namespace asio = boost::asio;
namespace chr = std::chrono;
using nlohmann::json;

namespace {

#define HUB_INDICATOR_COLUMNS \
  "i.code, i.name, i.unit, i.frequency, i.reporter_code, i.due_working_day, i.theme,"          \
  " i.start_period, i.min_value::float8, i.max_value::float8, i.max_change_ratio::float8,"     \
  " array_to_json(i.dimensions)::text, i.status, " HUB_SQL_TS("i.created_at") ", i.created_by, " \
  HUB_SQL_TS("i.updated_at")                                                                   \
  ", (SELECT array_to_json(array_agg(DISTINCT v.period ORDER BY v.period))::text"             \
  " FROM indicator_values v WHERE v.indicator_code = i.code AND v.ledger_index IS NOT NULL)"

#define HUB_VALUE_COLUMNS                                                               \
  "v.indicator_code, v.period, v.version, v.value::float8, v.dimensions::text, v.note," \
  " v.reported_by, to_char(v.reported_at AT TIME ZONE 'UTC', "                          \
  "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"                                               \
  " v.ledger_index"

constexpr pg::Query kInsert{
    "indicator_insert",
    "WITH i AS (INSERT INTO indicators (code, name, unit, frequency, reporter_code,"
    " due_working_day, theme, start_period, min_value, max_value, max_change_ratio, dimensions,"
    " created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric, $10::numeric,"
    " $11::numeric, ARRAY(SELECT json_array_elements_text($12::json)), $13) RETURNING *)"
    " SELECT " HUB_INDICATOR_COLUMNS " FROM i"};
constexpr pg::Query kOne{"indicator_one",
                         "SELECT " HUB_INDICATOR_COLUMNS " FROM indicators i WHERE i.code = $1"};
constexpr pg::Query kUpdate{
    "indicator_update",
    "WITH i AS (UPDATE indicators SET name = $2, unit = $3, theme = $4, status = $5,"
    " due_working_day = $6, min_value = $7::numeric, max_value = $8::numeric,"
    " max_change_ratio = $9::numeric, updated_at = now() WHERE code = $1 RETURNING *)"
    " SELECT " HUB_INDICATOR_COLUMNS " FROM i"};
constexpr pg::Query kList{"indicator_list",
                          "SELECT " HUB_INDICATOR_COLUMNS
                          " FROM indicators i WHERE i.code > $1"
                          " AND ($2::text IS NULL OR i.theme = $2)"
                          " AND ($3::text IS NULL OR i.reporter_code = $3)"
                          " AND ($4::text IS NULL OR i.status = $4) ORDER BY i.code LIMIT $5"};
// The latest version of a period.
constexpr pg::Query kLatest{"indicator_value_latest",
                            "SELECT " HUB_VALUE_COLUMNS
                            " FROM indicator_values v WHERE v.indicator_code = $1"
                            " AND v.period = $2 ORDER BY v.version DESC LIMIT 1"};
// The next version of the period; a concurrent report of the same period makes the second a
// unique violation (answered 409).
constexpr pg::Query kInsertValue{
    "indicator_value_insert",
    "INSERT INTO indicator_values AS v (indicator_code, period, version, value, dimensions, note,"
    " reported_by) VALUES ($1, $2, (SELECT coalesce(max(version), 0) + 1 FROM indicator_values"
    " WHERE indicator_code = $1 AND period = $2), $3::numeric, $4::jsonb, $5, $6)"
    " RETURNING " HUB_VALUE_COLUMNS};
constexpr pg::Query kRecorded{
    "indicator_value_recorded",
    "UPDATE indicator_values SET ledger_index = $4 WHERE indicator_code = $1 AND period = $2"
    " AND version = $3"};
constexpr pg::Query kSeries{
    "indicator_value_series",
    "SELECT DISTINCT ON (v.period) " HUB_VALUE_COLUMNS
    " FROM indicator_values v WHERE v.indicator_code = $1 AND v.ledger_index IS NOT NULL"
    " AND ($2::text IS NULL OR v.period >= $2) AND ($3::text IS NULL OR v.period <= $3)"
    " ORDER BY v.period, v.version DESC LIMIT 1000"};
constexpr pg::Query kHistory{"indicator_value_history",
                             "SELECT " HUB_VALUE_COLUMNS
                             " FROM indicator_values v WHERE v.indicator_code = $1"
                             " AND v.period = $2 AND v.ledger_index IS NOT NULL"
                             " ORDER BY v.version LIMIT 1000"};

// A float8's text (never denormal: storable() keeps those out; from_chars would not throw).
double double_of(std::string_view text) {
  double v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

std::optional<double> opt_double(const pg::Result& r, int row, int col) {
  if (r.is_null(row, col)) return std::nullopt;
  return double_of(r.get(row, col));
}

Indicator indicator_of(const pg::Result& r, int row) {
  Indicator i;
  i.code = r.get(row, 0);
  i.name = r.get(row, 1);
  i.unit = r.get(row, 2);
  i.frequency = r.get(row, 3);
  i.reporter_code = r.get(row, 4);
  i.due_working_day = static_cast<int>(r.get_int(row, 5));
  i.theme = r.get(row, 6);
  i.start_period = r.get(row, 7);
  i.min = opt_double(r, row, 8);
  i.max = opt_double(r, row, 9);
  i.max_change_ratio = opt_double(r, row, 10);
  if (!r.is_null(row, 11)) {
    for (const auto& d : json::parse(r.get(row, 11))) i.dimensions.push_back(d.get<std::string>());
  }
  i.status = r.get(row, 12);
  i.created_at = r.get(row, 13);
  i.created_by = r.get(row, 14);
  i.updated_at = r.get(row, 15);
  if (!r.is_null(row, 16)) {
    for (const auto& p : json::parse(r.get(row, 16))) i.reported.push_back(p.get<std::string>());
  }
  if (!i.reported.empty()) i.last_period = i.reported.back();
  return i;
}

ValueVersion value_of(const pg::Result& r, int row) {
  ValueVersion v;
  v.indicator_code = r.get(row, 0);
  v.period = r.get(row, 1);
  v.version = static_cast<int>(r.get_int(row, 2));
  v.value = double_of(r.get(row, 3));
  if (!r.is_null(row, 4)) v.dimensions = json::parse(r.get(row, 4)).get<Breakdown>();
  v.note = r.get_text(row, 5);
  v.reported_by = r.get(row, 6);
  v.reported_at = r.get(row, 7);
  if (!r.is_null(row, 8)) v.ledger_index = r.get_int(row, 8);
  return v;
}

// A number as PostgreSQL's numeric reads it: the shortest text that reads back as the double.
std::string numeric_text(double v) { return json(v).dump(); }

std::optional<std::string> numeric_text(const std::optional<double>& v) {
  if (!v) return std::nullopt;
  return numeric_text(*v);
}

[[noreturn]] void invalid(const std::string& field, const std::string& message) {
  throw ApiError(ErrorCode::validation_failed, field + " " + message, {{field, message}}, 422);
}

[[noreturn]] void indicator_not_found() {
  throw ApiError(ErrorCode::not_found, "indicator not found");
}

bool coordinates(const Principal& me) {
  return me.has(Role::hub_admin) || me.has(Role::coordinator);
}

void check_bounds(const std::optional<double>& min, const std::optional<double>& max,
                  const std::optional<double>& ratio) {
  if (min && !storable(*min)) invalid("min", "must be a finite number");
  if (max && !storable(*max)) invalid("max", "must be a finite number");
  if (min && max && *min > *max) invalid("max", "must not be less than min");
  if (ratio && (!storable(*ratio) || *ratio <= 0 || *ratio > 1000)) {
    invalid("max_change_ratio", "must be more than 0 and at most 1000 (a ratio: 0.3 is 30%)");
  }
}

// A value in the city's words: the number, at most 6 significant digits.
std::string shown(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", ratio * 100);
  return buf;
}

}  // namespace

std::string value_document(const ValueVersion& v) {
  json doc = {{"indicator_code", v.indicator_code},
              {"period", v.period},
              {"version", v.version},
              {"value", v.value},
              {"dimensions", v.dimensions ? json(*v.dimensions) : json(nullptr)},
              {"note", v.note ? json(*v.note) : json(nullptr)},
              {"reported_by", v.reported_by},
              {"reported_at", v.reported_at}};
  return doc.dump(-1, ' ', false, json::error_handler_t::strict);
}

Indicator IndicatorService::with_schedule(Indicator indicator) const {
  const auto frequency = frequency_of(indicator.frequency);
  if (!frequency || indicator.status != "active") return indicator;
  const auto start = parse_period(indicator.start_period, *frequency);
  if (!start) return indicator;
  const auto now = chr::system_clock::now();
  // The first period from the start that has ended (its next period has begun, city time) and
  // has no recorded value: a gap further back is due before the periods after it.
  const auto next = first_missing(*start, indicator.reported, calendar_.local_day(now));
  if (!next) return indicator;
  const auto due = due_at(*next, indicator.due_working_day, calendar_);
  indicator.next_period = next->text();
  indicator.next_due_at = sharing::format_time(due);
  indicator.overdue = now > due;
  return indicator;
}

ValueVersion IndicatorService::with_due(ValueVersion v, const Indicator& indicator) const {
  const auto frequency = frequency_of(indicator.frequency);
  const auto period = frequency ? parse_period(v.period, *frequency) : std::nullopt;
  if (!period) return v;
  const auto due = due_at(*period, indicator.due_working_day, calendar_);
  v.due_at = sharing::format_time(due);
  // reported_at has microseconds; the due time is whole seconds, so comparing the first 19
  // characters ("YYYY-MM-DDTHH:MM:SS") is comparing the times.
  v.on_time = v.reported_at.substr(0, 19) <= v.due_at.substr(0, 19);
  return v;
}

asio::awaitable<Indicator> IndicatorService::create(const Caller& caller,
                                                    const Indicator& indicator) {
  if (!coordinates(caller.principal)) {
    throw ApiError(ErrorCode::forbidden, "the coordination group defines indicators");
  }
  static const std::regex code_re("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$");
  if (!std::regex_match(indicator.code, code_re)) {
    invalid("code", "is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit");
  }
  const auto frequency = frequency_of(indicator.frequency);
  if (!frequency) invalid("frequency", "is monthly, quarterly or yearly");
  if (!parse_period(indicator.start_period, *frequency)) {
    invalid("start_period", "is a period of the indicator's frequency (2026-01, 2026-Q1, 2026)");
  }
  if (indicator.due_working_day < 1 || indicator.due_working_day > 60) {
    invalid("due_rule", "working_day_of_next_period is 1 to 60");
  }
  check_bounds(indicator.min, indicator.max, indicator.max_change_ratio);
  for (const auto& d : indicator.dimensions) {
    const auto& known = known_dimensions();
    if (std::find(known.begin(), known.end(), d) == known.end()) {
      invalid("dimensions", "are among: district, industry");
    }
  }
  json dims = indicator.dimensions;
  const pg::Params params = pg::Params()
                                .add(indicator.code)
                                .add(indicator.name)
                                .add(indicator.unit)
                                .add(indicator.frequency)
                                .add(indicator.reporter_code)
                                .add(indicator.due_working_day)
                                .add(indicator.theme)
                                .add(indicator.start_period)
                                .add(numeric_text(indicator.min))
                                .add(numeric_text(indicator.max))
                                .add(numeric_text(indicator.max_change_ratio))
                                .add(dims.dump())
                                .add(caller.principal.id);
  std::optional<pg::Result> r;
  try {
    r = co_await caller.db().exec(kInsert, params);
  } catch (const pg::PgError& e) {
    if (e.is_unique_violation()) {
      throw ApiError(ErrorCode::conflict, "an indicator with this code exists");
    }
    if (e.sqlstate() == "23503") invalid("reporter_code", "is not an agency of the hub");
    throw;
  }
  co_return with_schedule(indicator_of(*r, 0));
}

asio::awaitable<Indicator> IndicatorService::get(const Caller& caller, const std::string& code) {
  const pg::Params params = pg::Params().add(code);
  auto r = co_await caller.db().exec(kOne, params);
  if (r.rows() == 0) indicator_not_found();
  co_return with_schedule(indicator_of(r, 0));
}

asio::awaitable<Indicator> IndicatorService::change(const Caller& caller, const std::string& code,
                                                    const IndicatorChange& change) {
  if (!coordinates(caller.principal)) {
    throw ApiError(ErrorCode::forbidden, "the coordination group changes indicators");
  }
  Indicator i = co_await get(caller, code);
  if (change.name) i.name = *change.name;
  if (change.unit) i.unit = *change.unit;
  if (change.theme) i.theme = *change.theme;
  if (change.status) {
    if (*change.status != "active" && *change.status != "retired") {
      invalid("status", "is active or retired");
    }
    i.status = *change.status;
  }
  if (change.due_working_day) {
    if (*change.due_working_day < 1 || *change.due_working_day > 60) {
      invalid("due_rule", "working_day_of_next_period is 1 to 60");
    }
    i.due_working_day = *change.due_working_day;
  }
  if (change.min) i.min = *change.min;
  if (change.max) i.max = *change.max;
  if (change.max_change_ratio) i.max_change_ratio = *change.max_change_ratio;
  check_bounds(i.min, i.max, i.max_change_ratio);
  const pg::Params params = pg::Params()
                                .add(code)
                                .add(i.name)
                                .add(i.unit)
                                .add(i.theme)
                                .add(i.status)
                                .add(i.due_working_day)
                                .add(numeric_text(i.min))
                                .add(numeric_text(i.max))
                                .add(numeric_text(i.max_change_ratio));
  auto r = co_await caller.db().exec(kUpdate, params);
  if (r.rows() == 0) indicator_not_found();
  co_return with_schedule(indicator_of(r, 0));
}

asio::awaitable<ListPage<Indicator>> IndicatorService::list(const Caller& caller,
                                                            const IndicatorFilter& filter,
                                                            const PageRequest& page) {
  const pg::Params params = pg::Params()
                                .add(page.after_id())
                                .add(filter.theme)
                                .add(filter.reporter)
                                .add(filter.status)
                                .add(static_cast<std::int64_t>(page.limit));
  auto r = co_await caller.db().exec(kList, params);
  co_return ListPage<Indicator>::of_rows(
      r.rows(), page.limit, [&](int i) { return with_schedule(indicator_of(r, i)); },
      [](const Indicator& i) { return i.code; });
}

asio::awaitable<Reported> IndicatorService::report(const Caller& caller, const std::string& code,
                                                   const std::string& period_text,
                                                   const ValueReport& report) {
  const Principal& me = caller.principal;
  const Indicator indicator = co_await get(caller, code);
  constexpr RoleSet kReporters = role_bit(Role::agency_cdo) | role_bit(Role::agency_data_officer) |
                                 role_bit(Role::agency_system);
  if (!me.of_agency(indicator.reporter_code) || !me.has_any(kReporters)) {
    throw ApiError(ErrorCode::forbidden,
                   "only the reporter agency's data officers and systems "
                   "report this indicator's values");
  }
  if (indicator.status != "active") {
    throw ApiError(ErrorCode::conflict, "the indicator is retired: it takes no more values");
  }
  const Frequency frequency = *frequency_of(indicator.frequency);
  const auto period = parse_period(period_text, frequency);
  if (!period) {
    invalid("period", "is a " + std::string(name_of(frequency)) +
                          " period (2026-11, 2026-Q3 or 2026, as the indicator is reported)");
  }
  if (*period < *parse_period(indicator.start_period, frequency)) {
    invalid("period", "is before the indicator's first period, " + indicator.start_period);
  }
  const chr::sys_days today = calendar_.local_day(chr::system_clock::now());
  if (chr::sys_days{period->next().first_day()} > today) {
    invalid("period", "has not ended: its value is reported once it has");
  }
  if (!storable(report.value))
    invalid("value", "must be a finite number (not one too small to store)");
  if (report.note && utf8_chars(*report.note) > 2000) {
    invalid("note", "is at most 2,000 characters");
  }
  if (indicator.min && report.value < *indicator.min) {
    invalid("value", "is below the indicator's minimum, " + shown(*indicator.min));
  }
  if (indicator.max && report.value > *indicator.max) {
    invalid("value", "is above the indicator's maximum, " + shown(*indicator.max));
  }
  if (report.dimensions) {
    for (const auto& [name, members] : *report.dimensions) {
      if (std::find(indicator.dimensions.begin(), indicator.dimensions.end(), name) ==
          indicator.dimensions.end()) {
        invalid("dimensions", "has " + name + ", which the indicator is not broken down by");
      }
      if (members.size() > kMaxDimensionMembers) {
        invalid("dimensions", name + " has more than 500 members");
      }
      for (const auto& [member, number] : members) {
        if (member.empty() || utf8_chars(member) > 64 || !storable(number)) {
          invalid("dimensions", name + " maps members (1 to 64 characters) to finite numbers");
        }
      }
    }
  }

  const std::string period_key = period->text();
  const pg::Params latest_params = pg::Params().add(code).add(period_key);
  auto latest = co_await caller.db().exec(kLatest, latest_params);
  Reported out;
  std::optional<ValueVersion> same;
  if (latest.rows() > 0) {
    ValueVersion current = value_of(latest, 0);
    if (current.value == report.value && current.dimensions == report.dimensions &&
        current.note == report.note) {
      same = std::move(current);
    }
  }
  if (!same) {
    // Against the previous period's latest value: a change beyond the ratio needs a note.
    if (indicator.max_change_ratio && !report.note &&
        *period > *parse_period(indicator.start_period, frequency)) {
      const pg::Params prev_params = pg::Params().add(code).add(period->previous().text());
      auto prev = co_await caller.db().exec(kLatest, prev_params);
      if (prev.rows() > 0) {
        const double before = value_of(prev, 0).value;
        const double change = before == 0 ? (report.value == 0 ? 0 : INFINITY)
                                          : std::fabs(report.value - before) / std::fabs(before);
        if (change > *indicator.max_change_ratio) {
          invalid("note", "is required: the value changes " +
                              (std::isfinite(change) ? percent(change) : std::string("from 0")) +
                              " against " + period->previous().text() + " (" + shown(before) +
                              "), more than the " + percent(*indicator.max_change_ratio) +
                              " the indicator allows without an explanation");
        }
      }
    }
    const std::optional<std::string> dims =
        report.dimensions ? std::optional(json(*report.dimensions).dump()) : std::nullopt;
    const pg::Params insert = pg::Params()
                                  .add(code)
                                  .add(period_key)
                                  .add(numeric_text(report.value))
                                  .add(dims)
                                  .add(report.note)
                                  .add(me.id);
    std::optional<pg::Result> r;
    try {
      r = co_await caller.db().exec(kInsertValue, insert);
    } catch (const pg::PgError& e) {
      if (!e.is_unique_violation()) throw;
      throw ApiError(ErrorCode::conflict,
                     "another value of this period was reported at the same time: read its "
                     "history and report again");
    }
    out.value = value_of(*r, 0);
    out.created = out.value.version == 1;
  } else {
    out.value = std::move(*same);
    out.created = false;
    out.new_version = false;
  }

  // The ledger entry, before the answer: a version stored but not recorded (the ledger was
  // unavailable: 503) is recorded when the same report is sent again.
  if (!out.value.ledger_index) {
    ledger::EntryDraft e;
    e.request_id = caller.request_id;
    e.operation = "report_value";
    e.consumer_code = indicator.reporter_code;
    e.principal_id = me.id;
    e.provider_code = indicator.reporter_code;
    e.resource_code = code;
    e.purpose = "指标报送 " + period_key;
    e.items = {"value"};
    if (out.value.dimensions) {
      for (const auto& [name, members] : *out.value.dimensions) e.items.push_back(name);
    }
    e.record_count = 1;
    e.status = out.created && out.new_version ? 201 : 200;
    e.response_sha256 = ledger::to_hex(ledger::sha256(value_document(out.value)));
    const auto entry = co_await ledger_.append(std::move(e));
    const pg::Params recorded =
        pg::Params().add(code).add(period_key).add(out.value.version).add(entry.index);
    co_await caller.db().exec(kRecorded, recorded);
    out.value.ledger_index = entry.index;
  }
  out.value = with_due(std::move(out.value), indicator);
  co_return out;
}

asio::awaitable<std::vector<ValueVersion>> IndicatorService::series(
    const Caller& caller, const std::string& code, const std::optional<std::string>& from,
    const std::optional<std::string>& to) {
  const Indicator indicator = co_await get(caller, code);
  const Frequency frequency = *frequency_of(indicator.frequency);
  if (from && !parse_period(*from, frequency)) {
    invalid("from", "is a period of the indicator's frequency");
  }
  if (to && !parse_period(*to, frequency))
    invalid("to", "is a period of the indicator's frequency");
  const pg::Params params = pg::Params().add(code).add(from).add(to);
  auto r = co_await caller.db().exec(kSeries, params);
  std::vector<ValueVersion> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(with_due(value_of(r, i), indicator));
  co_return out;
}

asio::awaitable<std::vector<ValueVersion>> IndicatorService::history(const Caller& caller,
                                                                     const std::string& code,
                                                                     const std::string& period) {
  const Indicator indicator = co_await get(caller, code);
  if (!parse_period(period, *frequency_of(indicator.frequency))) {
    invalid("period", "is a period of the indicator's frequency");
  }
  const pg::Params params = pg::Params().add(code).add(period);
  auto r = co_await caller.db().exec(kHistory, params);
  std::vector<ValueVersion> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(with_due(value_of(r, i), indicator));
  co_return out;
}

asio::awaitable<UploadOutcome> IndicatorService::report_upload(const Caller& caller,
                                                               const std::string& bytes,
                                                               bool xlsx) {
  UploadOutcome out;
  auto read = [&bytes, xlsx, &out] {
    return xlsx ? read_value_lines_xlsx(bytes, out.errors)
                : read_value_lines_csv(bytes, out.errors);
  };
  const std::vector<ValueLine> lines = co_await off_thread(services_, read);
  if (!out.errors.empty()) co_return out;
  for (const ValueLine& line : lines) {
    std::string field, problem;
    const auto value = number_of(line.value);
    if (line.indicator_code.empty() || line.period.empty()) {
      field = line.indicator_code.empty() ? "indicator_code" : "period";
      problem = "is required";
    } else if (!value) {
      field = "value";
      problem = line.value.empty() ? std::string("is required")
                                   : "\"" + line.value + "\" is not a number";
    } else {
      ValueReport report;
      report.value = *value;
      if (!line.note.empty()) report.note = line.note;
      try {
        const std::string code = line.indicator_code;
        const std::string period = line.period;
        (void)co_await this->report(caller, code, period, report);
        ++out.accepted;
        continue;
      } catch (const ApiError& e) {
        field = e.errors().empty() ? "indicator_code" : e.errors().front().field;
        problem = e.errors().empty() ? e.what() : e.errors().front().message;
      } catch (const pg::PgError& e) {
        // A statement the database refused for this line alone (not the database gone, which
        // ends the upload: sent again, the lines already in are the same and store nothing).
        spdlog::warn("indicator upload, line {}: {}", line.line, e.what());
        field = "value";
        problem = "could not be stored";
      }
    }
    ++out.rejected;
    if (out.errors.size() < kMaxLineErrors) out.errors.push_back({line.line, field, problem});
  }
  co_return out;
}

}  // namespace hub::indicators
