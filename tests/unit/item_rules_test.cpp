// Items' rules (API.md Part 2, docs/catalog.md "Item rules"): how the catalog checks them, how a
// record's values are held to them, what the record schema says, and the built-in code lists.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "hub/catalog/code_lists.hpp"
#include "hub/catalog/item_rules.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/core/json.hpp"
#include "hub/exchange/schema.hpp"

namespace {

using hub::FieldError;
using nlohmann::json;

json item(const std::string& name, const std::string& type, json rules = json::object()) {
  json i = {{"name", name},
            {"title", name},
            {"type", type},
            {"required", false},
            {"sensitivity", "public"}};
  i.update(rules);
  return i;
}

json resource(json items) {
  json key = {{"name", "id"},
              {"title", "编号"},
              {"type", "string"},
              {"required", true},
              {"sensitivity", "public"}};
  items.insert(items.begin(), key);
  return {{"name", "企业登记信息"},
          {"summary", "市场主体登记的基本信息"},
          {"provider_code", "114401009P0Y2GG12L"},
          {"category", "basic"},
          {"format", "数据库"},
          {"key", "id"},
          {"items", items},
          {"share_type", "unconditional"},
          {"share_methods", {"api"}},
          {"update_cycle", "daily"}};
}

// The errors of validating a resource with these items, as "field: message" lines.
std::vector<std::string> errors_of(json items) {
  std::vector<FieldError> errors;
  hub::catalog::validate_resource(resource(std::move(items)), errors);
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field + ": " + e.message);
  return out;
}

bool has_error(const std::vector<std::string>& errors, const std::string& prefix) {
  for (const auto& e : errors) {
    if (e.starts_with(prefix)) return true;
  }
  return false;
}

TEST(ItemRules, TheCatalogStoresTheRulesGivenAndOnlyThose) {
  std::vector<FieldError> errors;
  auto doc = hub::catalog::validate_resource(
      resource({item("uscc", "string", {{"check", "uscc"}, {"max_length", 18}}),
                item("district", "string", {{"code_list", "gb2260"}, {"pattern", "^\\d{6}$"}}),
                item("capital", "number", {{"min", 0}, {"max", 1e9}}),
                item("level", "integer", {{"enum", {1, 2, 3}}}), item("plain", "string")}),
      errors);
  ASSERT_TRUE(doc) << errors.front().field << ": " << errors.front().message;
  const json& items = (*doc)["items"];
  EXPECT_EQ(items[1]["check"], "uscc");
  EXPECT_EQ(items[1]["max_length"], 18);
  EXPECT_EQ(items[2]["code_list"], "gb2260");
  EXPECT_EQ(items[2]["pattern"], "^\\d{6}$");
  EXPECT_EQ(items[3]["min"], 0);
  EXPECT_EQ(items[4]["enum"], json({1, 2, 3}));
  for (const auto& rule : hub::catalog::item_rule_fields()) {
    EXPECT_FALSE(items[5].contains(rule)) << rule << " stored on an item without rules";
  }
}

TEST(ItemRules, AMalformedRuleIsAFieldErrorOfItsItem) {
  const auto errors = errors_of({
      item("a", "string", {{"pattern", "(a)\\1"}}),            // a backreference: not RE2
      item("b", "string", {{"pattern", "a{1000}{1000}"}}),     // a repetition over 1,000
      item("c", "integer", {{"pattern", "^1$"}}),              // pattern on a number
      item("d", "number", {{"min", 5}, {"max", 1}}),           // min above max
      item("e", "integer", {{"enum", {1, "2"}}}),              // a value not of the type
      item("f", "string", {{"enum", {"x", "x"}}}),             // a value twice
      item("g", "string", {{"code_list", "gb9999"}}),          // no such list
      item("h", "string", {{"check", "passport"}}),            // no such check
      item("i", "string", {{"max_length", 0}}),                // out of range
      item("j", "boolean", {{"enum", {true}}}),                // enum on a boolean
      item("k", "string", {{"min", 1}}),                       // min on a string
      item("l", "string", {{"unique", "yes"}}),                // a boolean
      item("m", "number", {{"enum", {1, 1.0}}}),               // one value twice
      item("n", "string", {{"pattern", "^[\\p{Han}]{70}$"}}),  // over 5,000 instructions
  });
  for (const char* expected :
       {"items[1].pattern: is not a regular expression", "items[2].pattern: is not a regular",
        "items[3].pattern: applies to string items only", "items[4].max: is less than min",
        "items[5].enum: must hold values of the item's type", "items[6].enum: holds \"x\" twice",
        "items[7].code_list: names no code list", "items[8].check: must be uscc or citizen_id",
        "items[9].max_length: must be an integer", "items[10].enum: applies to string, integer",
        "items[11].min: applies to integer and number items only",
        "items[12].unique: must be true or false", "items[13].enum: holds a number twice",
        "items[14].pattern: is not a regular expression the hub accepts (RE2 syntax): it compiles "
        "to"}) {
    EXPECT_TRUE(has_error(errors, expected)) << expected;
  }
}

