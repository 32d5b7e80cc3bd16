// The sharing-status report's arithmetic and representations, and the early-warning clock.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>

#include "hub/cli/demo_data.hpp"
#include "hub/monitor/monitor.hpp"
#include "hub/report/report.hpp"
#include "hub/report/subject_report.hpp"

namespace hub::report {
namespace {

AgencyRow row(const std::string& code, std::int64_t published, std::int64_t fresh,
              std::int64_t served) {
  AgencyRow r;
  r.agency_code = code;
  r.agency_name = "机构" + code;
  r.resources_published = published;
  r.resources_fresh = fresh;
  r.resources_stale = published - fresh;
  r.requests_served = served;
  return r;
}

TEST(ReportScore, PartsFollowTheirDefinitions) {
  AgencyRow r = row("A", 4, 3, 99);
  r.applications_received = 10;
  r.applications_overdue = 2;
  r.objections_received = 0;
  r.objections_overdue = 1;  // an objection from before the period, answered late
  const ScoreParts p = score_parts(r, 999);
  EXPECT_DOUBLE_EQ(*p.freshness, 0.75);
  // An interface service is published but neither fresh nor stale: it keeps its data at home.
  AgencyRow with_service = r;
  with_service.resources_published += 1;
  EXPECT_DOUBLE_EQ(*score_parts(with_service, 999).freshness, 0.75);
  // An empty resource (published, no record yet) is neither fresh nor stale, and not fresh.
  AgencyRow with_empty = r;
  with_empty.resources_published += 1;
  with_empty.resources_empty = 1;
  EXPECT_DOUBLE_EQ(*score_parts(with_empty, 999).freshness, 0.6);
  EXPECT_DOUBLE_EQ(*p.timeliness, 0.8);
  EXPECT_DOUBLE_EQ(*p.objections, 0.0);
  EXPECT_DOUBLE_EQ(*p.volume, std::log(100.0) / std::log(1000.0));
  // Demands join applications in timeliness: 10 + 5 received, 2 + 3 late.
  AgencyRow with_demands = r;
  with_demands.demands_received = 5;
  with_demands.demands_overdue = 3;
  EXPECT_DOUBLE_EQ(*score_parts(with_demands, 999).timeliness, 1.0 - 5.0 / 15.0);
  // Indicators reported late join them too: 10 + 4 due, 2 + 3 late (one of four on time).
  AgencyRow with_indicators = r;
  with_indicators.indicators_due = 4;
  with_indicators.indicators_on_time = 1;
  EXPECT_DOUBLE_EQ(*score_parts(with_indicators, 999).timeliness, 1.0 - 5.0 / 14.0);
  // Nothing published is nothing fresh; nothing due gives timeliness and objections no basis;
  // nobody anywhere served gives volume none.
  const ScoreParts idle = score_parts(row("B", 0, 0, 0), 0);
  EXPECT_EQ(idle.freshness, 0.0);
  EXPECT_EQ(idle.timeliness, std::nullopt);
  EXPECT_EQ(idle.objections, std::nullopt);
  EXPECT_EQ(idle.volume, std::nullopt);
  EXPECT_EQ(score_parts(row("B", 0, 0, 0), 10).volume, 0.0);
  // Interface services only: freshness has no basis.
  AgencyRow services_only = row("S", 0, 0, 5);
  services_only.resources_published = 2;
  EXPECT_EQ(score_parts(services_only, 10).freshness, std::nullopt);
}

TEST(ReportScore, WeightsAreConfigurableAndRanksRunWithoutGaps) {
  std::vector<AgencyRow> rows = {row("C", 2, 2, 0), row("A", 2, 2, 0), row("B", 2, 1, 1000),
                                 row("D", 0, 0, 0)};
  rows[2].applications_received = 4;
  rows[2].applications_overdue = 1;
  ReportConfig
      w;  // 30 / 30 / 20 / 20 / 10 (no quality measured here: its weight goes to the others)
  score_and_rank(rows, w);
  ASSERT_EQ(rows.size(), 4u);
  // B: (30 * 0.5 + 30 * 0.75 + 20 * 1) / 80 = 71.875 (nothing of objections fell due);
  // A and C: (30 * 1 + 20 * 0) / 50 = 60, tied, A first; D, which publishes nothing: 0.
  EXPECT_EQ(rows[0].agency_code, "B");
  EXPECT_DOUBLE_EQ(rows[0].score, 71.88);
  EXPECT_EQ(rows[1].agency_code, "A");
  EXPECT_EQ(rows[2].agency_code, "C");
  EXPECT_DOUBLE_EQ(rows[1].score, 60.0);
  EXPECT_DOUBLE_EQ(rows[1].score, rows[2].score);
  EXPECT_EQ(rows[3].agency_code, "D");
  EXPECT_DOUBLE_EQ(rows[3].score, 0.0);
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].rank, static_cast<int>(i + 1));

