// Items' rules over HTTPS against a real PostgreSQL (docs/catalog.md "Item rules"): a resource
// registered with rules, pushes and imports held to them, and the code lists.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "support/catalog_samples.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

// 企业登记信息 with rules: the key a checked USCC, the district a GB/T 2260 code, the capital
// not negative, the legal person's name at most 20 characters.
json ruled_resource() {
  json doc = sample_resource(kMarket);
  doc["items"][0]["check"] = "uscc";
  doc["items"][1]["max_length"] = 20;
  doc["items"][2]["min"] = 0;
  doc["items"].push_back({{"name", "district"},
                          {"title", "所在区"},
                          {"type", "string"},
                          {"required", false},
                          {"sensitivity", "public"},
                          {"code_list", "gb2260"},
                          {"pattern", "^4401"}});
  return doc;
}

class ItemRulesTest : public HubTest {
 protected:
  void SetUp() override {
    start();
    for (auto code : {kMarket, kTax}) agency(code);
    system_ = person(kMarket, "sc-system", "agency_system", "system");
    tax_officer_ = person(kTax, "sw-officer", "agency_data_officer");
  }
  std::string system_, tax_officer_;
};

TEST_F(ItemRulesTest, AResourceIsRegisteredWithRulesAndMalformedOnesAreNamed) {
  json bad = ruled_resource();
  bad["items"][3]["pattern"] = "(?<=44)01";  // a lookbehind: RE2 refuses it
  bad["items"][2]["max_length"] = 10;        // on a number
  auto r = call(verb::post, "/api/v1/resources", kAdmin, bad);
  ASSERT_EQ(r.status, 422) << r.body;
  std::set<std::string> fields;
  const json problem = json::parse(r.body);
  for (const auto& e : problem["errors"]) fields.insert(e["field"].get<std::string>());
  EXPECT_EQ(fields, (std::set<std::string>{"items[3].pattern", "items[2].max_length"}));

  const std::string code = resource(ruled_resource());
  auto doc = ok(verb::get, "/api/v1/resources/" + code, tax_officer_);
  EXPECT_EQ(doc["items"][0]["check"], "uscc");
  EXPECT_EQ(doc["items"][3]["code_list"], "gb2260");
  auto schema = ok(verb::get, "/api/v1/resources/" + code + "/schema", tax_officer_);
  EXPECT_EQ(schema["properties"]["district"]["pattern"], "^4401");
  EXPECT_EQ(schema["properties"]["reg_capital"]["minimum"], 0);
}

