// Indicator reporting (指标报送): indicators defined by the coordination group, values reported by
// the reporter agency with their plausibility checks, every version kept and in the ledger.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "hub/indicators/service.hpp"
#include "hub/ledger/merkle.hpp"
#include "hub/store/pg.hpp"
#include "support/hub_fixture.hpp"
#include "support/workbook_builder.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

// kStats reports; kTax is another agency.
class IndicatorTest : public HubTest {
 protected:
  void SetUp() override {
    // Early warning every 100 ms, for the indicator_overdue alert.
    start([](Config& c) { c.monitor.interval = std::chrono::milliseconds(100); });
    for (auto code : {kStats, kTax}) agency(code);
    coordinator_ = person("", "xtz", "coordinator");
    stats_officer_ = person(kStats, "tj-officer", "agency_data_officer");
    stats_system_ = person(kStats, "tj-system", "agency_system", "system");
    stats_operator_ = person(kStats, "tj-operator", "agency_operator");
    tax_officer_ = person(kTax, "sw-officer", "agency_data_officer");
  }

  json indicator(json extra = json::object()) {
    json body = {{"code", "GYZJZ"},
                 {"name", "规模以上工业增加值"},
                 {"unit", "亿元"},
                 {"frequency", "monthly"},
                 {"reporter_code", kStats},
                 {"due_rule", {{"working_day_of_next_period", 5}}},
                 {"theme", "经济实力"},
                 {"start_period", "2025-01"},
                 {"min", 0},
                 {"max", 10000},
                 {"max_change_ratio", 0.3},
                 {"dimensions", {"district"}}};
    body.update(extra);
    return body;
  }
  std::string value_path(const std::string& period, const std::string& code = "GYZJZ") {
    return "/api/v1/indicators/" + code + "/values/" + period;
  }
  client::ClientResponse report(const std::string& token, const std::string& period, json body,
                                const std::string& request_id = "") {
    if (request_id.empty()) return call(verb::put, value_path(period), token, body);
    return call(verb::put, value_path(period), token, body, with_request_id(request_id, false));
  }
  void sql(const std::string& statement, const pg::Params& params = pg::Params()) {
    auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
    pg::exec_blocking(su.get(), statement, params);
  }
  static std::string field_of(const client::ClientResponse& r) {
    const json p = json::parse(r.body);
    return p.contains("errors") && !p["errors"].empty() ? p["errors"][0]["field"].get<std::string>()
                                                        : std::string();
  }

  std::string coordinator_, stats_officer_, stats_system_, stats_operator_, tax_officer_;
};

TEST_F(IndicatorTest, TheCoordinationGroupDefinesAndChangesIndicators) {
  auto created = call(verb::post, "/api/v1/indicators", coordinator_, indicator());
  ASSERT_EQ(created.status, 201) << created.body;
  json i = json::parse(created.body);
  EXPECT_EQ(i["reporter_code"], kStats);
  EXPECT_EQ(i["due_rule"]["working_day_of_next_period"], 5);
  EXPECT_EQ(i["dimensions"], json({"district"}));
  // Nothing reported since January 2025: that period is due, long past.
  EXPECT_EQ(i["next_period"], "2025-01");
  EXPECT_EQ(i["overdue"], true);
  EXPECT_TRUE(i["last_period"].is_null());

  EXPECT_EQ(call(verb::post, "/api/v1/indicators", coordinator_, indicator()).status, 409);
  EXPECT_EQ(
      call(verb::post, "/api/v1/indicators", stats_officer_, indicator({{"code", "OTHER"}})).status,
      403);
  // Every problem at once, each at its field.
  const auto bad = call(verb::post, "/api/v1/indicators", coordinator_,
                        indicator({{"code", "X2"}, {"frequency", "weekly"}}));
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(field_of(bad), "frequency");
  for (const auto& [extra, field] : std::vector<std::pair<json, std::string>>{
           {{{"start_period", "2025-Q1"}}, "start_period"},
           {{{"reporter_code", "11440100NOSUCH0000"}}, "reporter_code"},
           {{{"min", 10}, {"max", 1}}, "max"},
           {{{"max_change_ratio", 0}}, "max_change_ratio"},
           {{{"dimensions", {"colour"}}}, "dimensions"},
           {{{"due_rule", {{"working_day_of_next_period", 0}}}}, "due_rule"},
           {{{"code", "坏 code"}}, "code"},
           {{{"surprise", 1}}, "surprise"}}) {
    json body = indicator({{"code", "X3"}});
    body.update(extra);
    const auto r = call(verb::post, "/api/v1/indicators", coordinator_, body);
    EXPECT_EQ(r.status, 422) << field << ": " << r.body;
    EXPECT_EQ(field_of(r), field) << r.body;
  }

  ok(verb::post, "/api/v1/indicators", kAdmin,
     indicator({{"code", "SSSR"},
                {"name", "税收收入"},
                {"reporter_code", kTax},
                {"theme", "营商环境"},
                {"frequency", "quarterly"},
                {"start_period", "2025-Q1"}}));
  const auto themed = ok(verb::get, "/api/v1/indicators?theme=%E8%90%A5%E5%95%86%E7%8E%AF%E5%A2%83",
                         tax_officer_)["items"];
  ASSERT_EQ(themed.size(), 1u);
  EXPECT_EQ(themed[0]["code"], "SSSR");
  EXPECT_EQ(
      ok(verb::get, std::string("/api/v1/indicators?reporter=") + kStats, tax_officer_)["items"]
          .size(),
      1u);
  EXPECT_EQ(call(verb::get, "/api/v1/indicators/NOPE", tax_officer_).status, 404);

  auto changed = ok(verb::patch, "/api/v1/indicators/GYZJZ", coordinator_,
                    {{"max", nullptr}, {"name", "规上工业增加值"}});
  EXPECT_TRUE(changed["max"].is_null());
  EXPECT_EQ(changed["min"], 0);
  EXPECT_EQ(changed["name"], "规上工业增加值");
  EXPECT_EQ(
      call(verb::patch, "/api/v1/indicators/GYZJZ", coordinator_, {{"min", 20000}, {"max", 1}})
          .status,
      422);
  EXPECT_EQ(call(verb::patch, "/api/v1/indicators/GYZJZ", stats_officer_, {{"name", "x"}}).status,
            403);
}