  // Only volume counts: B alone scores.
  ReportConfig volume_only{0, 0, 0, 1, 0};
  score_and_rank(rows, volume_only);
  EXPECT_EQ(rows[0].agency_code, "B");
  EXPECT_DOUBLE_EQ(rows[0].score, 100.0);
  EXPECT_DOUBLE_EQ(rows[1].score, 0.0);
  EXPECT_EQ(rows[1].agency_code, "A");  // ties by code
}

TEST(ReportScore, DoingNothingRanksBelowDoingSomething) {
  // The issue's cases: one empty resource and nothing served, and no resource at all, rank below
  // an agency that keeps one resource fresh, which ranks below one that also answers on time and
  // is used.
  AgencyRow empty = row("E", 1, 0, 0);
  empty.resources_stale = 0;
  empty.resources_empty = 1;
  AgencyRow nothing = row("N", 0, 0, 0);
  AgencyRow fresh = row("F", 1, 1, 0);
  AgencyRow busy = row("U", 1, 1, 50);
  busy.applications_received = 3;
  std::vector<AgencyRow> rows = {empty, nothing, fresh, busy};
  score_and_rank(rows, ReportConfig{});
  EXPECT_EQ(rows[0].agency_code, "U");
  EXPECT_DOUBLE_EQ(rows[0].score, 100.0);
  EXPECT_EQ(rows[1].agency_code, "F");
  EXPECT_DOUBLE_EQ(rows[1].score, 60.0);
  EXPECT_DOUBLE_EQ(rows[2].score, 0.0);
  EXPECT_DOUBLE_EQ(rows[3].score, 0.0);
}

TEST(ReportScore, MeasuredDataQualityJoinsTheScoreWithItsWeight) {
  // F keeps one resource fresh and unused, while U serves: 60 without a measured quality.
  AgencyRow fresh = row("F", 1, 1, 0);
  AgencyRow busy = row("U", 1, 1, 50);
  std::vector<AgencyRow> rows = {fresh, busy};
  score_and_rank(rows, ReportConfig{});
  EXPECT_DOUBLE_EQ(rows[1].score, 60.0);
  // Measured at 80: (30 × 1 + 20 × 0 + 10 × 0.8) / 60 = 63.33.
  fresh.data_quality = 80.0;
  EXPECT_DOUBLE_EQ(*score_parts(fresh, 50).quality, 0.8);
  EXPECT_EQ(score_parts(busy, 50).quality, std::nullopt);
  rows = {fresh, busy};
  score_and_rank(rows, ReportConfig{});
  EXPECT_EQ(rows[1].agency_code, "F");
  EXPECT_DOUBLE_EQ(rows[1].score, 63.33);
  // Its own column: two decimals in CSV, null in JSON when not measured.
  Report r;
  r.agencies = rows;
  const auto j = to_json(r);
  EXPECT_EQ(j["agencies"][1]["data_quality"], 80.0);
  EXPECT_TRUE(j["agencies"][0]["data_quality"].is_null());
  EXPECT_NE(to_csv(r).find(",80.00,"), std::string::npos) << to_csv(r);
}

