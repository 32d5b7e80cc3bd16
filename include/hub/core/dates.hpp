#pragma once

#include <string>
#include <string_view>

namespace hub {

// Dates and times as API.md writes them, checked before the database sees them (a month 13 or a
// 30 February must be a field error, never a database error).

bool is_calendar_date(int year, int month, int day);
// "YYYY-MM-DD", a real calendar date.
bool is_date(std::string_view s);
// RFC 3339: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)", a real date and time of day; with
// `space_ok`, a space may stand for the T (as people type it in a query string).
bool is_date_time(std::string_view s, bool space_ok = false);

// The city's date (Asia/Shanghai, UTC+8, no daylight saving) `days` from today, "YYYY-MM-DD":
// report periods, demo grants and test deadlines relative to the day they run.
std::string city_date(int days = 0);

}  // namespace hub