TEST_F(IndicatorTest, TheReporterReportsEveryVersionIsKeptAndInTheLedger) {
  ok(verb::post, "/api/v1/indicators", coordinator_, indicator());
  auto first = report(stats_officer_, "2025-01",
                      {{"value", 1234.5}, {"dimensions", {{"district", {{"440106", 300.25}}}}}},
                      "ind-first");
  ASSERT_EQ(first.status, 201) << first.body;
  json v1 = json::parse(first.body);
  EXPECT_EQ(v1["version"], 1);
  EXPECT_EQ(v1["value"], 1234.5);
  EXPECT_EQ(v1["dimensions"]["district"]["440106"], 300.25);
  ASSERT_TRUE(v1["ledger_index"].is_number());
  // Due on the 5th working day of February 2025 (Spring Festival: 28 Jan - 4 Feb off).
  EXPECT_EQ(v1["due_at"].get<std::string>().substr(0, 4), "2025");
  EXPECT_EQ(v1["on_time"], false);  // reported today, long after

  // Its ledger entry, before the answer: report_value, by the reporter, committing to the
  // version's document.
  const auto entries =
      ok(verb::get, "/api/v1/ledger/entries?request_id=ind-first", kAdmin)["items"];
  ASSERT_EQ(entries.size(), 1u);
  const json& e = entries[0];
  EXPECT_EQ(e["index"], v1["ledger_index"]);
  EXPECT_EQ(e["operation"], "report_value");
  EXPECT_EQ(e["consumer_code"], kStats);
  EXPECT_EQ(e["provider_code"], kStats);
  EXPECT_EQ(e["resource_code"], "GYZJZ");
  EXPECT_EQ(e["status"], 201);
  EXPECT_EQ(e["items"], json({"value", "district"}));
  indicators::ValueVersion doc;
  doc.indicator_code = "GYZJZ";
  doc.period = "2025-01";
  doc.version = 1;
  doc.value = 1234.5;
  doc.dimensions = indicators::Breakdown{{"district", {{"440106", 300.25}}}};
  doc.reported_by = v1["reported_by"];
  doc.reported_at = v1["reported_at"];
  EXPECT_EQ(e["response_sha256"], ledger::to_hex(ledger::sha256(indicators::value_document(doc))));

  // The same again (a client's retry) is that version, not a new one, and no new entry.
  auto again = report(stats_officer_, "2025-01",
                      {{"value", 1234.5}, {"dimensions", {{"district", {{"440106", 300.25}}}}}},
                      "ind-again");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["version"], 1);
  EXPECT_EQ(json::parse(again.body)["new_version"], false);
  EXPECT_EQ(json::parse(again.body)["ledger_index"], v1["ledger_index"]);
  EXPECT_TRUE(
      ok(verb::get, "/api/v1/ledger/entries?request_id=ind-again", kAdmin)["items"].empty());

  // A revision by the agency's system: version 2, its own entry.
  auto revised = report(stats_system_, "2025-01", {{"value", 1240}}, "ind-revised");
  ASSERT_EQ(revised.status, 200) << revised.body;
  EXPECT_EQ(json::parse(revised.body)["version"], 2);
  EXPECT_EQ(ok(verb::get, "/api/v1/ledger/entries?request_id=ind-revised", kAdmin)["items"].size(),
            1u);
  const auto history = ok(verb::get, value_path("2025-01") + "/history", tax_officer_)["items"];
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["value"], 1234.5);
  EXPECT_EQ(history[1]["value"], 1240);
  EXPECT_NE(history[0]["ledger_index"], history[1]["ledger_index"]);

  // February: a 50% change needs a note (the ratio is 30%), then it is taken with one.
  auto jump = report(stats_officer_, "2025-02", {{"value", 1860}});
  EXPECT_EQ(jump.status, 422) << jump.body;
  EXPECT_EQ(field_of(jump), "note");
  EXPECT_NE(jump.body.find("2025-01"), std::string::npos) << jump.body;
  auto noted =
      report(stats_officer_, "2025-02", {{"value", 1860}, {"note", "新投产项目集中释放产能"}});
  ASSERT_EQ(noted.status, 201) << noted.body;
  ok(verb::put, value_path("2025-03"), stats_officer_, {{"value", 1900}});  // within 30%

  const auto series = ok(verb::get, "/api/v1/indicators/GYZJZ/values", tax_officer_)["items"];
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0]["period"], "2025-01");
  EXPECT_EQ(series[0]["version"], 2);  // the latest version of each period
  EXPECT_EQ(series[2]["period"], "2025-03");
  EXPECT_EQ(ok(verb::get, "/api/v1/indicators/GYZJZ/values?from=2025-02&to=2025-02",
               tax_officer_)["items"]
                .size(),
            1u);
  EXPECT_EQ(call(verb::get, "/api/v1/indicators/GYZJZ/values?from=2025-Q1", tax_officer_).status,
            422);
  const auto indicator_now = ok(verb::get, "/api/v1/indicators/GYZJZ", tax_officer_);
  EXPECT_EQ(indicator_now["last_period"], "2025-03");
  EXPECT_EQ(indicator_now["next_period"], "2025-04");
}

