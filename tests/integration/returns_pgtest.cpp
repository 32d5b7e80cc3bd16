// Returned data (数据回流) over HTTPS against a real PostgreSQL (docs/coordination.md "Returned
// data"): the return list imported as CSV (idempotent, every error by line, nothing stored on
// one), the tasks listed to their agency and carried on by its officers, resources with a
// source, the returns report (JSON, CSV, XLSX) and the returned_late alert.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "hub/core/dates.hpp"
#include "hub/core/xlsx_reader.hpp"
#include "hub/store/pg.hpp"
#include "support/catalog_samples.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

constexpr const char* kHeader = "task_no,title,ministry,responsible_agency_code,due_date\r\n";

class ReturnsTest : public HubTest {
 protected:
  void start_hub(bool monitor = false) {
    start([monitor](Config& c) {
      if (monitor) c.monitor.interval = std::chrono::milliseconds(100);
    });
    for (auto code : {kMarket, kTax}) agency(code);
    coordinator_ = person("", "coordinator", "coordinator");
    market_cdo_ = person(kMarket, "sc-cdo", "agency_cdo");
    market_officer_ = person(kMarket, "sc-officer", "agency_data_officer");
    market_operator_ = person(kMarket, "sc-operator", "agency_operator");
    tax_cdo_ = person(kTax, "sw-cdo", "agency_cdo");
  }
  client::ClientResponse import(const std::string& token, const std::string& csv) {
    return send(verb::post, "/api/v1/return-tasks/imports", token, csv,
                {{"Content-Type", "text/csv"}});
  }
  json tasks(const std::string& token, const std::string& query = "") {
    return ok(verb::get, "/api/v1/return-tasks" + query, token)["items"];
  }
  void sql(const std::string& statement, const pg::Params& params = pg::Params()) {
    auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
    pg::exec_blocking(su.get(), statement, params);
  }
  std::string list() const {
    return std::string(kHeader) + "HL-001,企业登记信息回流,国家市场监督管理总局," + kMarket + "," +
           city_date(30) + "\r\nHL-002,纳税人基本信息回流,国家税务总局," + kTax + "," +
           city_date(60) + "\r\nHL-003,行政许可信息回流,国家市场监督管理总局," + kMarket + "," +
           city_date(-5) + "\r\n";
  }
  std::string coordinator_, market_cdo_, market_officer_, market_operator_, tax_cdo_;
};

