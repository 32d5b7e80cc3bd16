// The data resource catalog: register, publish, version, retire, search in Chinese, field
// errors, and who may touch whose entries.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <thread>

#include "support/catalog_samples.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

class CatalogTest : public HubTest {
 protected:
  void SetUp() override {
    start();
    agency(kMarket, "广州市市场监督管理局");
    agency(kTax, "国家税务总局广州市税务局");
    market_officer_ = person(kMarket, "sc-officer", "agency_data_officer");
    tax_cdo_ = person(kTax, "sw-cdo", "agency_cdo");
    market_operator_ = person(kMarket, "sc-operator", "agency_operator");
  }

  std::string market_officer_, tax_cdo_, market_operator_;
};

TEST_F(CatalogTest, RegisterPublishVersionRetire) {
  auto created = ok(verb::post, "/api/v1/resources", market_officer_, sample_resource(kMarket));
  const std::string code = created["code"];
  EXPECT_EQ(code, std::string(kMarket) + "-00001");
  EXPECT_EQ(created["status"], "draft");
  EXPECT_EQ(created["version"], 1);
  EXPECT_EQ(created["item_count"], 3);
  EXPECT_EQ(created["record_count"], 0);
  EXPECT_TRUE(created["last_updated_at"].is_null());
  auto second = ok(verb::post, "/api/v1/resources", market_officer_,
                   sample_resource(kMarket, "企业年报信息"));
  EXPECT_EQ(second["code"], std::string(kMarket) + "-00002");

  auto published = ok(verb::post, "/api/v1/resources/" + code + "/publish", market_officer_);
  EXPECT_EQ(published["status"], "published");
  EXPECT_EQ(call(verb::post, "/api/v1/resources/" + code + "/publish", market_officer_).status,
            409);

  json v2 = sample_resource(kMarket);
  v2["items"].erase(2);  // reg_capital removed: a breaking change on a published resource
  v2["items"][1]["type"] = "string";
  v2["items"].push_back({{"name", "address"},
                         {"title", "住所"},
                         {"type", "string"},
                         {"required", false},
                         {"sensitivity", "internal"}});
  auto updated = ok(verb::put, "/api/v1/resources/" + code, market_officer_, v2);
  EXPECT_EQ(updated["version"], 2);
  EXPECT_EQ(updated["status"], "published") << "the status stays as it was";
  EXPECT_EQ(updated["breaking_changes"]["removed"], json({"reg_capital"}));

  auto versions = ok(verb::get, "/api/v1/resources/" + code + "/versions", tax_cdo_);
  ASSERT_EQ(versions["items"].size(), 2u);
  EXPECT_EQ(versions["items"][0]["version"], 2);
  EXPECT_EQ(versions["items"][0]["breaking_changes"]["removed"], json({"reg_capital"}));
  EXPECT_TRUE(versions["items"][1]["breaking_changes"].is_null());
  auto v1 = ok(verb::get, "/api/v1/resources/" + code + "/versions/1", tax_cdo_);
  EXPECT_EQ(v1["items"].size(), 3u);
  EXPECT_EQ(call(verb::get, "/api/v1/resources/" + code + "/versions/9", tax_cdo_).status, 404);

  auto schema = call(verb::get, "/api/v1/resources/" + code + "/schema", tax_cdo_);
  ASSERT_EQ(schema.status, 200);
  EXPECT_EQ(schema.header("Content-Type"), "application/schema+json");
  auto s = json::parse(schema.body);
  EXPECT_TRUE(s["properties"].contains("address"));
  EXPECT_FALSE(s["properties"].contains("reg_capital"));
  auto s1 = ok(verb::get, "/api/v1/resources/" + code + "/schema?version=1", tax_cdo_);
  EXPECT_TRUE(s1["properties"].contains("reg_capital"));

  auto retired = ok(verb::post, "/api/v1/resources/" + code + "/retire", market_officer_);
  EXPECT_EQ(retired["status"], "retired");
  EXPECT_EQ(call(verb::put, "/api/v1/resources/" + code, market_officer_, v2).status, 409);
  EXPECT_EQ(call(verb::post, "/api/v1/resources/" + code + "/publish", market_officer_).status,
            409);
}