TEST_F(IndicatorTest, EveryRefusalSaysWhy) {
  ok(verb::post, "/api/v1/indicators", coordinator_, indicator());
  const json fine = {{"value", 100}};
  // Another agency, and a role that does not report.
  EXPECT_EQ(report(tax_officer_, "2025-01", fine).status, 403);
  EXPECT_EQ(report(stats_operator_, "2025-01", fine).status, 403);
  EXPECT_EQ(report(coordinator_, "2025-01", fine).status, 403);
  EXPECT_EQ(call(verb::put, value_path("2025-01", "NOPE"), stats_officer_, fine).status, 404);
  // Out of range, not a number, an unknown dimension or member count, a field not of a value.
  for (const auto& [body, field] : std::vector<std::pair<json, std::string>>{
           {{{"value", 10001}}, "value"},
           {{{"value", -1}}, "value"},
           {{{"value", "100"}}, "value"},
           {json::object(), "value"},
           {{{"value", 1}, {"dimensions", {{"industry", {{"C", 1}}}}}}, "dimensions"},
           {{{"value", 1}, {"dimensions", {{"district", {{"440106", "many"}}}}}}, "dimensions"},
           {{{"value", 1}, {"version", 7}}, "version"},
           {{{"value", 1e-310}}, "value"},  // too small to read back as a double
           {{{"value", 1}, {"note", std::string(2001, 'x')}}, "note"}}) {
    const auto r = report(stats_officer_, "2025-01", body);
    EXPECT_EQ(r.status, 422) << body.dump() << ": " << r.body;
    EXPECT_EQ(field_of(r), field) << r.body;
  }
  // Periods: another frequency's, before the first, not yet ended.
  for (const char* period : {"2025-Q1", "2024-12", "2199-01", "2025-13"}) {
    const auto r = report(stats_officer_, period, fine);
    EXPECT_EQ(r.status, 422) << period << ": " << r.body;
    EXPECT_EQ(field_of(r), "period") << r.body;
  }
  // A retired indicator takes no values.
  ok(verb::patch, "/api/v1/indicators/GYZJZ", coordinator_, {{"status", "retired"}});
  EXPECT_EQ(report(stats_officer_, "2025-01", fine).status, 409);
  // Nothing was stored by any of them.
  EXPECT_TRUE(ok(verb::get, "/api/v1/indicators/GYZJZ/values", tax_officer_)["items"].empty());
}

