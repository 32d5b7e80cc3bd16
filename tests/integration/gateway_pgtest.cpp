// Interface services against a real HTTPS upstream (the stub, on loopback) and a real PostgreSQL:
// a consumer's call under its grant, every status mapping of API.md Part 2, timeouts, the
// breaker, masking, the SSRF rules at connect time, revocation on the next call, and each call
// in the ledger with what the consumer received.
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

#include "hub/cli/stub_upstream.hpp"
#include "hub/core/text.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

const json kEnterprise = {
    {"uscc", "91440101MA5CXXXX1X"},          {"name", "广州市示例科技有限公司"},
    {"legal_representative", "张三丰"},      {"legal_representative_id", "440106199001011234"},
    {"registered_capital", 1000000.5},       {"status", "存续"},
    {"internal_note", "not a response item"}};

// kMarket provides the enterprise query service, kTax holds a grant on one operation, kStats
// holds none.
class GatewayTest : public HubTest {
 protected:
  void SetUp() override {
    stub_ = std::make_unique<cli::StubUpstream>();
    stub_->on("GET", "/market/v1/enterprises/*", [](const cli::StubRequest& r) {
      const std::string uscc = r.path.substr(r.path.rfind('/') + 1);
      if (uscc != "91440101MA5CXXXX1X") return cli::StubResponse::json(404, R"({"error":"none"})");
      return cli::StubResponse::json(200, kEnterprise.dump());
    });
    purpose_ = kTaxPurpose;
    start_hub();
    for (auto code : {kMarket, kTax, kStats}) agency(code);
    market_officer_ = person(kMarket, "sc-officer", "agency_data_officer");
    tax_officer_ = person(kTax, "sw-officer", "agency_data_officer");
    tax_system_ = person(kTax, "sw-system", "agency_system", "system");
    stats_system_ = person(kStats, "tj-system", "agency_system", "system");
    code_ = resource(service_doc(stub_->base_url() + "/market/v1"));
    grant_ = HubTest::grant(
        tax_officer_, market_officer_,
        {{"resource_code", code_},
         {"items", {"uscc", "name", "legal_representative", "legal_representative_id", "status"}},
         {"clear_items", {"legal_representative_id"}},
         {"operations", {"enterprise"}},
         {"purpose", "税收征管中核实纳税人登记信息"},
         {"valid_until", city_date(365)}});
  }

  void start_hub(const std::vector<std::string>& hosts = {}) {
    const auto port = stub_->port();
    start([port, hosts](Config& c) {
      c.ledger.seal_interval = std::chrono::milliseconds(50);
      c.monitor.interval = std::chrono::milliseconds(200);
      c.services.allowed_hosts =
          hosts.empty() ? std::vector<std::string>{"localhost:" + std::to_string(port)} : hosts;
      c.services.breaker_failures = 5;
      c.services.breaker_open = std::chrono::milliseconds(400);
      c.services.max_response_bytes = 64 * 1024;
      c.services.connections_per_upstream = 8;
    });
  }

