#pragma once
// Indicator reporting (指标报送, docs/indicators.md): the economic indicators each bureau reports
// on a schedule (monthly, quarterly or yearly, due on a working day of the next period by the
// sharing calendar), checked for plausibility, every revision kept and written to the ledger
// (operation report_value) before it is acknowledged.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/app/services.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/page.hpp"
#include "hub/ledger/appender.hpp"
#include "hub/sharing/calendar.hpp"

namespace hub::indicators {

// --- periods (pure) ------------------------------------------------------------------------------

enum class Frequency { monthly, quarterly, yearly };

std::optional<Frequency> frequency_of(std::string_view name);
std::string_view name_of(Frequency f);

// A reporting period: "2026-11" (monthly), "2026-Q3" (quarterly), "2026" (yearly).
struct Period {
  Frequency frequency = Frequency::monthly;
  int year = 0;
  int index = 1;  // the month 1-12, the quarter 1-4, or 1 for a year

  std::string text() const;
  std::chrono::year_month_day first_day() const;
  Period next() const;
  Period previous() const;
  auto operator<=>(const Period&) const = default;
};

// The period `text` names at `frequency`; nullopt when it is not one (another frequency's form,
// a month 13, a year before 1990 or after 2200).
std::optional<Period> parse_period(std::string_view text, Frequency frequency);

// When a period's value is due: the end (23:59:59 city time) of the n-th working day of the next
// period, counted by the sharing calendar (the first working day is n = 1).
std::chrono::system_clock::time_point due_at(const Period& period, int working_day,
                                             const sharing::WorkingCalendar& calendar);

// --- indicators ----------------------------------------------------------------------------------

inline const std::vector<std::string>& known_dimensions() {
  static const std::vector<std::string> all = {"district", "industry"};
  return all;
}

struct Indicator {
  std::string code;
  std::string name;
  std::string unit;
  std::string frequency;  // monthly | quarterly | yearly
  std::string reporter_code;
  int due_working_day = 10;  // due_rule.working_day_of_next_period
  std::string theme;
  std::string start_period;
  std::optional<double> min, max, max_change_ratio;
  std::vector<std::string> dimensions;
  std::string status;  // active | retired
  std::string created_at, created_by, updated_at;
  // The latest period reported, and the earliest period due and not reported (with its due
  // time); none when every ended period is reported (or the indicator is retired).
  std::optional<std::string> last_period;
  std::vector<std::string> reported;  // every period with a recorded version, in order
  std::optional<std::string> next_period, next_due_at;
  bool overdue = false;  // next_period is past its due time
};

struct IndicatorChange {
  std::optional<std::string> name, unit, theme, status;
  std::optional<int> due_working_day;
  // Set to a value, or cleared (an engaged optional holding nullopt).
  std::optional<std::optional<double>> min, max, max_change_ratio;
};

struct IndicatorFilter {
  std::optional<std::string> theme;
  std::optional<std::string> reporter;
  std::optional<std::string> status;
};

// --- values --------------------------------------------------------------------------------------

// A value's breakdown by dimension: dimension → member (a district's code, an industry's) →
// number.
using Breakdown = std::map<std::string, std::map<std::string, double>>;

struct ValueReport {
  double value = 0;
  std::optional<Breakdown> dimensions;
  std::optional<std::string> note;
};

// One version of a period's value, as stored and as the ledger entry commits to it.
struct ValueVersion {
  std::string indicator_code;
  std::string period;
  int version = 0;
  double value = 0;
  std::optional<Breakdown> dimensions;
  std::optional<std::string> note;
  std::string reported_by;  // principal id
  std::string reported_at;
  std::optional<std::int64_t> ledger_index;
  std::string due_at;
  bool on_time = false;  // reported by its due time (a revision: when this version was)
};

// The JSON document of a version whose SHA-256 the ledger entry records (every field above but
// ledger_index, due_at and on_time), as compact UTF-8.
std::string value_document(const ValueVersion& v);

struct Reported {
  ValueVersion value;
  bool created = false;     // the period's first version
  bool new_version = true;  // false: the same as the latest version (a retry), nothing stored
};

inline constexpr std::size_t kMaxDimensionMembers = 500;  // per dimension of one value

// --- many values at once (a spreadsheet)
// ----------------------------------------------------------

// A line of an upload: columns indicator_code, period, value, note (or 指标代码, 报告期, 数值,
// 说明), in any order, note optional. `line` is the row of the sheet or the record of the CSV
// file (the header is 1).
struct ValueLine {
  int line = 0;
  std::string indicator_code, period, value, note;
};

struct LineError {
  int line = 0;       // 0: the file as a whole
  std::string field;  // the column (indicator_code, period, value, note), or "file", "header"
  std::string message;
};

inline constexpr std::size_t kMaxValueLines = 5000;  // lines of one upload
inline constexpr std::size_t kMaxLineErrors = 1000;  // errors listed

// The lines of an upload, or the file's problems (line 0: not CSV or XLSX, no header, a column
// missing, too many lines); pure (no database). An XLSX upload is read from its first sheet.
std::vector<ValueLine> read_value_lines_csv(std::string_view csv, std::vector<LineError>& errors);
std::vector<ValueLine> read_value_lines_xlsx(std::string_view bytes,
                                             std::vector<LineError>& errors);
// A number the hub stores and reads back as it was: finite, and zero or at least DBL_MIN in
// magnitude (a denormal would not read back from PostgreSQL's text as a double).
bool storable(double v);

// The first period of an indicator due and not reported: from `start` on, the first of those
// that have ended (their next period began on or before `today`) missing from `reported`
// (sorted); nullopt when every ended period is reported.
std::optional<Period> first_missing(const Period& start, const std::vector<std::string>& reported,
                                    std::chrono::sys_days today);

// A value cell as a number ("1,234.5" with thousands commas is not: a cell is written plainly);
// nullopt when it is not a finite number.
std::optional<double> number_of(std::string_view text);

struct UploadOutcome {
  int accepted = 0;  // reported (or the same as the latest version)
  int rejected = 0;
  std::vector<LineError> errors;  // a rejected line's reason; the file's (line 0) when unread
};

class IndicatorService {
 public:
  IndicatorService(Services& services, sharing::WorkingCalendar calendar, ledger::Appender& ledger)
      : services_(services), calendar_(std::move(calendar)), ledger_(ledger) {}

