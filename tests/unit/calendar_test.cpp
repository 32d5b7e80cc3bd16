#include <gtest/gtest.h>

#include <set>

#include "hub/core/config.hpp"
#include "hub/sharing/calendar.hpp"

namespace {

using hub::sharing::parse_day;
using hub::sharing::WorkingCalendar;
using nlohmann::json;

std::chrono::sys_days day(const char* text) { return *parse_day(text); }
std::string show(std::chrono::sys_days d) { return hub::sharing::format_time(d).substr(0, 10); }

WorkingCalendar october() {
  // National Day 2026: 1-7 October off, Sunday 20 September and Saturday 10 October worked.
  return WorkingCalendar::from_json({{"utc_offset", "+08:00"},
                                     {"holidays",
                                      {"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04",
                                       "2026-10-05", "2026-10-06", "2026-10-07"}},
                                     {"workdays", {"2026-09-20", "2026-10-10"}}},
                                    "test");
}

TEST(Calendar, WeekendsHolidaysAndMakeUpDays) {
  auto cal = october();
  EXPECT_TRUE(cal.is_working_day(day("2026-09-18")));   // Friday
  EXPECT_FALSE(cal.is_working_day(day("2026-09-19")));  // Saturday
  EXPECT_TRUE(cal.is_working_day(day("2026-09-20")));   // Sunday, make-up day
  EXPECT_FALSE(cal.is_working_day(day("2026-10-01")));  // Thursday, holiday
  EXPECT_TRUE(cal.is_working_day(day("2026-10-10")));   // Saturday, make-up day
}

TEST(Calendar, DeadlineCrossingAWeekendLandsOnTheRightDay) {
  auto cal = october();
  // Friday 13 November + 3 working days: Mon 16, Tue 17, Wed 18.
  EXPECT_EQ(show(cal.add_working_days(day("2026-11-13"), 3)), "2026-11-18");
}

TEST(Calendar, DeadlineCrossingTheHolidayLandsOnTheRightDay) {
  auto cal = october();
  // Monday 28 September + 10 working days: 29, 30 Sep; 1-7 Oct off; 8 (Thu), 9 (Fri),
  // 10 (Sat, make-up), 12, 13, 14, 15, 16 → Friday 16 October.
  EXPECT_EQ(show(cal.add_working_days(day("2026-09-28"), 10)), "2026-10-16");
}

TEST(Calendar, DueIsTheEndOfTheLastDayInTheCitysTimeZone) {
  auto cal = october();
  // 2026-11-13 01:00 in Guangzhou is 2026-11-12 17:00 UTC: the local day is the 13th.
  auto at = std::chrono::sys_days(day("2026-11-12")) + std::chrono::hours(17);
  EXPECT_EQ(hub::sharing::format_time(cal.due(at, 3)), "2026-11-18T15:59:59Z");
}

TEST(Calendar, MalformedFilesAreRefusedWithTheReason) {
  const json cases[] = {
      {{"holidays", {"2026-02-30"}}},
      {{"holidays", "2026-01-01"}},
      {{"utc_offset", "8"}},
      {{"holidayz", json::array()}},
      {{"holidays", {"2026-10-01"}}, {"workdays", {"2026-10-01"}}},
      // Found by fuzz_calendar: a day past 2262 overflowed the nanosecond clock (UB).
      {{"holidays", {"4052-10-01"}}, {"workdays", {"4052-10-01"}}},
      {{"holidays", {"1969-12-31"}}},
  };
  for (const auto& c : cases) {
    EXPECT_THROW(WorkingCalendar::from_json(c, "test"), hub::ConfigError) << c.dump();
  }
}

TEST(Calendar, DaysAreBetween1970And2199) {
  EXPECT_TRUE(parse_day("1970-01-01").has_value());
  EXPECT_TRUE(parse_day("2199-12-31").has_value());
  EXPECT_FALSE(parse_day("1969-12-31").has_value());
  EXPECT_FALSE(parse_day("2200-01-01").has_value());
  EXPECT_FALSE(parse_day("4052-10-01").has_value());
  EXPECT_FALSE(parse_day("9999-12-31").has_value());
}

TEST(Calendar, TheBuiltInCalendarLoads) {
  auto cal = WorkingCalendar::built_in();
  EXPECT_FALSE(cal.is_working_day(day("2026-10-01")));
  EXPECT_TRUE(cal.is_working_day(day("2026-09-20")));
  EXPECT_EQ(cal.utc_offset(), std::chrono::minutes(480));
  // Every year whose schedule is published: 2024, 2025 and 2026.
  EXPECT_EQ(cal.years(), (std::set<int>{2024, 2025, 2026}));
  EXPECT_EQ(cal.last_year(), 2026);
}

TEST(Calendar, TheBuiltInCalendarHoldsTheSpringFestivalOf2025) {
  auto cal = WorkingCalendar::built_in();
  // Friday 24 January 2025 + 3 working days: Sunday 26 (make-up), Monday 27, then 28 January to
  // 4 February off, Wednesday 5 February.
  EXPECT_EQ(show(cal.add_working_days(day("2025-01-24"), 3)), "2025-02-05");
  EXPECT_TRUE(cal.is_working_day(day("2025-02-08")));   // Saturday, make-up day
  EXPECT_FALSE(cal.is_working_day(day("2025-10-08")));  // National Day and Mid-Autumn
  EXPECT_TRUE(cal.is_working_day(day("2024-02-18")));   // Sunday, make-up day of 2024
}

TEST(Calendar, YearsAreNamedOrTakenFromTheDates) {
  auto named = WorkingCalendar::from_json(
      {{"years", {2026, 2027}}, {"holidays", {"2026-10-01"}}, {"workdays", json::array()}}, "t");
  EXPECT_EQ(named.last_year(), 2027);
  auto derived = october();
  EXPECT_EQ(derived.years(), (std::set<int>{2026}));
  EXPECT_FALSE(WorkingCalendar::from_json({{"utc_offset", "+08:00"}}, "t").last_year());
  for (const json& bad : {json{{"years", json::array()}}, json{{"years", {"2026"}}},
                          json{{"years", {1969}}}, json{{"years", 2026}}}) {
    EXPECT_THROW(WorkingCalendar::from_json(bad, "t"), hub::ConfigError) << bad.dump();
  }
}

}  // namespace