// A period past its due time opens indicator_overdue for the reporter, once per period; the
// reporter's CDO sees it among its agency's alerts.
TEST_F(IndicatorTest, AnOverduePeriodAlertsTheReporter) {
  ok(verb::post, "/api/v1/indicators", coordinator_, indicator());
  const std::string cdo = person(kStats, "tj-cdo", "agency_cdo");
  auto alerts_for = [&](const std::string& period) {
    json found = json::array();
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      found = json::array();
      const json listed = ok(verb::get, "/api/v1/alerts?rule=indicator_overdue", cdo);
      for (const auto& a : listed["items"]) {
        if (a["detail"]["period"] == period) found.push_back(a);
      }
      if (!found.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return found;
  };
  auto first = alerts_for("2025-01");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["agency_code"], kStats);
  EXPECT_EQ(first[0]["detail"]["indicator_code"], "GYZJZ");
  EXPECT_EQ(first[0]["severity"], "warning");
  // January reported (late): February is the next one due, and late too.
  ok(verb::put, value_path("2025-01"), stats_officer_, {{"value", 100}});
  EXPECT_EQ(alerts_for("2025-02").size(), 1u);
  EXPECT_EQ(alerts_for("2025-01").size(), 1u);  // still the one alert for January
  // A gap further back is what is due: March reported, February not, the indicator names
  // February as its next period.
  ok(verb::put, value_path("2025-03"), stats_officer_, {{"value", 100}});
  EXPECT_EQ(ok(verb::get, "/api/v1/indicators/GYZJZ", cdo)["next_period"], "2025-02");
  // Another agency's CDO does not see them.
  const std::string tax_cdo = person(kTax, "sw-cdo", "agency_cdo");
  EXPECT_TRUE(ok(verb::get, "/api/v1/alerts?rule=indicator_overdue", tax_cdo)["items"].empty());
}

// The sharing-status report counts each agency's indicator periods that fell due in its period,
// and those reported by their due time (here none: reported today, long after).
TEST_F(IndicatorTest, TheReportCountsPeriodsDueAndOnTime) {
  ok(verb::post, "/api/v1/indicators", coordinator_, indicator());
  ok(verb::put, value_path("2025-01"), stats_officer_, {{"value", 100}});
  // Defined today, nothing was due before: the report of early 2025 counts nothing.
  const std::string early = "/api/v1/reports/sharing-status?from=2025-02-01&to=2025-03-31";
  const json before = ok(verb::get, early, coordinator_);
  for (const auto& a : before["agencies"]) {
    EXPECT_EQ(a["indicators_due"], 0) << a.dump();
  }
  // As if defined at the end of 2024: January 2025's value fell due in February 2025 (the 5th
  // working day), February's in March.
  sql("UPDATE indicators SET created_at = '2024-12-01' WHERE code = 'GYZJZ'");
  auto report =
      ok(verb::get, "/api/v1/reports/sharing-status?from=2025-02-01&to=2025-03-31", coordinator_);
  json stats, tax;
  for (const auto& a : report["agencies"]) {
    if (a["agency_code"] == kStats) stats = a;
    if (a["agency_code"] == kTax) tax = a;
  }
  ASSERT_FALSE(stats.is_null());
  EXPECT_EQ(stats["indicators_due"], 2);
  EXPECT_EQ(stats["indicators_on_time"], 0);
  EXPECT_EQ(tax["indicators_due"], 0);
  EXPECT_EQ(report["totals"]["indicators_due"], 2);
}

