// hubctl against a hub in this process: what an administrator types.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "hub/cli/stub_upstream.hpp"
#include "hub/store/migrations.hpp"
#include "hub/store/pg.hpp"
#include "support/catalog_samples.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;

class HubctlTest : public HubTest {
 protected:
  void SetUp() override { start(); }

  // Runs hubctl with the hub's URL, the admin token and the data directory.
  std::tuple<int, std::string, std::string> run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", (dir_.path() / "data").string()});
    return hubctl(args);
  }
};

TEST_F(HubctlTest, ImportsAgenciesFromCsvWithChineseNamesTwice) {
  const auto csv = dir_.path() / "agencies.csv";
  // A BOM, a quoted name with a comma, and a child listed before its parent.
  std::ofstream(csv) << "\xEF\xBB\xBF"
                        "code,name,level,parent_code\r\n"
                     << "11440100QDY5E4WF7U,\"广州市天河区政务服务和数据管理局\",district,"
                        "11440100CWC9EE711D\r\n"
                     << "11440100CWC9EE711D,\"广州市政务服务和数据管理局, 市级\",city,\r\n";
  auto [rc, out, err] = run({"agencies", "import", csv.string()});
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(out.find("2 created"), std::string::npos) << out;
  auto [rc2, out2, err2] = run({"agencies", "import", csv.string()});
  EXPECT_EQ(rc2, 0);
  EXPECT_NE(out2.find("0 created, 2 already there"), std::string::npos) << out2;
  auto [rc3, list, err3] = run({"agencies", "list"});
  EXPECT_NE(list.find("广州市政务服务和数据管理局, 市级"), std::string::npos) << list;
  EXPECT_NE(list.find("广州市天河区政务服务和数据管理局"), std::string::npos);
}

TEST_F(HubctlTest, AddsPrincipalsIssuesAndRevokesTokens) {
  auto [rc, out, err] = run({"agencies", "add", "--code", "1144010024CNN5F90B", "--name",
                             "广州市公安局", "--level", "city"});
  ASSERT_EQ(rc, 0) << err;
  auto [rc2, id, err2] = run({"principals", "add", "--agency", "1144010024CNN5F90B", "--name",
                              "gongan-system", "--kind", "system", "--roles", "agency_system"});
  ASSERT_EQ(rc2, 0) << err2;
  id.pop_back();  // newline
  auto [rc3, token, err3] = run({"tokens", "issue", id, "--ttl-days", "7"});
  ASSERT_EQ(rc3, 0) << err3;
  token.pop_back();
  EXPECT_EQ(token.rfind("hub_", 0), 0u);
  auto me = call(verb::get, "/api/v1/me", token);
  EXPECT_EQ(me.status, 200);

  auto tokens = call(verb::get, "/api/v1/principals/" + id + "/tokens", kAdmin);
  auto token_id = nlohmann::json::parse(tokens.body)["items"][0]["id"].get<std::string>();
  auto [rc4, out4, err4] = run({"tokens", "revoke", token_id});
  EXPECT_EQ(rc4, 0) << err4;
  me = call(verb::get, "/api/v1/me", token);
  EXPECT_EQ(me.status, 401);
}

