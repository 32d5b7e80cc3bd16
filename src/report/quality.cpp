// Data quality: a resource's measurement (hub_measure_quality, 024_quality.sql) and the
// data-quality report, as JSON, CSV and XLSX.
#include "hub/report/quality.hpp"

#include <xlsxwriter.h>

#include <atomic>
#include <ctime>

#include "hub/core/dates.hpp"
#include "hub/core/error.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/report/subject_report.hpp"
#include "hub/store/pg.hpp"
#include "workbook.hpp"

namespace hub::report {

namespace {

using json = nlohmann::json;

#define HUB_PERIOD_START "(($1::date)::timestamp AT TIME ZONE 'Asia/Shanghai')"
#define HUB_PERIOD_END "((($2::date + 1))::timestamp AT TIME ZONE 'Asia/Shanghai')"

// A measurement's columns (q: resource_quality, r: resources), as quality_of reads them.
#define HUB_QUALITY_COLUMNS \
  "q.resource_code, " HUB_SQL_TS("q.measured_at") ", q.records, q.sampled, "                 \
  "q.completeness::text, q.validity::text, q.flagged_records, " HUB_SQL_TS_OPT(              \
      "r.last_updated_at") ", q.fresh, q.objections_open, q.score::float8"
constexpr int kQualityColumns = 11;

// The resource, and its last measurement when it is still current: made within the last five
// seconds whatever was written since (so that writes cannot force a measurement per request),
// or within the reuse time with no record written since (the resource's change counter where
// it was: a write that began before the measurement and committed after it counts).
constexpr pg::Query kLast{
    "quality_last",
    "SELECT r.provider_code, r.kind, q.resource_code IS NOT NULL AND (q.measured_at > now() - "
    "interval '5 seconds' OR (q.measured_at > now() - make_interval(secs => $2) AND q.seq = "
    "coalesce((SELECT next_seq FROM record_sequences WHERE resource_code = r.code), "
    "1))), " HUB_QUALITY_COLUMNS
    " FROM resources r LEFT JOIN resource_quality q ON q.resource_code = r.code"
    " WHERE r.code = $1"};

constexpr pg::Query kBegin{"quality_begin", "BEGIN"};
constexpr pg::Query kTimeout{"quality_timeout", "SET LOCAL statement_timeout = 8000"};
constexpr pg::Query kCommit{"quality_commit", "COMMIT"};
constexpr pg::Query kMeasure{"quality_measure", "SELECT " HUB_QUALITY_COLUMNS
                                                " FROM hub_measure_quality($1, $2, $3) q"
                                                " JOIN resources r ON r.code = q.resource_code"};

// Every published dataset (or an agency's), its provider, its last measurement, and its
// objections raised and resolved as corrected in the period.
constexpr pg::Query kReport{
    "quality_report",
    "SELECT r.provider_code, a.name, r.code, r.name, coalesce(o.raised, 0),"
    " coalesce(o.corrected, 0), " HUB_QUALITY_COLUMNS
    " FROM resources r JOIN agencies a ON a.code = r.provider_code"
    " LEFT JOIN resource_quality q ON q.resource_code = r.code"
    " LEFT JOIN (SELECT resource_code,"
    "   count(*) FILTER (WHERE created_at >= " HUB_PERIOD_START " AND created_at < " HUB_PERIOD_END
    ") AS raised,"
    "   count(*) FILTER (WHERE outcome = 'corrected' AND resolved_at >= " HUB_PERIOD_START
    "   AND resolved_at < " HUB_PERIOD_END
    ") AS corrected"
    "   FROM objections WHERE created_at >= " HUB_PERIOD_START
    " OR resolved_at >= " HUB_PERIOD_START
    "   GROUP BY 1) o ON o.resource_code = r.code"
    " WHERE r.status = 'published' AND r.kind IN ('dataset', 'licence')"
    " AND ($3::text IS NULL OR r.provider_code = $3)"
    " ORDER BY r.provider_code, r.code"};

ResourceQuality quality_of(const pg::Result& r, int row, int col) {
  ResourceQuality q;
  q.resource_code = std::string(r.get(row, col));
  q.measured_at = std::string(r.get(row, col + 1));
  q.records = r.get_int(row, col + 2);
  if (!r.is_null(row, col + 3)) q.sampled = r.get_int(row, col + 3);
  q.completeness = json::parse(r.get(row, col + 4));
  q.validity = json::parse(r.get(row, col + 5));
  q.flagged_records = r.get_int(row, col + 6);
  q.last_updated_at = r.get_text(row, col + 7);
  q.fresh = r.get_bool(row, col + 8);
  q.objections_open = r.get_int(row, col + 9);
  q.score = std::stod(std::string(r.get(row, col + 10)));
  return q;
}

// The mean of an object's numbers (completeness, validity), nullopt for none.
std::optional<double> mean(const json& fractions) {
  if (!fractions.is_object() || fractions.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& [k, v] : fractions.items()) sum += v.is_number() ? v.get<double>() : 0.0;
  return sum / static_cast<double>(fractions.size());
}

// Measurements running on this node: each is a pass over up to 200,000 records, so only a few
// at once, whatever the number of callers (the monitor's run on its own connection besides).
constexpr int kMaxMeasuring = 2;
std::atomic<int> measuring{0};

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string decimal(double v, int places) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", places, v);
  return buf;
}

// The report's columns, for CSV and XLSX: Chinese title, field name.
struct Column {
  const char* zh;
  const char* field;
};
constexpr Column kColumns[] = {
    {"单位代码", "agency_code"},
    {"单位名称", "agency_name"},
    {"资源代码", "resource_code"},
    {"资源名称", "resource_name"},
    {"记录数", "records"},
    {"抽样数", "sampled"},
    {"完整性", "completeness"},
    {"规范性", "validity"},
    {"标记记录", "flagged_records"},
    {"及时更新", "fresh"},
    {"未办结异议", "objections_open"},
    {"期内异议", "objections_raised"},
    {"期内已更正", "objections_corrected"},
    {"质量得分", "score"},
    {"测量时间", "measured_at"},
};

}  // namespace

