#pragma once
// Returned data (数据回流): the ministries' data the city asked to have returned, tracked as
// return tasks (the return list, imported as CSV by the coordination group, each task an
// agency's to carry through not_started → path_identified → connected → sharing), the resources
// that carry a `source` (catalog.md), and the returns report: progress per ministry and the
// returned resources late against their update cycle (docs/coordination.md "Returned data").

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hub/app/services.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/page.hpp"

namespace hub::coordination {

struct ReturnTask {
  std::string id;
  std::string task_no;
  std::string title;
  std::string ministry;  // the ministry returning the data (公安部, 国家市场监督管理总局 ...)
  std::string responsible_agency_code;
  std::string due_date;  // YYYY-MM-DD
  std::string status;    // not_started | path_identified | connected | sharing
  std::vector<std::string> resource_codes;
  std::string created_at, updated_at;
  std::optional<std::string> updated_by;
  bool overdue = false;  // not sharing, and its due date has passed (city time)
};

inline const std::vector<std::string>& return_statuses() {
  static const std::vector<std::string> all = {"not_started", "path_identified", "connected",
                                               "sharing"};
  return all;
}

// A line of the return list's CSV (header task_no,title,ministry,responsible_agency_code,
// due_date in any order; UTF-8 or GB18030).
struct ReturnTaskLine {
  int line = 0;
  std::string task_no, title, ministry, responsible_agency_code, due_date;
};

// A problem of a return list: its line (0: the file as a whole), the column, what is wrong.
struct ReturnListError {
  int line = 0;
  std::string field;
  std::string message;
};

// The lines of a return list, every problem by line (at most kMaxReturnListErrors); pure (no
// database).
std::vector<ReturnTaskLine> parse_return_tasks(std::string_view csv,
                                               std::vector<ReturnListError>& errors);

inline constexpr std::size_t kMaxReturnTasks = 5000;       // lines of one import
inline constexpr std::size_t kMaxReturnListErrors = 1000;  // errors listed

struct ReturnTaskImport {
  int created = 0, updated = 0, unchanged = 0;
  std::vector<ReturnListError> errors;  // any → nothing stored
};

struct ReturnTaskFilter {
  std::optional<std::string> status;  // a status, or "overdue"
  std::optional<std::string> ministry;
  std::optional<std::string> agency;  // hub-level callers only
};

struct ReturnTaskChange {
  std::optional<std::string> status;
  std::optional<std::vector<std::string>> resource_codes;
};

struct MinistryProgress {
  std::string ministry;
  int tasks = 0, not_started = 0, path_identified = 0, connected = 0, sharing = 0, overdue = 0;
};

struct LateReturn {
  std::string resource_code, name, provider_code;
  std::optional<std::string> ministry_code;
  std::string channel, update_cycle;
  std::optional<std::string> last_updated_at;
};

struct ReturnsReport {
  std::string generated_at;
  std::vector<MinistryProgress> ministries;
  std::vector<LateReturn> late;
};

class ReturnService {
 public:
  explicit ReturnService(Services& services) : services_(services) {}

  // Creates the tasks it does not have (by task_no) and updates those whose title, ministry,
  // agency or due date changed, in one statement (a task moved to another agency starts over:
  // not_started, no resources); any bad line, and nothing is stored.
  boost::asio::awaitable<ReturnTaskImport> import(const Caller& caller, const std::string& csv);
  boost::asio::awaitable<ListPage<ReturnTask>> tasks(const Caller& caller,
                                                     const ReturnTaskFilter& filter,
                                                     const PageRequest& page);
  // The hub's staff, or the responsible agency's CDO and data officers (others: 404). Any
  // status may follow any (work goes back when a connection breaks), but `sharing` needs a
  // linked resource.
  boost::asio::awaitable<ReturnTask> change(const Caller& caller, const std::string& id,
                                            const ReturnTaskChange& change);
  // The hub's staff see every agency's; an agency_cdo its own agency's tasks and resources.
  boost::asio::awaitable<ReturnsReport> report(const Caller& caller);
  boost::asio::awaitable<std::string> report_xlsx(const ReturnsReport& report);

 private:
  Services& services_;
};

std::string returns_csv(const ReturnsReport& report);

}  // namespace hub::coordination
