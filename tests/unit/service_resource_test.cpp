// Interface services in the catalog (API.md Part 2): validation of kind "service" resources, their
// schema and breaking changes, and operations imported from an OpenAPI document.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "hub/catalog/openapi_import.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/gateway/upstream_policy.hpp"

namespace {

using hub::FieldError;
using hub::catalog::ServiceRules;
using nlohmann::json;

// A market-regulation enterprise lookup, as a provider would register it.
json service() {
  return {
      {"kind", "service"},
      {"name", "企业登记信息查询接口"},
      {"summary", "按统一社会信用代码查询市场主体登记信息"},
      {"provider_code", "114401009P0Y2GG12L"},
      {"category", "basic"},
      {"format", "接口"},
      {"share_type", "conditional"},
      {"legal_basis", "《市场主体登记管理条例》"},
      {"upstream", {{"base_url", "https://api.scj.gz.gov.cn/open/v1"}}},
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
           {{"name", "entName"},
            {"title", "企业名称"},
            {"type", "string"},
            {"sensitivity", "public"}},
           {{"name", "legal_person"},
            {"title", "法定代表人"},
            {"type", "string"},
            {"sensitivity", "sensitive"},
            {"mask", "name"}},
           {{"name", "phone"},
            {"title", "联系电话"},
            {"type", "string"},
            {"sensitivity", "sensitive"}},
           {{"name", "reg_capital"},
            {"title", "注册资本"},
            {"type", "number"},
            {"sensitivity", "internal"}}}},
         {"subject_param", "uscc"}},
        {{"id", "search_enterprises"},
         {"title", "按名称检索企业"},
         {"method", "POST"},
         {"path", "/enterprises/search"},
         {"params",
          {{{"name", "name"}, {"in", "body"}, {"type", "string"}, {"required", true}},
           {{"name", "page"}, {"in", "query"}, {"type", "integer"}}}},
         {"response_items",
          {{{"name", "uscc"},
            {"title", "统一社会信用代码"},
            {"type", "string"},
            {"sensitivity", "public"}},
           {{"name", "established"},
            {"title", "成立日期"},
            {"type", "date"},
            {"sensitivity", "public"}}}}}}},
  };
}

std::vector<std::string> fields_of(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

bool has(const std::vector<FieldError>& errors, const std::string& field) {
  auto f = fields_of(errors);
  return std::find(f.begin(), f.end(), field) != f.end();
}

std::string first(const std::vector<FieldError>& errors) {
  return errors.empty() ? "" : errors[0].field + ": " + errors[0].message;
}

class ServiceResource : public ::testing::Test {
 protected:
  hub::gateway::UpstreamPolicy policy_{{"*.gz.gov.cn", "lab.example:8080"}, {}};
  ServiceRules rules_{&policy_, false, true};
};

TEST_F(ServiceResource, AValidServiceIsNormalised) {
  std::vector<FieldError> errors;
  auto doc = hub::catalog::validate_resource(service(), errors, rules_);
  ASSERT_TRUE(doc) << first(errors);
  const json& d = *doc;
  EXPECT_EQ(d["kind"], "service");
  EXPECT_FALSE(d.contains("items"));
  EXPECT_FALSE(d.contains("key"));
  EXPECT_EQ(d["upstream"], json({{"base_url", "https://api.scj.gz.gov.cn/open/v1"},
                                 {"timeout_ms", 5000},
                                 {"ca_pem", nullptr}}));
  const json& op = d["operations"][0];
  EXPECT_EQ(op["params"][0],
            json({{"name", "uscc"}, {"in", "path"}, {"type", "string"}, {"required", true}}));
  EXPECT_EQ(op["subject_param"], "uscc");
  EXPECT_EQ(op["response_items"][2]["mask"], "name");
  EXPECT_EQ(op["response_items"][3]["mask"], "full");  // a sensitive string without a rule
  EXPECT_TRUE(op["response_items"][4]["mask"].is_null());
  EXPECT_TRUE(d["operations"][1]["subject_param"].is_null());
  EXPECT_EQ(d["operations"][1]["params"][1]["required"], false);
  // Normalised documents validate to themselves.
  auto twice = hub::catalog::validate_resource(d, errors, rules_);
  ASSERT_TRUE(twice) << first(errors);
  EXPECT_EQ(*twice, d);
  // The union of response items, each once.
  auto items = hub::catalog::service_response_items(d);
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[5]["name"], "established");
}

