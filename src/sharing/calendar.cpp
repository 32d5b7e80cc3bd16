#include "hub/sharing/calendar.hpp"

#include <fstream>
#include <regex>
#include <sstream>

#include "hub/core/config.hpp"
#include "hub/core/embedded.hpp"
#include "hub/core/json.hpp"

namespace hub::sharing {

using namespace std::chrono;
using nlohmann::json;

std::optional<sys_days> parse_day(const std::string& text) {
  static const std::regex re(R"(^(\d{4})-(\d{2})-(\d{2})$)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  // 1970 to 2199: every such day is a system_clock time point (nanoseconds reach 2262 only), and
  // no deadline, holiday or grant of the hub's lies outside it.
  const int y = std::stoi(m[1]);
  if (y < 1970 || y > 2199) return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(std::stoi(m[2]))},
                     day{static_cast<unsigned>(std::stoi(m[3]))}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

std::string format_time(system_clock::time_point t) {
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

WorkingCalendar WorkingCalendar::from_json(const json& doc, const std::string& origin) {
  auto bad = [&](const std::string& what) {
    throw ConfigError("calendar " + origin + ": " + what);
  };
  if (!doc.is_object()) bad("must be a JSON object");
  WorkingCalendar cal;
  for (const auto& [key, value] : doc.items()) {
    if (key == "description") continue;
    if (key == "utc_offset") {
      static const std::regex re(R"(^([+-])(\d{2}):(\d{2})$)");
      std::smatch m;
      const std::string text = value.is_string() ? value.get<std::string>() : "";
      if (!std::regex_match(text, m, re) || std::stoi(m[2]) > 14 || std::stoi(m[3]) > 59) {
        bad("utc_offset must look like +08:00");
      }
      int minutes = std::stoi(m[2]) * 60 + std::stoi(m[3]);
      cal.offset_ = std::chrono::minutes(m[1] == "-" ? -minutes : minutes);
    } else if (key == "holidays" || key == "workdays") {
      if (!value.is_array()) bad(key + " must be an array of dates");
      for (const auto& d : value) {
        auto day = d.is_string() ? parse_day(d.get<std::string>()) : std::nullopt;
        if (!day) bad(key + ": '" + d.dump() + "' is not a date YYYY-MM-DD");
        (key == "holidays" ? cal.holidays_ : cal.workdays_).insert(*day);
      }
    } else if (key == "years") {
      if (!value.is_array()) bad("years must be an array of years");
      for (const auto& y : value) {
        if (!y.is_number_integer() || y.get<std::int64_t>() < 1970 ||
            y.get<std::int64_t>() > 2199) {
          bad("years: '" + y.dump() + "' is not a year from 1970 to 2199");
        }
        cal.years_.insert(y.get<int>());
      }
      if (cal.years_.empty()) bad("years must name at least one year");
    } else {
      bad("unknown key '" + key + "'");
    }
  }
  if (!doc.contains("years")) {
    for (const auto& set : {cal.holidays_, cal.workdays_}) {
      for (const auto& d : set) cal.years_.insert(static_cast<int>(year_month_day{d}.year()));
    }
  }
  for (const auto& d : cal.holidays_) {
    if (cal.workdays_.contains(d)) {
      bad(format_time(d).substr(0, 10) + " is both a holiday and a make-up working day");
    }
  }
  return cal;
}

WorkingCalendar WorkingCalendar::from_text(std::string_view text, const std::string& origin) {
  JsonError error;
  auto doc = parse_json(text, error);
  if (!doc) throw ConfigError("calendar " + origin + ": not valid JSON: " + error.message);
  return from_json(*doc, origin);
}

WorkingCalendar WorkingCalendar::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError("cannot read the calendar file '" + file.string() + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return from_text(text.str(), file.string());
}

WorkingCalendar WorkingCalendar::built_in() {
  auto text = embedded::file("config/calendar.json");
  if (!text) return WorkingCalendar{};
  return from_text(*text, "(built in)");
}

bool WorkingCalendar::is_working_day(Day d) const {
  if (workdays_.contains(d)) return true;
  if (holidays_.contains(d)) return false;
  const weekday wd{d};
  return wd != Saturday && wd != Sunday;
}

WorkingCalendar::Day WorkingCalendar::add_working_days(Day from, int n) const {
  Day d = from;
  for (int counted = 0; counted < n;) {
    d += days{1};
    if (is_working_day(d)) ++counted;
  }
  return d;
}

WorkingCalendar::Day WorkingCalendar::local_day(Time at) const { return floor<days>(at + offset_); }

WorkingCalendar::Time WorkingCalendar::due(Time at, int n) const {
  const Day last = add_working_days(local_day(at), n);
  // 23:59:59 local on that day, in UTC.
  return Time(last) + hours{24} - seconds{1} - offset_;
}

// "YYYY-MM-DD" (the end of that day, local time) or an RFC 3339 time.
std::optional<std::chrono::system_clock::time_point> parse_until(const std::string& text,
                                                                 const WorkingCalendar& calendar) {
  if (auto day = parse_day(text)) {
    return std::chrono::system_clock::time_point(*day) + std::chrono::hours{24} -
           std::chrono::seconds{1} - calendar.utc_offset();
  }
  static const std::regex re(
      R"(^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  auto day = parse_day(m[1]);
  int h = std::stoi(m[2]), mi = std::stoi(m[3]), s = std::stoi(m[4]);
  if (!day || h > 23 || mi > 59 || s > 59) return std::nullopt;
  auto t = std::chrono::system_clock::time_point(*day) + std::chrono::hours{h} +
           std::chrono::minutes{mi} + std::chrono::seconds{s};
  if (m[5] != "Z") {
    auto off = std::chrono::hours{std::stoi(m[7])} + std::chrono::minutes{std::stoi(m[8])};
    t = m[6] == "+" ? t - off : t + off;
  }
  return t;
}

}  // namespace hub::sharing
