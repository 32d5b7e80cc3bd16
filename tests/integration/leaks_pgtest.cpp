// Grants leak nothing they do not grant (API.md Part 2), tried as the attacker did: with
// a consumer's own principals, against records of citizens (户籍人口基本信息) and of their social
// insurance (社会保险缴费信息). Each test would fail on the hub before issue #15.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "hub/ledger/entry.hpp"
#include "hub/members/credentials.hpp"
#include "hub/store/pg.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

// kPolice provides, kTax consumes, kStats is another consumer.
constexpr const char* kPurpose = "%E6%A0%B8%E9%AA%8C%E8%BA%AB%E4%BB%BD";  // 核验身份

json residents() {
  auto item = [](const char* name, const char* type, const char* sensitivity,
                 const char* mask = nullptr) {
    json i = {{"name", name},
              {"title", name},
              {"type", type},
              {"required", std::string(name) == "id_number"},
              {"sensitivity", sensitivity}};
    if (mask) i["mask"] = mask;
    return i;
  };
  return {{"name", "户籍人口基本信息"},
          {"summary", "户籍人口的身份证号码、姓名、性别、户籍地区"},
          {"provider_code", kPolice},
          {"category", "basic"},
          {"format", "数据库"},
          {"key", "id_number"},
          {"items",
           {item("id_number", "string", "sensitive", "id_number"),
            item("name", "string", "sensitive", "name"), item("gender", "string", "public"),
            item("district", "string", "public"), item("monthly_base", "number", "sensitive"),
            item("note", "string", "internal")}},
          {"share_type", "conditional"},
          {"share_conditions", "用于身份核验"},
          {"share_methods", {"api"}},
          {"update_cycle", "daily"},
          {"legal_basis", "《居民身份证法》"},
          {"min_group_size", 3}};
}

// Valid-looking citizen ID numbers (the check digit is not what the tests are about).
std::string id_number(int i) { return "44010619900101" + std::to_string(100 + i) + "X"; }

class LeakTest : public HubTest {
 protected:
  void SetUp() override {
    purpose_ = kPurpose;
    start([this](Config& config) {
      configure(config);
      config.ledger.seal_interval = std::chrono::milliseconds(50);
    });
    for (auto code : {kPolice, kTax, kStats}) agency(code);
    police_system_ = person(kPolice, "ga-system", "agency_system", "system");
    police_officer_ = person(kPolice, "ga-officer", "agency_data_officer");
    tax_officer_ = person(kTax, "sw-officer", "agency_data_officer");
    tax_system_ = person(kTax, "sw-system", "agency_system", "system");
    stats_officer_ = person(kStats, "tj-officer", "agency_data_officer");
    stats_system_ = person(kStats, "tj-system", "agency_system", "system");
    code_ = resource(residents());
    // Pushed out of key order: 3, 1, 4, 0, 2 ...
    for (int i : {3, 1, 4, 0, 2, 5}) {
      ok(verb::put, records() + "/" + id_number(i), police_system_,
         {{"name", i % 2 ? "刘晓东" : "陈美玲"},
          {"gender", i % 2 ? "男" : "女"},
          {"district", i < 3 ? "天河区" : "越秀区"},
          {"monthly_base", 5000 + 1000 * i},
          {"note", nullptr}});
    }
  }
  virtual void configure(Config&) {}

  // `officer` of a consumer applies; the police officer approves.
  std::string grant(const std::string& officer, json items, json operations,
                    json clear = json::array(), json purpose_codes = nullptr) {
    json body = {{"resource_code", code_},
                 {"items", items},
                 {"clear_items", clear},
                 {"operations", operations},
                 {"purpose", "办理业务时核验申请人身份"},
                 {"valid_until", city_date(365)}};
    if (!purpose_codes.is_null()) body["purpose_codes"] = purpose_codes;
    return HubTest::grant(officer, police_officer_, body);
  }
  std::string records() const { return "/api/v1/resources/" + code_ + "/records"; }
  json problem(const client::ClientResponse& r) { return json::parse(r.body); }

  std::string police_system_, police_officer_, tax_officer_, tax_system_, stats_officer_,
      stats_system_, code_;
};

