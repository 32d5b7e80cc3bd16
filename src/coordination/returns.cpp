// Returned data (数据回流): the return list, its tasks and the returns report (returns.hpp).
#include "hub/coordination/returns.hpp"

#include <xlsxwriter.h>

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "hub/app/workbooks.hpp"
#include "hub/core/csv_table.hpp"
#include "hub/core/dates.hpp"
#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/core/workbook.hpp"
#include "hub/store/pg.hpp"
#include "rows.hpp"

namespace hub::coordination {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// Unknown agencies among the codes ($1, a JSON array of text).
constexpr pg::Query kUnknownAgencies{
    "returns_unknown_agencies",
    "SELECT v FROM jsonb_array_elements_text($1::jsonb) AS v"
    " WHERE NOT EXISTS (SELECT 1 FROM agencies a WHERE a.code = v)"};

// Creates or updates every line ($1, JSON) at once: a task is updated only when a field of the
// list changed (its status and resources are the agency's, never the list's).
constexpr pg::Query kImport{
    "returns_import",
    "WITH w AS (SELECT * FROM jsonb_to_recordset($1::jsonb)"
    "   AS w(task_no text, title text, ministry text, agency text, due date)),"
    " up AS (INSERT INTO return_tasks AS t (id, task_no, title, ministry,"
    "   responsible_agency_code, due_date, updated_by)"
    "   SELECT gen_random_uuid()::text, task_no, title, ministry, agency, due, $2 FROM w"
    "   ON CONFLICT (task_no) DO UPDATE SET title = EXCLUDED.title,"
    "     ministry = EXCLUDED.ministry, responsible_agency_code = EXCLUDED.responsible_agency_code,"
    "     due_date = EXCLUDED.due_date, updated_at = now(), updated_by = EXCLUDED.updated_by,"
    // A task given to another agency starts over there: its progress was the old agency's.
    "     status = CASE WHEN t.responsible_agency_code = EXCLUDED.responsible_agency_code"
    "       THEN t.status ELSE 'not_started' END,"
    "     resource_codes = CASE WHEN t.responsible_agency_code = EXCLUDED.responsible_agency_code"
    "       THEN t.resource_codes ELSE '{}' END"
    "   WHERE (t.title, t.ministry, t.responsible_agency_code, t.due_date) IS DISTINCT FROM"
    "     (EXCLUDED.title, EXCLUDED.ministry, EXCLUDED.responsible_agency_code,"
    "      EXCLUDED.due_date)"
    "   RETURNING t.id, t.task_no, t.responsible_agency_code, t.due_date, (xmax = 0) AS created),"
    // A row per task created or changed, against its agency: each agency sees its own.
    " l AS (INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, detail)"
    "   SELECT $2, CASE WHEN created THEN 'create' ELSE 'change' END, 'return_task', id,"
    "     responsible_agency_code, jsonb_build_object('task_no', task_no,"
    "     'due_date', due_date::text) FROM up)"
    " SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up"};

#define HUB_RETURN_COLUMNS \
  "t.id, t.task_no, t.title, t.ministry, t.responsible_agency_code, t.due_date::text,"       \
  " t.status, array_to_json(t.resource_codes)::text, " HUB_SQL_TS("t.created_at") ", "       \
  HUB_SQL_TS("t.updated_at") ", t.updated_by,"                                               \
  " t.status <> 'sharing' AND t.due_date < hub_local_day(now())"

constexpr pg::Query kList{
    "returns_list",
    "SELECT " HUB_RETURN_COLUMNS
    " FROM return_tasks t"
    " WHERE t.task_no > $1"
    " AND ($2::text IS NULL OR t.responsible_agency_code = $2)"
    " AND ($3::text IS NULL OR t.ministry = $3)"
    " AND ($4::text IS NULL OR t.status = $4 OR ($4 = 'overdue' AND t.status <> 'sharing'"
    "      AND t.due_date < hub_local_day(now())))"
    " ORDER BY t.task_no LIMIT $5"};

constexpr pg::Query kGet{"returns_get",
                         "SELECT " HUB_RETURN_COLUMNS " FROM return_tasks t WHERE t.id = $1"};

// Resources of the responsible agency among $2 (JSON array): those that are not are refused.
constexpr pg::Query kForeignResources{
    "returns_foreign_resources",
    "SELECT v FROM jsonb_array_elements_text($2::jsonb) AS v"
    " WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.code = v AND r.provider_code = $1"
    "   AND r.status <> 'retired')"};

constexpr pg::Query kChange{
    "returns_change",
    "WITH t AS (UPDATE return_tasks SET status = coalesce($2, status),"
    "   resource_codes = CASE WHEN $3::jsonb IS NULL THEN resource_codes"
    "     ELSE ARRAY(SELECT jsonb_array_elements_text($3::jsonb)) END,"
    "   updated_at = now(), updated_by = $4 WHERE id = $1 AND responsible_agency_code = $5"
    "   RETURNING *),"
    " l AS (INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, detail)"
    "   SELECT $4, 'change', 'return_task', t.id, t.responsible_agency_code,"
    "     jsonb_build_object('task_no', t.task_no, 'status', t.status,"
    "                        'resource_codes', to_jsonb(t.resource_codes)) FROM t)"
    " SELECT " HUB_RETURN_COLUMNS " FROM t"};

constexpr pg::Query kProgress{
    "returns_progress",
    "SELECT ministry, count(*),"
    " count(*) FILTER (WHERE status = 'not_started'),"
    " count(*) FILTER (WHERE status = 'path_identified'),"
    " count(*) FILTER (WHERE status = 'connected'),"
    " count(*) FILTER (WHERE status = 'sharing'),"
    " count(*) FILTER (WHERE status <> 'sharing' AND due_date < hub_local_day(now()))"
    " FROM return_tasks WHERE ($1::text IS NULL OR responsible_agency_code = $1)"
    " GROUP BY ministry ORDER BY ministry"};

// Returned resources (a source) late against their update cycle: the rule of the returned_late
// alert (monitor.cpp) and of stale_resource.
constexpr pg::Query kLate{
    "returns_late",
    "SELECT code, name, provider_code, document->'source'->>'ministry_code',"
    " document->'source'->>'channel', coalesce(document->>'update_cycle', ''), " HUB_SQL_TS_OPT(
        "last_updated_at") " FROM resources"
                           " WHERE status = 'published' AND kind NOT IN ('service', 'computation')"
                           " AND jsonb_typeof(document->'source') = 'object'"
                           " AND coalesce(last_updated_at, published_at, created_at)"
                           "  < now() - hub_update_allowance(document->>'update_cycle')"
                           " AND ($1::text IS NULL OR provider_code = $1)"
                           " ORDER BY provider_code, code"};

ReturnTask task_of(const pg::Result& r, int i) {
  ReturnTask t;
  t.id = r.get(i, 0);
  t.task_no = r.get(i, 1);
  t.title = r.get(i, 2);
  t.ministry = r.get(i, 3);
  t.responsible_agency_code = r.get(i, 4);
  t.due_date = r.get(i, 5);
  t.status = r.get(i, 6);
  for (const auto& c : json::parse(r.get(i, 7))) t.resource_codes.push_back(c.get<std::string>());
  t.created_at = r.get(i, 8);
  t.updated_at = r.get(i, 9);
  if (!r.is_null(i, 10)) t.updated_by = std::string(r.get(i, 10));
  t.overdue = r.get(i, 11) == "t";
  return t;
}

bool officer_of(const Principal& me, const std::string& agency) {
  return me.of_agency(agency) &&
         me.has_any(role_bit(Role::agency_cdo) | role_bit(Role::agency_data_officer));
}

}  // namespace