json to_json(const ResourceQuality& q) {
  return {{"resource_code", q.resource_code},
          {"measured_at", q.measured_at},
          {"records", q.records},
          {"sampled", q.sampled ? json(*q.sampled) : json(nullptr)},
          {"completeness", q.completeness},
          {"validity", q.validity},
          {"flagged_records", q.flagged_records},
          {"last_updated_at", q.last_updated_at ? json(*q.last_updated_at) : json(nullptr)},
          {"fresh", q.fresh},
          {"objections_open", q.objections_open},
          {"score", q.score}};
}

json to_json(const QualityReport& report) {
  json rows = json::array();
  for (const auto& r : report.rows) {
    json row = {{"agency_code", r.agency_code},
                {"agency_name", r.agency_name},
                {"resource_code", r.resource_code},
                {"resource_name", r.resource_name},
                {"objections_raised", r.objections_raised},
                {"objections_corrected", r.objections_corrected}};
    if (r.quality) {
      const auto& q = *r.quality;
      row["records"] = q.records;
      row["sampled"] = q.sampled ? json(*q.sampled) : json(nullptr);
      row["completeness"] = q.completeness;
      row["validity"] = q.validity;
      row["flagged_records"] = q.flagged_records;
      row["fresh"] = q.fresh;
      row["objections_open"] = q.objections_open;
      row["score"] = q.score;
      row["measured_at"] = q.measured_at;
    } else {
      for (const char* f : {"records", "sampled", "completeness", "validity", "flagged_records",
                            "fresh", "objections_open", "score", "measured_at"}) {
        row[f] = nullptr;
      }
    }
    rows.push_back(std::move(row));
  }
  return {{"from", report.from},
          {"to", report.to},
          {"generated_at", report.generated_at},
          {"rows", std::move(rows)}};
}