// Many values at once from a spreadsheet: each line reported as a PUT would be, or rejected with
// its line and reason; a file that cannot be read reports nothing.
TEST_F(IndicatorTest, AnUploadReportsLineByLine) {
  ok(verb::post, "/api/v1/indicators", coordinator_, indicator());
  ok(verb::post, "/api/v1/indicators", coordinator_,
     indicator({{"code", "SSSR"}, {"name", "税收收入"}, {"reporter_code", kTax}}));
  const std::string csv =
      "indicator_code,period,value,note\r\n"
      "GYZJZ,2025-01,1000,\r\n"
      "GYZJZ,2025-02,1100,\r\n"
      "GYZJZ,2025-03,2000,\r\n"                        // +82%: no note
      "GYZJZ,2025-04,\"1,234\",\r\n"                   // not a plain number
      "SSSR,2025-01,300,\r\n"                          // the tax bureau's
      "NOPE,2025-01,1,\r\n"                            // no such indicator
      "\r\n"                                           // a blank line
      "GYZJZ,2025-03,2000,新投产项目集中释放产能\r\n"  // with a note
      "GYZJZ,2025-04,2000," +
      std::string(3000, 'n') + "\r\n";  // a note too long
  const auto r = send(verb::post, "/api/v1/indicators/values", stats_officer_, csv,
                      {{"Content-Type", "text/csv"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json out = json::parse(r.body);
  EXPECT_EQ(out["accepted"], 3);
  EXPECT_EQ(out["rejected"], 5);
  std::vector<int> lines;
  for (const auto& e : out["errors"]) lines.push_back(e["line"]);
  EXPECT_EQ(lines, (std::vector<int>{4, 5, 6, 7, 10})) << out.dump();
  EXPECT_EQ(out["errors"][4]["field"], "note");
  EXPECT_EQ(out["errors"][0]["field"], "note");
  EXPECT_EQ(out["errors"][1]["field"], "value");
  EXPECT_EQ(out["errors"][2]["field"], "indicator_code") << "the tax bureau's indicator";
  EXPECT_EQ(out["errors"][3]["field"], "indicator_code") << "no such indicator";
  EXPECT_EQ(ok(verb::get, "/api/v1/indicators/GYZJZ/values", tax_officer_)["items"].size(), 3u);
  // The same file again: nothing new (each accepted line is the same as its latest version).
  const auto again = send(verb::post, "/api/v1/indicators/values", stats_officer_, csv,
                          {{"Content-Type", "text/csv"}});
  EXPECT_EQ(json::parse(again.body)["accepted"], 3);
  EXPECT_EQ(ok(verb::get, value_path("2025-01") + "/history", tax_officer_)["items"].size(), 1u);

  // An XLSX workbook with the Chinese headings, its numbers as numbers.
  const std::string book = workbook_of(
      {{"指标", {{"指标代码", "报告期", "数值", "说明"}, {"GYZJZ", "2025-05", "=n:2100.5", ""}}}});
  const auto x =
      send(verb::post, "/api/v1/indicators/values", stats_system_, book,
           {{"Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}});
  ASSERT_EQ(x.status, 200) << x.body;
  EXPECT_EQ(json::parse(x.body)["accepted"], 1);
  EXPECT_EQ(ok(verb::get, value_path("2025-05") + "/history", tax_officer_)["items"][0]["value"],
            2100.5);

  // Files that cannot be read: 422 with the reason at line 0 or 1, nothing reported.
  for (const auto& [body, type] : std::vector<std::pair<std::string, std::string>>{
           {"code,when,amount\r\nGYZJZ,2025-06,1\r\n", "text/csv"},
           {"", "text/csv"},
           {"PK\x03\x04 not a workbook",
            "application/vnd.openxmlformats-officedocument."
            "spreadsheetml.sheet"},
           {"indicator_code,period,value\r\nGYZJZ,2025-06,1\r\n", "application/json"}}) {
    const auto bad = send(verb::post, "/api/v1/indicators/values", stats_officer_, body,
                          {{"Content-Type", type}});
    EXPECT_EQ(bad.status, 422) << type << ": " << bad.body;
  }
  EXPECT_TRUE(ok(verb::get, value_path("2025-06") + "/history", tax_officer_)["items"].empty());
  // Another role than the reporters': refused before anything is read.
  EXPECT_EQ(send(verb::post, "/api/v1/indicators/values", stats_operator_, csv,
                 {{"Content-Type", "text/csv"}})
                .status,
            403);
}

// The domain without HTTP: what hubctl or a second transport calls.
TEST_F(IndicatorTest, TheDomainReportsWithTypes) {
  ok(verb::post, "/api/v1/indicators", coordinator_, indicator());
  auto& service = hub_->app().indicators();
  const Caller caller = domain_caller(stats_system_, "domain-report-1");
  indicators::ValueReport value;
  value.value = 880;
  const auto out = on_worker(caller, service.report(caller, "GYZJZ", "2025-06", value));
  EXPECT_TRUE(out.created);
  EXPECT_EQ(out.value.version, 1);
  EXPECT_TRUE(out.value.ledger_index.has_value());
  const Caller other = domain_caller(tax_officer_, "domain-report-2");
  try {
    on_worker(other, service.report(other, "GYZJZ", "2025-07", value));
    ADD_FAILURE() << "another agency reported";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::forbidden);
  }
}

}  // namespace
}  // namespace hub::test
