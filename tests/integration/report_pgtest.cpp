// The sharing-status report, early warning and the console's files against a real PostgreSQL:
// the report's numbers are what the agencies did (applications, late replies, shares, refusals,
// objections), read from rollups that agree with the ledger; alerts open once and are
// acknowledged; the console is served from memory with its headers.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <thread>

#include "hub/store/pg.hpp"

#include "support/catalog_samples.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

// kMarket provides R, kTax consumes, kStats is refused, kPolice provides Q and replies late.
constexpr const char* kIdle = "11440100FAJ0T55W64";  // does nothing

class ReportTest : public HubTest {
 protected:
  void start(const std::function<void(Config&)>& tweak = {}) {
    purpose_ = kTaxPurpose;
    HubTest::start([&](Config& config) {
      config.ledger.seal_interval = std::chrono::milliseconds(50);
      if (tweak) tweak(config);
    });
    const std::pair<const char*, const char*> agencies[] = {{kMarket, "广州市市场监督管理局"},
                                                            {kTax, "国家税务总局广州市税务局"},
                                                            {kStats, "广州市统计局"},
                                                            {kPolice, "广州市公安局"},
                                                            {kIdle, "广州市人力资源和社会保障局"}};
    for (auto [code, name] : agencies) agency(code, name);
    market_officer_ = person(kMarket, "sc-officer", "agency_data_officer");
    market_system_ = person(kMarket, "sc-system", "agency_system", "system");
    market_operator_ = person(kMarket, "sc-operator", "agency_operator");
    tax_officer_ = person(kTax, "sw-officer", "agency_data_officer");
    tax_cdo_ = person(kTax, "sw-cdo", "agency_cdo");
    tax_system_ = person(kTax, "sw-system", "agency_system", "system");
    stats_officer_ = person(kStats, "tj-officer", "agency_data_officer");
    stats_system_ = person(kStats, "tj-system", "agency_system", "system");
    police_officer_ = person(kPolice, "ga-officer", "agency_data_officer");
    coordinator_ = person("", "coordinator", "coordinator");
    r_ = resource(sample_resource(kMarket));
    auto q = sample_resource(kPolice, "户籍人口基本信息");
    q["update_cycle"] = "yearly";
    q_ = resource(q);
    for (auto key : {"91440101MA59ABCD1X", "91440101MA59XYZW2Q", "91440101MA5AAAAA3P"}) {
      auto r = call(verb::put, "/api/v1/resources/" + r_ + "/records/" + key, market_system_,
                    {{"legal_person", "张三丰"}, {"reg_capital", 100}});
      EXPECT_EQ(r.status, 201u) << r.body;
    }
  }