asio::awaitable<ReturnTaskImport> ReturnService::import(const Caller& caller,
                                                        const std::string& csv) {
  ReturnTaskImport out;
  auto parse = [&csv, &out] { return parse_return_tasks(csv, out.errors); };
  const std::vector<ReturnTaskLine> lines = co_await off_thread(services_, parse);
  // Unknown agencies too, whatever else is wrong, so that every error is listed at once.
  json codes = json::array();
  std::set<std::string> distinct;
  for (const auto& l : lines) {
    const bool well_formed = std::none_of(out.errors.begin(), out.errors.end(), [&](const auto& e) {
      return e.line == l.line && e.field == "responsible_agency_code";
    });
    if (well_formed && distinct.insert(l.responsible_agency_code).second) {
      codes.push_back(l.responsible_agency_code);
    }
  }
  if (!codes.empty()) {
    const pg::Params check = pg::Params().add(codes.dump());
    auto unknown = co_await caller.db().exec(kUnknownAgencies, check);
    std::set<std::string> missing;
    for (int i = 0; i < unknown.rows(); ++i) missing.insert(std::string(unknown.get(i, 0)));
    for (const auto& l : lines) {
      if (missing.contains(l.responsible_agency_code)) {
        out.errors.push_back({l.line, "responsible_agency_code",
                              "no agency has the code " + l.responsible_agency_code});
      }
    }
  }
  std::stable_sort(out.errors.begin(), out.errors.end(),
                   [](const auto& a, const auto& b) { return a.line < b.line; });
  if (out.errors.size() > kMaxReturnListErrors) {
    out.errors.resize(kMaxReturnListErrors);
    out.errors.push_back({0, "",
                          "at most " + std::to_string(kMaxReturnListErrors) +
                              " errors are listed: fix these and import the list again"});
  }
  if (!out.errors.empty() || lines.empty()) co_return out;
  json rows = json::array();
  for (const auto& l : lines) {
    rows.push_back({{"task_no", l.task_no},
                    {"title", l.title},
                    {"ministry", l.ministry},
                    {"agency", l.responsible_agency_code},
                    {"due", l.due_date}});
  }
  const pg::Params params = pg::Params().add(rows.dump()).add(caller.principal.id);
  auto r = co_await caller.db().exec(kImport, params);
  out.created = static_cast<int>(r.get_int(0, 0));
  out.updated = static_cast<int>(r.get_int(0, 1));
  out.unchanged = static_cast<int>(lines.size()) - out.created - out.updated;
  co_return out;
}