TEST_F(ServiceResource, DatasetsGainTheirKindAndOldDocumentsAreDatasets) {
  EXPECT_EQ(hub::catalog::kind_of(json{{"name", "x"}, {"items", json::array()}}), "dataset");
  EXPECT_EQ(hub::catalog::kind_of(json{{"kind", "service"}}), "service");
  EXPECT_EQ(hub::catalog::kind_of(json("not an object")), "dataset");
}

TEST_F(ServiceResource, TheUpstreamMustBeAnAllowedHttpsHost) {
  auto with_url = [&](const std::string& url, const ServiceRules& rules) {
    json s = service();
    s["upstream"]["base_url"] = url;
    std::vector<FieldError> errors;
    hub::catalog::validate_resource(s, errors, rules);
    return errors;
  };
  EXPECT_TRUE(with_url("https://api.scj.gz.gov.cn", rules_).empty());
  auto elsewhere = with_url("https://evil.example.com/api", rules_);
  ASSERT_EQ(fields_of(elsewhere), std::vector<std::string>{"upstream.base_url"});
  EXPECT_NE(elsewhere[0].message.find("services.allowed_hosts"), std::string::npos);
  // The wildcard never matches the domain itself; a port must be the one allowed.
  EXPECT_FALSE(with_url("https://gz.gov.cn", rules_).empty());
  EXPECT_TRUE(with_url("https://lab.example:8080", rules_).empty());
  EXPECT_FALSE(with_url("https://lab.example:8081", rules_).empty());
  // http only with services.allow_http.
  auto plain = with_url("http://api.scj.gz.gov.cn", rules_);
  ASSERT_EQ(fields_of(plain), std::vector<std::string>{"upstream.base_url"});
  EXPECT_NE(plain[0].message.find("https"), std::string::npos);
  EXPECT_TRUE(with_url("http://api.scj.gz.gov.cn", {&policy_, true, true}).empty());
  EXPECT_FALSE(with_url("ftp://api.scj.gz.gov.cn", rules_).empty());
  EXPECT_FALSE(with_url("https://user@api.scj.gz.gov.cn", rules_).empty());
  EXPECT_FALSE(with_url("https://api.scj.gz.gov.cn/?q=1", rules_).empty());
  // The default rules allow no host at all; hubctl's offline rules leave the host to the hub.
  EXPECT_EQ(fields_of(with_url("https://api.scj.gz.gov.cn", {})),
            std::vector<std::string>{"upstream.base_url"});
  EXPECT_TRUE(with_url("http://anything.example", ServiceRules::offline()).empty());
}