  // The coordination group (coordinator, hub_admin) defines and changes indicators.
  boost::asio::awaitable<Indicator> create(const Caller& caller, const Indicator& indicator);
  boost::asio::awaitable<Indicator> change(const Caller& caller, const std::string& code,
                                           const IndicatorChange& change);
  // Every principal reads them.
  boost::asio::awaitable<Indicator> get(const Caller& caller, const std::string& code);
  boost::asio::awaitable<ListPage<Indicator>> list(const Caller& caller,
                                                   const IndicatorFilter& filter,
                                                   const PageRequest& page);

  // The reporter's agency_cdo, agency_data_officer or agency_system reports a period's value:
  // checked against the indicator (its period, min and max, its dimensions, the change against
  // the previous period needing a note), stored as a new version, and written to the ledger
  // before this returns. The same value, breakdown and note as the latest version is not a new
  // version: it answers that version (and writes its ledger entry if an earlier attempt could
  // not), so that a client may retry.
  boost::asio::awaitable<Reported> report(const Caller& caller, const std::string& code,
                                          const std::string& period, const ValueReport& report);
  // Many values from a spreadsheet (CSV or XLSX), line by line as `report` takes one: each line
  // accepted or rejected with its reason; nothing of the others depends on it.
  boost::asio::awaitable<UploadOutcome> report_upload(const Caller& caller,
                                                      const std::string& bytes, bool xlsx);
  // The latest version of each period in [from, to] (periods of the indicator's frequency; either
  // may be absent), oldest first; at most 1,000 periods.
  boost::asio::awaitable<std::vector<ValueVersion>> series(const Caller& caller,
                                                           const std::string& code,
                                                           const std::optional<std::string>& from,
                                                           const std::optional<std::string>& to);
  // Every version of a period, oldest first.
  boost::asio::awaitable<std::vector<ValueVersion>> history(const Caller& caller,
                                                            const std::string& code,
                                                            const std::string& period);

  const sharing::WorkingCalendar& calendar() const { return calendar_; }

 private:
  Indicator with_schedule(Indicator indicator) const;
  ValueVersion with_due(ValueVersion v, const Indicator& indicator) const;

  Services& services_;
  sharing::WorkingCalendar calendar_;
  ledger::Appender& ledger_;
};

}  // namespace hub::indicators
