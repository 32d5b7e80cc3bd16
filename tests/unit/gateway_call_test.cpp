// The gateway's pure steps: a call's params checked and placed in the upstream request, and the
// upstream's answer filtered and masked as the grant shows it (API.md Part 2).
#include <gtest/gtest.h>

#include "hub/gateway/call.hpp"

namespace hub::gateway {
namespace {

using json = nlohmann::json;

std::shared_ptr<const ServiceDefinition> enterprise_service() {
  const json doc = {
      {"code", "114401009P0Y2GG12L-00042"},
      {"kind", "service"},
      {"provider_code", "114401009P0Y2GG12L"},
      {"status", "published"},
      {"upstream", {{"base_url", "https://api.market.example:8443/v1/"}, {"timeout_ms", 3000}}},
      {"operations",
       {{{"id", "enterprise"},
         {"method", "GET"},
         {"path", "/enterprises/{uscc}"},
         {"params",
          {{{"name", "uscc"}, {"in", "path"}, {"type", "string"}, {"required", true}},
           {{"name", "as_of"}, {"in", "query"}, {"type", "date"}, {"required", false}},
           {{"name", "limit"}, {"in", "query"}, {"type", "integer"}, {"required", false}}}},
         {"subject_param", "uscc"},
         {"response_items",
          {{{"name", "uscc"}, {"type", "string"}, {"sensitivity", "public"}},
           {{"name", "name"}, {"type", "string"}, {"sensitivity", "public"}},
           {{"name", "legal_representative"},
            {"type", "string"},
            {"sensitivity", "sensitive"},
            {"mask", "name"}},
           {{"name", "legal_representative_id"},
            {"type", "string"},
            {"sensitivity", "sensitive"},
            {"mask", "id_number"}},
           {{"name", "registered_capital"}, {"type", "number"}, {"sensitivity", "sensitive"}}}}},
        {{"id", "search"},
         {"method", "POST"},
         {"path", "/enterprises/search"},
         {"params",
          {{{"name", "name"}, {"in", "body"}, {"type", "string"}, {"required", true}},
           {{"name", "active"}, {"in", "body"}, {"type", "boolean"}, {"required", false}}}},
         {"response_items",
          {{{"name", "uscc"}, {"type", "string"}, {"sensitivity", "public"}}}}}}}};
  auto s = ServiceDefinition::from_resource(doc);
  EXPECT_NE(s, nullptr);
  return s;
}

std::vector<FieldError> errors_of(const ServiceDefinition& s, const Operation& op,
                                  const CallRequest& r) {
  try {
    (void)upstream_request(s.upstream, op, r);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 422u);
    return e.errors();
  }
  return {};
}

TEST(GatewayCall, ParamsArePlacedAndEncoded) {
  auto s = enterprise_service();
  const Operation* op = s->operation("enterprise");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(s->upstream.base_path, "/v1");
  EXPECT_EQ(s->upstream.timeout.count(), 3000);
  CallRequest r{"c", "enterprise", {{"uscc", "91440101 x?y#"}, {"as_of", "2026-12-01"}}, {}};
  auto up = upstream_request(s->upstream, *op, r);
  EXPECT_EQ(up.target, "/v1/enterprises/91440101%20x%3Fy%23?as_of=2026-12-01");
  EXPECT_TRUE(up.body.empty());
  // Chinese text is percent-encoded as UTF-8.
  CallRequest zh{"c", "enterprise", {{"uscc", "广州"}}, {}};
  EXPECT_EQ(upstream_request(s->upstream, *op, zh).target, "/v1/enterprises/%E5%B9%BF%E5%B7%9E");
}

// The subject log's key of a call: the subject_param's value, from the path, query or body.
TEST(GatewayCall, TheSubjectIsTheSubjectParamsValue) {
  auto s = enterprise_service();
  const Operation& op = *s->operation("enterprise");
  ASSERT_EQ(op.subject_param, "uscc");
  CallRequest r{"c", "enterprise", {{"as_of", "2026-12-01"}, {"uscc", "91440101MA5CXXXX1X"}}, {}};
  EXPECT_EQ(subject_of(op, r), "91440101MA5CXXXX1X");
  CallRequest none{"c", "enterprise", {{"as_of", "2026-12-01"}}, {}};
  EXPECT_EQ(subject_of(op, none), std::nullopt);
  // An operation without subject_param names no subject, whatever its params.
  const Operation& search = *s->operation("search");
  EXPECT_EQ(search.subject_param, std::nullopt);
  CallRequest body{"c", "search", {}, json{{"name", "广州市示例科技有限公司"}}};
  EXPECT_EQ(subject_of(search, body), std::nullopt);
  // A body param: its text, a number as its JSON text.
  Operation by_body = search;
  by_body.subject_param = "name";
  EXPECT_EQ(subject_of(by_body, body), "广州市示例科技有限公司");
  by_body.subject_param = "active";
  EXPECT_EQ(subject_of(by_body, CallRequest{"c", "search", {}, json{{"active", true}}}), "true");
  EXPECT_EQ(subject_of(by_body, CallRequest{"c", "search", {}, json{{"active", nullptr}}}),
            std::nullopt);
}

TEST(GatewayCall, BadParamsAreRefusedBeforeTheUpstream) {
  auto s = enterprise_service();
  const Operation& op = *s->operation("enterprise");
  EXPECT_EQ(errors_of(*s, op, {"c", "enterprise", {}, {}}).at(0).field, "uscc");  // missing
  EXPECT_EQ(errors_of(*s, op, {"c", "enterprise", {{"uscc", "a"}, {"nope", "1"}}, {}}).at(0).field,
            "nope");  // unknown
  EXPECT_FALSE(errors_of(*s, op, {"c", "enterprise", {{"uscc", "a"}, {"uscc", "b"}}, {}}).empty());
  EXPECT_FALSE(
      errors_of(*s, op, {"c", "enterprise", {{"uscc", "a"}, {"as_of", "2026-13-01"}}, {}}).empty());
  EXPECT_FALSE(
      errors_of(*s, op, {"c", "enterprise", {{"uscc", "a"}, {"limit", "1.0"}}, {}}).empty());
  EXPECT_FALSE(
      errors_of(*s, op, {"c", "enterprise", {{"uscc", "a\nb"}}, {}}).empty());  // a control char
  EXPECT_FALSE(
      errors_of(*s, op, {"c", "enterprise", {{"uscc", std::string(4097, 'a')}}, {}}).empty());
  // A path param is one segment: no separator, no dot segment, not empty.
  for (const char* climb : {"../admin", "..", ".", "", "a\\b", "91440101/x"}) {
    EXPECT_FALSE(errors_of(*s, op, {"c", "enterprise", {{"uscc", climb}}, {}}).empty()) << climb;
  }
  // A GET takes no body params.
  EXPECT_FALSE(
      errors_of(*s, op, {"c", "enterprise", {{"uscc", "a"}}, json{{"uscc", "b"}}}).empty());
}

TEST(GatewayCall, BodyParamsAreTypedJson) {
  auto s = enterprise_service();
  const Operation& op = *s->operation("search");
  auto up = upstream_request(s->upstream, op,
                             {"c", "search", {}, json{{"name", "广州"}, {"active", true}}});
  EXPECT_EQ(up.method, boost::beast::http::verb::post);
  EXPECT_EQ(json::parse(up.body), (json{{"name", "广州"}, {"active", true}}));
  EXPECT_FALSE(errors_of(*s, op, {"c", "search", {}, json{{"name", 1}}}).empty());
  EXPECT_FALSE(errors_of(*s, op, {"c", "search", {}, json{{"active", true}}}).empty());
  EXPECT_FALSE(errors_of(*s, op, {"c", "search", {{"name", "x"}}, json::object()}).empty());
  EXPECT_FALSE(errors_of(*s, op, {"c", "search", {}, json::array()}).empty());
}

TEST(GatewayCall, AnswersShowOnlyWhatTheGrantCovers) {
  auto s = enterprise_service();
  const Operation& op = *s->operation("enterprise");
  sharing::Decision d;
  d.allowed = true;
  d.items = {"uscc", "name", "legal_representative", "legal_representative_id",
             "registered_capital"};
  d.clear_items = {"legal_representative_id"};
  const std::string upstream = R"({"uscc":"91440101MA5CXXXX1X","name":"广州某某科技有限公司",
    "legal_representative":"张三丰","legal_representative_id":"440106199001011234",
    "registered_capital":1000000.50,"secret_internal_note":"not declared"})";
  auto a = shown_answer(op, d, upstream);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->record_count, 1);
  EXPECT_EQ(a->body["legal_representative"], "张**");
  EXPECT_EQ(a->body["legal_representative_id"], "440106199001011234");  // clear
  EXPECT_FALSE(a->body.contains("registered_capital"));    // sensitive number, not clear: withheld
  EXPECT_FALSE(a->body.contains("secret_internal_note"));  // not a response item
  // Items outside the grant are absent whatever their value.
  d.items = {"uscc"};
  d.clear_items = {};
  a = shown_answer(op, d, upstream);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body, (json{{"uscc", "91440101MA5CXXXX1X"}}));
  // Arrays of objects stay arrays; anything else is not an answer.
  a = shown_answer(op, d, R"([{"uscc":"1","name":"a"},{"uscc":"2"}])");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->record_count, 2);
  EXPECT_EQ(a->body, json::parse(R"([{"uscc":"1"},{"uscc":"2"}])"));
  EXPECT_FALSE(shown_answer(op, d, "<html>oops</html>"));
  EXPECT_FALSE(shown_answer(op, d, "[1,2]"));
  EXPECT_FALSE(shown_answer(op, d, "\"text\""));
  EXPECT_FALSE(shown_answer(op, d, std::string(100, '[')));
}

// An upstream's answer is not validated against the declared types: a sensitive number sent as
// text was shown in clear (numbers have no mask). Found by fuzz_gateway_call; withheld by type.
TEST(GatewayCall, ASensitiveItemOfTheWrongTypeIsWithheldNotShownInClear) {
  auto s = enterprise_service();
  const Operation& op = *s->operation("enterprise");
  sharing::Decision d;
  d.allowed = true;
  d.items = {"uscc", "registered_capital"};
  auto a = shown_answer(op, d, R"({"uscc":"1","registered_capital":"1000000.50 万元"})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body, (json{{"uscc", "1"}}));
  d.clear_items = {"registered_capital"};  // in clear it is the provider's value, as sent
  a = shown_answer(op, d, R"({"uscc":"1","registered_capital":"1000000.50 万元"})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body["registered_capital"], "1000000.50 万元");
}

TEST(GatewayCall, ADatasetDocumentIsNoService) {
  EXPECT_EQ(ServiceDefinition::from_resource(json{{"kind", "dataset"}, {"items", json::array()}}),
            nullptr);
  EXPECT_EQ(ServiceDefinition::from_resource(json{{"items", json::array()}}), nullptr);
}

}  // namespace
}  // namespace hub::gateway