hub::exchange::RecordSchema schema_of(json items) {
  std::vector<FieldError> errors;
  auto doc = hub::catalog::validate_resource(resource(std::move(items)), errors);
  EXPECT_TRUE(doc && errors.empty());
  json stored = *doc;
  stored["code"] = "114401009P0Y2GG12L-00001";
  return *hub::exchange::RecordSchema::from_resource(stored);
}

// The one error of validating {item: value}, as "field: message", or "" when it is valid.
std::string record_error(const hub::exchange::RecordSchema& s, const std::string& name,
                         json value) {
  json data = {{name, std::move(value)}};
  auto errors = s.validate(data, "K1");
  if (errors.empty()) return "";
  EXPECT_EQ(errors.size(), 1u);
  return errors.front().field + ": " + errors.front().message;
}

TEST(ItemRules, ARecordBreakingARuleIsRefusedNamingItemAndRule) {
  const auto s = schema_of({item("uscc", "string", {{"check", "uscc"}}),
                            item("citizen", "string", {{"check", "citizen_id"}}),
                            item("district", "string", {{"code_list", "gb2260"}}),
                            item("name", "string", {{"max_length", 4}}),
                            item("phone", "string", {{"pattern", "^1[3-9]\\d{9}$"}}),
                            item("person", "string", {{"pattern", "^[\\p{Han}·]{2,20}$"}}),
                            item("kind", "string", {{"enum", {"个体", "企业"}}}),
                            item("capital", "number", {{"min", 0}, {"max", 100}}),
                            item("level", "integer", {{"enum", {1, 2, 3}}}),
                            item("rate", "number", {{"enum", {1, 2.5}}})});
  // Kept.
  EXPECT_EQ(record_error(s, "uscc", "114401009P0Y2GG12L"), "");
  EXPECT_EQ(record_error(s, "citizen", "11010519491231002X"), "");
  EXPECT_EQ(record_error(s, "citizen", "440524188001010014"), "");
  EXPECT_EQ(record_error(s, "district", "440106"), "");
  EXPECT_EQ(record_error(s, "name", "欧阳娜娜"), "") << "4 characters, 12 bytes";
  EXPECT_EQ(record_error(s, "phone", "13800138000"), "");
  EXPECT_EQ(record_error(s, "person", "欧阳·娜娜"), "") << "a Chinese name's pattern fits";
  EXPECT_EQ(record_error(s, "kind", "企业"), "");
  EXPECT_EQ(record_error(s, "capital", 100), "");
  EXPECT_EQ(record_error(s, "capital", 0.5), "");
  EXPECT_EQ(record_error(s, "level", 2), "");
  EXPECT_EQ(record_error(s, "rate", 1.0), "") << "a number's enum compares values: 1.0 is 1";
  EXPECT_EQ(record_error(s, "rate", 2.5), "");
  EXPECT_EQ(record_error(s, "kind", nullptr), "") << "no value, no rule";
  // Broken.
  EXPECT_EQ(record_error(s, "uscc", "114401009P0Y2GG12M"),
            "uscc: rule check: is not a unified social credit code (GB 32100: 18 characters with "
            "a valid check character)");
  EXPECT_TRUE(record_error(s, "citizen", "110105194912310021").starts_with("citizen: rule check"))
      << "a wrong check character";
  EXPECT_TRUE(record_error(s, "citizen", "11010519491231002x").starts_with("citizen: rule check"))
      << "x in lower case";
  EXPECT_EQ(record_error(s, "district", "449999"),
            "district: rule code_list: is not a code of "
            "gb2260");
  EXPECT_EQ(record_error(s, "name", "欧阳娜娜娜"),
            "name: rule max_length: is longer than 4 "
            "characters");
  EXPECT_EQ(record_error(s, "phone", "12800138000"),
            "phone: rule pattern: does not match the pattern ^1[3-9]\\d{9}$");
  EXPECT_EQ(record_error(s, "kind", "机关"),
            "kind: rule enum: is not one of the values the item allows");
  EXPECT_EQ(record_error(s, "capital", -1), "capital: rule min: is less than 0");
  EXPECT_EQ(record_error(s, "capital", 100.5), "capital: rule max: is greater than 100");
  EXPECT_EQ(record_error(s, "level", 4),
            "level: rule enum: is not one of the values the item "
            "allows");
  // Numbers kept as their text (a double cannot hold them: core/json.hpp) are held to the rules
  // too: ranges at a double's precision, enums by exact value.
  hub::JsonError why;
  const auto huge = hub::parse_json("123456789012345678901234567890", why, {64, true});
  const auto tiny = hub::parse_json("-0.000000000000000000000000000001", why, {64, true});
  const auto near = hub::parse_json("2.50000000000000000000000001", why, {64, true});
  ASSERT_TRUE(huge && tiny && near);
  ASSERT_TRUE(hub::is_raw_number(*huge) && hub::is_raw_number(*tiny) && hub::is_raw_number(*near));
  EXPECT_EQ(record_error(s, "capital", *huge), "capital: rule max: is greater than 100");
  EXPECT_EQ(record_error(s, "capital", *tiny), "capital: rule min: is less than 0");
  EXPECT_EQ(record_error(s, "rate", *near),
            "rate: rule enum: is not one of the values the item "
            "allows");
  // A value of the wrong type is reported as such, not as a broken rule.
  EXPECT_EQ(record_error(s, "capital", "1"), "capital: must be a number");
}