TEST_F(ReturnsTest, TheReturnListImportsOnceAndListsEveryErrorByLine) {
  start_hub();
  auto first = import(coordinator_, list());
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(json::parse(first.body)["created"], 3);
  auto again = json::parse(import(kAdmin, list()).body);
  EXPECT_EQ(again["created"], 0);
  EXPECT_EQ(again["unchanged"], 3);
  // A new due date for one task updates that one; its progress is the agency's and stays.
  std::string moved = list();
  moved.replace(moved.find(city_date(60)), 10, city_date(90));
  auto changed = json::parse(import(coordinator_, moved).body);
  EXPECT_EQ(changed["updated"], 1);
  EXPECT_EQ(changed["unchanged"], 2);

  // Every bad line listed, nothing stored (not even the good line).
  const std::string bad =
      std::string(kHeader) + "HL-100,好的任务,公安部," + kMarket + "," + city_date(10) +
      "\r\nHL-101,,公安部," + kMarket + "," + city_date(10) + "\r\nHL-102,日期不对,公安部," +
      kMarket + ",2026-13-40\r\nHL-103,未知机构,公安部," + "91440101MA59ABCD1D," + city_date(10) +
      "\r\nHL-100,重复,公安部," + kMarket + "," + city_date(10) + "\r\n";
  auto refused = import(coordinator_, bad);
  ASSERT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(refused.header("Content-Type"), "application/problem+json");
  std::set<int> lines;
  const json problem = json::parse(refused.body);
  for (const auto& e : problem["errors"]) lines.insert(e["line"].get<int>());
  EXPECT_EQ(lines, (std::set<int>{3, 4, 5, 6}));
  EXPECT_EQ(problem["errors"][0]["field"], "title");
  EXPECT_EQ(problem["errors"][2]["field"], "responsible_agency_code");
  const std::string unknown_agency = std::string(kHeader) + "HL-103,未知机构,公安部," +
                                     "91440101MA59ABCD1D," + city_date(10) + "\r\n";
  auto unknown = import(coordinator_, unknown_agency);
  ASSERT_EQ(unknown.status, 422) << unknown.body;
  EXPECT_EQ(json::parse(unknown.body)["errors"][0]["line"], 2);
  EXPECT_EQ(tasks(coordinator_).size(), 3u);

  // Dates PostgreSQL would refuse, codes no agency can have: errors of their lines, not 500s.
  const std::string odd = std::string(kHeader) + "HL-104,零年,公安部," + kMarket +
                          ",0000-02-29\r\nHL-105,坏代码,公安部,\"11440100XYDWCM5T1\x01\"," +
                          city_date(10) + "\r\n";
  auto odd_answer = import(coordinator_, odd);
  ASSERT_EQ(odd_answer.status, 422) << odd_answer.body;
  const json odd_problem = json::parse(odd_answer.body);
  ASSERT_EQ(odd_problem["errors"].size(), 2u) << odd_answer.body;
  EXPECT_EQ(odd_problem["errors"][0]["field"], "due_date");
  EXPECT_EQ(odd_problem["errors"][1]["field"], "responsible_agency_code");

  // A missing column; not CSV; not the staff.
  auto headless = import(coordinator_, "task_no,title\r\nHL-1,x\r\n");
  ASSERT_EQ(headless.status, 422);
  EXPECT_EQ(json::parse(headless.body)["errors"].size(), 3u);
  EXPECT_EQ(send(verb::post, "/api/v1/return-tasks/imports", coordinator_, "{}",
                 {{"Content-Type", "application/json"}})
                .status,
            422);
  EXPECT_EQ(import(market_cdo_, list()).status, 403);
}