TEST_F(CatalogTest, BadMetadataIsAnsweredWithFieldErrors) {
  json bad = sample_resource(kMarket);
  bad["items"][0]["name"] = "USCC";
  bad["items"][2]["mask"] = "phone";
  bad["share_type"] = "none";
  bad.erase("legal_basis");
  bad["status"] = "published";  // not settable
  auto r = call(verb::post, "/api/v1/resources", market_officer_, bad);
  ASSERT_EQ(r.status, 422);
  auto body = json::parse(r.body);
  EXPECT_EQ(body["code"], "validation_failed");
  std::set<std::string> fields;
  for (const auto& e : body["errors"]) fields.insert(e["field"].get<std::string>());
  for (const char* f : {"items[0].name", "items[2].mask", "legal_basis", "status", "key"}) {
    EXPECT_TRUE(fields.contains(f)) << f << " in " << r.body;
  }
  auto unknown_provider = sample_resource("1144010024CNN5F90B");  // valid code, not a member
  EXPECT_EQ(call(verb::post, "/api/v1/resources", kAdmin, unknown_provider).status, 422);
  EXPECT_EQ(call(verb::post, "/api/v1/resources", market_officer_, "[1,2]").status, 422);
}

TEST_F(CatalogTest, AnotherAgencysOfficerIsRefusedAndDraftsStayPrivate) {
  auto created = ok(verb::post, "/api/v1/resources", market_officer_, sample_resource(kMarket));
  const std::string code = created["code"];
  // A draft is the provider's working copy: others do not see it.
  EXPECT_EQ(call(verb::get, "/api/v1/resources/" + code, tax_cdo_).status, 404);
  EXPECT_EQ(call(verb::post, "/api/v1/resources/" + code + "/publish", tax_cdo_).status, 404);
  auto listed = ok(verb::get, "/api/v1/resources", tax_cdo_);
  EXPECT_TRUE(listed["items"].empty());
  EXPECT_EQ(ok(verb::get, "/api/v1/resources", market_operator_)["items"].size(), 1u);

  ok(verb::post, "/api/v1/resources/" + code + "/publish", market_officer_);
  EXPECT_EQ(call(verb::get, "/api/v1/resources/" + code, tax_cdo_).status, 200);
  EXPECT_EQ(call(verb::put, "/api/v1/resources/" + code, tax_cdo_, sample_resource(kMarket)).status,
            403);
  EXPECT_EQ(call(verb::post, "/api/v1/resources/" + code + "/retire", tax_cdo_).status, 403);
  EXPECT_EQ(call(verb::post, "/api/v1/resources", tax_cdo_, sample_resource(kMarket)).status, 403);
  EXPECT_EQ(
      call(verb::post, "/api/v1/resources", market_operator_, sample_resource(kMarket)).status, 403)
      << "an operator does not register resources";
  json moved = sample_resource(kTax);
  EXPECT_EQ(call(verb::put, "/api/v1/resources/" + code, kAdmin, moved).status, 422)
      << "a resource cannot change its provider";
}

TEST_F(CatalogTest, SearchFindsChineseSubstringsAndFilters) {
  const std::vector<std::pair<std::string, std::string>> names = {
      {"营业执照信息", "basic"}, {"企业营业执照变更记录", "theme"}, {"纳税信用等级", "department"}};
  std::vector<std::string> codes;
  for (const auto& [name, category] : names) {
    auto doc = sample_resource(name.starts_with("纳税") ? kTax : kMarket, name);
    doc["category"] = category;
    codes.push_back(resource(doc));
  }
  auto search = [&](const std::string& query) {
    auto r = ok(verb::get, "/api/v1/resources?" + query, tax_cdo_);
    std::set<std::string> found;
    for (const auto& item : r["items"]) found.insert(item["name"].get<std::string>());
    return found;
  };
  // 营业执照 inside longer names; percent-encoded UTF-8 in the query string.
  EXPECT_EQ(search("q=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7"),
            (std::set<std::string>{"营业执照信息", "企业营业执照变更记录"}));
  EXPECT_EQ(search("q=%E7%BA%B3%E7%A8%8E"), (std::set<std::string>{"纳税信用等级"}));  // 纳税
  EXPECT_EQ(search("q=%E6%B3%95%E5%AE%9A%E4%BB%A3%E8%A1%A8%E4%BA%BA").size(), 3u)  // in summaries
      << "q matches summaries too";
  EXPECT_EQ(search(std::string("provider=") + kTax), (std::set<std::string>{"纳税信用等级"}));
  EXPECT_EQ(search("category=theme"), (std::set<std::string>{"企业营业执照变更记录"}));
  EXPECT_EQ(search("share_type=unconditional").size(), 0u);
  EXPECT_EQ(search("status=published").size(), 3u);
  // LIKE metacharacters are matched literally, not as wildcards.
  EXPECT_EQ(search("q=%25").size(), 0u);
  EXPECT_EQ(search("q=_").size(), 0u);
}