TEST_F(LeakTest, AnUngrantedKeyIsNeverShownAndEveryRecordHasARef) {
  // The first finding: gender, district and name granted; the ID number is not.
  grant(tax_officer_, {"name", "gender", "district"}, {"read", "query", "changes"});
  auto page = ok(verb::get, records() + "?limit=10", tax_system_);
  ASSERT_EQ(page["items"].size(), 6u);
  std::set<std::string> refs;
  for (const auto& r : page["items"]) {
    EXPECT_FALSE(r.contains("key")) << r;
    EXPECT_EQ(r["ref"].get<std::string>().size(), 64u);
    refs.insert(r["ref"]);
    EXPECT_FALSE(r["data"].contains("id_number"));
    EXPECT_FALSE(r["data"].contains("monthly_base"));
    EXPECT_FALSE(r["data"].contains("note")) << "an ungranted item is absent, null or not";
    EXPECT_EQ(r["data"]["name"].get<std::string>().substr(3), "**") << "masked";
  }
  EXPECT_EQ(refs.size(), 6u);
  // Nothing of an ID number anywhere in the answer, cursors included.
  const std::string body = call(verb::get, records() + "?limit=2", tax_system_).body;
  for (int i = 0; i < 6; ++i) EXPECT_EQ(body.find(id_number(i).substr(6)), std::string::npos);
  auto changes = ok(verb::get, "/api/v1/resources/" + code_ + "/changes", tax_system_);
  ASSERT_EQ(changes["items"].size(), 6u);
  for (const auto& c : changes["items"]) {
    EXPECT_FALSE(c.contains("key")) << c;
    EXPECT_TRUE(refs.contains(c["ref"].get<std::string>())) << "the same ref in every answer";
  }
  // A read by a key the consumer knows from elsewhere: the answer does not repeat it.
  auto one = ok(verb::get, records() + "/" + id_number(4), tax_system_);
  EXPECT_FALSE(one.contains("key"));
  EXPECT_TRUE(refs.contains(one["ref"].get<std::string>()));
}

TEST_F(LeakTest, AGrantedKeyIsMaskedUnlessClearAndRefsDifferByConsumer) {
  grant(tax_officer_, {"id_number", "gender"}, {"query"});
  grant(stats_officer_, {"id_number", "gender"}, {"query"}, {"id_number"});
  auto masked = ok(verb::get, records() + "?limit=1", tax_system_)["items"][0];
  auto clear = ok(verb::get, records() + "?limit=1", stats_system_)["items"][0];
  EXPECT_EQ(clear["key"], id_number(3)) << "first pushed first";
  EXPECT_EQ(masked["key"], "4***************" + id_number(3).substr(16));
  EXPECT_EQ(masked["data"]["id_number"], masked["key"]);
  EXPECT_NE(masked["ref"], clear["ref"]) << "two agencies cannot match refs";
}

TEST_F(LeakTest, ListsFollowTheChangeOrderNotTheKeys) {
  grant(tax_officer_, {"id_number", "gender"}, {"query"}, {"id_number"});
  std::vector<std::string> keys;
  std::string cursor;
  for (int page = 0; page < 3; ++page) {
    auto r = ok(verb::get, records() + "?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
                tax_system_);
    for (const auto& item : r["items"]) keys.push_back(item["key"]);
    if (r["next_cursor"].is_null()) break;
    cursor = r["next_cursor"];
    // The cursor's payload (base64url JSON before the dot) names a change number, no key.
    auto payload = members::base64url_decode(cursor.substr(0, cursor.find('.')));
    ASSERT_TRUE(payload);
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(payload->find(id_number(i).substr(6)), std::string::npos) << *payload;
    }
  }
  std::vector<std::string> pushed;
  for (int i : {3, 1, 4, 0, 2, 5}) pushed.push_back(id_number(i));
  EXPECT_EQ(keys, pushed);
}

TEST_F(LeakTest, AMaskedItemIsNoOracleForFiltersFieldsGroupsOrSums) {
  grant(tax_officer_, {"name", "gender", "district", "monthly_base"}, {"query", "aggregate"});
  auto refused = [&](const std::string& target, const json& body = nullptr) {
    auto r = call(body.is_null() ? verb::get : verb::post, target, tax_system_, body);
    EXPECT_EQ(r.status, 403) << target << " " << body << ": " << r.body;
    return r.status == 403 ? problem(r) : json();
  };
  // The second finding: a masked name recovered by eq probes, a withheld number by
  // bisection. Both refused, with the very answer an item outside the grant gets.
  auto masked = refused(records() + "?filter=name%20eq%20%22%E5%88%98%E6%99%93%E4%B8%9C%22");
  auto withheld = refused(records() + "?filter=monthly_base%20ge%206000");
  auto ungranted = refused(records() + "?filter=note%20eq%20%22x%22");
  EXPECT_EQ(masked["code"], "no_grant");
  EXPECT_EQ(masked, withheld);
  EXPECT_EQ(masked["detail"], ungranted["detail"]);
  refused(records() + "?filter=name%20prefix%20%22%E5%88%98%22");
  refused(records() + "?fields=gender,name");
  const std::string agg = "/api/v1/resources/" + code_ + "/aggregate";
  refused(agg, {{"group_by", {"name"}}, {"metrics", {{{"op", "count"}}}}});
  refused(agg,
          {{"group_by", {"gender"}}, {"metrics", {{{"op", "sum"}, {"item", "monthly_base"}}}}});
  refused(agg, {{"filter", "name eq \"刘晓东\""}, {"metrics", {{{"op", "count"}}}}});
  // What the grant shows in clear may be filtered, selected and grouped by.
  auto tianhe = ok(verb::get,
                   records() +
                       "?filter=district%20eq%20%22%E5%A4%A9%E6%B2%B3%E5%8C%BA%22"
                       "&fields=gender,district",
                   tax_system_);
  EXPECT_EQ(tianhe["items"].size(), 3u);
  auto groups = ok(verb::post, agg, tax_system_,
                   {{"group_by", {"district"}}, {"metrics", {{{"op", "count"}}}}});
  EXPECT_EQ(groups["groups"].size(), 2u);
}