TEST_F(ReturnsTest, TasksAreTheirAgencysAndItsOfficersCarryThemOn) {
  start_hub();
  ASSERT_EQ(import(coordinator_, list()).status, 200);
  EXPECT_EQ(tasks(coordinator_).size(), 3u);
  const json mine = tasks(market_cdo_);
  ASSERT_EQ(mine.size(), 2u);
  for (const auto& t : mine) EXPECT_EQ(t["responsible_agency_code"], kMarket);
  EXPECT_EQ(tasks(tax_cdo_).size(), 1u);
  EXPECT_EQ(
      tasks(coordinator_,
            "?ministry=" + std::string("%E5%9B%BD%E5%AE%B6%E7%A8%8E%E5%8A%A1%E6%80%BB%E5%B1%80"))
          .size(),
      1u);  // 国家税务总局
  const json overdue = tasks(coordinator_, "?status=overdue");
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0]["task_no"], "HL-003");
  EXPECT_EQ(overdue[0]["overdue"], true);
  EXPECT_EQ(call(verb::get, "/api/v1/return-tasks?status=late", coordinator_).status, 400);
  // Bytes that are not UTF-8 in a filter or the path: 400 or 404, never the database's error.
  EXPECT_EQ(call(verb::get, "/api/v1/return-tasks?ministry=%ff", coordinator_).status, 400);
  EXPECT_EQ(
      call(verb::patch, "/api/v1/return-tasks/%ff%fe", coordinator_, {{"status", "connected"}})
          .status,
      404);

  const std::string id = mine[0]["id"];
  const std::string market_resource = resource(sample_resource(kMarket));
  const std::string tax_resource = resource(sample_resource(kTax));
  // Another agency's task does not exist for it; an operator may not change one.
  EXPECT_EQ(
      call(verb::patch, "/api/v1/return-tasks/" + id, tax_cdo_, {{"status", "connected"}}).status,
      404);
  EXPECT_EQ(
      call(verb::patch, "/api/v1/return-tasks/" + id, market_operator_, {{"status", "connected"}})
          .status,
      403);
  auto wrong = call(verb::patch, "/api/v1/return-tasks/" + id, market_officer_,
                    {{"resource_codes", {tax_resource}}});
  ASSERT_EQ(wrong.status, 422) << wrong.body;
  EXPECT_EQ(json::parse(wrong.body)["errors"][0]["field"], "resource_codes");
  EXPECT_EQ(
      call(verb::patch, "/api/v1/return-tasks/" + id, market_officer_, {{"status", "done"}}).status,
      422);
  EXPECT_EQ(call(verb::patch, "/api/v1/return-tasks/" + id, market_officer_, json::object()).status,
            422);
  auto done = ok(verb::patch, "/api/v1/return-tasks/" + id, market_officer_,
                 {{"status", "connected"}, {"resource_codes", {market_resource}}});
  EXPECT_EQ(done["status"], "connected");
  EXPECT_EQ(done["resource_codes"], json({market_resource}));
  // A status alone keeps the resources; the coordinator may move it too.
  auto sharing =
      ok(verb::patch, "/api/v1/return-tasks/" + id, coordinator_, {{"status", "sharing"}});
  EXPECT_EQ(sharing["resource_codes"], json({market_resource}));
  // A sharing task keeps a linked resource: unlinking the last one alone is refused, and with
  // the status moved back it is allowed.
  auto bare = call(verb::patch, "/api/v1/return-tasks/" + id, market_officer_,
                   {{"resource_codes", json::array()}});
  ASSERT_EQ(bare.status, 422) << bare.body;
  EXPECT_EQ(json::parse(bare.body)["errors"][0]["field"], "resource_codes");
  auto back = ok(verb::patch, "/api/v1/return-tasks/" + id, market_officer_,
                 {{"status", "connected"}, {"resource_codes", json::array()}});
  EXPECT_EQ(back["status"], "connected");
  EXPECT_EQ(back["resource_codes"], json::array());
  sharing = ok(verb::patch, "/api/v1/return-tasks/" + id, coordinator_,
               {{"status", "sharing"}, {"resource_codes", {market_resource}}});
  EXPECT_EQ(sharing["status"], "sharing");
  EXPECT_EQ(
      call(verb::patch, "/api/v1/return-tasks/no-such-task", coordinator_, {{"status", "sharing"}})
          .status,
      404);
  // Sharing needs a resource that holds the data.
  const std::string other = mine[1]["id"];
  auto unlinked =
      call(verb::patch, "/api/v1/return-tasks/" + other, market_officer_, {{"status", "sharing"}});
  ASSERT_EQ(unlinked.status, 422) << unlinked.body;
  EXPECT_EQ(json::parse(unlinked.body)["errors"][0]["field"], "resource_codes");
  // The list's next import leaves the agency's progress alone.
  ASSERT_EQ(import(coordinator_, list()).status, 200);
  for (const auto& t : tasks(market_cdo_)) {
    if (t["id"] == id) {
      EXPECT_EQ(t["status"], "sharing");
    }
  }
  // A task the list gives to another agency starts over there; the first no longer sees it.
  std::string moved = list();
  const std::string task_no = mine[0]["task_no"];
  const auto at = moved.find(task_no);
  const auto agency_at = moved.find(kMarket, at);
  moved.replace(agency_at, std::string(kMarket).size(), kTax);
  auto moved_answer = json::parse(import(coordinator_, moved).body);
  EXPECT_EQ(moved_answer["updated"], 1);
  json now_tax;
  for (const auto& t : tasks(tax_cdo_)) {
    if (t["id"] == id) now_tax = t;
  }
  ASSERT_TRUE(now_tax.is_object());
  EXPECT_EQ(now_tax["status"], "not_started");
  EXPECT_EQ(now_tax["resource_codes"], json::array());
  EXPECT_EQ(
      call(verb::patch, "/api/v1/return-tasks/" + id, market_officer_, {{"status", "connected"}})
          .status,
      404);
}