TEST_F(ServiceResource, TimeoutAndCertificates) {
  json s = service();
  s["upstream"]["timeout_ms"] = 60001;
  std::vector<FieldError> errors;
  EXPECT_FALSE(hub::catalog::validate_resource(s, errors, rules_));
  EXPECT_EQ(fields_of(errors), std::vector<std::string>{"upstream.timeout_ms"});
  for (const json& bad : {json("not a pem"), json(42),
                          json("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
                          json("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
                          json(std::string(70 * 1024, 'A'))}) {
    s = service();
    s["upstream"]["ca_pem"] = bad;
    errors.clear();
    EXPECT_FALSE(hub::catalog::validate_resource(s, errors, rules_)) << bad.dump().substr(0, 60);
    EXPECT_EQ(fields_of(errors), std::vector<std::string>{"upstream.ca_pem"});
  }
  std::string why;
  EXPECT_FALSE(hub::catalog::valid_certificates_pem("", why));
}

TEST_F(ServiceResource, OperationsAreCheckedFieldByField) {
  json s = service();
  json& ops = s["operations"];
  ops[0]["path"] = "/enterprises/{uscc}/{other}";  // an undeclared placeholder
  ops[1]["id"] = "Search";                         // not [a-z][a-z0-9_]*
  ops[1]["params"][0]["in"] = "body";
  ops[1]["method"] = "GET";                       // GET with a body param
  ops[1]["response_items"][1]["mask"] = "phone";  // not sensitive, not a string
  ops[1]["subject_param"] = "nobody";
  ops.push_back(ops[0]);
  ops[2]["id"] = "read";  // a dataset operation's name
  ops[2]["path"] = "/a/../b";
  ops[2]["response_items"][3]["sensitivity"] = "public";  // phone means one thing everywhere
  ops[2]["response_items"][3].erase("mask");
  ops.push_back(ops[0]);                    // a duplicate id
  ops[3]["params"][0]["required"] = false;  // a path param is required
  ops[3]["method"] = "PUT";
  ops.push_back(ops[0]);
  ops[4]["id"] = "unused";
  ops[4]["path"] = "/enterprises";  // the path param is not used
  ops[4]["response_items"] = json::array();
  ops.push_back(
      {{"id", "q"},
       {"title", "t"},
       {"method", "GET"},
       {"path", "search?x=1"},
       {"response_items",
        {{{"name", "a"}, {"title", "a"}, {"type", "integer"}, {"sensitivity", "public"}}}},
       {"extra", 1}});
  std::vector<FieldError> errors;
  EXPECT_FALSE(hub::catalog::validate_resource(s, errors, rules_));
  for (const char* f :
       {"operations[0].path", "operations[1].id", "operations[1].params[0].in",
        "operations[1].response_items[1].mask", "operations[1].subject_param", "operations[2].id",
        "operations[2].path", "operations[2].response_items[3].sensitivity",
        "operations[2].response_items[3].mask", "operations[3].id",
        "operations[3].params[0].required", "operations[3].method", "operations[4].path",
        "operations[4].response_items", "operations[5].path", "operations[5].extra"}) {
    EXPECT_TRUE(has(errors, f)) << f;
  }
  for (const char* path : {"/a/./b", "/a//b", "/a/%2e%2e", "/a#x", "/a/{b", "/a/}b", "/a b",
                           "/a/{bad-name}", "/a/{x}/{x}", "relative"}) {
    std::vector<std::string> placeholders;
    EXPECT_NE(hub::catalog::service_path_problem(path, placeholders), "") << path;
  }
  std::vector<std::string> placeholders;
  EXPECT_EQ(hub::catalog::service_path_problem("/v1/ent/{uscc}/licences/{no}.json", placeholders),
            "");
  EXPECT_EQ(placeholders, (std::vector<std::string>{"uscc", "no"}));
}

TEST_F(ServiceResource, ServicesAndDatasetsKeepToTheirOwnFields) {
  json s = service();
  s["items"] = json::array();
  s["key"] = "uscc";
  s["update_cycle"] = "daily";
  std::vector<FieldError> errors;
  EXPECT_FALSE(hub::catalog::validate_resource(s, errors, rules_));
  EXPECT_TRUE(has(errors, "items") && has(errors, "key") && has(errors, "update_cycle"));
  json empty = service();
  empty["operations"] = json::array();
  empty.erase("upstream");
  errors.clear();
  EXPECT_FALSE(hub::catalog::validate_resource(empty, errors, rules_));
  EXPECT_TRUE(has(errors, "operations") && has(errors, "upstream"));
  json odd = service();
  odd["kind"] = "licence";  // only the licence route makes licences
  errors.clear();
  EXPECT_FALSE(hub::catalog::validate_resource(odd, errors, rules_));
  EXPECT_TRUE(has(errors, "kind"));
}

TEST_F(ServiceResource, SchemaDescribesEachOperationsAnswer) {
  std::vector<FieldError> errors;
  auto doc = *hub::catalog::validate_resource(service(), errors, rules_);
  auto schema = hub::catalog::record_schema(doc);
  EXPECT_EQ(schema["x-kind"], "service");
  const json& get = schema["definitions"]["get_enterprise"]["oneOf"][0];
  EXPECT_EQ(get["properties"]["legal_person"]["x-mask"], "name");
  EXPECT_EQ(get["properties"]["reg_capital"]["type"], "number");
  EXPECT_EQ(schema["definitions"]["search_enterprises"]["oneOf"][1]["items"]["properties"]
                  ["established"]["format"],
            "date");
}

TEST_F(ServiceResource, BreakingChangesAreRemovedOperationsAndResponseItems) {
  std::vector<FieldError> errors;
  auto before = *hub::catalog::validate_resource(service(), errors, rules_);
  json next = service();
  next["operations"].erase(1);                                     // search removed
  next["operations"][0]["response_items"].erase(4);                // reg_capital removed
  next["operations"][0]["response_items"][1]["type"] = "integer";  // entName retyped
  auto after = *hub::catalog::validate_resource(next, errors, rules_);
  auto changes = hub::catalog::breaking_changes(before, after);
  EXPECT_EQ(changes["removed_operations"], json({"search_enterprises"}));
  EXPECT_EQ(changes["removed"], json({"get_enterprise.reg_capital", "search_enterprises"}));
  EXPECT_EQ(changes["retyped"][0]["name"], "get_enterprise.entName");
  EXPECT_TRUE(hub::catalog::breaking_changes(before, before).is_null());
  // Adding an operation or a response item breaks nothing.
  json more = after;
  more["operations"].push_back(before["operations"][1]);
  more["operations"][0]["response_items"].push_back(before["operations"][0]["response_items"][4]);
  EXPECT_TRUE(hub::catalog::breaking_changes(after, more).is_null());
}

// --- OpenAPI import -----------------------------------------------------------------------------

json market_openapi() {
  return json::parse(R"({
  "openapi": "3.0.3",
  "info": {"title": "市场主体登记信息开放接口", "version": "1.2.0"},
  "paths": {
    "/enterprises/{uscc}": {
      "parameters": [{"$ref": "#/components/parameters/Uscc"}],
      "get": {
        "operationId": "getEnterpriseByUscc",
        "summary": "按统一社会信用代码查询企业登记信息",
        "parameters": [{"name": "fields", "in": "query", "schema": {"type": "string"}},
                       {"name": "X-Trace", "in": "header", "schema": {"type": "string"}}],
        "x-subject-param": "uscc",
        "responses": {
          "200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Enterprise"}}}},
          "404": {"description": "not found"}
        }
      },
      "delete": {"operationId": "deleteEnterprise", "responses": {"204": {"description": "x"}}}
    },
    "/enterprises/search": {
      "post": {
        "operationId": "searchEnterprises",
        "description": "按名称模糊检索\n返回分页结果",
        "requestBody": {"content": {"application/json": {"schema": {
          "type": "object", "required": ["name"],
          "properties": {"name": {"type": "string"}, "district": {"type": "string"},
                         "establishedAfter": {"type": "string", "format": "date"}}}}}},
        "responses": {"200": {"content": {"application/json": {"schema": {
          "type": "array", "items": {"$ref": "#/components/schemas/EnterpriseBrief"}}}}}}
      }
    },
    "/licences/query": {
      "get": {
        "operationId": "query",
        "parameters": [{"name": "holder", "in": "query", "required": true,
                        "schema": {"type": "string"}},
                       {"name": "issuedOn", "in": "query",
                        "schema": {"type": ["string", "null"], "format": "date-time"}}],
        "responses": {"200": {"content": {"application/json; charset=utf-8": {"schema": {
          "type": "object", "properties": {
            "licenceNo": {"type": "string"}, "valid": {"type": "boolean"},
            "items": {"type": "array", "items": {"type": "string"}}}}}}}}
      }
    },
    "/loop": {
      "get": {"operationId": "loop", "responses": {"200": {"content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/A"}}}}}}
    }
  },
  "components": {
    "parameters": {
      "Uscc": {"name": "uscc", "in": "path", "required": true,
               "schema": {"type": "string", "pattern": "^[0-9A-Z]{18}$"}}
    },
    "schemas": {
      "EnterpriseBrief": {"type": "object", "properties": {
        "uscc": {"type": "string", "description": "统一社会信用代码"},
        "entName": {"type": "string", "title": "企业名称"},
        "established": {"type": "string", "format": "date"}}},
      "Enterprise": {"allOf": [
        {"$ref": "#/components/schemas/EnterpriseBrief"},
        {"type": "object", "properties": {
          "legalPerson": {"type": "string", "title": "法定代表人", "x-sensitivity": "sensitive",
                          "x-mask": "name"},
          "phone": {"type": "string", "x-sensitivity": "sensitive"},
          "regCapital": {"type": "number", "x-sensitivity": "public"},
          "updatedAt": {"type": "string", "format": "date-time"},
          "shareholders": {"type": "array", "items": {"type": "object"}},
          "address": {"$ref": "#/components/schemas/Address"}}}]},
      "Address": {"type": "object", "properties": {"line": {"type": "string"}}},
      "A": {"$ref": "#/components/schemas/B"},
      "B": {"$ref": "#/components/schemas/A"}
    }
  }
})");
}