// A push names its key in the path and may leave the key item out of the body: the key filled in
// is held to the key item's rules too.
TEST(ItemRules, TheKeyFromThePathIsHeldToTheKeyItemsRules) {
  json doc = resource(json::array());
  doc["items"][0]["check"] = "uscc";
  std::vector<FieldError> errors;
  auto checked = hub::catalog::validate_resource(doc, errors);
  ASSERT_TRUE(checked);
  (*checked)["code"] = "114401009P0Y2GG12L-00001";
  const auto s = hub::exchange::RecordSchema::from_resource(*checked);
  json data = json::object();
  auto found = s->validate(data, "114401009P0Y2GG12M");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].field, "id");
  EXPECT_TRUE(found[0].message.starts_with("rule check")) << found[0].message;
  data = json::object();
  EXPECT_TRUE(s->validate(data, "114401009P0Y2GG12L").empty());
  EXPECT_EQ(data["id"], "114401009P0Y2GG12L");
}

// An enum of 1,000 values is looked up, not scanned, both when it is registered and for each
// value pushed.
TEST(ItemRules, ALargeEnumHoldsItsValuesExactly) {
  json words = json::array(), numbers = json::array();
  for (int i = 0; i < 1000; ++i) {
    words.push_back("类别" + std::to_string(i));
    numbers.push_back(i + 0.5);
  }
  const auto s = schema_of(
      {item("kind", "string", {{"enum", words}}), item("score", "number", {{"enum", numbers}})});
  EXPECT_EQ(record_error(s, "kind", "类别999"), "");
  EXPECT_EQ(record_error(s, "kind", "类别1000"),
            "kind: rule enum: is not one of the values the item allows");
  EXPECT_EQ(record_error(s, "score", 999.5), "");
  EXPECT_EQ(record_error(s, "score", 0.5), "");
  EXPECT_EQ(record_error(s, "score", 1000.5),
            "score: rule enum: is not one of the values the item allows");
  EXPECT_EQ(record_error(s, "score", 3),
            "score: rule enum: is not one of the values the item allows");
}

