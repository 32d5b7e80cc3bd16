#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "hub/app/services.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/config.hpp"
#include "hub/core/page.hpp"
#include "hub/core/periodic.hpp"
#include "hub/sharing/calendar.hpp"
#include "hub/store/leader.hpp"

namespace hub::monitor {

// The early-warning rules (监测预警), docs/reports.md. Each opens at most one alert per subject.
struct Rule {
  const char* name;
  const char* severity;
};
const std::vector<Rule>& rules();

struct MonitorOptions {
  std::string conninfo;
  MonitorConfig config;
  unsigned verify_misses_per_hour = 200;  // exchange.verify_misses_per_hour
  std::chrono::milliseconds connect_timeout{3000};
};

struct MonitorStats {
  std::atomic<bool> leader{false};
  std::atomic<std::uint64_t> opened{0};    // alerts this node opened
  std::atomic<std::uint64_t> failures{0};  // rounds that failed (database down, ...)
};

// Evaluates the rules continuously, one node at a time: every node runs a monitor, and the one
// holding the monitor's advisory lock (a session lock on its own connection) evaluates; if it
// dies, another takes over within an interval. Every node also counts the open alerts for its
// /metrics. The rules read the rollups (ledger_hourly) and the workflow tables, never a scan of
// the ledger.
class Monitor {
 public:
  Monitor(MonitorOptions options, sharing::WorkingCalendar calendar);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  void start();
  void stop();
  const MonitorStats& stats() const { return stats_; }
  // Prometheus text: open alerts by rule and severity, alerts opened, the leader flag.
  void render_metrics(std::string& out) const;

  // Off working hours: a non-working day of the calendar, or outside [start, end) local hours.
  static bool off_hours(const sharing::WorkingCalendar& calendar, const MonitorConfig& config,
                        std::chrono::system_clock::time_point at);

 private:
  void round();
  std::uint64_t evaluate();

  MonitorOptions options_;
  sharing::WorkingCalendar calendar_;
  MonitorStats stats_;
  mutable std::mutex counts_mutex_;
  std::map<std::string, std::int64_t> open_counts_;  // by rule
  std::unique_ptr<pg::LeaderSession> session_;       // monitor thread only
  std::chrono::steady_clock::time_point next_prune_{};
  PeriodicThread loop_;  // last: its thread stops before the members it uses go
};

// Filters of the alert list: checked here (400 naming the field for an unknown status or rule).
struct AlertFilter {
  std::optional<std::string> status;  // open | acknowledged
  std::optional<std::string> rule;    // a name of rules()
  std::optional<std::string> agency;
};

// The alerts the monitor opened: listed with filters, newest first, and acknowledged.
class AlertService {
 public:
  explicit AlertService(Services& services) : services_(services) {}
  boost::asio::awaitable<Page> list(const Caller& caller, const AlertFilter& filter,
                                    const PageRequest& page);
  boost::asio::awaitable<nlohmann::json> acknowledge(const Caller& caller, const std::string& id,
                                                     const std::optional<std::string>& note);

 private:
  Services& services_;
};

}  // namespace hub::monitor