// A reorganisation from the command line: the old commission renamed and moved, then merged
// into planning, which takes its resource over.
TEST_F(HubctlTest, ChangesAndSucceedsAgencies) {
  constexpr const char* kOld = "11440100MB2D4K7G00";
  constexpr const char* kPlanning = "11440100TN5YUXTM3J";
  ASSERT_EQ(std::get<0>(run({"agencies", "add", "--code", kPlanning, "--name",
                             "广州市规划和自然资源局", "--level", "city"})),
            0);
  ASSERT_EQ(std::get<0>(run({"agencies", "add", "--code", kOld, "--name", "广州市国土资源局",
                             "--level", "city"})),
            0);
  auto [rc, out, err] = run(
      {"agencies", "change", kOld, "--name", "广州市国土资源和规划委员会", "--parent", kPlanning});
  ASSERT_EQ(rc, 0) << err;
  EXPECT_EQ(out, std::string(kOld) + "  active  广州市国土资源和规划委员会\n");
  auto [rc2, out2, err2] = run({"agencies", "change", kOld, "--parent", "none"});
  ASSERT_EQ(rc2, 0) << err2;
  EXPECT_TRUE(
      nlohmann::json::parse(
          call(verb::get, std::string("/api/v1/agencies/") + kOld, kAdmin).body)["parent_code"]
          .is_null());
  resource(sample_resource(kOld, "土地利用现状数据"));
  auto [rc3, out3, err3] = run({"agencies", "succeed", kOld, "--by", kPlanning});
  ASSERT_EQ(rc3, 0) << err3;
  EXPECT_NE(out3.find("is succeeded by 11440100TN5YUXTM3J and disabled; moved: 1 resources"),
            std::string::npos)
      << out3;
  auto [rc4, out4, err4] = run({"agencies", "succeed", kOld, "--by", kPlanning});
  EXPECT_NE(rc4, 0);
  EXPECT_NE(err4.find("disabled already"), std::string::npos) << err4;
}

// Offline, with the code hubd runs at start-up: a fresh database gets the whole schema, a second
// run finds nothing to do, and the hub's own database is already current.
TEST_F(HubctlTest, MigratesADatabaseOfflineWithTheHubsMigrations) {
  TestDatabase fresh;
  auto [rc, out, err] = run({"db", "migrate", "--database-url", fresh.owner_conninfo()});
  ASSERT_EQ(rc, 0) << err;
  const std::string version = std::to_string(pg::latest_migration_version());
  EXPECT_EQ(out, std::to_string(pg::embedded_migrations().size()) +
                     " migration(s) applied; the schema is at version " + version + "\n");
  auto conn = pg::connect_blocking(fresh.owner_conninfo(), 5);
  auto tables = pg::exec_blocking(conn.get(), "SELECT to_regclass('ledger_entries') IS NOT NULL",
                                  pg::Params());
  EXPECT_EQ(tables.get(0, 0), "t");
  auto [rc2, again, err2] = run({"db", "migrate", "--database-url", fresh.owner_conninfo()});
  EXPECT_EQ(rc2, 0) << err2;
  EXPECT_EQ(again, "0 migration(s) applied; the schema is at version " + version + "\n");
  auto [rc3, current, err3] = run({"db", "migrate", "--database-url", db_.owner_conninfo()});
  EXPECT_EQ(rc3, 0) << err3;
  EXPECT_EQ(current.rfind("0 migration(s) applied", 0), 0u) << current;
  // No database named and no embedded one running: a clear error, not a hang.
  auto [rc4, none, err4] = run({"db", "migrate"});
  EXPECT_EQ(rc4, 2);
  EXPECT_NE(err4.find("no database"), std::string::npos) << err4;
}

TEST_F(HubctlTest, ReportsTheHubsFieldErrors) {
  auto [rc, out, err] = run({"agencies", "add", "--code", "123", "--name", "x", "--level", "town"});
  EXPECT_NE(rc, 0);
  EXPECT_NE(err.find("validation_failed"), std::string::npos) << err;
  EXPECT_NE(err.find("code:"), std::string::npos) << err;
  EXPECT_NE(err.find("level:"), std::string::npos) << err;
}

