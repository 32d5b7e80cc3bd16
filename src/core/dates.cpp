#include "hub/core/dates.hpp"

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>

namespace hub {

namespace {
int number(const std::csub_match& m) { return std::stoi(m.str()); }
}  // namespace

bool is_calendar_date(int year, int month, int day) {
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month >= 1 && month <= 12 && day >= 1 && day <= days[month - 1] &&
         !(month == 2 && day == 29 && !leap);
}

bool is_date(std::string_view s) {
  static const std::regex re(R"(^(\d{4})-(\d{2})-(\d{2})$)");
  std::cmatch m;
  return std::regex_match(s.begin(), s.end(), m, re) &&
         is_calendar_date(number(m[1]), number(m[2]), number(m[3]));
}

bool is_date_time(std::string_view s, bool space_ok) {
  static const std::regex re(
      R"(^(\d{4})-(\d{2})-(\d{2})([Tt ])(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|z|[+-]\d{2}:\d{2})$)");
  std::cmatch m;
  if (!std::regex_match(s.begin(), s.end(), m, re)) return false;
  if (m[4].str() == " " && !space_ok) return false;
  return is_calendar_date(number(m[1]), number(m[2]), number(m[3])) && number(m[5]) <= 23 &&
         number(m[6]) <= 59 && number(m[7]) <= 60;
}

std::string city_date(int days) {
  const auto t = std::chrono::system_clock::now() + std::chrono::hours(8) + std::chrono::days(days);
  const std::chrono::year_month_day d{std::chrono::floor<std::chrono::days>(t)};
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return out;
}

}  // namespace hub