TEST_F(LeakTest, AggregatesNeverNameTheKeyAndAnswerWhenEveryGroupIsSmall) {
  grant(tax_officer_, {"id_number", "gender", "district"}, {"aggregate"}, {"id_number"});
  const std::string agg = "/api/v1/resources/" + code_ + "/aggregate";
  // Counting by key, or filtering on it, is counting one record: refused even in clear.
  EXPECT_EQ(call(verb::post, agg, tax_system_,
                 {{"group_by", {"id_number"}}, {"metrics", {{{"op", "count"}}}}})
                .status,
            403);
  EXPECT_EQ(
      call(verb::post, agg, tax_system_,
           {{"filter", "id_number eq \"" + id_number(1) + "\""}, {"metrics", {{{"op", "count"}}}}})
          .status,
      403);
  // Every group under the minimum size (3), a sum asked: 200 with nothing but the count of them
  // (the tenth finding answered 500).
  grant(stats_officer_, {"gender", "district", "monthly_base"}, {"aggregate"}, {"monthly_base"});
  auto small = call(verb::post, agg, stats_system_,
                    {{"group_by", {"gender", "district"}},
                     {"metrics", {{{"op", "count"}}, {{"op", "sum"}, {"item", "monthly_base"}}}}});
  ASSERT_EQ(small.status, 200) << small.body;
  EXPECT_EQ(json::parse(small.body), json({{"groups", json::array()}, {"suppressed_groups", 4}}));
  auto avg = ok(verb::post, agg, stats_system_,
                {{"filter", "district eq \"没有的区\""},
                 {"metrics", {{{"op", "avg"}, {"item", "monthly_base"}}}}});
  EXPECT_EQ(avg, json({{"groups", json::array()}, {"suppressed_groups", 0}}));
}

class VerifyBudgetTest : public LeakTest {
  void configure(Config& config) override {
    config.exchange.verify_misses_per_hour = 5;
    config.monitor.interval = std::chrono::milliseconds(200);
  }
};

TEST_F(VerifyBudgetTest, VerifyMissesAreCappedPerGrantAndRaiseAnAlert) {
  const std::string grant_id = grant(tax_officer_, {"id_number", "name"}, {"verify"});
  const std::string verify = "/api/v1/resources/" + code_ + "/verify";
  auto ask = [&](const std::string& key, const char* name) {
    return call(verb::post, verify, tax_system_, {{"key", key}, {"claims", {{"name", name}}}});
  };
  // Claims may name a masked item: the answer is one bit.
  EXPECT_EQ(json::parse(ask(id_number(1), "刘晓东").body),
            json({{"found", true}, {"match", true}}));
  for (int i = 0; i < 5; ++i) {
    auto r = ask(id_number(100 + i), "刘晓东");  // unknown keys: misses
    ASSERT_EQ(r.status, 200) << i << r.body;
    EXPECT_EQ(json::parse(r.body), json({{"found", false}, {"match", false}}));
  }
  auto over = ask(id_number(1), "刘晓西");
  EXPECT_EQ(over.status, 429) << over.body;
  EXPECT_EQ(problem(over)["code"], "rate_limited");
  EXPECT_FALSE(over.header("Retry-After").empty());
  // Past the budget a match is refused too: else the 429s themselves would tell misses apart.
  EXPECT_EQ(ask(id_number(1), "刘晓东").status, 429);
  // Another grant's budget is its own.
  grant(stats_officer_, {"id_number", "name"}, {"verify"});
  EXPECT_EQ(call(verb::post, verify, stats_system_,
                 {{"key", id_number(1)}, {"claims", {{"name", "刘晓东"}}}})
                .status,
            200);
  // The early warning sees the prober.
  json alerts;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    alerts = ok(verb::get, "/api/v1/alerts?status=open&rule=verify_enumeration", kAdmin)["items"];
  } while (alerts.empty() && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["agency_code"], kTax);
  EXPECT_EQ(alerts[0]["severity"], "critical");
  EXPECT_EQ(alerts[0]["detail"]["grant_id"], grant_id);
}