TEST(ReportTotals, SumEveryCountAndGroup) {
  Report r;
  r.from = r.to = "2026-11-01";
  r.agencies = {row("A", 2, 1, 5), row("B", 3, 3, 0), row("C", 1, 0, 0)};
  r.agencies[0].level = r.agencies[1].level = "city";
  r.agencies[2].level = "district";
  r.agencies[1].parent_code = "A";
  r.agencies[2].parent_code = "A";
  r.agencies[0].connected = true;
  r.agencies[0].median_reply_hours = 3.0;
  r.agencies[1].demands_received = 4;
  r.group_by = "level";
  const auto j = to_json(r);
  EXPECT_EQ(j["totals"]["resources_published"], 6);
  EXPECT_EQ(j["totals"]["resources_fresh"], 4);
  EXPECT_EQ(j["totals"]["requests_served"], 5);
  EXPECT_EQ(j["totals"]["demands_received"], 4);
  EXPECT_EQ(j["totals"]["agencies"], 3);
  EXPECT_EQ(j["totals"]["members_connected"], 1);
  EXPECT_FALSE(j["totals"].contains("score"));
  EXPECT_FALSE(j["totals"].contains("median_reply_hours"));
  for (const auto& c : columns()) {
    EXPECT_EQ(j["totals"].contains(c.field), c.kind == CellKind::count) << c.field;
  }
  ASSERT_EQ(j["groups"].size(), 2u);
  EXPECT_EQ(j["groups"][0]["group"], "city");
  EXPECT_EQ(j["groups"][0]["totals"]["resources_published"], 5);
  EXPECT_EQ(j["groups"][1]["group"], "district");
  EXPECT_EQ(j["groups"][1]["totals"]["agencies"], 1);
  r.group_by = "parent";
  const auto by_parent = to_json(r);
  ASSERT_EQ(by_parent["groups"].size(), 2u);
  EXPECT_TRUE(by_parent["groups"][0]["group"].is_null());
  EXPECT_EQ(by_parent["groups"][1]["group"], "A");
  EXPECT_EQ(by_parent["groups"][1]["totals"]["agencies"], 2);
  r.group_by.clear();
  EXPECT_FALSE(to_json(r).contains("groups"));
}

TEST(ReportMedian, FromAHistogramOfTenths) {
  EXPECT_EQ(median_hours({}), std::nullopt);
  EXPECT_EQ(median_hours({{5, 0}}), std::nullopt);
  EXPECT_DOUBLE_EQ(*median_hours({{25, 1}}), 2.5);
  // 1.0, 2.0, 2.0, 9.0 → (2.0 + 2.0) / 2; order of the rows does not matter.
  EXPECT_DOUBLE_EQ(*median_hours({{90, 1}, {20, 2}, {10, 1}}), 2.0);
  // Rows may repeat a value (one per day): 1.0, 2.0, 2.0 → 2.0.
  EXPECT_DOUBLE_EQ(*median_hours({{20, 1}, {10, 1}, {20, 1}}), 2.0);
  // 1.0, 9.0 → 5.0
  EXPECT_DOUBLE_EQ(*median_hours({{90, 1}, {10, 1}}), 5.0);
  // 0.5 ×3, 300.0 ×2 → 0.5
  EXPECT_DOUBLE_EQ(*median_hours({{3000, 2}, {5, 3}}), 0.5);
}

Report sample() {
  Report r;
  r.from = "2026-11-01";
  r.to = "2026-11-30";
  r.generated_at = "2026-11-27T10:00:00Z";
  r.agencies = {row("11440100XYDWCM5T1B", 3, 2, 7), row("114401009P0Y2GG12L", 1, 1, 0)};
  r.agencies[0].agency_name = "国家税务总局广州市税务局";
  r.agencies[1].agency_name = "=HYPERLINK(\"http://x\"),\"市场\"";
  r.agencies[0].median_reply_hours = 12.5;
  score_and_rank(r.agencies, ReportConfig{});
  r.purposes = {{"11440100XYDWCM5T1B", "scenario.tax-check", 5, 1},
                {"11440100XYDWCM5T1B", "", 2, 0}};
  return r;
}

TEST(ReportCsv, BomHeaderQuotingAndNoFormulas) {
  const std::string csv = to_csv(sample());
  ASSERT_GE(csv.size(), 3u);
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  const auto first_line = csv.substr(3, csv.find("\r\n") - 3);
  std::string expected;
  for (const auto& c : columns()) expected += (expected.empty() ? "" : ",") + std::string(c.field);
  EXPECT_EQ(first_line, expected);
  EXPECT_NE(csv.find("国家税务总局广州市税务局"), std::string::npos);
  EXPECT_NE(csv.find(",12.50,"), std::string::npos);
  // The formula-looking name is quoted, its quotes doubled, and an apostrophe disarms it.
  EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"http://x\"\"),\"\"市场\"\"\""), std::string::npos);
  // One line per agency plus the header, each with every column.
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = csv.find("\r\n", at)) != std::string::npos; at += 2) ++lines;
  EXPECT_EQ(lines, 3u);
}