// The birth date of a citizen ID is checked with its check character right: otherwise the test
// above would pass on the check character alone.
TEST(ItemRules, ACitizenIdOnAnImpossibleDateFailsOnTheDateAlone) {
  std::string id = "11010519490230001";  // born 1949-02-30
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[static_cast<std::size_t>(i)] - '0') * kWeights[i];
  id += "10X98765432"[sum % 11];
  EXPECT_FALSE(hub::catalog::valid_citizen_id(id)) << id;
  id.replace(10, 4, "0228");  // 1949-02-28: the same digits' sum changes, so recompute
  sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[static_cast<std::size_t>(i)] - '0') * kWeights[i];
  id[17] = "10X98765432"[sum % 11];
  EXPECT_TRUE(hub::catalog::valid_citizen_id(id)) << id;
}

TEST(ItemRules, APatternIsMatchedInLinearTimeWhateverItIs) {
  // (a|aa)*b against 65,536 a's: a backtracking engine takes exponential time (or overflows the
  // stack); RE2 answers at once. The test's own timeout is the bound.
  const auto s = schema_of({item("text", "string", {{"pattern", "^(a|aa)*b$"}})});
  EXPECT_TRUE(record_error(s, "text", std::string(65536, 'a')).starts_with("text: rule pattern"));
  EXPECT_EQ(record_error(s, "text", std::string(1000, 'a') + "b"), "");
}

TEST(ItemRules, TheRecordSchemaSaysTheRules) {
  std::vector<FieldError> errors;
  auto doc = hub::catalog::validate_resource(
      resource({item("uscc", "string", {{"check", "uscc"}, {"max_length", 18}}),
                item("district", "string", {{"code_list", "gb2260"}, {"pattern", "^\\d{6}$"}}),
                item("capital", "number", {{"min", 0}, {"max", 100}}),
                item("level", "integer", {{"enum", {1, 2}}})}),
      errors);
  ASSERT_TRUE(doc);
  const json schema = hub::catalog::record_schema(*doc);
  const json& p = schema["properties"];
  EXPECT_EQ(p["uscc"]["maxLength"], 18);
  EXPECT_EQ(p["uscc"]["x-check"], "uscc");
  EXPECT_EQ(p["district"]["x-code-list"], "gb2260");
  EXPECT_EQ(p["district"]["pattern"], "^\\d{6}$");
  EXPECT_EQ(p["capital"]["minimum"], 0);
  EXPECT_EQ(p["capital"]["maximum"], 100);
  EXPECT_EQ(p["level"]["enum"], json({1, 2}));
  EXPECT_EQ(p["id"]["maxLength"], 65535) << "an item without rules keeps the bound of its type";
}

TEST(CodeLists, Gb2260HoldsTheDivisionsByCode) {
  const auto* list = hub::catalog::find_code_list("gb2260");
  ASSERT_NE(list, nullptr);
  EXPECT_GT(list->codes.size(), 3000u);
  ASSERT_NE(list->name_of("440106"), nullptr);
  EXPECT_EQ(*list->name_of("440106"), "天河区");
  EXPECT_EQ(*list->name_of("440100"), "广州市");
  EXPECT_EQ(*list->name_of("440000"), "广东省");
  EXPECT_FALSE(list->contains("440199"));
  EXPECT_FALSE(list->contains(""));
  EXPECT_TRUE(std::is_sorted(list->codes.begin(), list->codes.end()));
  for (const auto& [code, name] : list->codes) {
    EXPECT_EQ(code.size(), 6u) << code;
    EXPECT_FALSE(name.empty()) << code;
  }
  EXPECT_EQ(hub::catalog::find_code_list("gb9999"), nullptr);
}

}  // namespace
