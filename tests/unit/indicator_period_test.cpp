// Reporting periods of indicators and their due dates across weekends and holidays.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "hub/indicators/service.hpp"
#include "hub/sharing/calendar.hpp"

namespace {

using hub::indicators::Frequency;
using hub::indicators::parse_period;
using hub::sharing::WorkingCalendar;

WorkingCalendar october() {
  // National Day 2026: 1-7 October off, Saturday 10 October worked.
  return WorkingCalendar::from_json({{"utc_offset", "+08:00"},
                                     {"holidays",
                                      {"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04",
                                       "2026-10-05", "2026-10-06", "2026-10-07"}},
                                     {"workdays", {"2026-10-10"}}},
                                    "test");
}

std::string due(const char* period, Frequency f, int n) {
  return hub::sharing::format_time(hub::indicators::due_at(*parse_period(period, f), n, october()));
}

TEST(IndicatorPeriod, EachFrequencyReadsOnlyItsOwnForm) {
  EXPECT_EQ(parse_period("2026-11", Frequency::monthly)->text(), "2026-11");
  EXPECT_EQ(parse_period("2026-Q3", Frequency::quarterly)->text(), "2026-Q3");
  EXPECT_EQ(parse_period("2026", Frequency::yearly)->text(), "2026");
  for (const char* bad : {"2026-13", "2026-00", "2026-1", "2026-Q3", "2026", "26-11", "2026-11 ",
                          "２０２６-11", "1989-12", "2201-01", "2026/11", ""}) {
    EXPECT_FALSE(parse_period(bad, Frequency::monthly)) << bad;
  }
  for (const char* bad : {"2026-Q0", "2026-Q5", "2026-q3", "2026-03", "2026Q3"}) {
    EXPECT_FALSE(parse_period(bad, Frequency::quarterly)) << bad;
  }
  EXPECT_FALSE(parse_period("2026-01", Frequency::yearly));
}

TEST(IndicatorPeriod, NextAndPreviousCrossTheYear) {
  EXPECT_EQ(parse_period("2026-12", Frequency::monthly)->next().text(), "2027-01");
  EXPECT_EQ(parse_period("2027-01", Frequency::monthly)->previous().text(), "2026-12");
  EXPECT_EQ(parse_period("2026-Q4", Frequency::quarterly)->next().text(), "2027-Q1");
  EXPECT_EQ(parse_period("2026-Q1", Frequency::quarterly)->previous().text(), "2025-Q4");
  EXPECT_EQ(parse_period("2026", Frequency::yearly)->next().text(), "2027");
  // Text order is time order within a frequency (the database sorts periods as text).
  EXPECT_LT(parse_period("2026-09", Frequency::monthly)->text(),
            parse_period("2026-10", Frequency::monthly)->text());
}

TEST(IndicatorPeriod, DueOnTheNthWorkingDayOfTheNextPeriodCityTime) {
  // August 2026's value, due the 5th working day of September: 1-4 (Tue-Fri), 7 (Mon).
  EXPECT_EQ(due("2026-08", Frequency::monthly, 5), "2026-09-07T15:59:59Z");
  // September's, across National Day: October's working days are 8, 9, 10 (a make-up
  // Saturday), 12 ...
  EXPECT_EQ(due("2026-09", Frequency::monthly, 1), "2026-10-08T15:59:59Z");
  EXPECT_EQ(due("2026-09", Frequency::monthly, 3), "2026-10-10T15:59:59Z");
  EXPECT_EQ(due("2026-09", Frequency::monthly, 4), "2026-10-12T15:59:59Z");
  // The third quarter's, the same days; a year's in the next January.
  EXPECT_EQ(due("2026-Q3", Frequency::quarterly, 1), "2026-10-08T15:59:59Z");
  EXPECT_EQ(due("2025", Frequency::yearly, 1), "2026-01-01T15:59:59Z");
}

TEST(IndicatorPeriod, TheFirstMissingPeriodIsDueEvenBehindLaterOnes) {
  const auto start = *parse_period("2025-01", Frequency::monthly);
  const auto today = std::chrono::sys_days{std::chrono::year{2025} / 5 / 10};
  using hub::indicators::first_missing;
  EXPECT_EQ(first_missing(start, {}, today)->text(), "2025-01");
  EXPECT_EQ(first_missing(start, {"2025-01", "2025-03"}, today)->text(), "2025-02");
  // All ended periods reported (January to April): May has not ended, nothing is due.
  EXPECT_FALSE(first_missing(start, {"2025-01", "2025-02", "2025-03", "2025-04"}, today));
  // Periods before the start do not count.
  EXPECT_EQ(first_missing(start, {"2024-12", "2025-01"}, today)->text(), "2025-02");
}

TEST(IndicatorPeriod, OnlyNumbersThatReadBackAreStored) {
  using hub::indicators::storable;
  EXPECT_TRUE(storable(0));
  EXPECT_TRUE(storable(-1234.5));
  EXPECT_TRUE(storable(1e300));
  EXPECT_FALSE(storable(1e-310));  // denormal: PostgreSQL's text would not read back
  EXPECT_FALSE(storable(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(storable(std::nan("")));
}

}  // namespace