  std::string apply(const std::string& officer, const std::string& code, json operations) {
    return submit(officer, {{"resource_code", code},
                            {"items", {"uscc", "legal_person"}},
                            {"operations", operations},
                            {"purpose", "核实登记信息"},
                            {"valid_until", city_date(365)}});
  }
  void sql(const std::string& statement, const pg::Params& params = pg::Params()) {
    auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
    pg::exec_blocking(su.get(), statement, params);
  }
  // Until every appended entry is sealed (and so rolled up).
  void wait_sealed() {
    auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      auto r = pg::exec_blocking(su.get(),
                                 "SELECT (SELECT next_index FROM ledger_head) = coalesce((SELECT "
                                 "max(tree_size) FROM ledger_checkpoints), -1)",
                                 pg::Params());
      if (r.get_bool(0, 0)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the ledger was not sealed within 10 s";
  }
  json report(const std::string& token = kAdmin) {
    return ok(verb::get,
              "/api/v1/reports/sharing-status?from=" + city_date(-3) + "&to=" + city_date(3),
              token);
  }
  static const json& row(const json& report, const std::string& code) {
    for (const auto& a : report["agencies"]) {
      if (a["agency_code"] == code) return a;
    }
    static const json none;
    ADD_FAILURE() << "no row for " << code;
    return none;
  }

  // The agencies' month, as the report should count it.
  void act() {
    const std::string records = "/api/v1/resources/" + r_ + "/records/";
    // Market: approves tax, rejects statistics, leaves statistics' second application waiting
    // past its deadline.
    const std::string a1 = apply(tax_officer_, r_, {"read", "query"});
    decide(market_officer_, a1, "approve");
    const std::string a2 = apply(stats_officer_, r_, {"read"});
    decide(market_officer_, a2, "reject");
    waiting_application_ = apply(stats_officer_, r_, {"read"});
    sql("UPDATE applications SET due_at = now() - interval '1 hour' WHERE id = $1",
        pg::Params().add(waiting_application_));
    // Police: answers tax 30 hours after the application, an hour after its deadline.
    const std::string a4 = apply(tax_officer_, q_, {"read"});
    sql("UPDATE applications SET created_at = now() - interval '30 hours', "
        "due_at = now() - interval '1 hour' WHERE id = $1",
        pg::Params().add(a4));
    decide(police_officer_, a4, "approve");

    // Tax: two reads and a query (3 records) served; an unknown key is neither served nor
    // refused. Statistics: refused twice (no grant).
    EXPECT_EQ(call(verb::get, records + "91440101MA59ABCD1X", tax_system_).status, 200u);
    EXPECT_EQ(call(verb::get, records + "91440101MA59XYZW2Q", tax_system_).status, 200u);
    auto query = call(verb::get, "/api/v1/resources/" + r_ + "/records", tax_system_);
    EXPECT_EQ(query.status, 200u) << query.body;
    EXPECT_EQ(call(verb::get, records + "91440101MA5BBBBB4R", tax_system_).status, 404u);
    EXPECT_EQ(call(verb::get, records + "91440101MA59ABCD1X", stats_system_).status, 403u);
    EXPECT_EQ(call(verb::get, records + "91440101MA59ABCD1X", stats_system_).status, 403u);

    // Objections: one answered on time, one left open past its deadline.
    const std::string path = records + "91440101MA59ABCD1X/objections";
    auto o1 = ok(verb::post, path, tax_system_,
                 {{"items", {"legal_person"}}, {"description", "法定代表人已变更"}});
    // Corrected: the objected item holds another value (written here, not pushed, so that the
    // period's write counts stay as they are).
    sql("UPDATE records SET data = jsonb_set(data, '{legal_person}', '\"张三\"') "
        "WHERE key = '91440101MA59ABCD1X'",
        pg::Params());
    ok(verb::post, "/api/v1/objections/" + o1["id"].get<std::string>() + "/resolution",
       market_officer_, {{"outcome", "corrected"}, {"note", "已更正"}});
    auto o2 = ok(verb::post, records + "91440101MA59XYZW2Q/objections", tax_system_,
                 {{"items", {"legal_person"}}, {"description", "姓名有误"}});
    sql("UPDATE objections SET due_at = now() - interval '1 hour' WHERE id = $1",
        pg::Params().add(o2["id"].get<std::string>()));

    // Demands: tax needs two things; market answers its one in time, police lets its deadline
    // pass. Statistics brings market's refusal to the coordination group.
    for (auto provider : {kMarket, kPolice}) {
      auto d = ok(verb::post, "/api/v1/demands", tax_officer_,
                  {{"title", "企业用电量数据"},
                   {"description", "税收风险分析需要按月的企业用电量"},
                   {"items_wanted", {"统一社会信用代码", "用电量"}},
                   {"purpose", "税收风险分析"}});
      const std::string demand = "/api/v1/demands/" + d["id"].get<std::string>();
      ok(verb::post, demand + "/assignment", coordinator_, {{"provider_code", provider}});
      if (provider == kMarket) {
        ok(verb::post, demand + "/response", market_officer_,
           {{"outcome", "not_held"}, {"reason", "本局不掌握用电数据"}});
      } else {
        sql("UPDATE demands SET due_at = now() - interval '1 second' WHERE id = $1",
            pg::Params().add(d["id"].get<std::string>()));
      }
    }
    auto escalated = call(verb::post, "/api/v1/applications/" + a2 + "/escalation", stats_officer_,
                          {{"reason", "统计调查有法定依据"}});
    EXPECT_EQ(escalated.status, 201u) << escalated.body;
    wait_sealed();
  }

  std::string market_officer_, market_system_, market_operator_, tax_officer_, tax_cdo_,
      tax_system_, stats_officer_, stats_system_, police_officer_, coordinator_, r_, q_;
  std::string waiting_application_;  // statistics' application, left waiting past its deadline
};

TEST_F(ReportTest, CountsWhatTheAgenciesDid) {
  start();
  act();
  const json rep = report(coordinator_);
  EXPECT_EQ(rep["from"], city_date(-3));
  EXPECT_EQ(rep["to"], city_date(3));
  ASSERT_EQ(rep["agencies"].size(), 5u) << "every member agency has a row";

  const json& market = row(rep, kMarket);
  EXPECT_EQ(market["agency_name"], "广州市市场监督管理局");
  EXPECT_EQ(market["resources_catalogued"], 1);
  EXPECT_EQ(market["resources_published"], 1);
  EXPECT_EQ(market["resources_with_data"], 1);
  EXPECT_EQ(market["resources_fresh"], 1);
  EXPECT_EQ(market["resources_stale"], 0);
  EXPECT_EQ(market["applications_received"], 3);
  EXPECT_EQ(market["applications_approved"], 1);
  EXPECT_EQ(market["applications_rejected"], 1);
  EXPECT_EQ(market["applications_overdue"], 1) << "the one still waiting past its deadline";
  EXPECT_EQ(market["median_reply_hours"], 0.0);
  EXPECT_EQ(market["requests_served"], 3);
  EXPECT_EQ(market["records_shared"], 5) << "1 + 1 + 3";
  EXPECT_EQ(market["requests_made"], 0);
  EXPECT_EQ(market["denied_requests"], 0);
  EXPECT_EQ(market["objections_received"], 2);
  EXPECT_EQ(market["objections_resolved_on_time"], 1);
  EXPECT_EQ(market["objections_overdue"], 1);

  const json& police = row(rep, kPolice);
  EXPECT_EQ(police["applications_received"], 1);
  EXPECT_EQ(police["applications_approved"], 1);
  EXPECT_EQ(police["applications_overdue"], 1) << "answered after its deadline";
  EXPECT_EQ(police["median_reply_hours"], 30.0);
  EXPECT_EQ(police["resources_with_data"], 0);
  EXPECT_EQ(police["resources_empty"], 1) << "published, no record yet";
  EXPECT_EQ(police["resources_fresh"], 0) << "an empty resource is neither fresh";
  EXPECT_EQ(police["resources_stale"], 0) << "nor stale";
  EXPECT_EQ(police["demands_received"], 1);
  EXPECT_EQ(police["demands_answered_on_time"], 0);
  EXPECT_EQ(police["demands_overdue"], 1) << "waiting past its deadline";
  EXPECT_EQ(market["resources_newly_published"], 1);
  EXPECT_EQ(market["resources_empty"], 0);
  EXPECT_EQ(market["demands_received"], 1);
  EXPECT_EQ(market["demands_answered_on_time"], 1);
  EXPECT_EQ(market["demands_overdue"], 0);
  EXPECT_EQ(market["escalations_received"], 1) << "statistics escalated its refusal";
  EXPECT_EQ(row(rep, kStats)["escalations_received"], 0) << "counted for the provider";

  const json& tax = row(rep, kTax);
  EXPECT_EQ(tax["requests_made"], 3);
  EXPECT_EQ(tax["denied_requests"], 0) << "a 404 for an unknown key is not a refusal";
  EXPECT_EQ(tax["requests_served"], 0);
  const json& stats = row(rep, kStats);
  EXPECT_EQ(stats["denied_requests"], 2);
  EXPECT_EQ(stats["requests_made"], 0);
  const json& idle = row(rep, kIdle);
  EXPECT_EQ(idle["resources_catalogued"], 0);
  EXPECT_TRUE(idle["median_reply_hours"].is_null());
  EXPECT_EQ(idle["score"], 0.0) << "publishing nothing and serving nothing earns nothing";

  // The totals: every count column summed; connected are market (served, wrote records) and
  // tax (made requests); statistics was only refused, police and the idle bureau did nothing.
  const json& totals = rep["totals"];
  for (const auto& [field, value] : totals.items()) {
    if (field == "agencies" || field == "members_connected") continue;
    std::int64_t sum = 0;
    for (const auto& a : rep["agencies"]) sum += a[field].get<std::int64_t>();
    EXPECT_EQ(value, sum) << field;
  }
  EXPECT_EQ(totals["applications_received"], 4);
  EXPECT_EQ(totals["demands_received"], 2);
  EXPECT_FALSE(totals.contains("score"));
  EXPECT_EQ(totals["agencies"], 5);
  EXPECT_EQ(totals["members_connected"], 2);
  EXPECT_FALSE(rep.contains("groups"));

  // Grouped by parent: police moved under market for the purpose.
  ok(verb::patch, std::string("/api/v1/agencies/") + kPolice, kAdmin, {{"parent_code", kMarket}});
  const std::string period = "from=" + city_date(-3) + "&to=" + city_date(3);
  auto grouped = ok(verb::get, "/api/v1/reports/sharing-status?group_by=parent&" + period, kAdmin);
  ASSERT_EQ(grouped["groups"].size(), 2u) << grouped["groups"];
  EXPECT_TRUE(grouped["groups"][0]["group"].is_null());
  EXPECT_EQ(grouped["groups"][0]["totals"]["agencies"], 4);
  EXPECT_EQ(grouped["groups"][1]["group"], kMarket);
  EXPECT_EQ(grouped["groups"][1]["totals"]["agencies"], 1);
  EXPECT_EQ(grouped["groups"][1]["totals"]["demands_overdue"], 1);
  auto by_level = ok(verb::get, "/api/v1/reports/sharing-status?group_by=level&" + period, kAdmin);
  ASSERT_FALSE(by_level["groups"].empty());
  std::int64_t agencies = 0;
  for (const auto& g : by_level["groups"]) agencies += g["totals"]["agencies"].get<std::int64_t>();
  EXPECT_EQ(agencies, 5);
  EXPECT_EQ(call(verb::get, "/api/v1/reports/sharing-status?group_by=district", kAdmin).status,
            400u);

  // Ranks 1..n without gaps, by score, ties by code.
  std::vector<std::pair<double, std::string>> order;
  for (std::size_t i = 0; i < rep["agencies"].size(); ++i) {
    const auto& a = rep["agencies"][i];
    EXPECT_EQ(a["rank"], static_cast<int>(i + 1));
    order.emplace_back(a["score"].get<double>(), a["agency_code"].get<std::string>());
  }
  for (std::size_t i = 1; i < order.size(); ++i) {
    EXPECT_TRUE(order[i - 1].first > order[i].first ||
                (order[i - 1].first == order[i].first && order[i - 1].second < order[i].second));
  }
  // A period before any of it counts nothing of it (but the catalogue did not exist either).
  auto before =
      ok(verb::get, "/api/v1/reports/sharing-status?from=2020-01-01&to=2020-01-31", kAdmin);
  EXPECT_EQ(row(before, kMarket)["applications_received"], 0);
  EXPECT_EQ(row(before, kMarket)["requests_served"], 0);
  EXPECT_EQ(row(before, kMarket)["resources_catalogued"], 0);
}

TEST_F(ReportTest, RollupsAgreeWithTheLedger) {
  start();
  act();
  auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
  // Each agency's day, recomputed from the ledger's rows, equals the rollup the sealer kept.
  auto diff = pg::exec_blocking(
      su.get(),
      "WITH direct AS ("
      " SELECT day, agency, sum(served) AS served, sum(shared) AS shared, sum(made) AS made,"
      " sum(denied) AS denied FROM ("
      "  SELECT hub_local_day(time) AS day, provider_code AS agency,"
      "  (status BETWEEN 200 AND 299)::int AS served,"
      "  CASE WHEN status BETWEEN 200 AND 299 AND operation NOT IN ('verify', 'aggregate')"
      "  THEN record_count ELSE 0 END AS shared, 0 AS made, 0 AS denied"
      "  FROM ledger_entries WHERE provider_code IS NOT NULL"
      "  UNION ALL SELECT hub_local_day(time), consumer_code, 0, 0,"
      "  (status BETWEEN 200 AND 299)::int, (status IN (401, 403))::int FROM ledger_entries) s"
      " GROUP BY 1, 2)"
      " SELECT count(*) FROM direct d FULL JOIN agency_daily a"
      " ON a.day = d.day AND a.agency_code = d.agency"
      " WHERE a.requests_served IS DISTINCT FROM d.served"
      " OR a.records_shared IS DISTINCT FROM d.shared OR a.requests_made IS DISTINCT FROM d.made"
      " OR a.denied_requests IS DISTINCT FROM d.denied",
      pg::Params());
  EXPECT_EQ(diff.get_int(0, 0), 0);
  auto hourly = pg::exec_blocking(
      su.get(),
      "SELECT (SELECT sum(requests + refused) FROM ledger_hourly) = (SELECT count(*) FROM "
      "ledger_entries WHERE status BETWEEN 200 AND 299 OR status IN (401, 403))",
      pg::Params());
  EXPECT_TRUE(hourly.get_bool(0, 0));
}

TEST_F(ReportTest, CsvAndXlsxForPeopleAndTheRightReaders) {
  start();
  act();
  const std::string base =
      "/api/v1/reports/sharing-status?from=" + city_date(-3) + "&to=" + city_date(3);
  auto csv = call(verb::get, base + "&format=csv", tax_cdo_);
  ASSERT_EQ(csv.status, 200u) << csv.body;
  EXPECT_EQ(csv.header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_NE(csv.header("Content-Disposition").find("attachment; filename=\"sharing-status-"),
            std::string::npos);
  EXPECT_EQ(csv.body.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_NE(csv.body.find("广州市市场监督管理局"), std::string::npos);
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 6) << "a header and 5 rows";
  // format= wins over Accept.
  auto xlsx = client_->request(
      verb::get, base + "&format=xlsx", "",
      {{"Authorization", std::string("Bearer ") + coordinator_}, {"Accept", "application/json"}});
  ASSERT_EQ(xlsx.status, 200u) << xlsx.body;
  EXPECT_EQ(xlsx.header("Content-Type"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");

  // Readers: hub_admin, coordinator, agency_cdo. Not an operator, not a data officer.
  EXPECT_EQ(call(verb::get, base, market_operator_).status, 403u);
  EXPECT_EQ(call(verb::get, base, market_officer_).status, 403u);
  EXPECT_EQ(call(verb::get, base, "").status, 401u);
  // A coordinator sees every agency's numbers but no record data.
  auto read =
      call(verb::get, "/api/v1/resources/" + r_ + "/records/91440101MA59ABCD1X", coordinator_);
  EXPECT_EQ(read.status, 403u) << read.body;

  // Bad periods and formats are clear 400s.
  for (const std::string q : {"?from=2026-13-01", "?from=2026-11-30&to=2026-11-01",
                              "?from=2010-01-01&to=2026-01-01", "?format=pdf", "?to=yesterday"}) {
    auto r = call(verb::get, "/api/v1/reports/sharing-status" + q, kAdmin);
    EXPECT_EQ(r.status, 400u) << q << ": " << r.body;
    EXPECT_EQ(json::parse(r.body)["code"], "validation_failed") << q;
  }
}

TEST_F(ReportTest, ActivitySeriesForTheConsole) {
  start();
  act();
  auto a = ok(verb::get, "/api/v1/reports/activity?from=" + city_date(-6) + "&to=" + city_date(0),
              kAdmin);
  ASSERT_EQ(a["days"].size(), 7u) << "every day of the period, zeros included";
  const auto& today = a["days"][6];
  EXPECT_EQ(today["day"], city_date(0));
  EXPECT_EQ(today["requests"], 3);
  EXPECT_EQ(today["denied"], 2);
  EXPECT_EQ(today["records"], 5);
  EXPECT_EQ(a["days"][0]["requests"], 0);
  ASSERT_EQ(a["categories"].size(), 1u);
  EXPECT_EQ(a["categories"][0]["category"], "basic");
  EXPECT_EQ(a["categories"][0]["requests"], 3);
  EXPECT_EQ(call(verb::get, "/api/v1/reports/activity", market_operator_).status, 403u);
}

TEST_F(ReportTest, EarlyWarningOpensAlertsOnceAndStaffAcknowledgeThem) {
  // Thresholds low enough for a test's traffic; working hours that exclude the present hour.
  const auto now = std::chrono::system_clock::now() + std::chrono::hours(8);
  const auto hour = static_cast<unsigned>(
      std::chrono::floor<std::chrono::hours>(now - std::chrono::floor<std::chrono::days>(now))
          .count());
  start([hour](Config& c) {
    c.monitor.interval = std::chrono::milliseconds(100);
    c.monitor.denied_burst = 2;
    c.monitor.off_hours_records = 3;
    c.monitor.spike_factor = 2;
    c.monitor.spike_min_requests = 3;
    c.monitor.work_start_hour = hour < 22 ? hour + 1 : 0;
    c.monitor.work_end_hour = hour < 22 ? hour + 2 : 1;
  });
  act();
  // A daily resource last updated ten days ago is stale.
  sql("UPDATE resources SET last_updated_at = now() - interval '10 days' WHERE code = $1",
      pg::Params().add(r_));

  // One alert per rule, but for overdue applications: police's one was overdue too, for the
  // moment between its deadline passing and its late answer, if a round fell in that moment.
  std::multimap<std::string, json> open;
  std::set<std::string> rules;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (rules.size() < 7 && std::chrono::steady_clock::now() < until) {
    open.clear();
    rules.clear();
    const json page = ok(verb::get, "/api/v1/alerts?status=open", coordinator_);
    for (const auto& a : page["items"]) {
      open.emplace(a["rule"], a);
      rules.insert(a["rule"]);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(rules.size(), 7u) << json(open).dump();
  auto one = [&open](const std::string& rule) -> const json& {
    EXPECT_EQ(open.count(rule), 1u) << rule;
    return open.find(rule)->second;
  };
  EXPECT_EQ(one("denied_burst")["agency_code"], kStats);
  EXPECT_EQ(one("denied_burst")["detail"]["denied"], 2);
  EXPECT_EQ(one("volume_spike")["agency_code"], kTax);
  EXPECT_EQ(one("off_hours_bulk")["agency_code"], kTax);
  EXPECT_EQ(one("off_hours_bulk")["severity"], "critical");
  EXPECT_EQ(one("overdue_objection")["agency_code"], kMarket);
  EXPECT_EQ(one("demand_overdue")["agency_code"], kPolice);
  EXPECT_EQ(one("stale_resource")["resource_code"], r_);
  EXPECT_EQ(one("stale_resource")["agency_name"], "广州市市场监督管理局");
  bool waiting_found = false;
  for (auto [it, end] = open.equal_range("overdue_application"); it != end; ++it) {
    if (it->second["detail"]["application_id"] == waiting_application_) {
      waiting_found = true;
      EXPECT_EQ(it->second["agency_code"], kMarket);
    }
  }
  EXPECT_TRUE(waiting_found) << json(open).dump();
  for (const auto& [rule, a] : open) {
    EXPECT_EQ(a["status"], "open");
    EXPECT_FALSE(a["opened_at"].is_null());
  }
  const std::size_t opened = open.size();

  // Further rounds open nothing new: one alert per subject.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(ok(verb::get, "/api/v1/alerts", kAdmin)["items"].size(), opened)
      << ok(verb::get, "/api/v1/alerts", kAdmin).dump();
  {
    // ... nor even try to: a standing condition is not inserted again (each try would draw a
    // number from the alerts' sequence).
    auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
    auto seq = pg::exec_blocking(su.get(), "SELECT max(seq) = count(*) FROM alerts", pg::Params());
    EXPECT_TRUE(seq.get_bool(0, 0));
  }

  // Acknowledged once, by whom; a second time is a conflict; another id is not found.
  const std::string id = one("denied_burst")["id"];
  auto acked =
      ok(verb::post, "/api/v1/alerts/" + id + "/ack", coordinator_, {{"note", "已联系统计局核实"}});
  EXPECT_EQ(acked["status"], "acknowledged");
  EXPECT_FALSE(acked["acknowledged_by"].is_null());
  EXPECT_EQ(acked["note"], "已联系统计局核实");
  EXPECT_EQ(call(verb::post, "/api/v1/alerts/" + id + "/ack", kAdmin).status, 409u);
  EXPECT_EQ(call(verb::post, "/api/v1/alerts/no-such-alert/ack", kAdmin).status, 404u);
  EXPECT_EQ(ok(verb::get, "/api/v1/alerts?status=acknowledged", kAdmin)["items"].size(), 1u);
  EXPECT_EQ(ok(verb::get, "/api/v1/alerts?rule=stale_resource", kAdmin)["items"].size(), 1u);
  EXPECT_EQ(call(verb::get, "/api/v1/alerts?status=closed", kAdmin).status, 400u);
  EXPECT_EQ(call(verb::get, "/api/v1/alerts?rule=fire", kAdmin).status, 400u);
  // Paging: newest first, a cursor to the rest.
  auto page = ok(verb::get, "/api/v1/alerts?limit=4", kAdmin);
  ASSERT_EQ(page["items"].size(), 4u);
  ASSERT_TRUE(page["next_cursor"].is_string());
  auto rest = ok(verb::get,
                 "/api/v1/alerts?limit=4&cursor=" + page["next_cursor"].get<std::string>(), kAdmin);
  EXPECT_EQ(rest["items"].size(), opened - 4);

  // Alerts are the hub's staff's; an agency's CDO reads its own agency's (API.md Part 2) and
  // acknowledges none.
  const json own = ok(verb::get, "/api/v1/alerts", tax_cdo_)["items"];
  std::size_t tax_alerts = 0;
  for (const auto& [rule, a] : open) tax_alerts += a["agency_code"] == kTax ? 1 : 0;
  EXPECT_EQ(own.size(), tax_alerts) << own.dump();
  for (const auto& a : own) EXPECT_EQ(a["agency_code"], kTax);
  EXPECT_EQ(call(verb::post, "/api/v1/alerts/" + id + "/ack", tax_cdo_).status, 403u);
  EXPECT_EQ(call(verb::get, "/api/v1/alerts", market_officer_).status, 403u);
  EXPECT_EQ(call(verb::post, "/api/v1/alerts/" + id + "/ack", market_officer_).status, 403u);

  // And counted in /metrics (refreshed each round).
  std::string metrics;
  const auto by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < by) {
    metrics = client_->request(verb::get, "/metrics", "", {}).body;
    if (metrics.find("hub_alerts_open{rule=\"denied_burst\",severity=\"warning\"} 0") !=
        std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(metrics.find("hub_alerts_open{rule=\"denied_burst\",severity=\"warning\"} 0"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("hub_alerts_open{rule=\"stale_resource\",severity=\"info\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("hub_alerts_opened_total " + std::to_string(opened)), std::string::npos);
  EXPECT_NE(metrics.find("hub_monitor_leader 1"), std::string::npos);
}

TEST_F(ReportTest, TheConsoleIsServedFromMemoryWithItsHeaders) {
  const auto site = dir_.path() / "console";
  std::filesystem::create_directories(site / "assets");
  std::ofstream(site / "index.html") << "<!doctype html><title>控制台</title>";
  std::string script = "console.log('hub');\n";
  for (int i = 0; i < 200; ++i) script += "// padding so the file is worth compressing\n";
  std::ofstream(site / "assets" / "index-abc123.js") << script;
  start([&site](Config& c) { c.console_dir = site.string(); });

  auto index = client_->request(verb::get, "/console/", "", {});
  ASSERT_EQ(index.status, 200u);
  EXPECT_EQ(index.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("控制台"), std::string::npos);
  EXPECT_EQ(index.header("Cache-Control"), "no-cache");
  EXPECT_NE(index.header("Content-Security-Policy").find("script-src 'self';"), std::string::npos);
  EXPECT_NE(index.header("Content-Security-Policy").find("style-src 'self';"), std::string::npos);
  EXPECT_EQ(index.header("Content-Security-Policy").find("unsafe"), std::string::npos)
      << "no inline script or style, no eval";
  EXPECT_EQ(index.header("X-Frame-Options"), "DENY");

  auto js = client_->request(verb::get, "/console/assets/index-abc123.js", "", {});
  ASSERT_EQ(js.status, 200u);
  EXPECT_EQ(js.body, script);
  EXPECT_EQ(js.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js.header("Cache-Control").find("immutable"), std::string::npos);
  auto gz = client_->request(verb::get, "/console/assets/index-abc123.js", "",
                             {{"Accept-Encoding", "gzip, br"}});
  EXPECT_EQ(gz.header("Content-Encoding"), "gzip");
  EXPECT_LT(gz.body.size(), script.size() / 4);
  EXPECT_EQ(gz.body.substr(0, 2), "\x1f\x8b");
  auto again = client_->request(verb::get, "/console/assets/index-abc123.js", "",
                                {{"If-None-Match", js.header("ETag")}});
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());

  auto bare = client_->request(verb::get, "/console", "", {});
  EXPECT_EQ(bare.status, 301u);
  EXPECT_EQ(bare.header("Location"), "/console/");
  auto missing = client_->request(verb::get, "/console/../../etc/passwd", "", {});
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(client_->request(verb::get, "/console/nothing.js", "", {}).status, 404u);
}

TEST_F(ReportTest, WithoutBuiltFilesTheConsoleSaysSo) {
  start([this](Config& c) { c.console_dir = (dir_.path() / "nowhere").string(); });
  auto r = client_->request(verb::get, "/console/", "", {});
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.body.find("console is not installed"), std::string::npos);
}

}  // namespace
}  // namespace hub::test