const json* op_of(const json& ops, const std::string& id) {
  for (const auto& op : ops) {
    if (op["id"] == id) return &op;
  }
  return nullptr;
}

TEST(OpenApiImport, AMarketRegulationApiBecomesOperations) {
  std::vector<FieldError> errors, notes;
  const json ops = hub::catalog::operations_from_openapi(market_openapi(), errors, {}, &notes);
  ASSERT_TRUE(errors.empty()) << first(errors);
  ASSERT_EQ(ops.size(), 3u) << ops.dump(2);  // delete and the $ref loop left out

  const json* get = op_of(ops, "get_enterprise_by_uscc");
  ASSERT_TRUE(get);
  EXPECT_EQ((*get)["method"], "GET");
  EXPECT_EQ((*get)["path"], "/enterprises/{uscc}");
  EXPECT_EQ((*get)["title"], "按统一社会信用代码查询企业登记信息");
  EXPECT_EQ((*get)["subject_param"], "uscc");
  EXPECT_EQ((*get)["params"],
            json::parse(R"([{"name":"uscc","in":"path","type":"string","required":true},
                            {"name":"fields","in":"query","type":"string","required":false}])"));
  // allOf members in order; within a schema, properties in name order (a JSON object's members
  // have no order the parser keeps).
  std::vector<std::string> names;
  for (const auto& i : (*get)["response_items"]) names.push_back(i["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"entName", "established", "uscc", "legalPerson",
                                             "phone", "regCapital", "updatedAt"}));
  const json& items = (*get)["response_items"];
  EXPECT_EQ(items[0]["title"], "企业名称");
  EXPECT_EQ(items[2]["title"], "统一社会信用代码");  // the description when there is no title
  EXPECT_EQ(items[0]["sensitivity"], "internal");    // the default
  EXPECT_EQ(items[1]["type"], "date");
  EXPECT_EQ(items[3]["mask"], "name");
  EXPECT_EQ(items[4]["mask"], "full");
  EXPECT_EQ(items[5]["sensitivity"], "public");
  EXPECT_EQ(items[6]["type"], "datetime");

  const json* search = op_of(ops, "search_enterprises");
  ASSERT_TRUE(search);
  EXPECT_EQ((*search)["method"], "POST");
  EXPECT_EQ((*search)["title"], "按名称模糊检索 返回分页结果");
  EXPECT_EQ((*search)["params"][2],
            json({{"name", "name"}, {"in", "body"}, {"type", "string"}, {"required", true}}));
  EXPECT_EQ((*search)["params"][0]["required"], false);
  EXPECT_EQ((*search)["params"][1]["type"], "date");
  EXPECT_EQ((*search)["response_items"].size(), 3u);  // an array's items

  const json* query = op_of(ops, "query_op");  // "query" is a dataset operation's name
  ASSERT_TRUE(query);
  EXPECT_EQ((*query)["params"][1]["type"], "datetime");
  EXPECT_EQ((*query)["response_items"].size(), 2u);

  // What was left out is said, by where it was.
  auto noted = [&](const std::string& where) {
    return std::any_of(notes.begin(), notes.end(),
                       [&](const FieldError& n) { return n.field.find(where) == 0; });
  };
  EXPECT_TRUE(noted("paths./enterprises/{uscc}.delete"));
  EXPECT_TRUE(noted("paths./loop.get"));
  EXPECT_TRUE(noted("paths./enterprises/{uscc}.get.parameters[1]"));  // the header param
  EXPECT_TRUE(noted("paths./enterprises/{uscc}.get.responses.properties.shareholders"));

  // What the import gives is what the catalog accepts.
  json doc = service();
  doc["operations"] = ops;
  hub::gateway::UpstreamPolicy policy({"*.gz.gov.cn"}, {});
  errors.clear();
  auto valid = hub::catalog::validate_resource(doc, errors, {&policy, false, true});
  ASSERT_TRUE(valid) << first(errors);
  EXPECT_EQ((*valid)["operations"], ops);
}