asio::awaitable<ListPage<ReturnTask>> ReturnService::tasks(const Caller& caller,
                                                           const ReturnTaskFilter& filter,
                                                           const PageRequest& page) {
  const std::optional<std::string> agency = listed_agency(caller.principal, filter.agency);
  const pg::Params params = pg::Params()
                                .add(page.after_id())
                                .add(agency)
                                .add(filter.ministry)
                                .add(filter.status)
                                .add(static_cast<std::int64_t>(page.limit));
  auto r = co_await caller.db().exec(kList, params);
  co_return ListPage<ReturnTask>::of_rows(
      r.rows(), page.limit, [&](int i) { return task_of(r, i); },
      [](const ReturnTask& t) { return t.task_no; });
}

asio::awaitable<ReturnTask> ReturnService::change(const Caller& caller, const std::string& id,
                                                  const ReturnTaskChange& change) {
  const Principal& me = caller.principal;
  const pg::Params key = pg::Params().add(id);
  auto current = co_await caller.db().exec(kGet, key);
  if (current.rows() == 0) throw ApiError(ErrorCode::not_found, "return task not found");
  const ReturnTask task = task_of(current, 0);
  const bool staff = me.has(Role::hub_admin) || me.has(Role::coordinator);
  if (!staff && !officer_of(me, task.responsible_agency_code)) {
    throw ApiError(ErrorCode::not_found, "return task not found");
  }
  std::optional<std::string> codes;
  if (change.resource_codes) {
    json list = json::array();
    for (const auto& c : *change.resource_codes) list.push_back(c);
    codes = list.dump();
    const pg::Params check = pg::Params().add(task.responsible_agency_code).add(*codes);
    auto foreign = co_await caller.db().exec(kForeignResources, check);
    if (foreign.rows() > 0) {
      throw ApiError(
          ErrorCode::validation_failed, "a return task links resources of its responsible agency",
          {{"resource_codes", std::string(foreign.get(0, 0)) + " is not a live resource of " +
                                  task.responsible_agency_code}},
          422);
    }
  }
  const std::size_t linked =
      change.resource_codes ? change.resource_codes->size() : task.resource_codes.size();
  // Sharing needs a linked resource, whether the change makes the task sharing or unlinks the
  // last resource of a task that is.
  if (change.status.value_or(task.status) == "sharing" && linked == 0) {
    throw ApiError(ErrorCode::validation_failed,
                   change.status ? "a task is sharing once a resource holds its data: link it"
                                 : "a sharing task keeps a resource that holds its data: move its "
                                   "status back before unlinking the last one",
                   {{"resource_codes", "name the resource that holds the returned data"}}, 422);
  }
  // Only while the task is still the agency it was checked against (an import may move it).
  const pg::Params params = pg::Params()
                                .add(id)
                                .add(change.status)
                                .add(codes)
                                .add(me.id)
                                .add(task.responsible_agency_code);
  auto r = co_await caller.db().exec(kChange, params);
  if (r.rows() == 0) throw ApiError(ErrorCode::not_found, "return task not found");
  co_return task_of(r, 0);
}