TEST_F(LeakTest, AggregatesUnderAPrivacyPolicyAreNoisyAndSpendADailyBudget) {
  // The same residents under a differential-privacy policy: a total minus the rest no longer
  // tells one record (API.md Part 2, docs/privacy.md).
  auto doc = residents();
  doc["name"] = "户籍人口统计口径";
  doc.erase("min_group_size");
  // ε 3 per query, shared by the count and the one sum (¾ of it, parallel over the groups): the
  // noise's scale is 1/1.125 ≈ 0.9 per count and 10000/1.125 ≈ 8,900 per sum, so the bounds
  // checked below are over 20 scales wide: a draw falls outside them about once in 10⁹.
  doc["aggregate_policy"] = {{"min_group_size", 2},
                             {"epsilon_per_day", 9},
                             {"epsilon_per_query", 3},
                             {"bounds", {{"monthly_base", {0, 10000}}}}};
  auto bad = doc;
  bad["aggregate_policy"]["bounds"] = {{"gender", {0, 1}}};
  EXPECT_EQ(call(verb::post, "/api/v1/resources", kAdmin, bad).status, 422) << "bounds on text";
  bad["aggregate_policy"] = {{"epsilon_per_query", 1}};
  EXPECT_EQ(call(verb::post, "/api/v1/resources", kAdmin, bad).status, 422) << "no daily budget";
  code_ = resource(doc);
  for (int i = 0; i < 40; ++i) {
    ok(verb::put, records() + "/" + id_number(i), police_system_,
       {{"gender", i % 2 ? "男" : "女"}, {"district", "天河区"}, {"monthly_base", 6000}});
  }
  grant(tax_officer_, {"gender", "district", "monthly_base", "name"}, {"aggregate"},
        {"monthly_base"});
  const std::string agg = "/api/v1/resources/" + code_ + "/aggregate";
  const json body = {{"group_by", {"gender"}},
                     {"metrics", {{{"op", "count"}}, {{"op", "sum"}, {"item", "monthly_base"}}}}};
  std::vector<json> answers;
  for (int i = 0; i < 3; ++i) {
    auto r = call(verb::post, agg, tax_system_, body, with_request_id("dp-" + std::to_string(i)));
    ASSERT_EQ(r.status, 200) << r.body;
    answers.push_back(json::parse(r.body));
  }
  EXPECT_EQ(answers[0]["privacy"]["mechanism"], "discrete_laplace");
  EXPECT_EQ(answers[0]["privacy"]["epsilon_spent"], 3);
  EXPECT_EQ(answers[0]["privacy"]["epsilon_remaining"], 6);
  EXPECT_EQ(answers[2]["privacy"]["epsilon_remaining"], 0);
  auto spent = call(verb::post, agg, tax_system_, body);
  EXPECT_EQ(spent.status, 403);
  EXPECT_EQ(problem(spent)["code"], "budget_exhausted");
  // Noisy, but near the truth for groups of 20.
  for (const auto& a : answers) {
    for (const auto& g : a["groups"]) {
      EXPECT_NEAR(g["count"].get<double>(), 20, 20) << a;
      EXPECT_NEAR(g["sum_monthly_base"].get<double>(), 120000, 200000) << a;
    }
  }
  // The ledger records what each spent.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  json entries;
  do {
    entries = ok(verb::get, "/api/v1/ledger/entries?request_id=dp-0", kAdmin)["items"];
  } while (entries.empty() && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["epsilon_spent"], 3);
}