TEST(OpenApiImport, WhatIsNotOpenApi3IsAnError) {
  for (const json& bad :
       {json::array(), json({{"swagger", "2.0"}, {"paths", json::object()}}),
        json({{"openapi", "3.0.0"}}), json({{"openapi", "3.1.0"}, {"paths", json::object()}}),
        json({{"openapi", "3.1.0"},
              {"paths", {{"/x", {{"put", {{"responses", json::object()}}}}}}}})}) {
    std::vector<FieldError> errors;
    auto ops = hub::catalog::operations_from_openapi(bad, errors);
    EXPECT_FALSE(errors.empty()) << bad.dump();
    EXPECT_TRUE(ops.empty());
  }
}

TEST(OpenApiImport, IdsAreUniqueAndWorkIsBounded) {
  json doc = {{"openapi", "3.1.0"}, {"paths", json::object()}};
  const json answer = {
      {"200",
       {{"content",
         {{"application/json",
           {{"schema", {{"type", "object"}, {"properties", {{"a", {{"type", "string"}}}}}}}}}}}}}};
  for (int i = 0; i < 150; ++i) {
    doc["paths"]["/p" + std::to_string(i)] = {
        {"get", {{"operationId", "Same Name!"}, {"responses", answer}}}};
  }
  std::vector<FieldError> errors, notes;
  auto ops = hub::catalog::operations_from_openapi(doc, errors, {}, &notes);
  ASSERT_TRUE(errors.empty()) << first(errors);
  ASSERT_EQ(ops.size(), 100u);
  std::set<std::string> ids;
  for (const auto& op : ops) {
    EXPECT_TRUE(hub::catalog::valid_operation_id(op["id"].get<std::string>())) << op["id"];
    ids.insert(op["id"]);
  }
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_TRUE(ids.contains("same_name") && ids.contains("same_name_2"));

  // A schema that fans out (every level naming the next ten times) stops at the step budget.
  json wide = {{"openapi", "3.0.0"}, {"paths", json::object()}, {"components", {{"schemas", {}}}}};
  for (int level = 0; level < 16; ++level) {
    json all = json::array();
    for (int k = 0; k < 10; ++k) {
      all.push_back({{"$ref", "#/components/schemas/L" + std::to_string(level + 1)}});
    }
    wide["components"]["schemas"]["L" + std::to_string(level)] = {{"allOf", all}};
  }
  wide["components"]["schemas"]["L16"] = {{"type", "object"},
                                          {"properties", {{"x", {{"type", "string"}}}}}};
  wide["paths"]["/w"] = {
      {"get",
       {{"responses",
         {{"200",
           {{"content",
             {{"application/json", {{"schema", {{"$ref", "#/components/schemas/L0"}}}}}}}}}}}}}};
  errors.clear();
  ops = hub::catalog::operations_from_openapi(wide, errors);
  EXPECT_FALSE(errors.empty());
}

}  // namespace
