#include "hub/report/issues.hpp"

#include <nlohmann/json.hpp>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/ledger/merkle.hpp"
#include "hub/sharing/calendar.hpp"
#include "hub/store/pg.hpp"

namespace hub::report {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

#define HUB_ISSUE_COLUMNS                                                         \
  "i.id, i.number, i.title, i.period_from::text, i.period_to::text, " HUB_SQL_TS( \
      "i.issued_at") ", i.issued_by, i.sha256, i.signature, i.seq"

constexpr pg::Query kInsert{
    "issue_insert",
    "INSERT INTO report_issues AS i (id, number, title, period_from, period_to, issued_at,"
    " issued_by, json_body, csv_body, xlsx_body, sha256, signature)"
    " VALUES ($1, $2, $3, $4::date, $5::date, $6::timestamptz, $7, $8::bytea, $9::bytea,"
    " $10::bytea, $11, $12) RETURNING " HUB_ISSUE_COLUMNS};
// Newest first: $1 before seq (or NULL), $2 limit.
constexpr pg::Query kList{"issue_list",
                          "SELECT " HUB_ISSUE_COLUMNS
                          " FROM report_issues i WHERE ($1::bigint IS NULL OR i.seq < $1::bigint)"
                          " ORDER BY i.seq DESC LIMIT $2"};
// The file's bytes, as hex text (bytea's text output) decoded here.
constexpr pg::Query kFile{"issue_file",
                          "SELECT " HUB_ISSUE_COLUMNS
                          ", CASE $2 WHEN 'json' THEN i.json_body WHEN 'csv' THEN i.csv_body"
                          " ELSE i.xlsx_body END FROM report_issues i WHERE i.id = $1"};

Issue issue_of(const pg::Result& r, int row) {
  Issue i;
  i.id = r.get(row, 0);
  i.number = r.get(row, 1);
  i.title = r.get(row, 2);
  i.from = r.get(row, 3);
  i.to = r.get(row, 4);
  i.issued_at = r.get(row, 5);
  i.issued_by = r.get(row, 6);
  i.sha256 = r.get(row, 7);
  i.signature = r.get(row, 8);
  return i;
}

// bytea in its hex text form ("\x0a1b...") as a parameter, and back.
std::string bytea_param(std::string_view bytes) { return "\\x" + to_hex(bytes); }

std::string bytea_value(std::string_view text) {
  auto bytes = text.starts_with("\\x") ? from_hex(text.substr(2)) : std::nullopt;
  if (!bytes) throw std::runtime_error("report_issues: unexpected bytea text");
  return std::move(*bytes);
}

void may_read(const Principal& me) {
  if (!me.has(Role::hub_admin) && !me.has(Role::coordinator) && !me.has(Role::agency_cdo)) {
    throw ApiError(ErrorCode::forbidden,
                   "issued reports are for hub administrators, coordinators and agencies' CDOs");
  }
}

}  // namespace

std::string IssueService::frozen_json(const Report& report, const std::string& number,
                                      const std::string& title, const std::string& issued_at) {
  json doc = to_json(report);
  doc["issue"] = {{"number", number}, {"title", title}, {"issued_at", issued_at}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

asio::awaitable<Issue> IssueService::issue(const Caller& caller, const IssueRequest& request) {
  const Principal& me = caller.principal;
  if (!me.has(Role::coordinator) && !me.has(Role::hub_admin)) {
    throw ApiError(ErrorCode::forbidden, "the coordination group issues reports");
  }
  const Report report = co_await reports_.sharing_status(caller, request.period);
  const std::string issued_at = sharing::format_time(std::chrono::system_clock::now());
  const std::string body = frozen_json(report, request.number, request.title, issued_at);
  const std::string csv = to_csv(report);
  const std::string xlsx = co_await reports_.xlsx(report);
  const auto digest = ledger::sha256(body);
  const std::string sha =
      to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  const std::string signature = base64_encode(key_.sign(body));
  const pg::Params params = pg::Params()
                                .add(random_uuid())
                                .add(request.number)
                                .add(request.title)
                                .add(request.period.from)
                                .add(request.period.to)
                                .add(issued_at)
                                .add(me.id)
                                .add(bytea_param(body))
                                .add(bytea_param(csv))
                                .add(bytea_param(xlsx))
                                .add(sha)
                                .add(signature);
  pg::Result r;
  try {
    r = co_await caller.db().exec(kInsert, params);
  } catch (const pg::PgError& e) {
    if (e.is_unique_violation()) {
      throw ApiError(ErrorCode::conflict, "a report was issued under this number already");
    }
    throw;
  }
  co_return issue_of(r, 0);
}

asio::awaitable<ListPage<Issue>> IssueService::issues(const Caller& caller,
                                                      const PageRequest& page) {
  may_read(caller.principal);
  const pg::Params params =
      pg::Params().add(page.after_number()).add(static_cast<std::int64_t>(page.limit));
  const pg::Result r = co_await caller.db().exec(kList, params);
  ListPage<Issue> out;
  for (int i = 0; i < r.rows(); ++i) out.items.push_back(issue_of(r, i));
  if (r.rows() > 0 && out.items.size() == page.limit) out.next = r.get_int(r.rows() - 1, 9);
  co_return out;
}

asio::awaitable<IssueFile> IssueService::file(const Caller& caller, const std::string& id,
                                              const std::string& format) {
  may_read(caller.principal);
  const pg::Params params = pg::Params().add(id).add(format);
  const pg::Result r = co_await caller.db().exec(kFile, params);
  if (r.rows() == 0) throw ApiError(ErrorCode::not_found, "no such issued report");
  co_return IssueFile{issue_of(r, 0), format, bytea_value(r.get(0, 10))};
}

}  // namespace hub::report