// The differencing attack, under a privacy budget: the district's total minus the total
// of the district without one resident was that resident's exact value. Now each is a noisy
// release, so the difference is the value plus the difference of two noise draws, whose error
// over many trials matches the mechanism; and the budget ends the trials.
TEST_F(LeakTest, TheDifferencingAttackGetsNoiseOfTheDocumentedSizeUntilTheBudgetEnds) {
  auto doc = residents();
  doc["name"] = "户籍人口缴费基数";
  doc.erase("min_group_size");
  constexpr double kPerQuery = 0.25, kBound = 10000;
  doc["aggregate_policy"] = {{"min_group_size", 2},
                             {"epsilon_per_day", 100},
                             {"epsilon_per_query", kPerQuery},
                             {"bounds", {{"monthly_base", {0, kBound}}}}};
  code_ = resource(doc);
  // Sixty residents of 天河区 at 6,000; the target (i = 0) is the one man among them.
  for (int i = 0; i < 60; ++i) {
    ok(verb::put, records() + "/" + id_number(i), police_system_,
       {{"name", "陈美玲"},
        {"gender", i == 0 ? "男" : "女"},
        {"district", "天河区"},
        {"monthly_base", i == 0 ? 9000 : 6000}});
  }
  const std::string grant_id =
      grant(tax_officer_, {"gender", "district", "monthly_base"}, {"aggregate"}, {"monthly_base"});
  // The grant shows its budget for today: whole, and what it buys.
  const json fresh = ok(verb::get, "/api/v1/grants/" + grant_id, tax_officer_)["privacy"];
  EXPECT_EQ(fresh["epsilon_per_day"], 100.0);
  EXPECT_EQ(fresh["epsilon_per_query"], kPerQuery);
  EXPECT_EQ(fresh["epsilon_spent_today"], 0.0);
  EXPECT_EQ(fresh["epsilon_remaining"], 100.0);
  EXPECT_EQ(fresh["queries_remaining_today"], 400);
  const std::string agg = "/api/v1/resources/" + code_ + "/aggregate";
  const json metrics = {{{"op", "sum"}, {"item", "monthly_base"}}};
  auto sum_of = [&](const json& body) -> std::optional<double> {
    auto r = call(verb::post, agg, tax_system_, body);
    if (r.status != 200) return std::nullopt;
    const json a = json::parse(r.body);
    EXPECT_EQ(a["privacy"]["mechanism"], "discrete_laplace");
    // Left out on its noisy count (rare with 60 records): the trial tells nothing.
    if (a["groups"].size() != 1) return std::numeric_limits<double>::quiet_NaN();
    return a["groups"][0]["sum_monthly_base"].get<double>();
  };
  const json everyone = {{"group_by", {"district"}}, {"metrics", metrics}};
  const json the_rest = {
      {"group_by", {"district"}}, {"filter", "gender eq \"女\""}, {"metrics", metrics}};
  // ε 0.25 a query: ¾ of it shared by the count and the sum, so each sum's noise is discrete
  // Laplace on a grid of 10000/10⁶ with scale b = 10000 / 0.09375 (about 106,667), and the
  // difference of two has E|d − 9000| = 1.5 b and a standard deviation of 2 b.
  const double b = kBound / (kPerQuery * 0.75 / 2);
  std::vector<double> errors;
  for (int trial = 0; trial < 200; ++trial) {
    const auto whole = sum_of(everyone);
    const auto rest = sum_of(the_rest);
    ASSERT_TRUE(whole && rest) << "trial " << trial << ": refused before the budget of 100 ended";
    if (!std::isnan(*whole) && !std::isnan(*rest)) errors.push_back(*whole - *rest - 9000);
  }
  ASSERT_GE(errors.size(), 150u);
  // The budget (100 a day, 0.25 a query) is spent by those 400 queries.
  auto spent = call(verb::post, agg, tax_system_, everyone);
  EXPECT_EQ(spent.status, 403);
  EXPECT_EQ(problem(spent)["code"], "budget_exhausted");
  const json used = ok(verb::get, "/api/v1/grants/" + grant_id, police_officer_)["privacy"];
  EXPECT_EQ(used["epsilon_spent_today"], 100.0) << "the provider sees the same budget";
  EXPECT_EQ(used["epsilon_remaining"], 0.0);
  EXPECT_EQ(used["queries_remaining_today"], 0);
  // Over n trials, the mean error is near 0 (its standard deviation is 2b/√n) and the mean
  // absolute error near 1.5 b (standard deviation about 1.32 b/√n): bounds of six standard
  // deviations, missed about once in 10⁸ runs. A release without noise, or with half or twice
  // the noise, falls outside them.
  const double n = static_cast<double>(errors.size());
  double mean = 0, mean_abs = 0;
  for (double e : errors) {
    mean += e / n;
    mean_abs += std::abs(e) / n;
  }
  EXPECT_LT(std::abs(mean), 6 * 2 * b / std::sqrt(n)) << "mean error " << mean << ", b " << b;
  EXPECT_GT(mean_abs, 1.5 * b - 6 * 1.32 * b / std::sqrt(n)) << "mean absolute error " << mean_abs;
  EXPECT_LT(mean_abs, 1.5 * b + 6 * 1.32 * b / std::sqrt(n)) << "mean absolute error " << mean_abs;
}