TEST(ReportJson, HasEveryColumn) {
  const auto j = to_json(sample());
  EXPECT_EQ(j["from"], "2026-11-01");
  ASSERT_EQ(j["agencies"].size(), 2u);
  for (const auto& c : columns()) EXPECT_TRUE(j["agencies"][0].contains(c.field)) << c.field;
  EXPECT_EQ(j["agencies"].size(), 2u);
  EXPECT_TRUE(j["agencies"][1]["median_reply_hours"].is_null());
  EXPECT_EQ(j["agencies"][0]["rank"], 1);
  // Requests by consumer and purpose code; null for those that named none.
  EXPECT_EQ(j["purposes"], nlohmann::json::parse(R"([
      {"consumer_code": "11440100XYDWCM5T1B", "purpose_code": "scenario.tax-check",
       "requests": 5, "refused": 1},
      {"consumer_code": "11440100XYDWCM5T1B", "purpose_code": null, "requests": 2, "refused": 0}
  ])"));
}

// The uncompressed bytes of one member of a zip archive (as libxlsxwriter writes them: deflate,
// sizes in the central directory).
std::string zip_member(const std::string& zip, const std::string& name) {
  auto u16 = [&](std::size_t at) {
    return static_cast<unsigned>(static_cast<unsigned char>(zip[at])) |
           static_cast<unsigned>(static_cast<unsigned char>(zip[at + 1])) << 8;
  };
  auto u32 = [&](std::size_t at) { return u16(at) | u16(at + 2) << 16; };
  for (std::size_t at = 0; (at = zip.find("PK\x01\x02", at)) != std::string::npos; at += 4) {
    const unsigned method = u16(at + 10), csize = u32(at + 20), usize = u32(at + 24);
    const unsigned nlen = u16(at + 28), xlen = u16(at + 30), clen = u16(at + 32);
    const unsigned local = u32(at + 42);
    if (zip.compare(at + 46, nlen, name) != 0) {
      at += 46 + nlen + xlen + clen - 4;
      continue;
    }
    const std::size_t data = local + 30 + u16(local + 26) + u16(local + 28);
    if (method == 0) return zip.substr(data, csize);
    std::string out(usize, '\0');
    z_stream z{};
    inflateInit2(&z, -15);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zip.data() + data));
    z.avail_in = csize;
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = usize;
    inflate(&z, Z_FINISH);
    inflateEnd(&z);
    return out;
  }
  return {};
}

TEST(ReportXlsx, AWorkbookWithTheChineseNamesIntact) {
  const std::string book = to_xlsx(sample(), "");
  ASSERT_GT(book.size(), 1000u);
  EXPECT_EQ(book.substr(0, 2), "PK");
  const std::string strings = zip_member(book, "xl/sharedStrings.xml");
  EXPECT_NE(strings.find("国家税务总局广州市税务局"), std::string::npos);
  EXPECT_NE(strings.find("共享情况通报 2026-11-01 至 2026-11-30"), std::string::npos);
  EXPECT_NE(strings.find("综合得分"), std::string::npos);
  EXPECT_NE(strings.find("median_reply_hours"), std::string::npos);
  EXPECT_NE(strings.find("被提请协调数"), std::string::npos);
  // The totals row below the agencies, for people; the filter covers the agencies only
  // (headers on rows 4 and 5, the two agencies on 6 and 7, the totals on 8).
  EXPECT_NE(strings.find("合计 total"), std::string::npos);
  EXPECT_NE(strings.find("members connected: 0 / 2"), std::string::npos);
  const std::string workbook = zip_member(book, "xl/workbook.xml");
  EXPECT_NE(workbook.find("共享情况通报"), std::string::npos);  // the sheet's name
  const std::string sheet = zip_member(book, "xl/worksheets/sheet1.xml");
  const auto filter = sheet.find("<autoFilter ref=\"A5:");
  ASSERT_NE(filter, std::string::npos);
  const std::string ref = sheet.substr(filter, sheet.find("/>", filter) - filter);
  EXPECT_TRUE(ref.ends_with("7\"")) << ref << ": the filter ends at the last agency";
  EXPECT_NE(sheet.find("<pane"), std::string::npos);  // frozen headers
  // The second sheet: requests by consumer and purpose code.
  EXPECT_NE(workbook.find("按用途编码统计"), std::string::npos);
  EXPECT_NE(strings.find("scenario.tax-check"), std::string::npos);
  EXPECT_NE(strings.find("（未填用途编码）"), std::string::npos);
  EXPECT_NE(zip_member(book, "xl/worksheets/sheet2.xml").find("<v>5</v>"), std::string::npos);
}