TEST_F(CatalogTest, SearchOnAnotherNodeFollowsWithinASecond) {
  TempDir other_dir;
  TestHub other(another_node(other_dir));
  client::HttpsClient other_client(other.client_options());
  auto found_there = [&](const std::string& query) {
    auto r = other_client.request(verb::get, "/api/v1/resources?" + query, {},
                                  {{"Authorization", std::string("Bearer ") + kAdmin}});
    return json::parse(r.body)["items"].size();
  };
  auto created = ok(verb::post, "/api/v1/resources", market_officer_,
                    sample_resource(kMarket, "食品经营许可证信息"));
  const auto at = std::chrono::steady_clock::now();
  while (found_there("q=%E9%A3%9F%E5%93%81") == 0 &&  // 食品
         std::chrono::steady_clock::now() - at < std::chrono::seconds(1)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(found_there("q=%E9%A3%9F%E5%93%81"), 1u);
  ok(verb::post, "/api/v1/resources/" + created["code"].get<std::string>() + "/publish",
     market_officer_);
  const auto at2 = std::chrono::steady_clock::now();
  while (found_there("status=published") == 0 &&
         std::chrono::steady_clock::now() - at2 < std::chrono::seconds(1)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(found_there("status=published"), 1u);
}

TEST_F(CatalogTest, LicenceResourceFromTheTemplateInOneCall) {
  auto r = call(verb::post, "/api/v1/licence-resources", market_officer_,
                {{"provider_code", kMarket},
                 {"type_name", "营业执照"},
                 {"type_code", "11100000000000127L001"},
                 {"legal_basis", "《电子证照 总体技术架构》GB/T 36901"}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto licence = json::parse(r.body);
  EXPECT_EQ(licence["kind"], "licence");
  EXPECT_EQ(licence["name"], "营业执照");
  EXPECT_EQ(licence["key"], "licence_id");
  EXPECT_EQ(licence["licence"]["type_code"], "11100000000000127L001");
  std::set<std::string> items;
  for (const auto& i : licence["items"]) items.insert(i["name"]);
  for (const char* f : {"licence_id", "licence_name", "licence_number", "type_name", "type_code",
                        "holder_name", "holder_code", "holder_code_type", "issuer", "issuer_code",
                        "issue_date", "valid_from", "valid_until", "status"}) {
    EXPECT_TRUE(items.contains(f)) << f;
  }
  auto missing = call(verb::post, "/api/v1/licence-resources", market_officer_,
                      {{"provider_code", kMarket}, {"type_code", "x"}});
  EXPECT_EQ(missing.status, 422);
}

// --- Interface services (API.md Part 2) ---------------------------------------------------------

// A market-regulation enterprise lookup as its provider registers it.
json service_resource(const std::string& provider, const std::string& base_url) {
  return {
      {"kind", "service"},
      {"name", "企业登记信息查询接口"},
      {"summary", "按统一社会信用代码实时查询市场主体登记信息"},
      {"provider_code", provider},
      {"category", "basic"},
      {"format", "接口"},
      {"share_type", "conditional"},
      {"legal_basis", "《市场主体登记管理条例》"},
      {"upstream", {{"base_url", base_url}, {"timeout_ms", 3000}}},
      {"operations",
       {{{"id", "get_enterprise"},
         {"title", "查询企业登记信息"},
         {"method", "GET"},
         {"path", "/enterprises/{uscc}"},
         {"params", {{{"name", "uscc"}, {"in", "path"}, {"type", "string"}}}},
         {"response_items",
          {{{"name", "uscc"},
            {"title", "统一社会信用代码"},
            {"type", "string"},
            {"sensitivity", "public"}},
           {{"name", "legal_person"},
            {"title", "法定代表人"},
            {"type", "string"},
            {"sensitivity", "sensitive"},
            {"mask", "name"}},
           {{"name", "reg_capital"},
            {"title", "注册资本"},
            {"type", "number"},
            {"sensitivity", "internal"}}}},
         {"subject_param", "uscc"}},
        {{"id", "search_enterprises"},
         {"title", "按名称检索企业"},
         {"method", "POST"},
         {"path", "/enterprises/search"},
         {"params", {{{"name", "name"}, {"in", "body"}, {"type", "string"}, {"required", true}}}},
         {"response_items",
          {{{"name", "uscc"},
            {"title", "统一社会信用代码"},
            {"type", "string"},
            {"sensitivity", "public"}}}}}}},
  };
}

class ServiceCatalogTest : public HubTest {
 protected:
  void SetUp() override {
    start([](Config& c) { c.services.allowed_hosts = {"*.gz.gov.cn"}; });
    agency(kMarket, "广州市市场监督管理局");
    agency(kTax, "国家税务总局广州市税务局");
    market_officer_ = person(kMarket, "sc-officer", "agency_data_officer");
    tax_cdo_ = person(kTax, "sw-cdo", "agency_cdo");
  }

  std::string market_officer_, tax_cdo_;
};

TEST_F(ServiceCatalogTest, AServiceIsRegisteredPublishedVersionedSearchedAndRetired) {
  auto created = ok(verb::post, "/api/v1/resources", market_officer_,
                    service_resource(kMarket, "https://api.scj.gz.gov.cn/open/v1"));
  const std::string code = created["code"];
  EXPECT_EQ(created["kind"], "service");
  EXPECT_EQ(created["status"], "draft");
  EXPECT_EQ(created["item_count"], 3);  // distinct response items
  EXPECT_FALSE(created.contains("items"));
  EXPECT_EQ(created["upstream"]["timeout_ms"], 3000);
  EXPECT_TRUE(created["upstream"]["ca_pem"].is_null());
  EXPECT_EQ(created["operations"][0]["params"][0]["required"], true);
  EXPECT_EQ(created["operations"][1]["subject_param"], nullptr);
  // A dataset registered beside it carries kind dataset in its document and its answer.
  auto dataset = ok(verb::post, "/api/v1/resources", market_officer_, sample_resource(kMarket));
  EXPECT_EQ(dataset["kind"], "dataset");
  auto dataset_v1 =
      ok(verb::get, "/api/v1/resources/" + dataset["code"].get<std::string>() + "/versions/1",
         market_officer_);
  EXPECT_EQ(dataset_v1["kind"], "dataset");

  // Its schema: what each operation answers.
  auto schema = call(verb::get, "/api/v1/resources/" + code + "/schema", market_officer_);
  ASSERT_EQ(schema.status, 200) << schema.body;
  auto s = json::parse(schema.body);
  EXPECT_EQ(s["x-kind"], "service");
  EXPECT_EQ(s["definitions"]["get_enterprise"]["oneOf"][0]["properties"]["legal_person"]["x-mask"],
            "name");

  ok(verb::post, "/api/v1/resources/" + code + "/publish", market_officer_);
  // Search by kind; drafts of another agency stay private as for datasets.
  auto services = ok(verb::get, "/api/v1/resources?kind=service", tax_cdo_);
  ASSERT_EQ(services["items"].size(), 1u);
  EXPECT_EQ(services["items"][0]["code"], code);
  auto datasets = ok(verb::get, "/api/v1/resources?kind=dataset", market_officer_);
  ASSERT_EQ(datasets["items"].size(), 1u);
  EXPECT_EQ(datasets["items"][0]["kind"], "dataset");
  EXPECT_EQ(call(verb::get, "/api/v1/resources?kind=robot", tax_cdo_).status, 400);

  // A new version without an operation, and with a response item retyped: breaking changes.
  json v2 = service_resource(kMarket, "https://api.scj.gz.gov.cn/open/v2");
  v2["operations"].erase(1);
  v2["operations"][0]["response_items"][2]["type"] = "string";
  auto updated = ok(verb::put, "/api/v1/resources/" + code, market_officer_, v2);
  EXPECT_EQ(updated["version"], 2);
  EXPECT_EQ(updated["status"], "published");
  EXPECT_EQ(updated["item_count"], 3);
  EXPECT_EQ(updated["breaking_changes"]["removed_operations"], json({"search_enterprises"}));
  EXPECT_EQ(updated["breaking_changes"]["retyped"][0]["name"], "get_enterprise.reg_capital");
  // A service stays a service, a dataset a dataset.
  auto as_dataset = sample_resource(kMarket, "企业登记信息查询接口");
  auto changed_kind = call(verb::put, "/api/v1/resources/" + code, market_officer_, as_dataset);
  EXPECT_EQ(changed_kind.status, 422);
  EXPECT_NE(changed_kind.body.find("\"kind\""), std::string::npos) << changed_kind.body;
  auto to_service = call(verb::put, "/api/v1/resources/" + dataset["code"].get<std::string>(),
                         market_officer_, v2);
  EXPECT_EQ(to_service.status, 422);

  auto retired = ok(verb::post, "/api/v1/resources/" + code + "/retire", market_officer_);
  EXPECT_EQ(retired["status"], "retired");
  EXPECT_EQ(retired["kind"], "service");
}

TEST_F(ServiceCatalogTest, TheUpstreamMustBeAnAllowedHttpsHost) {
  for (const char* url : {"https://evil.example.com", "http://api.scj.gz.gov.cn",
                          "https://gz.gov.cn", "https://127.0.0.1", "not a url"}) {
    auto r = call(verb::post, "/api/v1/resources", market_officer_, service_resource(kMarket, url));
    ASSERT_EQ(r.status, 422) << url;
    auto body = json::parse(r.body);
    ASSERT_EQ(body["errors"].size(), 1u) << r.body;
    EXPECT_EQ(body["errors"][0]["field"], "upstream.base_url") << url;
  }
  auto bad_op = service_resource(kMarket, "https://api.scj.gz.gov.cn");
  bad_op["operations"][0]["path"] = "/enterprises/../admin";
  auto r = call(verb::post, "/api/v1/resources", market_officer_, bad_op);
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("operations[0].path"), std::string::npos) << r.body;
}

TEST_F(ServiceCatalogTest, HubctlExportsAndImportsServices) {
  auto created = ok(verb::post, "/api/v1/resources", market_officer_,
                    service_resource(kMarket, "https://api.scj.gz.gov.cn/open/v1"));
  const std::string code = created["code"];
  ok(verb::post, "/api/v1/resources", market_officer_, sample_resource(kMarket));
  const std::string data = (dir_.path() / "data").string();

  auto [rc, csv, err] = hubctl({"--data-dir", data, "resources", "export", "--format", "csv"});
  ASSERT_EQ(rc, 0) << err;
  EXPECT_NE(csv.find(",kind,operations\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",service,get_enterprise;search_enterprises\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",dataset,\r\n"), std::string::npos) << csv;

  // The JSON export applies again with nothing to change.
  const auto file = dir_.path() / "catalog.json";
  auto [rc2, out2, err2] = hubctl({"--data-dir", data, "resources", "export", "-o", file.string()});
  ASSERT_EQ(rc2, 0) << err2;
  auto [rc3, out3, err3] = hubctl({"--data-dir", data, "resources", "apply", "-f", file.string()});
  EXPECT_EQ(rc3, 0) << err3;
  EXPECT_NE(out3.find("0 created, 0 updated, 2 unchanged"), std::string::npos) << out3;

  // Operations from the provider's OpenAPI document: printed, then a new version.
  const auto openapi = dir_.path() / "openapi.json";
  std::ofstream(openapi) << R"({"openapi": "3.0.3", "info": {"title": "x", "version": "1"},
    "paths": {"/v2/enterprises/{uscc}": {"get": {"operationId": "getEnterprise",
      "summary": "查询企业", "parameters": [{"name": "uscc", "in": "path", "required": true,
        "schema": {"type": "string"}}],
      "responses": {"200": {"content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Ent"}}}}}}}},
    "components": {"schemas": {"Ent": {"type": "object", "properties": {
      "uscc": {"type": "string"}, "entName": {"type": "string"}}}}}})";
  auto [rc4, ops, err4] =
      hubctl({"--data-dir", data, "services", "import-openapi", openapi.string()});
  ASSERT_EQ(rc4, 0) << err4;
  auto printed = json::parse(ops);
  ASSERT_EQ(printed.size(), 1u);
  EXPECT_EQ(printed[0]["id"], "get_enterprise");
  auto [rc5, out5, err5] = hubctl(
      {"--data-dir", data, "services", "import-openapi", openapi.string(), "--resource", code});
  ASSERT_EQ(rc5, 0) << err5;
  auto now = ok(verb::get, "/api/v1/resources/" + code, market_officer_);
  EXPECT_EQ(now["version"], 2);
  EXPECT_EQ(now["operations"], printed);
  EXPECT_EQ(now["upstream"]["base_url"], "https://api.scj.gz.gov.cn/open/v1");
  // Not a service: refused, nothing changed.
  auto [rc6, out6, err6] =
      hubctl({"--data-dir", data, "services", "import-openapi", openapi.string(), "--resource",
              std::string(kMarket) + "-00002"});
  EXPECT_NE(rc6, 0);
}

}  // namespace
}  // namespace hub::test