// The subject log (API.md Part 2): who received a person's record, found by the person's key;
// the hub keeps keyed hashes of the keys, and the leaf commits to them.
TEST_F(LeakTest, TheSubjectLogNamesWhoReceivedAPersonsRecord) {
  const std::string grant_id =
      grant(tax_officer_, {"name", "gender", "district"}, {"read", "query", "verify"});
  EXPECT_TRUE(ok(verb::get, "/api/v1/grants/" + grant_id, tax_officer_)["privacy"].is_null())
      << "no aggregate, no privacy budget";
  const std::string coordinator = person("", "coord", "coordinator");
  auto query = call(verb::get, records() + "?limit=10", tax_system_, json(nullptr),
                    with_request_id("subject-query"));
  ASSERT_EQ(query.status, 200) << query.body;
  ASSERT_EQ(json::parse(query.body)["items"].size(), 6u);
  ok(verb::get, records() + "/" + id_number(3), tax_system_);
  ok(verb::post, "/api/v1/resources/" + code_ + "/verify", tax_system_,
     {{"key", id_number(4)}, {"claims", {{"gender", "女"}}}});
  EXPECT_EQ(call(verb::get, records() + "/" + id_number(3), stats_system_).status, 403)
      << "refused: no grant, no record named";

  const std::string subject = "/api/v1/ledger/entries?subject=" + id_number(3);
  auto operations = [&](const std::string& token) {
    std::vector<std::string> out;
    const json page = ok(verb::get, subject, token);
    for (const auto& e : page["items"]) out.push_back(e["operation"]);
    return out;
  };
  const std::vector<std::string> both = {"query", "read"};
  EXPECT_EQ(operations(kAdmin), both);
  EXPECT_EQ(operations(coordinator), both);
  EXPECT_EQ(operations(police_officer_), both) << "the provider's data officer";
  EXPECT_EQ(operations(tax_system_), both) << "the consumer's own entries";
  EXPECT_TRUE(operations(police_system_).empty()) << "a provider's system is no data officer";
  EXPECT_TRUE(operations(stats_officer_).empty()) << "a third agency: an empty list";
  EXPECT_EQ(operations(kAdmin), both) << "asked again, the same";
  auto verified = ok(verb::get, "/api/v1/ledger/entries?subject=" + id_number(4), kAdmin)["items"];
  ASSERT_EQ(verified.size(), 2u);
  EXPECT_EQ(verified[1]["operation"], "verify");
  EXPECT_TRUE(
      ok(verb::get, "/api/v1/ledger/entries?subject=440106199001019999", kAdmin)["items"].empty());

  // The query's entry: six hashes, none of them a key, committed to by its leaf.
  auto entries = ok(verb::get, "/api/v1/ledger/entries?request_id=subject-query", kAdmin)["items"];
  ASSERT_EQ(entries.size(), 1u);
  json entry = entries[0];
  ASSERT_EQ(entry["subjects"].size(), 6u);
  EXPECT_EQ(entry["subjects_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(entry.dump().find(id_number(0).substr(0, 14)), std::string::npos)
      << "no key in the entry";
  std::string problem;
  EXPECT_TRUE(ledger::check_exported_entry(entry, entry["index"], problem)) << problem;
  // The lookups above found the entries before they were sealed (the unsealed tail); once a
  // checkpoint covers them, the sealer has indexed their subjects, and the lookups agree.
  for (int i = 0;; ++i) {
    const json sealed = ok(verb::get, "/api/v1/ledger/entries?request_id=subject-query", kAdmin);
    if (sealed["items"][0]["checkpoint"].is_object()) break;
    ASSERT_LT(i, 100) << "no checkpoint within 10 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(operations(kAdmin), both) << "from the index, once sealed";
  EXPECT_EQ(operations(tax_system_), both);
  EXPECT_TRUE(operations(stats_officer_).empty());
  // A subject removed from the stored entry is caught by the audit of an export.
  {
    auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
    pg::exec_blocking(su.get(),
                      "SET session_replication_role = replica; "
                      "UPDATE ledger_entries SET subjects = substring(subjects FROM 33) "
                      "WHERE request_id = 'subject-query'");
    EXPECT_EQ(pg::exec_blocking(su.get(),
                                "SELECT count(*) FROM ledger_subjects s JOIN ledger_entries e "
                                "ON e.idx = s.idx WHERE e.request_id = 'subject-query'",
                                pg::Params())
                  .get_int(0, 0),
              6)
        << "the lookup index has a row per subject";
  }
  entry = ok(verb::get, "/api/v1/ledger/entries?request_id=subject-query", kAdmin)["items"][0];
  EXPECT_EQ(entry["subjects"].size(), 5u);
  EXPECT_FALSE(ledger::check_exported_entry(entry, entry["index"], problem));
  EXPECT_NE(problem.find("subjects"), std::string::npos) << problem;

  // hubctl ledger subject KEY: the history as a table.
  auto [rc, out, err] = hubctl({"ledger", "subject", id_number(3)});
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(out.find("\tquery\t" + std::string(kTax) + "\t" + kPolice), std::string::npos) << out;
  EXPECT_NE(out.find("\tread\t"), std::string::npos) << out;
  EXPECT_NE(err.find("2 entries"), std::string::npos) << err;
  // The citizen's report: the same two entries in a workbook, each with its checkpoint once the
  // sealer has signed one (the table's last column).
  const auto book =
      std::filesystem::temp_directory_path() / ("subject-" + std::to_string(::getpid()) + ".xlsx");
  auto [rc2, out2, err2] =
      hubctl({"ledger", "subject", id_number(3), "--format", "xlsx", "-o", book.string()});
  EXPECT_EQ(rc2, 0) << err2;
  EXPECT_NE(out2.find("2 entries written to"), std::string::npos) << out2;
  std::ifstream xlsx(book, std::ios::binary);
  std::string magic(2, '\0');
  xlsx.read(magic.data(), 2);
  EXPECT_EQ(magic, "PK");
  std::filesystem::remove(book);
  auto [rc3, none, err3] = hubctl({"ledger", "subject", id_number(3), "--format", "xlsx"});
  EXPECT_NE(rc3, 0);
  EXPECT_NE(err3.find("-o FILE"), std::string::npos) << err3;
  // Checkpoints: each entry names the first signed tree that holds it.
  for (int i = 0; i < 100; ++i) {
    const json page = ok(verb::get, "/api/v1/ledger/entries?subject=" + id_number(3), kAdmin);
    if (page["items"][1]["checkpoint"].is_object()) {
      for (const auto& e : page["items"]) {
        EXPECT_GT(e["checkpoint"]["tree_size"].get<std::int64_t>(), e["index"].get<std::int64_t>());
        EXPECT_EQ(e["checkpoint"]["root_hash"].get<std::string>().size(), 64u);
      }
      break;
    }
    ASSERT_LT(i, 99) << "no checkpoint covered the entries within 10 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TEST_F(LeakTest, PurposeCodesBindAGrantAndPurposesMustSaySomething) {
  const std::string grant_id = grant(tax_officer_, {"gender", "district"}, {"query"}, json::array(),
                                     {"11440100MB2C92175P4442011017000", "scenario.tax-check"});
  auto g = ok(verb::get, "/api/v1/grants/" + grant_id, tax_officer_);
  EXPECT_EQ(g["purpose_codes"].size(), 2u);
  auto with = [&](std::vector<std::pair<std::string, std::string>> headers,
                  const std::string& request_id = "") {
    if (!request_id.empty()) headers.emplace_back("X-Request-Id", request_id);
    return call(verb::get, records() + "?limit=1", tax_system_, nullptr, headers);
  };
  auto missing = with({{"X-Purpose", kPurpose}});
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(problem(missing)["code"], "purpose_mismatch");
  auto other = with({{"X-Purpose", kPurpose}, {"X-Purpose-Code", "another.purpose"}});
  EXPECT_EQ(problem(other)["code"], "purpose_mismatch");
  auto right =
      with({{"X-Purpose", kPurpose}, {"X-Purpose-Code", "scenario.tax-check"}}, "purpose-code-1");
  EXPECT_EQ(right.status, 200) << right.body;
  auto bad_code = with({{"X-Purpose", kPurpose}, {"X-Purpose-Code", "两个 字"}});
  EXPECT_EQ(bad_code.status, 400);
  // The fifth finding: a space, one character or ideographic spaces are no purpose.
  for (const char* purpose : {"%20", "x", "%E3%80%80%E3%80%80", "%E3%80%80a"}) {
    auto r = with({{"X-Purpose", purpose}, {"X-Purpose-Code", "scenario.tax-check"}});
    EXPECT_EQ(r.status, 400) << purpose;
    EXPECT_EQ(problem(r)["code"], "validation_failed") << purpose;
  }
  EXPECT_EQ(
      with({{"X-Purpose", "%E6%A0%B8%E9%AA%8C"}, {"X-Purpose-Code", "scenario.tax-check"}}).status,
      200)
      << "核验: two characters say enough";
  // The ledger records the code, or null when none was sent.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  json entries;
  do {
    entries = ok(verb::get, "/api/v1/ledger/entries?request_id=purpose-code-1", kAdmin)["items"];
  } while (entries.empty() && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["purpose_code"], "scenario.tax-check");
  auto refusal = ok(verb::get, "/api/v1/ledger/entries?agency=" + std::string(kTax), kAdmin);
  bool refused_without_code = false;
  for (const auto& e : refusal["items"]) {
    if (e["status"] == 403 && e["purpose_code"].is_null()) refused_without_code = true;
  }
  EXPECT_TRUE(refused_without_code);
  // The report counts requests per consumer and purpose code, once the sealer has rolled the
  // entries up: the two answered with the code, the refusal that named none.
  json by_code, without_code;
  for (int i = 0; i < 100 && (by_code.is_null() || without_code.is_null()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const json report = ok(verb::get, "/api/v1/reports/sharing-status", kAdmin);
    by_code = without_code = nullptr;
    for (const auto& p : report["purposes"]) {
      if (p["consumer_code"] != kTax) continue;
      if (p["purpose_code"] == "scenario.tax-check") by_code = p;
      if (p["purpose_code"].is_null()) without_code = p;
    }
  }
  ASSERT_FALSE(by_code.is_null()) << "no purpose rollup within 10 s";
  EXPECT_EQ(by_code["requests"], 2);
  EXPECT_EQ(by_code["refused"], 0);
  ASSERT_FALSE(without_code.is_null());
  EXPECT_GE(without_code["refused"].get<int>(), 1);
  // Purpose codes are [A-Za-z0-9._-]{1,64}.
  auto bad = call(verb::post, "/api/v1/applications", tax_officer_,
                  {{"resource_code", code_},
                   {"items", {"gender"}},
                   {"operations", {"query"}},
                   {"purpose", "核验"},
                   {"purpose_codes", {"有 空格"}},
                   {"valid_until", city_date(365)}});
  EXPECT_EQ(bad.status, 422);
}

TEST_F(LeakTest, RetiringAResourceEndsItsGrants) {
  const std::string grant_id = grant(tax_officer_, {"id_number", "name"}, {"read", "query"});
  EXPECT_EQ(call(verb::get, records() + "?limit=1", tax_system_).status, 200);
  ok(verb::post, "/api/v1/resources/" + code_ + "/retire", police_officer_);
  auto g = ok(verb::get, "/api/v1/grants/" + grant_id, tax_officer_);
  EXPECT_EQ(g["status"], "ended");
  EXPECT_FALSE(g["ended_at"].is_null());
  auto read = call(verb::get, records() + "?limit=1", tax_system_);
  EXPECT_EQ(read.status, 403);
  EXPECT_EQ(problem(read)["code"], "no_grant");
  auto push = call(verb::put, records() + "/" + id_number(9), police_system_, {{"name", "王五"}});
  EXPECT_EQ(push.status, 409);
  auto import = client_->request(verb::post, "/api/v1/resources/" + code_ + "/imports",
                                 "{\"id_number\":\"" + id_number(9) + "\"}\n",
                                 {{"Authorization", std::string("Bearer ") + police_system_},
                                  {"Content-Type", "application/x-ndjson"}});
  EXPECT_EQ(import.status, 409);
  auto objection = call(verb::post, records() + "/" + id_number(1) + "/objections", tax_system_,
                        {{"items", {"name"}}, {"description", "姓名有误"}});
  EXPECT_EQ(objection.status, 403);
  // Revoking an ended grant changes nothing.
  EXPECT_EQ(call(verb::delete_, "/api/v1/grants/" + grant_id, police_officer_).status, 204);
  EXPECT_EQ(ok(verb::get, "/api/v1/grants/" + grant_id, tax_officer_)["status"], "ended");
}

TEST_F(LeakTest, ObjectionsNeedARecordSeenAndNameItByKeyOrRef) {
  // A verify-only grant has seen no record: refused whether the key exists or not, so an
  // objection is no way to probe which keys exist.
  grant(stats_officer_, {"id_number", "name"}, {"verify"});
  for (const auto& key : {id_number(1), id_number(77)}) {
    auto r = call(verb::post, records() + "/" + key + "/objections", stats_system_,
                  {{"items", {"name"}}, {"description", "姓名有误"}});
    EXPECT_EQ(r.status, 403) << key;
    EXPECT_EQ(problem(r)["code"], "no_grant");
  }
  grant(tax_officer_, {"name", "gender"}, {"query"});
  EXPECT_EQ(call(verb::post, records() + "/" + id_number(77) + "/objections", tax_system_,
                 {{"items", {"name"}}, {"description", "姓名有误"}})
                .status,
            404)
      << "no such record";
  // The consumer sees no key, only refs: it objects by ref.
  auto first = ok(verb::get, records() + "?limit=1", tax_system_)["items"][0];
  const std::string by_ref = "/api/v1/resources/" + code_ + "/objections";
  auto opened = call(verb::post, by_ref, tax_system_,
                     {{"ref", first["ref"]}, {"items", {"name"}}, {"description", "姓名有误"}});
  ASSERT_EQ(opened.status, 201) << opened.body;
  auto objection = json::parse(opened.body);
  EXPECT_EQ(objection["ref"], first["ref"]);
  EXPECT_FALSE(objection.contains("key")) << "the consumer's grant shows no key";
  // The provider sees the key it must correct; the hub's staff only what the consumer sees.
  auto incoming =
      ok(verb::get, "/api/v1/objections/" + objection["id"].get<std::string>(), police_officer_);
  EXPECT_EQ(incoming["key"], id_number(3));
  EXPECT_FALSE(incoming.contains("ref"));
  auto staff = ok(verb::get, "/api/v1/objections/" + objection["id"].get<std::string>(), kAdmin);
  EXPECT_FALSE(staff.contains("key"));
  // A ref made for another agency, altered, or both key and ref: refused.
  auto foreign = call(verb::post, by_ref, stats_system_,
                      {{"ref", first["ref"]}, {"items", {"name"}}, {"description", "x"}});
  EXPECT_EQ(foreign.status, 403) << "stats holds no grant yet that has seen records";
  std::string altered = first["ref"];
  altered[0] = altered[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(call(verb::post, by_ref, tax_system_,
                 {{"ref", altered}, {"items", {"name"}}, {"description", "x"}})
                .status,
            404);
  EXPECT_EQ(
      call(
          verb::post, by_ref, tax_system_,
          {{"ref", first["ref"]}, {"key", id_number(3)}, {"items", {"name"}}, {"description", "x"}})
          .status,
      422);
}

}  // namespace
}  // namespace hub::test