  json service_doc(const std::string& base_url, int timeout_ms = 800) {
    return {{"kind", "service"},
            {"name", "企业基本信息查询"},
            {"summary", "按统一社会信用代码查询企业登记的基本信息（接口服务）"},
            {"provider_code", kMarket},
            {"category", "basic"},
            {"format", "JSON"},
            {"share_type", "conditional"},
            {"share_conditions", "用于法定职责范围内的核验"},
            {"legal_basis", "《企业信息公示暂行条例》"},
            {"upstream",
             {{"base_url", base_url}, {"timeout_ms", timeout_ms}, {"ca_pem", stub_->ca_pem()}}},
            {"operations",
             {{{"id", "enterprise"},
               {"title", "企业基本信息"},
               {"method", "GET"},
               {"path", "/enterprises/{uscc}"},
               {"params", {{{"name", "uscc"}, {"in", "path"}, {"type", "string"}}}},
               {"subject_param", "uscc"},
               {"response_items",
                {{{"name", "uscc"},
                  {"title", "统一社会信用代码"},
                  {"type", "string"},
                  {"sensitivity", "public"}},
                 {{"name", "name"},
                  {"title", "企业名称"},
                  {"type", "string"},
                  {"sensitivity", "public"}},
                 {{"name", "legal_representative"},
                  {"title", "法定代表人"},
                  {"type", "string"},
                  {"sensitivity", "sensitive"},
                  {"mask", "name"}},
                 {{"name", "legal_representative_id"},
                  {"title", "法定代表人身份证号"},
                  {"type", "string"},
                  {"sensitivity", "sensitive"},
                  {"mask", "id_number"}},
                 {{"name", "registered_capital"},
                  {"title", "注册资本"},
                  {"type", "number"},
                  {"sensitivity", "internal"}},
                 {{"name", "status"},
                  {"title", "登记状态"},
                  {"type", "string"},
                  {"sensitivity", "public"}}}}},
              {{"id", "history"},
               {"title", "变更记录"},
               {"method", "GET"},
               {"path", "/enterprises/{uscc}/history"},
               {"params", {{{"name", "uscc"}, {"in", "path"}, {"type", "string"}}}},
               {"response_items",
                {{{"name", "item"},
                  {"title", "变更事项"},
                  {"type", "string"},
                  {"sensitivity", "public"}}}}}}}};
  }

