// Reporting periods and their due dates (pure: no database).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "hub/indicators/service.hpp"

namespace hub::indicators {

namespace chr = std::chrono;

std::optional<Frequency> frequency_of(std::string_view name) {
  if (name == "monthly") return Frequency::monthly;
  if (name == "quarterly") return Frequency::quarterly;
  if (name == "yearly") return Frequency::yearly;
  return std::nullopt;
}

std::string_view name_of(Frequency f) {
  switch (f) {
    case Frequency::monthly:
      return "monthly";
    case Frequency::quarterly:
      return "quarterly";
    case Frequency::yearly:
      return "yearly";
  }
  return "monthly";
}

namespace {

constexpr int kFirstYear = 1990;
constexpr int kLastYear = 2200;

int periods_per_year(Frequency f) {
  return f == Frequency::monthly ? 12 : f == Frequency::quarterly ? 4 : 1;
}

// Exactly `n` ASCII digits.
std::optional<int> digits(std::string_view s, std::size_t n) {
  if (s.size() != n) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::string Period::text() const {
  char buf[16];
  switch (frequency) {
    case Frequency::monthly:
      std::snprintf(buf, sizeof buf, "%04d-%02d", year, index);
      break;
    case Frequency::quarterly:
      std::snprintf(buf, sizeof buf, "%04d-Q%d", year, index);
      break;
    case Frequency::yearly:
      std::snprintf(buf, sizeof buf, "%04d", year);
      break;
  }
  return buf;
}

chr::year_month_day Period::first_day() const {
  const int month = frequency == Frequency::monthly     ? index
                    : frequency == Frequency::quarterly ? (index - 1) * 3 + 1
                                                        : 1;
  return chr::year_month_day{chr::year{year}, chr::month{static_cast<unsigned>(month)},
                             chr::day{1}};
}

Period Period::next() const {
  Period p = *this;
  if (++p.index > periods_per_year(frequency)) {
    p.index = 1;
    ++p.year;
  }
  return p;
}

Period Period::previous() const {
  Period p = *this;
  if (--p.index < 1) {
    p.index = periods_per_year(frequency);
    --p.year;
  }
  return p;
}

std::optional<Period> parse_period(std::string_view text, Frequency frequency) {
  if (text.size() < 4) return std::nullopt;
  const auto year = digits(text.substr(0, 4), 4);
  if (!year || *year < kFirstYear || *year > kLastYear) return std::nullopt;
  Period p{frequency, *year, 1};
  const std::string_view rest = text.substr(4);
  switch (frequency) {
    case Frequency::yearly:
      if (!rest.empty()) return std::nullopt;
      break;
    case Frequency::monthly: {
      if (rest.size() != 3 || rest[0] != '-') return std::nullopt;
      const auto month = digits(rest.substr(1), 2);
      if (!month || *month < 1 || *month > 12) return std::nullopt;
      p.index = *month;
      break;
    }
    case Frequency::quarterly: {
      if (rest.size() != 3 || rest[0] != '-' || rest[1] != 'Q') return std::nullopt;
      const auto quarter = digits(rest.substr(2), 1);
      if (!quarter || *quarter < 1 || *quarter > 4) return std::nullopt;
      p.index = *quarter;
      break;
    }
  }
  return p;
}

bool storable(double v) {
  return std::isfinite(v) && (v == 0 || std::fabs(v) >= std::numeric_limits<double>::min());
}

std::optional<Period> first_missing(const Period& start, const std::vector<std::string>& reported,
                                    chr::sys_days today) {
  // Periods before the start are not due; each reported one is passed over in order.
  std::size_t next_reported = 0;
  Period p = start;
  for (int guard = 0; guard < 100000; ++guard, p = p.next()) {
    if (chr::sys_days{p.next().first_day()} > today) return std::nullopt;  // not ended yet
    const std::string text = p.text();
    while (next_reported < reported.size() && reported[next_reported] < text) ++next_reported;
    if (next_reported < reported.size() && reported[next_reported] == text) continue;
    return p;
  }
  return std::nullopt;
}

chr::system_clock::time_point due_at(const Period& period, int working_day,
                                     const sharing::WorkingCalendar& calendar) {
  // add_working_days counts from the day after `from`: from the last day of the period.
  const chr::sys_days last_day = chr::sys_days{period.next().first_day()} - chr::days{1};
  const chr::sys_days due_day = calendar.add_working_days(last_day, working_day);
  // The end of that day in the city: midnight local, less a second, in UTC.
  return chr::system_clock::time_point{due_day + chr::days{1}} - calendar.utc_offset() -
         chr::seconds{1};
}

}  // namespace hub::indicators