// A citizen's report from the subject log: city time, Chinese names, the covering checkpoint.
TEST(SubjectReport, EveryAccessWithItsCheckpointInChinese) {
  EXPECT_EQ(city_time("2026-12-05T17:02:03.456789Z"), "2026-12-06 01:02:03");
  EXPECT_EQ(city_time("2026-12-31T16:00:00Z"), "2027-01-01 00:00:00");
  EXPECT_EQ(city_time("not a time"), "not a time");
  EXPECT_EQ(city_time("2026-02-30T00:00:00Z"), "2026-02-30T00:00:00Z");
  EXPECT_EQ(masked_key("440106199001011234"), "440106********1234");
  EXPECT_EQ(masked_key("91440101MA5CXXXX1X"), "914401********XX1X");
  EXPECT_EQ(masked_key("ab12"), "****");
  EXPECT_EQ(masked_key("张三"), "（已隐去）");
  EXPECT_EQ(operation_zh("verify"), "核验");
  EXPECT_EQ(operation_zh("something-new"), "something-new");

  SubjectReport r;
  r.subject = masked_key("440106199001011234");
  r.generated_at = "2026-12-05T02:00:00.000000Z";
  r.origin = "hub.gz.example/ledger";
  SubjectAccess a;
  a.index = 41;
  a.time = "2026-12-04T01:30:00.000000Z";
  a.operation = "read";
  a.consumer_code = "11440100MB2C92175P";
  a.consumer_name = "国家税务总局广州市税务局";
  a.provider_code = "114401000074983224";
  a.provider_name = "广州市公安局";
  a.resource_code = "114401000074983224-00001";
  a.resource_name = "户籍人口基本信息";
  a.purpose = "办理业务时核验申请人身份";
  a.purpose_code = "scenario.tax-check";
  a.status = 200;
  a.checkpoint_size = 42;
  a.checkpoint_root_hash = std::string(64, 'a');
  a.checkpoint_signed_at = "2026-12-04T01:30:01.000000Z";
  r.accesses.push_back(a);
  a.index = 57;
  a.status = 403;
  a.purpose_code.reset();
  a.checkpoint_size.reset();
  r.accesses.push_back(a);
  const std::string book = subject_report_xlsx(r, "");
  ASSERT_EQ(book.substr(0, 2), "PK");
  const std::string strings = zip_member(book, "xl/sharedStrings.xml");
  for (const char* s : {"数据访问记录 · 数据主体 440106********1234",
                        "国家税务总局广州市税务局（11440100MB2C92175P）",
                        "户籍人口基本信息（114401000074983224-00001）", "按键读取",
                        "2026-12-04 09:30:00", "scenario.tax-check", "已提供 (200)", "已拒绝 (403)",
                        "尚未签名（稍后重新生成）", "覆盖该记录的签名检查点"}) {
    EXPECT_NE(strings.find(s), std::string::npos) << s;
  }
  EXPECT_NE(strings.find("树大小 42，签名于 2026-12-04 09:30:01，根哈希 " + std::string(64, 'a')),
            std::string::npos);
  EXPECT_EQ(strings.find("440106199001011234"), std::string::npos) << "the key itself never";
  EXPECT_NE(zip_member(book, "xl/workbook.xml").find("数据访问记录"), std::string::npos);
  // No accesses: the sheet says so.
  r.accesses.clear();
  EXPECT_NE(zip_member(subject_report_xlsx(r, ""), "xl/sharedStrings.xml")
                .find("账本中没有命名该数据主体的请求记录"),
            std::string::npos);
}

}  // namespace
}  // namespace hub::report