TEST_F(ItemRulesTest, APushOrAnImportLineBreakingARuleIsRefusedNamingItemAndRule) {
  const std::string code = resource(ruled_resource());
  const std::string records = "/api/v1/resources/" + code + "/records/";
  // 114401009P0Y2GG12L is a valid USCC (the market bureau's own); ...12M is not.
  auto good = call(verb::put, records + "114401009P0Y2GG12L", system_,
                   {{"legal_person", "张三"}, {"reg_capital", 10}, {"district", "440106"}});
  ASSERT_EQ(good.status, 201) << good.body;

  std::string long_name;  // 21 characters, 63 bytes
  for (int i = 0; i < 21; ++i) long_name += "张";
  struct Case {
    std::string key;
    json data;
    std::string field, rule;
  };
  const std::vector<Case> cases = {
      {"114401009P0Y2GG12M", {{"legal_person", "张三"}}, "uscc", "check"},
      {"114401009P0Y2GG12L",
       {{"legal_person", "张三"}, {"district", "449999"}},
       "district",
       "code_list"},
      {"114401009P0Y2GG12L",
       {{"legal_person", "张三"}, {"district", "110101"}},
       "district",
       "pattern"},
      {"114401009P0Y2GG12L", {{"legal_person", "张三"}, {"reg_capital", -5}}, "reg_capital", "min"},
      {"114401009P0Y2GG12L", {{"legal_person", long_name}}, "legal_person", "max_length"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.field + " " + c.rule);
    auto r = call(verb::put, records + c.key, system_, c.data);
    ASSERT_EQ(r.status, 422) << r.body;
    auto problem = json::parse(r.body);
    EXPECT_EQ(problem["code"], "validation_failed");
    ASSERT_EQ(problem["errors"].size(), 1u) << r.body;
    EXPECT_EQ(problem["errors"][0]["field"], c.field);
    EXPECT_TRUE(problem["errors"][0]["message"].get<std::string>().starts_with("rule " + c.rule))
        << r.body;
  }
  // A number kept as its text (a double cannot hold it) is held to the rules as well.
  auto raw = send(verb::put, records + "114401009P0Y2GG12L", system_,
                  R"({"legal_person":"张三","reg_capital":-0.000000000000000000000000000001})");
  ASSERT_EQ(raw.status, 422) << raw.body;
  EXPECT_EQ(json::parse(raw.body)["errors"][0]["field"], "reg_capital");
  // Nothing of those was stored: the good record is still at version 1.
  auto stored = ok(verb::get, "/api/v1/resources/" + code, kAdmin);
  EXPECT_EQ(stored["record_count"], 1);

  // An import: the line breaking a rule is rejected with item and rule; the others go in.
  const std::string body =
      json({{"uscc", "11440100XYDWCM5T1B"}, {"legal_person", "李四"}, {"district", "440103"}})
          .dump() +
      "\n" + json({{"uscc", "1144010024CNN5F90C"}, {"legal_person", "王五"}}).dump() + "\n";
  auto r = client_->request(
      verb::post, "/api/v1/resources/" + code + "/imports", body,
      {{"Authorization", "Bearer " + system_}, {"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto out = json::parse(r.body);
  EXPECT_EQ(out["accepted"], 1);
  EXPECT_EQ(out["rejected"], 1);
  ASSERT_EQ(out["errors"].size(), 1u);
  EXPECT_EQ(out["errors"][0]["line"], 2);
  EXPECT_TRUE(out["errors"][0]["message"].get<std::string>().starts_with("uscc rule check"))
      << out.dump();

  // CSV: a cell breaking a rule, and one that is not UTF-8 (stored, its bytes would become
  // U+FFFD: 20 stray bytes would pass max_length 20 and be stored as 20 characters of 3 bytes).
  const std::string csv =
      "uscc,legal_person,reg_capital\n"
      "11440100XYDWCM5T1B,赵六,-1\n"
      "11440100XYDWCM5T1B," +
      std::string(21, '\x80') + ",1\n";
  r = client_->request(verb::post, "/api/v1/resources/" + code + "/imports", csv,
                       {{"Authorization", "Bearer " + system_}, {"Content-Type", "text/csv"}});
  ASSERT_EQ(r.status, 200) << r.body;
  out = json::parse(r.body);
  EXPECT_EQ(out["rejected"], 2) << out.dump();
  ASSERT_EQ(out["errors"].size(), 2u);
  EXPECT_TRUE(out["errors"][0]["message"].get<std::string>().starts_with("reg_capital rule min"))
      << out.dump();
  EXPECT_NE(out["errors"][1]["message"].get<std::string>().find("is not UTF-8 text"),
            std::string::npos)
      << out.dump();
}

TEST_F(ItemRulesTest, CodeListsAreListedAndReadByAnyPrincipal) {
  auto lists = ok(verb::get, "/api/v1/code-lists", tax_officer_);
  ASSERT_EQ(lists["items"].size(), 1u);
  EXPECT_EQ(lists["items"][0]["name"], "gb2260");
  EXPECT_GT(lists["items"][0]["count"].get<int>(), 3000);
  EXPECT_FALSE(lists["items"][0].contains("codes"));

  auto guangzhou = ok(verb::get, "/api/v1/code-lists/gb2260?prefix=4401", system_);
  EXPECT_EQ(guangzhou["count"], guangzhou["codes"].size());
  EXPECT_EQ(guangzhou["codes"][0], json({{"code", "440100"}, {"name", "广州市"}}));
  bool tianhe = false;
  for (const auto& c : guangzhou["codes"]) {
    EXPECT_TRUE(c["code"].get<std::string>().starts_with("4401"));
    tianhe = tianhe || c == json({{"code", "440106"}, {"name", "天河区"}});
  }
  EXPECT_TRUE(tianhe);

  EXPECT_EQ(call(verb::get, "/api/v1/code-lists/gb9999", system_).status, 404);
  EXPECT_EQ(
      call(verb::get, "/api/v1/code-lists/gb2260?prefix=" + std::string(21, '4'), system_).status,
      400);
  EXPECT_EQ(call(verb::get, "/api/v1/code-lists", "").status, 401);
}

}  // namespace
}  // namespace hub::test