TEST_F(HubctlTest, ResourcesApplyIsIdempotentWithADryRunAndExports) {
  run({"agencies", "add", "--code", "114401009P0Y2GG12L", "--name", "广州市市场监督管理局",
       "--level", "city"});
  nlohmann::json doc = {{"name", "企业登记信息"},
                        {"summary", "市场主体登记基本信息"},
                        {"provider_code", "114401009P0Y2GG12L"},
                        {"category", "basic"},
                        {"format", "数据库"},
                        {"key", "uscc"},
                        {"items",
                         {{{"name", "uscc"},
                           {"title", "统一社会信用代码"},
                           {"type", "string"},
                           {"required", true},
                           {"sensitivity", "public"}}}},
                        {"share_type", "unconditional"},
                        {"share_methods", {"api"}},
                        {"update_cycle", "daily"},
                        {"status", "published"}};
  const auto file = dir_.path() / "catalog.json";
  std::ofstream(file) << nlohmann::json::array({doc}).dump();

  auto [rc0, dry, err0] = run({"resources", "apply", "-f", file.string(), "--dry-run"});
  EXPECT_EQ(rc0, 0) << err0;
  EXPECT_NE(dry.find("would create 企业登记信息"), std::string::npos) << dry;
  auto [rc1, out1, err1] = run({"resources", "apply", "-f", file.string()});
  EXPECT_EQ(rc1, 0) << err1;
  EXPECT_NE(out1.find("1 created, 0 updated, 0 unchanged"), std::string::npos) << out1;
  auto [rc2, out2, err2] = run({"resources", "apply", "-f", file.string()});
  EXPECT_NE(out2.find("0 created, 0 updated, 1 unchanged"), std::string::npos) << out2;

  doc["summary"] = "市场主体登记基本信息（2027 年目录更新）";
  std::ofstream(file) << nlohmann::json::array({doc}).dump();
  auto [rc3, out3, err3] = run({"resources", "apply", "-f", file.string(), "--dry-run"});
  EXPECT_NE(out3.find("would update"), std::string::npos) << out3;
  EXPECT_NE(out3.find("(summary)"), std::string::npos) << out3;
  auto [rc4, out4, err4] = run({"resources", "apply", "-f", file.string()});
  EXPECT_NE(out4.find("0 created, 1 updated"), std::string::npos) << out4;

  auto [rc5, exported, err5] = run({"resources", "export"});
  auto docs = nlohmann::json::parse(exported);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["status"], "published");
  EXPECT_EQ(docs[0]["summary"], doc["summary"]);
  // An export applies back unchanged: the round trip of the yearly refresh.
  std::ofstream(file) << docs.dump();
  auto [rc6, out6, err6] = run({"resources", "apply", "-f", file.string()});
  EXPECT_NE(out6.find("1 unchanged"), std::string::npos) << out6 << err6;
  auto [rc7, csv, err7] = run({"resources", "export", "--format", "csv"});
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBF"
                      "code,name,",
                      0),
            0u);
  EXPECT_NE(csv.find("企业登记信息"), std::string::npos);

  // A name or legal basis that a spreadsheet would run as a formula is written as text (the
  // issue's eighth finding: the report's CSV was safe, hubctl's export was not).
  doc["name"] = "=HYPERLINK(\"http://evil.example/\",\"点击\")";
  doc["legal_basis"] = "+cmd|' /c calc'!A1";
  std::ofstream(file) << nlohmann::json::array({doc}).dump();
  run({"resources", "apply", "-f", file.string()});
  auto [rc8, evil, err8] = run({"resources", "export", "--format", "csv"});
  EXPECT_EQ(rc8, 0) << err8;
  EXPECT_EQ(evil.find(",=HYPERLINK"), std::string::npos) << evil;
  EXPECT_EQ(evil.find(",\"=HYPERLINK"), std::string::npos) << evil;
  EXPECT_NE(evil.find("\"'=HYPERLINK"), std::string::npos) << evil;
  EXPECT_NE(evil.find("'+cmd"), std::string::npos) << evil;
}