  std::string call_target(const std::string& uscc = "91440101MA5CXXXX1X",
                          const std::string& op = "enterprise") {
    return "/api/v1/services/" + code_ + "/call/" + op + "?uscc=" + uscc;
  }
  client::ClientResponse call_as(const std::string& token, const std::string& request_id,
                                 const std::string& target = "") {
    return send(verb::get, target.empty() ? call_target() : target, token, "",
                with_request_id(request_id));
  }
  json ledger_entry(const std::string& request_id) {
    for (int i = 0; i < 50; ++i) {
      auto items =
          ok(verb::get, "/api/v1/ledger/entries?request_id=" + request_id, kAdmin)["items"];
      if (!items.empty()) return items[0];
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "no entry for " << request_id;
    return json();
  }
  // The stub answers every enterprise lookup with `r`.
  void upstream_answers(cli::StubResponse r) {
    stub_->on("GET", "/market/v1/enterprises/*", [r](const cli::StubRequest&) { return r; });
  }
  std::string problem_code(const client::ClientResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("code", "") : "";
  }

  std::unique_ptr<cli::StubUpstream> stub_;
  std::string market_officer_, tax_officer_, tax_system_, stats_system_, code_, grant_;
};

TEST_F(GatewayTest, AGrantedCallIsFilteredMaskedAndInTheLedger) {
  auto r = call_as(tax_system_, "call-ok-1");
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = json::parse(r.body);
  EXPECT_EQ(body, (json{{"uscc", "91440101MA5CXXXX1X"},
                        {"name", "广州市示例科技有限公司"},
                        {"legal_representative", "张**"},
                        {"legal_representative_id", "440106199001011234"},
                        {"status", "存续"}}));
  // What the upstream heard: who, for what, never the consumer's token.
  auto seen = stub_->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/market/v1/enterprises/91440101MA5CXXXX1X");
  EXPECT_FALSE(seen[0].has_header("Authorization"));
  EXPECT_EQ(seen[0].header("X-Hub-Consumer"), kTax);
  EXPECT_EQ(seen[0].header("X-Hub-Request-Id"), "call-ok-1");
  EXPECT_EQ(seen[0].header("X-Hub-Purpose"), kTaxPurpose);
  for (const auto& [name, value] : seen[0].headers) {
    EXPECT_EQ(value.find(tax_system_), std::string::npos) << name;
  }
  // The entry: operation call, the operation, the upstream's status and time, what left.
  const json e = ledger_entry("call-ok-1");
  EXPECT_EQ(e["operation"], "call");
  EXPECT_EQ(e["service_operation"], "enterprise");
  EXPECT_EQ(e["upstream_status"], 200);
  EXPECT_TRUE(e["upstream_ms"].is_number_integer());
  EXPECT_EQ(e["status"], 200);
  EXPECT_EQ(e["grant_id"], grant_);
  EXPECT_EQ(e["consumer_code"], kTax);
  EXPECT_EQ(e["provider_code"], kMarket);
  EXPECT_EQ(e["record_count"], 1);
  EXPECT_EQ(e["items"],
            (json{"uscc", "name", "legal_representative", "legal_representative_id", "status"}));
  EXPECT_EQ(e["response_sha256"], sha256_hex(r.body));
  EXPECT_EQ(r.header("X-Ledger-Index"), std::to_string(e["index"].get<std::int64_t>()));
  // Keep-alive: a second call reuses the connection.
  ASSERT_EQ(call_as(tax_system_, "call-ok-2").status, 200);
  EXPECT_EQ(stub_->connections_accepted(), 1u);
  // The subject log: the operation's subject_param (uscc) names whom the call was about, by its
  // keyed hash; the market bureau's officer finds both calls by the credit code. A call refused
  // before it was sent (no grant for the operation) names no one.
  EXPECT_EQ(e["subjects"].size(), 1u);
  EXPECT_EQ(e["subjects_sha256"].get<std::string>().size(), 64u);
  ASSERT_EQ(
      call_as(tax_system_, "call-history", call_target("91440101MA5CXXXX1X", "history")).status,
      403);
  EXPECT_FALSE(ledger_entry("call-history").contains("subjects"));
  const json about =
      ok(verb::get, "/api/v1/ledger/entries?subject=91440101MA5CXXXX1X", market_officer_);
  std::vector<std::string> ids;
  for (const auto& entry : about["items"]) ids.push_back(entry["request_id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"call-ok-1", "call-ok-2"}));
}

TEST_F(GatewayTest, EveryUpstreamOutcomeMapsToItsStatus) {
  struct Case {
    const char* name;
    cli::StubResponse response;
    unsigned status;
    const char* code;
  };
  cli::StubResponse slow = cli::StubResponse::json(200, kEnterprise.dump());
  slow.delay = std::chrono::milliseconds(1500);
  cli::StubResponse redirect = cli::StubResponse::json(302, "");
  redirect.headers = {{"Location", stub_->base_url() + "/market/v1/enterprises/elsewhere"}};
  cli::StubResponse huge = cli::StubResponse::json(200, "");
  huge.huge_body = 1024 * 1024;
  cli::StubResponse html = cli::StubResponse::json(200, "<html>maintenance</html>");
  html.content_type = "text/html";
  cli::StubResponse broken = cli::StubResponse::json(200, kEnterprise.dump());
  broken.break_after = 10;
  cli::StubResponse silent;
  silent.close_without_answer = true;
  const std::vector<Case> cases = {
      {"404", cli::StubResponse::json(404, "{}"), 404, "not_found"},
      {"400", cli::StubResponse::json(400, R"({"error":"bad uscc"})"), 422, "upstream_rejected"},
      {"403", cli::StubResponse::json(403, "{}"), 422, "upstream_rejected"},
      {"500", cli::StubResponse::json(500, "{}"), 502, "bad_gateway"},
      {"503", cli::StubResponse::json(503, "{}"), 502, "bad_gateway"},
      {"redirect", redirect, 502, "bad_gateway"},
      {"not json", html, 502, "bad_gateway"},
      {"array of numbers", cli::StubResponse::json(200, "[1,2,3]"), 502, "bad_gateway"},
      {"huge", huge, 502, "bad_gateway"},
      {"broken", broken, 502, "bad_gateway"},
      {"closed", silent, 502, "bad_gateway"},
      {"slow", slow, 504, "gateway_timeout"},
  };
  int n = 0;
  for (const auto& c : cases) {
    upstream_answers(c.response);
    stub_->clear();
    const std::string id = "outcome-" + std::to_string(n++);
    auto r = call_as(tax_system_, id);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_EQ(problem_code(r), c.code) << c.name;
    // The upstream's words never reach the consumer.
    EXPECT_EQ(r.body.find("bad uscc"), std::string::npos) << c.name;
    EXPECT_EQ(r.body.find("maintenance"), std::string::npos) << c.name;
    const json e = ledger_entry(id);
    EXPECT_EQ(e["status"], c.status) << c.name;
    EXPECT_EQ(e["service_operation"], "enterprise") << c.name;
    EXPECT_EQ(e["response_sha256"], sha256_hex(r.body)) << c.name;
    // A redirect is never followed.
    if (std::string(c.name) == "redirect") {
      EXPECT_EQ(stub_->request_count(), 1u);
    }
    // Between failures, one success keeps the breaker closed.
    upstream_answers(cli::StubResponse::json(200, kEnterprise.dump()));
    ASSERT_EQ(call_as(tax_system_, id + "-ok").status, 200) << c.name;
  }
  // An array of objects is an array of filtered objects.
  upstream_answers(cli::StubResponse::json(200, json::array({kEnterprise, kEnterprise}).dump()));
  auto r = call_as(tax_system_, "array");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).size(), 2u);
  EXPECT_EQ(json::parse(r.body)[1]["legal_representative"], "张**");
  EXPECT_EQ(ledger_entry("array")["record_count"], 2);
}

TEST_F(GatewayTest, TheBreakerOpensAfterFiveFailuresAndLetsOneThroughLater) {
  upstream_answers(cli::StubResponse::json(500, "{}"));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call_as(tax_system_, "fail-" + std::to_string(i)).status, 502);
  }
  stub_->clear();
  auto open = call_as(tax_system_, "while-open");
  EXPECT_EQ(open.status, 503) << open.body;
  EXPECT_EQ(problem_code(open), "unavailable");
  EXPECT_EQ(stub_->request_count(), 0u);  // not called
  const json e = ledger_entry("while-open");
  EXPECT_EQ(e["upstream_status"], nullptr);
  EXPECT_EQ(e["upstream_ms"], 0);
  auto health = ok(verb::get, "/api/v1/services/" + code_ + "/health", market_officer_);
  EXPECT_EQ(health["state"], "open");
  // After the open period, one call goes through; its failure opens the breaker again.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(ok(verb::get, "/api/v1/services/" + code_ + "/health", market_officer_)["state"],
            "half_open");
  EXPECT_EQ(call_as(tax_system_, "trial-1").status, 502);
  EXPECT_EQ(stub_->request_count(), 1u);
  EXPECT_EQ(call_as(tax_system_, "reopened").status, 503);
  EXPECT_EQ(stub_->request_count(), 1u);
  // The next trial succeeds and closes it.
  upstream_answers(cli::StubResponse::json(200, kEnterprise.dump()));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(call_as(tax_system_, "trial-2").status, 200);
  EXPECT_EQ(call_as(tax_system_, "closed-again").status, 200);
  health = ok(verb::get, "/api/v1/services/" + code_ + "/health", market_officer_);
  EXPECT_EQ(health["state"], "closed");
  EXPECT_GE(health["calls_1h"].get<int>(), 8);
  EXPECT_GE(health["failures_1h"].get<int>(), 7);  // five 502, two 503 while open, one trial
  EXPECT_TRUE(health["p99_ms"].is_number());
  // The outage is an early-warning alert against the provider.
  bool alerted = false;
  for (int i = 0; i < 100 && !alerted; ++i) {
    auto alerts = ok(verb::get, "/api/v1/alerts?rule=service_unavailable", kAdmin)["items"];
    alerted = !alerts.empty() && alerts[0]["agency_code"] == kMarket &&
              alerts[0]["resource_code"] == code_;
    if (!alerted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(alerted);
}

TEST_F(GatewayTest, ParamsAreCheckedBeforeTheUpstreamHearsOfTheCall) {
  stub_->clear();
  auto unknown = call_as(tax_system_, "p1", call_target() + "&debug=1");
  EXPECT_EQ(unknown.status, 422) << unknown.body;
  auto missing = call_as(tax_system_, "p2", "/api/v1/services/" + code_ + "/call/enterprise");
  EXPECT_EQ(missing.status, 422) << missing.body;
  auto twice = call_as(tax_system_, "p3", call_target() + "&uscc=x");
  EXPECT_EQ(twice.status, 422) << twice.body;
  auto bad_escape = call_as(tax_system_, "p4", call_target() + "%zz");
  EXPECT_EQ(bad_escape.status, 422) << bad_escape.body;
  auto post_body = send(verb::post, call_target(), tax_system_, "{not json", with_request_id("p5"));
  EXPECT_EQ(post_body.status, 400) << post_body.body;
  EXPECT_EQ(ledger_entry("p5")["status"], 400);
  EXPECT_EQ(stub_->request_count(), 0u);
  // A path param cannot climb out of the operation's path, encoded or not.
  EXPECT_EQ(call_as(tax_system_, "p6", call_target("..%2F..%2Fadmin")).status, 422);
  EXPECT_EQ(call_as(tax_system_, "p7", call_target("..")).status, 422);
  EXPECT_EQ(stub_->request_count(), 0u);
  upstream_answers(cli::StubResponse::json(404, "{}"));
  EXPECT_EQ(call_as(tax_system_, "p8", call_target("%E5%B9%BF%20x")).status, 404);
  ASSERT_EQ(stub_->request_count(), 1u);
  EXPECT_EQ(stub_->requests()[0].target, "/market/v1/enterprises/%E5%B9%BF%20x");
}

TEST_F(GatewayTest, OnlyTheGrantedOperationAndConsumerCall) {
  stub_->clear();
  auto other_op = call_as(tax_system_, "g1", call_target("x", "history"));
  EXPECT_EQ(other_op.status, 403) << other_op.body;
  EXPECT_EQ(problem_code(other_op), "no_grant");
  auto stranger = call_as(stats_system_, "g2");
  EXPECT_EQ(stranger.status, 403) << stranger.body;
  EXPECT_EQ(ledger_entry("g2")["status"], 403);
  auto no_op = call_as(tax_system_, "g3", call_target("x", "nope"));
  EXPECT_EQ(no_op.status, 404) << no_op.body;
  auto no_service =
      call_as(tax_system_, "g4",
              "/api/v1/services/" + std::string(kMarket) + "-99999/call/enterprise?uscc=x");
  EXPECT_EQ(no_service.status, 404) << no_service.body;
  auto no_purpose = send(verb::get, call_target(), tax_system_, "", Headers{});
  EXPECT_EQ(no_purpose.status, 400) << no_purpose.body;
  EXPECT_EQ(stub_->request_count(), 0u);
  // The health page is the provider's (and the hub's), not the consumer's.
  EXPECT_EQ(call(verb::get, "/api/v1/services/" + code_ + "/health", tax_system_).status, 403);
  // Revoked: refused on the next call.
  ASSERT_EQ(call_as(tax_system_, "g5").status, 200);
  ok(verb::delete_, "/api/v1/grants/" + grant_, market_officer_);
  auto revoked = call_as(tax_system_, "g6");
  EXPECT_EQ(revoked.status, 403) << revoked.body;
  EXPECT_EQ(problem_code(revoked), "no_grant");
  // A service is no dataset: its records routes answer 404.
  EXPECT_EQ(call(verb::get, "/api/v1/resources/" + code_ + "/records/x", tax_system_).status, 404);
}

// The abuse case: a provider's API that answers slowly, called by forty consumers' requests at
// once. The node holds at most services.connections_per_upstream (8) connections to it, calls
// beyond wait for one, and nobody else's requests wait on any of it.
TEST_F(GatewayTest, ASlowUpstreamHoldsNoOneElseUp) {
  // The same upstream as a service whose calls may take 5 s: every call gets its turn.
  auto doc = service_doc(stub_->base_url() + "/market/v1", 5000);
  doc["name"] = "企业基本信息查询（批量核验）";
  const std::string patient = resource(doc);
  HubTest::grant(tax_officer_, market_officer_,
                 {{"resource_code", patient},
                  {"items", {"uscc", "name"}},
                  {"operations", {"enterprise"}},
                  {"purpose", "税收征管中核实纳税人登记信息"},
                  {"valid_until", city_date(365)}});
  cli::StubResponse slow = cli::StubResponse::json(200, kEnterprise.dump());
  slow.delay = std::chrono::milliseconds(300);
  upstream_answers(slow);
  stub_->clear();
  std::atomic<int> ok_calls{0}, others{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 40; ++i) {
    callers.emplace_back([&, i] {
      client::HttpsClient c(hub_->client_options());
      auto r = c.request(
          verb::get, "/api/v1/services/" + patient + "/call/enterprise?uscc=91440101MA5CXXXX1X", {},
          {{"Authorization", "Bearer " + tax_system_},
           {"X-Purpose", kTaxPurpose},
           {"X-Request-Id", "slow-" + std::to_string(i)}});
      (r.status == 200 ? ok_calls : others).fetch_add(1);
    });
  }
  // Meanwhile, another agency's requests are answered as usual.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 10; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto me = call(verb::get, "/api/v1/me", stats_system_);
    EXPECT_EQ(me.status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(ok_calls.load(), 40);
  EXPECT_EQ(others.load(), 0);
  EXPECT_LE(stub_->max_concurrent_connections(), 8u) << "the node's bound on one upstream";
  EXPECT_EQ(stub_->request_count(), 40u);
  EXPECT_EQ(ledger_entry("slow-39")["status"], 200);
  // The node's metrics name the upstream.
  auto metrics = call(verb::get, "/metrics", "");
  EXPECT_NE(metrics.body.find("hub_upstream_calls_total{upstream=\"https://localhost:"),
            std::string::npos);
}

TEST_F(GatewayTest, HostsAreCheckedAtRegistrationAndAgainAtEveryConnect) {
  // Registration: only allowed hosts, https only.
  auto doc = service_doc("https://evil.example.com/api");
  auto refused = call(verb::post, "/api/v1/resources", kAdmin, doc);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("upstream.base_url"), std::string::npos) << refused.body;
  doc = service_doc("http://localhost:" + std::to_string(stub_->port()) + "/market/v1");
  EXPECT_EQ(call(verb::post, "/api/v1/resources", kAdmin, doc).status, 422);
  // The hub restarts with localhost no longer listed: the registered service is not called.
  start_hub({"*.localhost:" + std::to_string(stub_->port())});
  stub_->clear();
  auto r = call_as(tax_system_, "ssrf-1");
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(stub_->connections_accepted(), 0u);
  EXPECT_EQ(ledger_entry("ssrf-1")["upstream_status"], nullptr);
}

TEST_F(GatewayTest, CallsCountInTheReport) {
  ASSERT_EQ(call_as(tax_system_, "rep-1").status, 200);
  upstream_answers(cli::StubResponse::json(500, "{}"));
  ASSERT_EQ(call_as(tax_system_, "rep-2").status, 502);
  json market;
  for (int i = 0; i < 100; ++i) {
    auto report = ok(verb::get, "/api/v1/reports/sharing-status", kAdmin);
    for (const auto& row : report["agencies"]) {
      if (row["agency_code"] == kMarket) market = row;
    }
    // Both calls sealed: one served, one failed at the upstream.
    if (market["service_calls_served"] == 1 && market["service_availability"] == 0.5) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(market["service_calls_served"], 1);
  EXPECT_DOUBLE_EQ(market["service_availability"].get<double>(), 0.5);
  EXPECT_EQ(market["requests_served"], 1);
}

}  // namespace
}  // namespace hub::test