TEST_F(ReturnsTest, AReturnedResourceLateAgainstItsCycleIsReportedAndAlerted) {
  start_hub(true);
  ASSERT_EQ(import(coordinator_, list()).status, 200);
  // A resource with a source: validated, stored, shown.
  json doc = sample_resource(kMarket);
  doc["name"] = "企业登记信息（国家回流）";
  doc["update_cycle"] = "daily";
  doc["source"] = {{"ministry_code", "国家市场监督管理总局"}, {"channel", "sneakernet"}};
  auto bad = call(verb::post, "/api/v1/resources", kAdmin, doc);
  ASSERT_EQ(bad.status, 422);
  EXPECT_EQ(json::parse(bad.body)["errors"][0]["field"], "source.channel");
  doc["source"]["channel"] = "batch";
  const std::string returned = resource(doc);
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + returned, kAdmin)["source"]["channel"], "batch");
  const std::string own = resource(sample_resource(kMarket));
  // Both last written ten days ago: the returned one is late (returned_late), the city's own
  // stale (stale_resource), each once.
  sql("UPDATE resources SET last_updated_at = now() - interval '10 days',"
      " published_at = now() - interval '20 days' WHERE code IN ($1, $2)",
      pg::Params().add(returned).add(own));
  json late;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    late = ok(verb::get, "/api/v1/alerts?rule=returned_late", coordinator_)["items"];
    if (!late.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0]["resource_code"], returned);
  EXPECT_EQ(late[0]["severity"], "warning");
  EXPECT_EQ(late[0]["detail"]["channel"], "batch");
  const json stale = ok(verb::get, "/api/v1/alerts?rule=stale_resource", coordinator_);
  for (const auto& a : stale["items"]) {
    EXPECT_NE(a["resource_code"], returned) << "a returned resource alerts as returned_late";
  }

  auto report = ok(verb::get, "/api/v1/reports/returns", coordinator_);
  ASSERT_EQ(report["ministries"].size(), 2u);
  EXPECT_EQ(report["ministries"][0]["ministry"], "国家市场监督管理总局");
  EXPECT_EQ(report["ministries"][0]["tasks"], 2);
  EXPECT_EQ(report["ministries"][0]["not_started"], 2);
  EXPECT_EQ(report["ministries"][0]["overdue"], 1);
  ASSERT_EQ(report["late"].size(), 1u);
  EXPECT_EQ(report["late"][0]["resource_code"], returned);
  EXPECT_EQ(report["late"][0]["ministry_code"], "国家市场监督管理总局");
  // An agency's CDO reads its own agency's; tax has no late resource and one task.
  auto tax = ok(verb::get, "/api/v1/reports/returns", tax_cdo_);
  EXPECT_EQ(tax["ministries"].size(), 1u);
  EXPECT_EQ(tax["late"].size(), 0u);
  EXPECT_EQ(call(verb::get, "/api/v1/reports/returns", market_officer_).status, 403);
  auto csv = send(verb::get, "/api/v1/reports/returns?format=csv", coordinator_, "");
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find("国家市场监督管理总局,2,2,0,0,0,1"), std::string::npos) << csv.body;
  auto book = send(verb::get, "/api/v1/reports/returns?format=xlsx", coordinator_, "");
  ASSERT_EQ(book.status, 200);
  const auto sheets = xlsx::read_xlsx(book.body);
  ASSERT_NE(sheets.sheet("回流进度"), nullptr);
  EXPECT_EQ(sheets.sheet("回流进度")->cell(5, 1), "国家市场监督管理总局");
  EXPECT_EQ(call(verb::get, "/api/v1/reports/returns?format=pdf", coordinator_).status, 400);
}

}  // namespace
}  // namespace hub::test