TEST_F(HubctlTest, DemoLoadsAgenciesPeopleAndWorkingSystemTokens) {
  // The demo's upstream, as `hubctl demo-upstream` runs it for scripts/run: its CA and address in
  // the data dir, its host allowed by the hub.
  cli::StubOptions upstream_options;
  upstream_options.state_dir = dir_.path() / "data" / "demo-upstream";
  auto upstream = cli::StubUpstream::demo(upstream_options);
  std::ofstream(upstream_options.state_dir / "base_url") << upstream->base_url();
  const std::string allowed = "localhost:" + std::to_string(upstream->port());
  hub_.reset();
  start([&](Config& c) { c.services.allowed_hosts = {allowed}; });
  // The month of history is written to the database hubctl is pointed at, as on a hub machine.
  ::setenv("HUB_DATABASE_URL", db_.app_conninfo().c_str(), 1);
  auto [rc, out, err] = run({"demo"});
  ::unsetenv("HUB_DATABASE_URL");
  ASSERT_EQ(rc, 0) << err;
  EXPECT_EQ(err, "") << "the demo reported problems";
  EXPECT_NE(out.find("agencies: 56 created"), std::string::npos) << out;
  std::ifstream in(dir_.path() / "data" / "demo-tokens.json");
  auto tokens = nlohmann::json::parse(in);
  ASSERT_EQ(tokens.size(), 7u);
  auto me = call(verb::get, "/api/v1/me", tokens["gzga-system"].get<std::string>());
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(nlohmann::json::parse(me.body)["agency_code"], "1144010024CNN5F90B");
  auto catalog = call(verb::get, "/api/v1/resources?status=published&limit=1000", kAdmin);
  auto resources = nlohmann::json::parse(catalog.body)["items"];
  EXPECT_EQ(resources.size(), 19u)
      << "eight datasets, the land-use data planning took over, one licence resource, two "
         "services, four enterprise summaries, the 信易贷 computation (its revision is in "
         "review) and two resources registered from a workbook";
  EXPECT_NE(out.find("registration by spreadsheet: gzrs-officer checked"), std::string::npos)
      << out;
  EXPECT_NE(out.find("2 created, 0 updated, 0 unchanged"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "demo-registration.xlsx"));
  // The 2019 reorganisation: the old commission is disabled, its resource planning's.
  EXPECT_NE(out.find("succession: 广州市国土资源和规划委员会 → 广州市规划和自然资源局 (1 resource"),
            std::string::npos)
      << out;
  const auto old_body =
      nlohmann::json::parse(call(verb::get, "/api/v1/agencies/11440100MB2D4K7G00", kAdmin).body);
  EXPECT_EQ(old_body["status"], "disabled");
  EXPECT_EQ(old_body["successor_code"], "11440100TN5YUXTM3J");
  bool land_use = false;
  for (const auto& r : resources) {
    if (r["name"] == "土地利用现状数据") {
      land_use = true;
      EXPECT_EQ(r["provider_code"], "11440100TN5YUXTM3J");
    }
  }
  EXPECT_TRUE(land_use);
  std::set<std::string> share_types;
  for (const auto& r : resources) share_types.insert(r["share_type"].get<std::string>());
  EXPECT_EQ(share_types, (std::set<std::string>{"unconditional", "conditional", "none"}));
  auto session =
      send(verb::post, "/api/v1/sessions", "", R"({"name":"gzga-cdo","password":"hub-demo-2026"})");
  EXPECT_EQ(session.status, 200) << session.body;
  auto apps = call(verb::get, "/api/v1/applications", kAdmin);
  std::multiset<std::string> statuses;
  const auto app_list = nlohmann::json::parse(apps.body);
  for (const auto& a : app_list["items"]) {
    statuses.insert(a["status"].get<std::string>());
  }
  // Nine of the sharing demo, two automatic grants of the grant lifecycle's (one since revoked),
  // tax's renewal, waiting for market regulation, and the credit bureau's compute grant.
  EXPECT_EQ(statuses,
            (std::multiset<std::string>{"approved", "approved", "approved", "approved", "approved",
                                        "approved", "approved", "approved", "approved", "pending",
                                        "pending", "pending", "rejected"}));
  std::size_t renewals = 0;
  for (const auto& a : app_list["items"]) renewals += a["renews_grant_id"].is_string() ? 1 : 0;
  EXPECT_EQ(renewals, 1u);
  const auto grant_list = nlohmann::json::parse(call(verb::get, "/api/v1/grants", kAdmin).body);
  std::multiset<std::string> grant_statuses;
  for (const auto& g : grant_list["items"]) grant_statuses.insert(g["status"].get<std::string>());
  EXPECT_EQ(grant_statuses.count("revoked"), 1u);
  for (const auto& g : grant_list["items"]) {
    if (g["status"] == "revoked") {
      EXPECT_FALSE(g["revoked_reason"].is_null());
    }
  }
  // Indicators: twenty of five bureaus in two themes, a year of monthly values (four quarters),
  // and 城镇调查失业率's newest two months unreported, its next period past due.
  EXPECT_NE(out.find("indicators: 20 of five bureaus in 2 themes"), std::string::npos) << out;
  const auto indicators =
      nlohmann::json::parse(call(verb::get, "/api/v1/indicators", kAdmin).body)["items"];
  EXPECT_EQ(indicators.size(), 20u);
  std::set<std::string> reporters;
  for (const auto& i : indicators) reporters.insert(i["reporter_code"].get<std::string>());
  EXPECT_EQ(reporters.size(), 5u);
  const auto output = nlohmann::json::parse(
      call(verb::get, "/api/v1/indicators/GZ-TJ-GYZJZ/values", kAdmin).body)["items"];
  ASSERT_EQ(output.size(), 12u);
  EXPECT_EQ(output[11]["dimensions"]["district"].size(), 11u);
  const auto gdp = nlohmann::json::parse(
      call(verb::get, "/api/v1/indicators/GZ-TJ-GDP/values", kAdmin).body)["items"];
  EXPECT_EQ(gdp.size(), 4u);
  const auto unemployment =
      nlohmann::json::parse(call(verb::get, "/api/v1/indicators/GZ-RS-SYL", kAdmin).body);
  EXPECT_EQ(unemployment["overdue"], true) << unemployment.dump();
  EXPECT_EQ(nlohmann::json::parse(
                call(verb::get, "/api/v1/indicators/GZ-RS-SYL/values", kAdmin).body)["items"]
                .size(),
            10u);
  // Coordination: a demand in each state, an open escalation, last month's issued report.
  const auto demands = nlohmann::json::parse(call(verb::get, "/api/v1/demands", kAdmin).body);
  std::set<std::string> demand_statuses;
  for (const auto& d : demands["items"]) demand_statuses.insert(d["status"].get<std::string>());
  EXPECT_EQ(demand_statuses,
            (std::set<std::string>{"open", "assigned", "answered", "closed", "disputed"}));
  const auto escalations =
      nlohmann::json::parse(call(verb::get, "/api/v1/escalations?status=open", kAdmin).body);
  EXPECT_EQ(escalations["items"].size(), 1u);
  const auto issues = nlohmann::json::parse(call(verb::get, "/api/v1/reports/issues", kAdmin).body);
  ASSERT_EQ(issues["items"].size(), 1u);
  EXPECT_NE(issues["items"][0]["number"].get<std::string>().find("穗数通〔"), std::string::npos);
  // The interface services, granted and called through the hub to the demo upstream.
  EXPECT_NE(out.find("services: 2 created"), std::string::npos) << out;
  EXPECT_NE(out.find("services: 4 calls, 4 answered 200"), std::string::npos) << out;
  EXPECT_GE(upstream->request_count(), 4u);
  // Records, and usable-but-invisible requests on them, each in the ledger.
  EXPECT_NE(out.find("records: 3000 enterprises (企业登记信息), 2000 residents"), std::string::npos)
      << out;
  // Data quality: 企业用电量 flags its four faulty readings; a second enterprise of one name
  // is refused.
  EXPECT_NE(out.find("quality: 企业用电量 took 480 readings, 4 flagged"), std::string::npos) << out;
  EXPECT_NE(out.find("was refused (rule unique)"), std::string::npos) << out;
  EXPECT_NE(out.find("\"legal_person\":\""), std::string::npos) << out;
  EXPECT_NE(out.find("*"), std::string::npos) << "the legal person is masked: " << out;
  EXPECT_NE(out.find(R"({"found":true,"match":true})"), std::string::npos) << out;
  EXPECT_NE(out.find("counts enterprises by district: 11 districts"), std::string::npos) << out;
  // The subject log finds the registration tax read and objected to (the read's entry; the
  // import that stored it is no share).
  EXPECT_NE(out.find("subject log: 1 entry named "), std::string::npos) << out;
  // A month of history first (grants' traffic, a few refusals), then the demo's own requests.
  const auto history = out.find("ledger history: ");
  ASSERT_NE(history, std::string::npos) << out;
  const long long made = std::stoll(out.substr(history + 16));
  EXPECT_GT(made, 5000) << out;
  const std::string after = "/api/v1/ledger/entries?limit=1000&cursor=";
  std::string target = "/api/v1/ledger/entries?limit=1000";
  std::set<std::string> demo_operations;
  long long listed = 0, refused = 0, reported = 0;
  std::string previous_time;
  while (true) {
    auto page = call(verb::get, target, kAdmin);
    const auto list = nlohmann::json::parse(page.body);
    for (const auto& e : list["items"]) {
      ++listed;
      const std::string time = e["time"];
      EXPECT_LE(previous_time, time) << "time goes backwards at " << e["index"];
      previous_time = time;
      if (e["status"] == 403) ++refused;
      if (e["request_id"].get<std::string>().rfind("hist-", 0) == 0) continue;
      if (e["operation"] == "report_value") {  // a reported indicator value: no share
        ++reported;
        EXPECT_EQ(e["status"], 201) << e.dump();
        continue;
      }
      demo_operations.insert(e["operation"].get<std::string>());
      EXPECT_EQ(e["status"], 200) << e.dump();
    }
    if (list["next_cursor"].is_null()) break;
    target = after + list["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(listed, made + 12 + reported)
      << "the history and the demo's read, verify and aggregate, four calls, a computation's run "
         "(four inputs and the run), and the indicators' values";
  // Eighteen monthly indicators of twelve months (two of one left unreported) and two quarterly
  // ones of four quarters.
  EXPECT_EQ(reported, 18 * 12 - 2 + 2 * 4);
  EXPECT_GT(refused, 60) << "a few refusals, and the burst early warning should catch";
  EXPECT_EQ(demo_operations, (std::set<std::string>{"read", "verify", "aggregate", "call",
                                                    "compute_input", "compute"}));
  // Joint computation: approved by the four providers, granted to the credit bureau, run once.
  EXPECT_NE(out.find("joint computation: 信易贷企业信用评估 "), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '#'), 5) << "the run's five ledger entries: " << out;

  // The report of the month shows that traffic once it is sealed (the rollups follow the signed
  // log): the tax bureau made requests, market regulation served them; CSV with a BOM and Chinese
  // names, and an XLSX workbook.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  long long sealed = 0;
  while (sealed < listed && std::chrono::steady_clock::now() < deadline) {
    auto note = call(verb::get, "/api/v1/ledger/checkpoint", kAdmin);
    const auto line = note.body.find('\n');
    if (note.status == 200 && line != std::string::npos)
      sealed = std::stoll(note.body.substr(line + 1));
    if (sealed < listed) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(sealed, listed) << "the ledger was not sealed within 20 s";
  auto [rc8, csv, err8] = run({"report", "--format", "csv"});
  EXPECT_EQ(rc8, 0) << err8;
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBF"
                      "agency_code,agency_name,rank,score,",
                      0),
            0u);
  EXPECT_NE(csv.find("广州市市场监督管理局"), std::string::npos);
  auto [rc9, json_report, err9] = run({"report"});
  EXPECT_EQ(rc9, 0) << err9;
  long long served = 0;
  const auto report = nlohmann::json::parse(json_report);
  for (const auto& a : report["agencies"]) {
    served += a["requests_served"].get<long long>();
  }
  EXPECT_GT(served, 0) << "this month's share of the history is in the report";
  const auto book = dir_.path() / "report.xlsx";
  auto [rc10, wrote, err10] = run({"report", "--from", "2026-01-01", "--to", "2026-12-31",
                                   "--format", "xlsx", "-o", book.string()});
  EXPECT_EQ(rc10, 0) << err10;
  EXPECT_NE(wrote.find("report written to"), std::string::npos) << wrote;
  std::ifstream xlsx(book, std::ios::binary);
  std::string magic(2, '\0');
  xlsx.read(magic.data(), 2);
  EXPECT_EQ(magic, "PK");
  auto [rc11, none, err11] = run({"report", "--format", "xlsx"});
  EXPECT_EQ(rc11, 2) << "an XLSX needs a file";
  auto [rc12, bad, err12] = run({"report", "--from", "2026-02-30"});
  EXPECT_EQ(rc12, 1);
  EXPECT_NE(err12.find("validation_failed"), std::string::npos) << err12;
  auto objections = call(verb::get, "/api/v1/objections?status=open", kAdmin);
  EXPECT_EQ(nlohmann::json::parse(objections.body)["items"].size(), 1u);
  auto [rc3, pending, err3] = run({"applications", "list", "--status", "pending"});
  EXPECT_EQ(rc3, 0) << err3;
  const std::string first_pending = pending.substr(0, pending.find(' '));
  auto [rc4, decided, err4] =
      run({"applications", "decide", first_pending, "approve", "--opinion", "同意"});
  EXPECT_EQ(rc4, 0) << err4;
  EXPECT_EQ(decided.rfind("approved grant ", 0), 0u) << decided;
  // Nine grants, and one more unless the application decided was the renewal (which extends
  // the grant it renews).
  const bool renewal =
      nlohmann::json::parse(
          call(verb::get, "/api/v1/applications/" + first_pending, kAdmin).body)["renews_grant_id"]
          .is_string();
  auto [rc5, grants, err5] = run({"grants", "list"});
  EXPECT_EQ(std::count(grants.begin(), grants.end(), '\n'), renewal ? 9 : 10) << grants;
  // Run again: nothing new, the saved tokens reused.
  auto [rc2, out2, err2] = run({"demo"});
  EXPECT_EQ(rc2, 0) << err2;
  EXPECT_NE(out2.find("0 created, 56 already there"), std::string::npos) << out2;
  EXPECT_NE(out2.find("records: already there"), std::string::npos) << out2;
  EXPECT_NE(out2.find("demands: already there"), std::string::npos) << out2;
  EXPECT_NE(out2.find("succession: already done"), std::string::npos) << out2;
  EXPECT_NE(out2.find("issued reports: already there"), std::string::npos) << out2;
  EXPECT_NE(out2.find("joint computation: already there"), std::string::npos) << out2;
  EXPECT_NE(out2.find("services: 0 created, 0 updated, 2 unchanged"), std::string::npos) << out2;
  EXPECT_NE(out2.find("imported it: 0 created, 0 updated, 2 unchanged"), std::string::npos) << out2;
  EXPECT_EQ(out2.find("ledger history: "), std::string::npos) << "history only on a new hub";
  std::ifstream again(dir_.path() / "data" / "demo-tokens.json");
  EXPECT_EQ(nlohmann::json::parse(again), tokens);
}

}  // namespace
}  // namespace hub::test
