#pragma once

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "hub/app/services.hpp"
#include "hub/core/caller.hpp"
#include "hub/report/report.hpp"
#include "hub/sharing/calendar.hpp"

namespace hub::report {

// A report's period: two dates of the city's calendar, both inclusive.
struct Period {
  std::string from;
  std::string to;
};

// A period from the dates a caller gives: real dates, from ≤ to, at most 5 years apart
// (400 validation_failed naming the field otherwise). Absent, they are the first of the current
// month and today, in the city's time.
Period period_of(const std::optional<std::string>& from, const std::optional<std::string>& to);

// The sharing-status report and the console's activity charts, read from the rollups of
// 009_reports.sql with one pipelined round trip: their cost grows with agencies × days.
class ReportService {
 public:
  ReportService(Services& services, sharing::WorkingCalendar calendar)
      : services_(services), calendar_(std::move(calendar)) {}

  boost::asio::awaitable<Report> sharing_status(const Caller& caller, const Period& period);
  // {from,to,days:[{day,requests,denied,records}],categories:[{category,requests,records}]}:
  // allowed and refused data requests per day (every day of the period, zeros included), and
  // allowed requests by the category of the resource asked for.
  boost::asio::awaitable<nlohmann::json> activity(const Caller& caller, const Period& period);
  // The report as an .xlsx workbook, built off the I/O thread.
  boost::asio::awaitable<std::string> xlsx(const Report& report);

 private:
  Services& services_;
  sharing::WorkingCalendar calendar_;  // indicators' due dates
};

}  // namespace hub::report