namespace hub::monitor {
namespace {

std::chrono::system_clock::time_point utc(int y, unsigned m, unsigned d, int h, int min = 0) {
  return std::chrono::sys_days{std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)} +
         std::chrono::hours(h) + std::chrono::minutes(min);
}

TEST(EarlyWarning, OffHoursFollowTheCityCalendarAndClock) {
  const auto calendar = sharing::WorkingCalendar::built_in();
  MonitorConfig c;  // 08:00 to 20:00
  // Wednesday 2026-11-25: 10:00 city time is 02:00 UTC; 07:59 and 20:00 city time are off.
  EXPECT_FALSE(Monitor::off_hours(calendar, c, utc(2026, 11, 25, 2)));
  EXPECT_FALSE(Monitor::off_hours(calendar, c, utc(2026, 11, 25, 0)));      // 08:00
  EXPECT_TRUE(Monitor::off_hours(calendar, c, utc(2026, 11, 24, 23, 59)));  // 07:59
  EXPECT_TRUE(Monitor::off_hours(calendar, c, utc(2026, 11, 25, 12)));      // 20:00
  EXPECT_TRUE(Monitor::off_hours(calendar, c, utc(2026, 11, 25, 18)));      // 02:00 Thursday
  // Saturday 2026-11-28 at noon: not a working day.
  EXPECT_TRUE(Monitor::off_hours(calendar, c, utc(2026, 11, 28, 4)));
  c.work_start_hour = 0;
  c.work_end_hour = 24;
  EXPECT_FALSE(Monitor::off_hours(calendar, c, utc(2026, 11, 25, 18)));
}

TEST(EarlyWarning, RulesHaveFixedSeverities) {
  std::set<std::string> names;
  for (const auto& r : rules()) {
    names.insert(r.name);
    EXPECT_TRUE(std::string(r.severity) == "info" || std::string(r.severity) == "warning" ||
                std::string(r.severity) == "critical");
  }
  EXPECT_EQ(names, (std::set<std::string>{
                       "volume_spike", "denied_burst", "off_hours_bulk", "overdue_application",
                       "overdue_objection", "stale_resource", "verify_enumeration",
                       "service_unavailable", "grant_expiring", "demand_overdue", "calendar_ending",
                       "returned_late", "indicator_overdue"}));
}

}  // namespace
}  // namespace hub::monitor

namespace hub::cli {
namespace {

TEST(DemoHistory, AMonthOfPlausibleTrafficEndingBeforeNow) {
  std::vector<HistoryGrant> grants(2);
  grants[0] = {"g1",       "11440100XYDWCM5T1B", "114401009P0Y2GG12L", "R1", "p1",
               "税收征管", {"read", "query"},    {"uscc", "name"},     3000};
  grants[1] = {"g2",       "114401000UUY8XPWXH", "114401009P0Y2GG12L", "R1", "p2",
               "统计分析", {"aggregate"},        {"district"},         3000};
  const std::int64_t now = 1795761600;  // 2026-11-27T06:40:00Z
  const auto a = demo_history(grants, now, 30);
  const auto b = demo_history(grants, now, 30);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_GT(a.size(), 2000u);
  std::map<std::int64_t, int> refused_by_hour;
  std::map<std::int64_t, std::int64_t> records_by_hour;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].draft.request_id, b[i].draft.request_id);  // deterministic
    EXPECT_LT(a[i].unix_micros, now * 1000000);
    EXPECT_GE(a[i].unix_micros, (now - 32 * 86400) * 1000000);
    const auto& d = a[i].draft;
    EXPECT_TRUE(d.status == 200 || d.status == 403);
    EXPECT_EQ(d.grant_id.has_value(), d.status == 200);
    const std::int64_t hour = a[i].unix_micros / 1000000 / 3600;
    if (d.status == 403) ++refused_by_hour[hour];
    if (d.status == 200 && d.operation == "query") records_by_hour[hour] += d.record_count;
  }
  // The two things early warning should catch: a burst of refusals within one hour, and a bulk
  // pull within one hour.
  int most_refused = 0;
  for (auto [h, n] : refused_by_hour) most_refused = std::max(most_refused, n);
  EXPECT_GE(most_refused, 60);
  std::int64_t most_records = 0;
  for (auto [h, n] : records_by_hour) most_records = std::max(most_records, n);
  EXPECT_GE(most_records, 15000);
}

}  // namespace
}  // namespace hub::cli
