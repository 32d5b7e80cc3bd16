// The return list's CSV read into lines (returns.hpp), apart from the service so that it can be
// fuzzed alone.
#include <algorithm>
#include <map>
#include <set>

#include "hub/coordination/returns.hpp"
#include "hub/core/csv_table.hpp"
#include "hub/core/dates.hpp"
#include "hub/core/text.hpp"

namespace hub::coordination {

namespace {

const std::vector<std::string> kColumns = {"task_no", "title", "ministry",
                                           "responsible_agency_code", "due_date"};

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

std::vector<ReturnTaskLine> parse_return_tasks(std::string_view csv,
                                               std::vector<ReturnListError>& errors) {
  std::vector<ReturnTaskLine> out;
  std::string why;
  CsvLimits limits;
  limits.max_records = kMaxReturnTasks + 1;
  limits.max_fields = 16;
  limits.max_field_bytes = 4096;
  auto table = read_csv_table(csv, limits, why);
  if (!table) {
    errors.push_back({0, "", why});
    return out;
  }
  if (table->empty()) {
    errors.push_back({1, "",
                      "the file is empty: its first line names the columns "
                      "task_no,title,ministry,responsible_agency_code,due_date"});
    return out;
  }
  std::map<std::string, std::size_t> at;
  const auto& head = (*table)[0];
  for (std::size_t c = 0; c < head.size(); ++c) at.emplace(trimmed(head[c]), c);
  for (const auto& column : kColumns) {
    if (!at.contains(column)) errors.push_back({1, column, "the column is missing"});
  }
  if (!errors.empty()) return out;
  std::set<std::string> seen;
  for (std::size_t r = 1; r < table->size() && errors.size() < kMaxReturnListErrors; ++r) {
    const auto& row = (*table)[r];
    if (std::all_of(row.begin(), row.end(),
                    [](const std::string& c) { return trimmed(c).empty(); })) {
      continue;
    }
    const int line = static_cast<int>(r + 1);
    auto cell = [&](const std::string& column) {
      const std::size_t c = at[column];
      return c < row.size() ? trimmed(row[c]) : std::string();
    };
    ReturnTaskLine t{line,
                     cell("task_no"),
                     cell("title"),
                     cell("ministry"),
                     cell("responsible_agency_code"),
                     cell("due_date")};
    auto bad = [&](const char* field, const std::string& message) {
      errors.push_back({line, field, message});
    };
    auto text = [&](const std::string& value, const char* name, std::size_t max) {
      if (value.empty()) {
        bad(name, "is required");
      } else if (utf8_chars(value) > max || has_control_characters(value)) {
        bad(name, "must be one line of at most " + std::to_string(max) + " characters");
      }
    };
    text(t.task_no, "task_no", 64);
    text(t.title, "title", 300);
    text(t.ministry, "ministry", 100);
    std::replace(t.due_date.begin(), t.due_date.end(), '/', '-');
    // An agency's code as the agencies table takes it (GB 32100's characters), so that only
    // codes that could exist reach the database.
    static constexpr std::string_view kCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    if (t.responsible_agency_code.size() != 18 ||
        t.responsible_agency_code.find_first_not_of(kCodeChars) != std::string::npos) {
      bad("responsible_agency_code", "must be an agency's 18-character code");
    }
    if (!is_date(t.due_date) || t.due_date < "2000-01-01" || t.due_date > "2100-12-31") {
      bad("due_date", "must be a date YYYY-MM-DD from 2000 to 2100");
    }
    if (!t.task_no.empty() && !seen.insert(t.task_no).second) {
      bad("task_no", "task " + t.task_no + " is listed twice");
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace hub::coordination