std::string to_csv(const QualityReport& report) {
  std::string out = "\xEF\xBB\xBF";  // a BOM, so that spreadsheet programs read UTF-8
  for (std::size_t c = 0; c < std::size(kColumns); ++c) {
    out += (c ? "," : "") + std::string(kColumns[c].field);
  }
  out += "\r\n";
  for (const auto& r : report.rows) {
    out += csv_cell(r.agency_code) + "," + csv_cell(r.agency_name) + "," +
           csv_cell(r.resource_code) + "," + csv_cell(r.resource_name) + ",";
    if (r.quality) {
      const auto& q = *r.quality;
      const auto c = mean(q.completeness), v = mean(q.validity);
      out += std::to_string(q.records) + "," + (q.sampled ? std::to_string(*q.sampled) : "") + "," +
             (c ? decimal(*c, 4) : "") + "," + (v ? decimal(*v, 4) : "") + "," +
             std::to_string(q.flagged_records) + "," + (q.fresh ? "true" : "false") + "," +
             std::to_string(q.objections_open) + ",";
    } else {
      out += ",,,,,,,";
    }
    out += std::to_string(r.objections_raised) + "," + std::to_string(r.objections_corrected) +
           "," + (r.quality ? decimal(r.quality->score, 2) : "") + "," +
           (r.quality ? csv_cell(r.quality->measured_at) : "") + "\r\n";
  }
  return out;
}

std::string to_xlsx(const QualityReport& report, const std::string& tmp_dir) {
  using xlsx::check;
  return xlsx::write_workbook(tmp_dir, [&report](lxw_workbook* book) {
    lxw_worksheet* sheet = xlsx::add_sheet(book, "数据质量");
    const auto [title, note, head] = xlsx::common_styles(book);
    lxw_format* cell = workbook_add_format(book);
    format_set_border(cell, LXW_BORDER_THIN);
    lxw_format* count = workbook_add_format(book);
    format_set_border(count, LXW_BORDER_THIN);
    format_set_num_format(count, "#,##0");
    lxw_format* share = workbook_add_format(book);
    format_set_border(share, LXW_BORDER_THIN);
    format_set_num_format(share, "0.00%");
    lxw_format* score = workbook_add_format(book);
    format_set_border(score, LXW_BORDER_THIN);
    format_set_num_format(score, "0.00");
    format_set_bold(score);
    lxw_format* field = workbook_add_format(book);
    format_set_italic(field);
    format_set_font_size(field, 9);
    format_set_font_color(field, 0x7F7F7F);
    format_set_border(field, LXW_BORDER_THIN);

    const auto last_col = static_cast<lxw_col_t>(std::size(kColumns) - 1);
    const std::string heading = "数据质量报告 " + report.from + " 至 " + report.to;
    check(worksheet_merge_range(sheet, 0, 0, 0, last_col, heading.c_str(), title), "title");
    const std::string generated =
        "生成时间 generated at " + report.generated_at +
        " · 完整性、规范性为各信息项、各规则的平均值 (means over items and rules)";
    check(worksheet_merge_range(sheet, 1, 0, 1, last_col, generated.c_str(), note), "note");
    constexpr lxw_row_t kTitles = 3, kFields = 4, kFirst = 5;
    for (lxw_col_t c = 0; c <= last_col; ++c) {
      check(worksheet_write_string(sheet, kTitles, c, kColumns[c].zh, head), "header");
      check(worksheet_write_string(sheet, kFields, c, kColumns[c].field, field), "header");
    }
    worksheet_set_column(sheet, 0, 0, 22, nullptr);
    worksheet_set_column(sheet, 1, 1, 30, nullptr);
    worksheet_set_column(sheet, 2, 2, 28, nullptr);
    worksheet_set_column(sheet, 3, 3, 30, nullptr);
    worksheet_set_column(sheet, 4, last_col, 12, nullptr);
    worksheet_set_column(sheet, last_col, last_col, 22, nullptr);
    lxw_row_t row = kFirst;
    auto text = [&](lxw_col_t c, const std::string& v) {
      check(worksheet_write_string(sheet, row, c, v.c_str(), cell), "cell");
    };
    auto number = [&](lxw_col_t c, std::optional<double> v, lxw_format* f) {
      if (v) {
        check(worksheet_write_number(sheet, row, c, *v, f), "cell");
      } else {
        check(worksheet_write_blank(sheet, row, c, cell), "cell");
      }
    };
    for (const auto& r : report.rows) {
      text(0, r.agency_code);
      text(1, r.agency_name);
      text(2, r.resource_code);
      text(3, r.resource_name);
      const ResourceQuality* q = r.quality ? &*r.quality : nullptr;
      auto n = [](std::int64_t v) { return std::optional<double>(static_cast<double>(v)); };
      number(4, q ? n(q->records) : std::nullopt, count);
      number(5, q && q->sampled ? n(*q->sampled) : std::nullopt, count);
      number(6, q ? mean(q->completeness) : std::nullopt, share);
      number(7, q ? mean(q->validity) : std::nullopt, share);
      number(8, q ? n(q->flagged_records) : std::nullopt, count);
      text(9, q ? (q->fresh ? "是" : "否") : "");
      number(10, q ? n(q->objections_open) : std::nullopt, count);
      number(11, n(r.objections_raised), count);
      number(12, n(r.objections_corrected), count);
      number(13, q ? std::optional<double>(q->score) : std::nullopt, score);
      text(14, q ? city_time(q->measured_at) : "");
      ++row;
    }
    worksheet_freeze_panes(sheet, kFirst, 2);
    if (row > kFirst) {
      check(worksheet_autofilter(sheet, kFields, 0, row - 1, last_col), "autofilter");
    }
  });
}

