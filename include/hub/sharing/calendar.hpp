#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace hub::sharing {

// The city's working days: Monday to Friday, minus configured holidays, plus configured
// make-up working days (调休), in the city's time zone (a fixed UTC offset: China has no DST).
class WorkingCalendar {
 public:
  using Day = std::chrono::sys_days;
  using Time = std::chrono::system_clock::time_point;

  // Parses the calendar file format (config/calendar.json); throws ConfigError naming what is
  // wrong.
  static WorkingCalendar from_json(const nlohmann::json& doc, const std::string& origin);
  // The same from the file's text (strict JSON: nesting bounded, no key twice).
  static WorkingCalendar from_text(std::string_view text, const std::string& origin);
  static WorkingCalendar load(const std::filesystem::path& file);
  // The calendar compiled into the binary (config/calendar.json of the source tree).
  static WorkingCalendar built_in();

  bool is_working_day(Day day) const;
  // The n-th working day after `from` (n >= 1).
  Day add_working_days(Day from, int n) const;
  // When something submitted at `at` is due, `n` working days later: the end (23:59:59 local)
  // of the n-th working day after the local day of `at`.
  Time due(Time at, int n) const;
  Day local_day(Time at) const;
  std::chrono::minutes utc_offset() const { return offset_; }
  // The years whose official schedule the calendar holds ("years"; without it, the years its
  // holidays and make-up days fall in), and the last of them: after its end, deadlines are
  // counted as if no holiday came (calendar_ending warns before).
  const std::set<int>& years() const { return years_; }
  std::optional<int> last_year() const {
    return years_.empty() ? std::nullopt : std::optional(*years_.rbegin());
  }

 private:
  std::chrono::minutes offset_{480};
  std::set<int> years_;
  std::set<Day> holidays_;
  std::set<Day> workdays_;
};

// "YYYY-MM-DD" → day, or nullopt (also for a year outside 1970–2199, which no deadline, holiday
// or grant needs and whose days a system_clock time point cannot hold).
std::optional<std::chrono::sys_days> parse_day(const std::string& text);
std::string format_time(std::chrono::system_clock::time_point t);  // RFC 3339 UTC, seconds
// A validity's end as a client gives it: "YYYY-MM-DD" (the end of that day, the city's time) or
// an RFC 3339 time; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_until(const std::string& text,
                                                                 const WorkingCalendar& calendar);

}  // namespace hub::sharing
