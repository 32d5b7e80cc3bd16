#include <gtest/gtest.h>

#include "hub/catalog/resource.hpp"

namespace {

using nlohmann::json;

json sample() {
  return {
      {"name", "企业登记信息"},
      {"summary", "市场主体登记的基本信息"},
      {"provider_code", "114401009P0Y2GG12L"},
      {"category", "basic"},
      {"format", "数据库"},
      {"key", "uscc"},
      {"items",
       {{{"name", "uscc"},
         {"title", "统一社会信用代码"},
         {"type", "string"},
         {"required", true},
         {"sensitivity", "public"}},
        {{"name", "legal_person"},
         {"title", "法定代表人"},
         {"type", "string"},
         {"required", true},
         {"sensitivity", "sensitive"},
         {"mask", "name"}},
        {{"name", "reg_capital"},
         {"title", "注册资本（万元）"},
         {"type", "number"},
         {"required", false},
         {"sensitivity", "public"}},
        {{"name", "established"},
         {"title", "成立日期"},
         {"type", "date"},
         {"required", false},
         {"sensitivity", "public"}}}},
      {"share_type", "conditional"},
      {"share_conditions", "用于市场监管和政务服务"},
      {"share_methods", {"api", "bulk"}},
      {"update_cycle", "daily"},
      {"legal_basis", "《市场主体登记管理条例》"},
  };
}

std::vector<std::string> fields_of(const std::vector<hub::FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

TEST(Catalog, AValidResourceIsNormalised) {
  std::vector<hub::FieldError> errors;
  auto doc = hub::catalog::validate_resource(sample(), errors);
  ASSERT_TRUE(doc) << (errors.empty() ? "" : errors[0].field + ": " + errors[0].message);
  EXPECT_TRUE((*doc)["related_codes"].is_array());
  EXPECT_TRUE((*doc)["class_code"].is_null());
  EXPECT_EQ((*doc)["items"][1]["mask"], "name");
  EXPECT_TRUE((*doc)["items"][0]["mask"].is_null());
}

TEST(Catalog, ANormalisedDocumentValidatesToItself) {
  json doc = sample();
  doc["items"].push_back({{"name", "monthly_base"},
                          {"title", "缴费基数"},
                          {"type", "number"},
                          {"required", false},
                          {"sensitivity", "sensitive"}});
  doc["items"].push_back({{"name", "phone"},
                          {"title", "电话"},
                          {"type", "string"},
                          {"required", false},
                          {"sensitivity", "sensitive"}});
  std::vector<hub::FieldError> errors;
  auto once = hub::catalog::validate_resource(doc, errors);
  ASSERT_TRUE(once);
  EXPECT_TRUE((*once)["items"][4]["mask"].is_null()) << "a number has no partial mask";
  EXPECT_EQ((*once)["items"][5]["mask"], "full");
  auto twice = hub::catalog::validate_resource(*once, errors);
  ASSERT_TRUE(twice) << (errors.empty() ? "" : errors[0].field + ": " + errors[0].message);
  EXPECT_EQ(*once, *twice);
}

TEST(Catalog, EveryProblemIsReportedByField) {
  json bad = sample();
  bad["items"][1]["name"] = "Legal Person";
  bad["items"][2]["mask"] = "phone";  // not a string item, not sensitive
  bad["items"][3]["name"] = "uscc";   // duplicate
  bad["items"][0]["type"] = "text";   // unknown type
  bad["share_type"] = "none";
  bad.erase("legal_basis");
  bad["key"] = "missing";
  bad["surprise"] = 1;
  bad["class_code"] = "一.二";
  bad["release_date"] = "2026-02-30";
  std::vector<hub::FieldError> errors;
  EXPECT_FALSE(hub::catalog::validate_resource(bad, errors));
  auto fields = fields_of(errors);
  for (const char* f : {"items[1].name", "items[2].mask", "items[3].name", "items[0].type",
                        "legal_basis", "key", "surprise", "class_code", "release_date"}) {
    EXPECT_NE(std::find(fields.begin(), fields.end(), f), fields.end()) << f;
  }
}

TEST(Catalog, KeyMustBeARequiredItem) {
  json bad = sample();
  bad["key"] = "reg_capital";
  std::vector<hub::FieldError> errors;
  EXPECT_FALSE(hub::catalog::validate_resource(bad, errors));
  EXPECT_EQ(fields_of(errors), std::vector<std::string>{"key"});
}

TEST(Catalog, UnconditionalNeedsNoLegalBasisButConditionalDoes) {
  json open = sample();
  open["share_type"] = "unconditional";
  open.erase("legal_basis");
  std::vector<hub::FieldError> errors;
  EXPECT_TRUE(hub::catalog::validate_resource(open, errors));
  json conditional = sample();
  conditional["legal_basis"] = "";
  EXPECT_FALSE(hub::catalog::validate_resource(conditional, errors));
}

TEST(Catalog, SchemaFollowsTheItems) {
  std::vector<hub::FieldError> errors;
  auto doc = hub::catalog::validate_resource(sample(), errors);
  auto schema = hub::catalog::record_schema(*doc);
  EXPECT_EQ(schema["$schema"], "http://json-schema.org/draft-07/schema#");
  EXPECT_EQ(schema["additionalProperties"], false);
  EXPECT_EQ(schema["required"], json({"uscc", "legal_person"}));
  EXPECT_EQ(schema["properties"]["reg_capital"]["type"], "number");
  EXPECT_EQ(schema["properties"]["established"]["format"], "date");
  EXPECT_EQ(schema["properties"]["legal_person"]["x-mask"], "name");
}

TEST(Catalog, BreakingChangesAreRemovedOrRetypedItems) {
  std::vector<hub::FieldError> errors;
  auto before = *hub::catalog::validate_resource(sample(), errors);
  json next = sample();
  next["items"].erase(3);                // established removed
  next["items"][2]["type"] = "integer";  // reg_capital retyped
  next["items"].push_back({{"name", "address"},
                           {"title", "住所"},
                           {"type", "string"},
                           {"required", false},
                           {"sensitivity", "internal"}});
  auto after = *hub::catalog::validate_resource(next, errors);
  auto changes = hub::catalog::breaking_changes(before, after);
  EXPECT_EQ(changes["removed"], json({"established"}));
  EXPECT_EQ(changes["retyped"][0]["name"], "reg_capital");
  EXPECT_TRUE(hub::catalog::breaking_changes(before, before).is_null());
}

TEST(Catalog, LicenceTemplateIsValid) {
  json doc = sample();
  doc["items"] = hub::catalog::licence_items();
  doc["key"] = "licence_id";
  std::vector<hub::FieldError> errors;
  EXPECT_TRUE(hub::catalog::validate_resource(doc, errors))
      << (errors.empty() ? "" : errors[0].field + ": " + errors[0].message);
}

TEST(Catalog, ResourceCodes) {
  EXPECT_TRUE(hub::catalog::valid_resource_code("114401009P0Y2GG12L-00001"));
  EXPECT_FALSE(hub::catalog::valid_resource_code("114401009P0Y2GG12M-00001"));
  EXPECT_FALSE(hub::catalog::valid_resource_code("114401009P0Y2GG12L-0001"));
  EXPECT_FALSE(hub::catalog::valid_resource_code("114401009P0Y2GG12L_00001"));
}

}  // namespace