boost::asio::awaitable<ResourceQuality> QualityService::resource(const Caller& caller,
                                                                 const std::string& code) {
  const Principal& me = caller.principal;
  const pg::Params key = pg::Params().add(code).add(static_cast<std::int64_t>(kReuseSeconds));
  auto last = co_await caller.db().exec(kLast, key);
  // Another agency's resource answers as one that does not exist; so do a service and a
  // computation, which hold no records to measure.
  if (last.rows() == 0 || !(me.hub_level() || me.of_agency(last.get(0, 0))) ||
      (last.get(0, 1) != "dataset" && last.get(0, 1) != "licence")) {
    throw ApiError(ErrorCode::not_found, "no such resource");
  }
  if (last.get_bool(0, 2)) co_return quality_of(last, 0, 3);
  if (measuring.fetch_add(1) >= kMaxMeasuring) {
    measuring.fetch_sub(1);
    throw ApiError(ErrorCode::rate_limited,
                   "other quality measurements are running on this node; retry in a few seconds")
        .with_header("Retry-After", "5");
  }
  struct Done {
    ~Done() { measuring.fetch_sub(1); }
  } done;
  // Bounded on the server (8 s, within the client's query timeout): a measurement that cannot
  // finish is cancelled there too (503), not left running after the caller gave up.
  const pg::Params params = pg::Params().add(code).add(kExactRecords).add(kSampleProbes);
  const auto steps = pg::batch(pg::step(kBegin), pg::step(kTimeout), pg::step(kMeasure, params),
                               pg::step(kCommit));
  auto lease = co_await caller.db().acquire();
  auto results = co_await lease->pipeline(steps);
  const pg::Result& measured = results[2];
  if (measured.rows() == 0) throw ApiError(ErrorCode::not_found, "no such resource");
  co_return quality_of(measured, 0, 0);
}

boost::asio::awaitable<QualityReport> QualityService::report(const Caller& caller,
                                                             const Period& period) {
  const Principal& me = caller.principal;
  std::optional<std::string> agency;
  if (!me.hub_level()) agency = me.agency_code;
  const pg::Params params = pg::Params().add(period.from).add(period.to).add(agency);
  auto r = co_await caller.db().exec(kReport, params);
  QualityReport out;
  out.from = period.from;
  out.to = period.to;
  out.generated_at = now_utc();
  for (int i = 0; i < r.rows(); ++i) {
    QualityRow row;
    row.agency_code = std::string(r.get(i, 0));
    row.agency_name = std::string(r.get(i, 1));
    row.resource_code = std::string(r.get(i, 2));
    row.resource_name = std::string(r.get(i, 3));
    row.objections_raised = r.get_int(i, 4);
    row.objections_corrected = r.get_int(i, 5);
    if (!r.is_null(i, 6)) row.quality = quality_of(r, i, 6);
    out.rows.push_back(std::move(row));
  }
  co_return out;
}

boost::asio::awaitable<std::string> QualityService::xlsx(const QualityReport& report) {
  const std::function<std::string(const std::string&)> write =
      [&report](const std::string& tmp_dir) { return to_xlsx(report, tmp_dir); };
  co_return co_await workbook_off_thread(services_, write);
}

}  // namespace hub::report
