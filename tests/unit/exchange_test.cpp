// Masking (DESIGN.md's rules, in code points) and record validation.
#include <gtest/gtest.h>

#include "hub/exchange/filter.hpp"
#include "hub/exchange/schema.hpp"

#include <sstream>

namespace hub::exchange {
namespace {

using json = nlohmann::json;

TEST(Mask, FollowsTheRulesInCodePoints) {
  EXPECT_EQ(mask_value("张三丰", Mask::name), "张**");
  EXPECT_EQ(mask_value("李四", Mask::name), "李*");
  EXPECT_EQ(mask_value("440106199001011234", Mask::id_number), "4***************34");
  EXPECT_EQ(mask_value("13812345678", Mask::phone), "138****5678");
  EXPECT_EQ(mask_value("广州市天河区天河路385号太古汇一座", Mask::address),
            "广州市天河区天河路3********");
  EXPECT_EQ(mask_value("天河路1号", Mask::address), "*****");
  EXPECT_EQ(mask_value("6222021234567890123", Mask::bank_card), "6222***********0123");
  EXPECT_EQ(mask_value("任何内容", Mask::full), "******");
  // Too short to keep both ends: only the first character stays.
  EXPECT_EQ(mask_value("123", Mask::phone), "1**");
  EXPECT_EQ(mask_value("", Mask::name), "");
}

TEST(Mask, ShownValueKeepsClearAndPublicItemsAndWithholdsNonText) {
  Item name{"legal_person", ItemType::string, true, true, Mask::name, nullptr};
  Item capital{"reg_capital", ItemType::number, false, false, Mask::none, nullptr};
  Item secret_number{"salary", ItemType::number, false, true, Mask::full, nullptr};
  EXPECT_EQ(*shown_value(name, "王小明", false), "王**");
  EXPECT_EQ(*shown_value(name, "王小明", true), "王小明");
  EXPECT_EQ(*shown_value(capital, 12.5, false), 12.5);
  EXPECT_FALSE(shown_value(secret_number, 9000, false));
  EXPECT_EQ(*shown_value(secret_number, 9000, true), 9000);
}

json resource() {
  return {
      {"code", "R1"},
      {"provider_code", "P"},
      {"status", "published"},
      {"version", 2},
      {"key", "uscc"},
      {"min_group_size", 7},
      {"items",
       {{{"name", "uscc"}, {"type", "string"}, {"required", true}, {"sensitivity", "public"}},
        {{"name", "founded"}, {"type", "date"}, {"required", false}, {"sensitivity", "public"}},
        {{"name", "staff"}, {"type", "integer"}, {"required", false}, {"sensitivity", "internal"}},
        {{"name", "phone"},
         {"type", "string"},
         {"required", false},
         {"sensitivity", "sensitive"},
         {"mask", "phone"}}}}};
}

TEST(RecordSchema, ValidatesTypesRequiredUnknownAndTheKey) {
  auto s = RecordSchema::from_resource(resource());
  EXPECT_EQ(s->min_group_size, 7);
  EXPECT_EQ(s->item("phone")->mask, Mask::phone);
  json good = {{"founded", "2020-02-29"}, {"staff", 12}, {"phone", "13800000000"}};
  EXPECT_TRUE(s->validate(good, "K1").empty());
  EXPECT_EQ(good["uscc"], "K1") << "the key item comes from the path";

  json bad = {{"uscc", "K2"}, {"founded", "2021-02-29"}, {"staff", 1.5}, {"color", "red"}};
  auto errors = s->validate(bad, "K1");
  std::set<std::string> fields;
  for (const auto& e : errors) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"uscc", "founded", "staff", "color"}));
  json not_object = json::array();
  EXPECT_FALSE(s->validate(not_object, "K").empty());
}

// Equality on the key item is also a primary-key condition (the planner finds the one record
// instead of scanning the resource); other items and operators are not.
TEST(Filter, EqualityOnTheKeyItemUsesTheRecordKey) {
  auto s = RecordSchema::from_resource(resource());
  std::string sql;
  pg::Params params;
  append_conditions(sql, params, parse_filter(R"(uscc eq "91440101MA5C" and staff ge 3)", *s), *s);
  EXPECT_NE(sql.find(" AND key = $1"), std::string::npos) << sql;
  ASSERT_GE(params.size(), 1u);
  EXPECT_EQ(*params.values()[0], "91440101MA5C");
  EXPECT_NE(sql.find("data->>$2"), std::string::npos) << "the item's own condition stays: " << sql;

  for (const char* other :
       {R"(uscc prefix "9144")", R"(uscc ne "X")", "uscc eq null", R"(founded eq "2020-02-29")"}) {
    std::string sql2;
    pg::Params params2;
    append_conditions(sql2, params2, parse_filter(other, *s), *s);
    EXPECT_EQ(sql2.find("key ="), std::string::npos) << other << ": " << sql2;
  }
}

}  // namespace
}  // namespace hub::exchange

#include "hub/catalog/item_rules.hpp"
#include "hub/cli/demo_data.hpp"
#include "hub/members/credentials.hpp"

namespace hub::cli {
namespace {

TEST(DemoData, CodesAreValidAndTheDataIsTheSameEveryRun) {
  EXPECT_TRUE(catalog::valid_citizen_id("11010519491231002X"));  // GB 11643's own example
  EXPECT_FALSE(catalog::valid_citizen_id("110105194912310021"));
  const std::string a = demo_enterprises_ndjson(200), b = demo_enterprises_ndjson(200);
  EXPECT_EQ(a, b);
  std::istringstream lines(a);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto r = nlohmann::json::parse(line);
    EXPECT_TRUE(members::valid_uscc(r["uscc"].get<std::string>())) << r["uscc"];
    EXPECT_TRUE(catalog::valid_citizen_id(r["legal_person_id"].get<std::string>()))
        << r["legal_person_id"];
    ++n;
  }
  EXPECT_EQ(n, 200);
  auto resident = nlohmann::json::parse(demo_residents_ndjson(1));
  EXPECT_TRUE(catalog::valid_citizen_id(resident["id_number"].get<std::string>()));
  EXPECT_EQ(resident["phone"].get<std::string>().size(), 11u);
}

}  // namespace
}  // namespace hub::cli