asio::awaitable<ReturnsReport> ReturnService::report(const Caller& caller) {
  const Principal& me = caller.principal;
  // The hub's staff read every agency's; an agency_cdo its own agency's.
  const std::optional<std::string> agency =
      me.hub_level() ? std::nullopt : std::optional(me.agency_code);
  const pg::Params params = pg::Params().add(agency);
  auto progress = co_await caller.db().exec(kProgress, params);
  auto late = co_await caller.db().exec(kLate, params);
  ReturnsReport out;
  out.generated_at = city_date();
  for (int i = 0; i < progress.rows(); ++i) {
    MinistryProgress m;
    m.ministry = progress.get(i, 0);
    m.tasks = static_cast<int>(progress.get_int(i, 1));
    m.not_started = static_cast<int>(progress.get_int(i, 2));
    m.path_identified = static_cast<int>(progress.get_int(i, 3));
    m.connected = static_cast<int>(progress.get_int(i, 4));
    m.sharing = static_cast<int>(progress.get_int(i, 5));
    m.overdue = static_cast<int>(progress.get_int(i, 6));
    out.ministries.push_back(std::move(m));
  }
  for (int i = 0; i < late.rows(); ++i) {
    LateReturn l;
    l.resource_code = late.get(i, 0);
    l.name = late.get(i, 1);
    l.provider_code = late.get(i, 2);
    if (!late.is_null(i, 3)) l.ministry_code = std::string(late.get(i, 3));
    l.channel = late.is_null(i, 4) ? std::string() : std::string(late.get(i, 4));
    l.update_cycle = late.get(i, 5);
    if (!late.is_null(i, 6)) l.last_updated_at = std::string(late.get(i, 6));
    out.late.push_back(std::move(l));
  }
  co_return out;
}

std::string returns_csv(const ReturnsReport& report) {
  std::string out = "\xEF\xBB\xBF";
  out += "ministry,tasks,not_started,path_identified,connected,sharing,overdue\r\n";
  for (const auto& m : report.ministries) {
    out += csv_cell(m.ministry) + "," + std::to_string(m.tasks) + "," +
           std::to_string(m.not_started) + "," + std::to_string(m.path_identified) + "," +
           std::to_string(m.connected) + "," + std::to_string(m.sharing) + "," +
           std::to_string(m.overdue) + "\r\n";
  }
  out +=
      "\r\nlate_resource_code,name,provider_code,ministry_code,channel,update_cycle,"
      "last_updated_at\r\n";
  for (const auto& l : report.late) {
    out += csv_cell(l.resource_code) + "," + csv_cell(l.name) + "," + csv_cell(l.provider_code) +
           "," + csv_cell(l.ministry_code.value_or("")) + "," + csv_cell(l.channel) + "," +
           csv_cell(l.update_cycle) + "," + csv_cell(l.last_updated_at.value_or("")) + "\r\n";
  }
  return out;
}

asio::awaitable<std::string> ReturnService::report_xlsx(const ReturnsReport& report) {
  const std::function<std::string(const std::string&)> write = [&report](const std::string& tmp) {
    return xlsx::write_workbook(tmp, [&report](lxw_workbook* book) {
      const auto styles = xlsx::common_styles(book);
      lxw_worksheet* sheet = xlsx::add_sheet(book, "回流进度");
      xlsx::check(worksheet_write_string(sheet, 0, 0, "数据回流进度（按部委）", styles.title),
                  "title");
      xlsx::check(worksheet_write_string(sheet, 1, 0, ("生成日期 " + report.generated_at).c_str(),
                                         styles.note),
                  "note");
      const char* heads[] = {"部委", "任务数", "未启动", "已明确路径", "已对接", "已共享", "逾期"};
      for (lxw_col_t c = 0; c < 7; ++c) {
        xlsx::check(worksheet_write_string(sheet, 3, c, heads[c], styles.head), "head");
        worksheet_set_column(sheet, c, c, c == 0 ? 28 : 12, nullptr);
      }
      lxw_row_t row = 4;
      for (const auto& m : report.ministries) {
        worksheet_write_string(sheet, row, 0, m.ministry.c_str(), nullptr);
        const int values[] = {m.tasks,     m.not_started, m.path_identified,
                              m.connected, m.sharing,     m.overdue};
        for (lxw_col_t c = 0; c < 6; ++c)
          worksheet_write_number(sheet, row, c + 1, values[c], nullptr);
        ++row;
      }
      lxw_worksheet* late = xlsx::add_sheet(book, "逾期未更新的回流资源");
      const char* late_heads[] = {"资源代码", "资源名称", "提供单位", "部委代码",
                                  "回流方式", "更新周期", "最近更新"};
      for (lxw_col_t c = 0; c < 7; ++c) {
        xlsx::check(worksheet_write_string(late, 0, c, late_heads[c], styles.head), "head");
        worksheet_set_column(late, c, c, c == 1 ? 28 : 18, nullptr);
      }
      row = 1;
      for (const auto& l : report.late) {
        const std::string cells[] = {l.resource_code,
                                     l.name,
                                     l.provider_code,
                                     l.ministry_code.value_or(""),
                                     l.channel,
                                     l.update_cycle,
                                     l.last_updated_at.value_or("")};
        for (lxw_col_t c = 0; c < 7; ++c)
          worksheet_write_string(late, row, c, cells[c].c_str(), nullptr);
        ++row;
      }
    });
  };
  co_return co_await workbook_off_thread(services_, write);
}

}  // namespace hub::coordination
