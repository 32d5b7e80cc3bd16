// Bad input and hostile clients (API.md Part 2), each as the issue found it: deep or ambiguous
// JSON on every JSON route, framing that a proxy would read another way, U+0000 and numbers a
// double cannot hold in records, slow and stalled imports, one address holding many connections,
// names that break lines, sessions that outlive a password. Each test would fail on the hub
// before issue #15.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <thread>

#include "support/catalog_samples.hpp"
#include "support/hub_fixture.hpp"
#include "support/raw_tls.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

// kMarket provides, kTax consumes.
class HostileTest : public HubTest {
 protected:
  void SetUp() override {
    purpose_ = kTaxPurpose;
    user_password_ = "correct-horse-battery-1";
    start([](Config& config) {
      // One I/O thread with one database connection: an import that held a connection while
      // waiting for its client would starve every other request at once.
      config.threads = 1;
      config.database.pool_size = 1;
      config.database.acquire_timeout = std::chrono::milliseconds(1500);
      config.limits.imports_per_agency = 2;
      config.limits.imports_per_node = 3;
      config.limits.import_rate_window = std::chrono::milliseconds(1000);
      config.limits.connections_per_address = 30;
      config.limits.handshake_timeout = std::chrono::milliseconds(1000);
      config.auth.login_failures_per_address = 5;
    });
    for (auto code : {kMarket, kTax}) agency(code);
    market_system_ = person(kMarket, "sc-system", "agency_system", "system");
    market_system_b_ = person(kMarket, "sc-system-b", "agency_system", "system");
    market_officer_ = person(kMarket, "sc-officer", "agency_data_officer");
    tax_officer_ = person(kTax, "sw-officer", "agency_data_officer");
    tax_system_ = person(kTax, "sw-system", "agency_system", "system");
    coordinator_ = person("", "xtz", "coordinator");
    auto doc = sample_resource(kMarket);
    doc["items"].push_back({{"name", "employees"},
                            {"title", "从业人数"},
                            {"type", "integer"},
                            {"required", false},
                            {"sensitivity", "public"}});
    doc["share_type"] = "unconditional";
    code_ = resource(doc);
  }

  std::string records() const { return "/api/v1/resources/" + code_ + "/records"; }
  std::int64_t record_count() {
    return ok(verb::get, "/api/v1/resources/" + code_, kAdmin)["record_count"];
  }
  std::string import_header(std::size_t length, bool atomic, const std::string& token) {
    return "POST /api/v1/resources/" + code_ + "/imports" + (atomic ? "?atomic=true" : "") +
           " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
           "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + std::to_string(length) +
           "\r\n\r\n";
  }
  static std::string lines(int from, int to) {
    std::string out;
    for (int i = from; i < to; ++i) {
      out += R"({"uscc":"K)" + std::to_string(100000 + i) +
             R"(","legal_person":"张三"})"
             "\n";
    }
    return out;
  }

  std::string market_system_, market_system_b_, market_officer_, tax_officer_, tax_system_, code_;
  std::string coordinator_;
};

TEST_F(HostileTest, DeepOrAmbiguousJsonIsRefusedOnEveryJsonRoute) {
  // The issue's third finding: 150,000 levels (300 KB) crashed the process.
  const std::string deep = std::string(150000, '[') + std::string(150000, ']');
  std::string deep_object;
  for (int i = 0; i < 70; ++i) deep_object += "{\"a\":";
  deep_object += "1" + std::string(70, '}');
  const std::string twice = R"({"name":"a","name":"b","items":[],"items":[]})";
  // Routes whose handler reads no body: they must only not fall over.
  // Routes whose body is not JSON: none, a registration workbook, a return list or indicator
  // values (a JSON body there is 422, not a workbook or CSV; their own hostile bodies are in
  // registration_pgtest.cpp, returns_pgtest.cpp, indicators_pgtest.cpp and the abuse test).
  const std::set<std::string> bodiless = {
      "/api/v1/resources/{code}/publish",   "/api/v1/resources/{code}/retire",
      "/api/v1/applications/{id}/withdraw", "/api/v1/resources/imports",
      "/api/v1/return-tasks/imports",       "/api/v1/indicators/values"};
  // An import line nested deep is one bad line, not a crash.
  auto import = client_->request(verb::post, "/api/v1/resources/" + code_ + "/imports",
                                 std::string(100000, '[') + "\n" + lines(0, 1),
                                 {{"Authorization", std::string("Bearer ") + market_system_},
                                  {"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(import.status, 200) << import.body;
  EXPECT_EQ(json::parse(import.body)["accepted"], 1);
  EXPECT_EQ(json::parse(import.body)["rejected"], 1);
  // A route parses its body once the caller's role may use it: one of each role here (the
  // coordinator for the escalation rulings).
  const std::vector<std::string> tokens = {
      kAdmin, market_system_, market_officer_, tax_officer_, tax_system_, coordinator_, ""};
  int routes = 0;
  for (const auto& route : hub_->app().router().routes()) {
    if (route.verb != verb::post && route.verb != verb::put && route.verb != verb::patch) continue;
    if (route.options.stream_body) continue;  // imports read NDJSON or CSV lines (below)
    ++routes;
    std::string path = route.pattern;
    for (auto [param, value] :
         std::vector<std::pair<std::string, std::string>>{{"{code}", code_},
                                                          {"{key}", "91440101MA59ABCD1X"},
                                                          {"{id}", "no-such-id"},
                                                          {"{period}", "2025-01"}}) {
      for (auto at = path.find(param); at != std::string::npos; at = path.find(param)) {
        path.replace(at, param.size(), value);
      }
    }
    for (const auto& body : {deep, deep_object, twice}) {
      bool parsed = false;
      for (const auto& token : tokens) {
        client::ClientResponse r;
        try {
          r = send(route.verb, path, token, body);
        } catch (const std::exception&) {
          // Refused on its header (401, 403), the body unread: the hub closes, and the client
          // may see the reset before the answer. Nothing was parsed.
          continue;
        }
        EXPECT_LT(r.status, 500u) << route.pattern << ": " << r.body;
        if (r.status == 400 && json::parse(r.body)["code"] == "validation_failed") parsed = true;
      }
      if (!bodiless.contains(route.pattern)) {
        EXPECT_TRUE(parsed) << route.pattern << " never refused " << body.substr(0, 20);
      }
    }
  }
  EXPECT_GT(routes, 15);
  EXPECT_EQ(send(verb::get, "/healthz", "", "").status, 200);
}

TEST_F(HostileTest, FramingAProxyWouldReadAnotherWayIsRefusedAndCloses) {
  for (const char* te : {"xchunked", "chunked, identity", "identity", "gzip, chunked"}) {
    RawTls conn(hub_->port());
    ASSERT_TRUE(conn.connect());
    // Were the body ignored, the bytes after the header would be read as a second request.
    conn.write(std::string("POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") +
               te + "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto all = conn.read_for(std::chrono::seconds(3));
    EXPECT_TRUE(all.starts_with("HTTP/1.1 501") || all.starts_with("HTTP/1.1 400")) << te << all;
    EXPECT_EQ(all.find("HTTP/1.1 200"), std::string::npos) << "the body ran as a request: " << te;
    EXPECT_TRUE(conn.closed()) << te;
  }
  {
    RawTls conn(hub_->port());
    ASSERT_TRUE(conn.connect());
    conn.write(
        "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "zz\r\n{}\r\n0\r\n\r\n");
    auto all = conn.read_for(std::chrono::seconds(3));
    EXPECT_TRUE(all.starts_with("HTTP/1.1 400")) << "a bad chunk size is told: " << all;
    EXPECT_TRUE(conn.closed());
  }
  // Two credentials: which one would the hub act for? Neither.
  RawTls conn(hub_->port());
  ASSERT_TRUE(conn.connect());
  conn.write(std::string("GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") + kAdmin +
             "\r\nAuthorization: Bearer " + tax_system_ + "\r\n\r\n");
  auto response = conn.read_response(std::chrono::seconds(3));
  EXPECT_EQ(status_of(response), 400) << response;
  EXPECT_NE(response.find("validation_failed"), std::string::npos);
}

TEST_F(HostileTest, RecordsRefuseNulsAndKeepNumbersExactly) {
  auto nul = send(verb::put, records() + "/91440101MA59ABCD1X", market_system_,
                  R"({"legal_person":"张\u0000三"})");
  EXPECT_EQ(nul.status, 422) << nul.body;
  auto problem = json::parse(nul.body);
  ASSERT_EQ(problem["errors"].size(), 1u);
  EXPECT_EQ(problem["errors"][0]["field"], "legal_person");
  // In an import the line is rejected with its number and the others go on.
  auto import = client_->request(verb::post, "/api/v1/resources/" + code_ + "/imports",
                                 lines(0, 1) +
                                     R"({"uscc":"K2","legal_person":"a\u0000b"})"
                                     "\n" +
                                     lines(2, 3),
                                 {{"Authorization", std::string("Bearer ") + market_system_},
                                  {"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(import.status, 200) << import.body;
  auto result = json::parse(import.body);
  EXPECT_EQ(result["accepted"], 2);
  ASSERT_EQ(result["errors"].size(), 1u);
  EXPECT_EQ(result["errors"][0]["line"], 2);
  auto atomic = client_->request(verb::post, "/api/v1/resources/" + code_ + "/imports?atomic=true",
                                 lines(10, 11) + R"({"uscc":"K12","legal_person":"a\u0000b"})"
                                                 "\n",
                                 {{"Authorization", std::string("Bearer ") + market_system_},
                                  {"Content-Type", "application/x-ndjson"}});
  EXPECT_EQ(atomic.status, 422);

  // Integers are JSON integers within ±2^53; numbers are stored as sent.
  for (const char* bad :
       {R"({"legal_person":"李四","employees":1.0})", R"({"legal_person":"李四","employees":1e2})",
        R"({"legal_person":"李四","employees":9007199254740993})"}) {
    EXPECT_EQ(send(verb::put, records() + "/91440101MA59ABCD2X", market_system_, bad).status, 422)
        << bad;
  }
  const std::string exact =
      R"({"legal_person":"李四","employees":42,"reg_capital":123456789012345678901234567890})";
  EXPECT_EQ(send(verb::put, records() + "/91440101MA59ABCD3X", market_system_, exact).status, 201);
  auto csv = client_->request(
      verb::post, "/api/v1/resources/" + code_ + "/imports",
      "uscc,legal_person,reg_capital\r\n91440101MA59ABCD4X,王五,"
      "0.1000000000000000055511151231257827\r\n",
      {{"Authorization", std::string("Bearer ") + market_system_}, {"Content-Type", "text/csv"}});
  EXPECT_EQ(json::parse(csv.body)["accepted"], 1) << csv.body;
  ok(verb::post, "/api/v1/applications", tax_officer_,
     {{"resource_code", code_},
      {"items", {"uscc", "reg_capital", "employees"}},
      {"operations", {"read", "query", "verify"}},
      {"purpose", "税收征管"},
      {"valid_until", city_date(365)}});
  auto read = send(verb::get, records() + "/91440101MA59ABCD3X", tax_system_, "");
  EXPECT_NE(read.body.find("\"reg_capital\":123456789012345678901234567890"), std::string::npos)
      << read.body;
  auto read_csv = send(verb::get, records() + "/91440101MA59ABCD4X", tax_system_, "");
  EXPECT_NE(read_csv.body.find("0.1000000000000000055511151231257827"), std::string::npos)
      << read_csv.body;
  // A filter and a claim on such a number compare it exactly.
  auto filtered =
      send(verb::get, records() + "?filter=reg_capital%20eq%20123456789012345678901234567890",
           tax_system_, "");
  EXPECT_EQ(json::parse(filtered.body)["items"].size(), 1u) << filtered.body;
  auto off_by_one =
      send(verb::get, records() + "?filter=reg_capital%20eq%20123456789012345678901234567891",
           tax_system_, "");
  EXPECT_EQ(json::parse(off_by_one.body)["items"].size(), 0u);
  auto claim = send(
      verb::post, "/api/v1/resources/" + code_ + "/verify", tax_system_,
      R"({"key":"91440101MA59ABCD3X","claims":{"reg_capital":1.23456789012345678901234567890e29}})");
  EXPECT_EQ(json::parse(claim.body), json({{"found", true}, {"match", true}})) << claim.body;
}

TEST_F(HostileTest, ImportsWaitForNoClientWhileHoldingTheDatabaseAndEndWhenTooSlow) {
  // An import trickles (the issue's fourth finding): with one database connection in all, the
  // hub still answers everyone else.
  RawTls slow(hub_->port());
  ASSERT_TRUE(slow.connect());
  const std::string body = lines(0, 3);
  slow.write(import_header(body.size() + 1000, true, market_system_) + body);
  for (int i = 0; i < 5; ++i) {
    auto r = send(verb::put, records() + "/91440101MA59PUSH" + std::to_string(i) + "X",
                  market_system_b_, R"({"legal_person":"赵六"})");
    EXPECT_EQ(r.status, 201) << "a push while an import waits: " << r.body;
    EXPECT_EQ(send(verb::get, "/readyz", "", "").status, 200);
  }
  // Under 1 KiB/s over its window: ended with 408, and an atomic import stored nothing.
  auto answer = slow.read_response(std::chrono::seconds(5));
  EXPECT_EQ(status_of(answer), 408) << answer;
  EXPECT_NE(answer.find("request_timeout"), std::string::npos);
  EXPECT_EQ(record_count(), 5);

  // A non-atomic import keeps the batches it finished: 5,000 lines arrive, then it stalls.
  RawTls partial(hub_->port());
  ASSERT_TRUE(partial.connect());
  const std::string first = lines(100, 5101);
  partial.write(import_header(first.size() + 100000, false, market_system_) + first);
  EXPECT_EQ(status_of(partial.read_response(std::chrono::seconds(10))), 408);
  EXPECT_EQ(record_count(), 5 + 5000);
}

TEST_F(HostileTest, ImportsAreCappedPerAgencyAndPerNode) {
  std::vector<std::unique_ptr<RawTls>> held;
  auto hold = [&](const std::string& token) {
    auto c = std::make_unique<RawTls>(hub_->port());
    EXPECT_TRUE(c->connect());
    c->write(import_header(100000, false, token) + lines(0, 1));
    held.push_back(std::move(c));
  };
  hold(market_system_);
  hold(market_system_b_);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto third = client_->request(verb::post, "/api/v1/resources/" + code_ + "/imports", lines(0, 1),
                                {{"Authorization", std::string("Bearer ") + market_system_},
                                 {"Content-Type", "application/x-ndjson"}});
  EXPECT_EQ(third.status, 429) << "two imports per agency: " << third.body;
  EXPECT_FALSE(third.header("Retry-After").empty());
  // The held ones end (408) and free their places.
  for (auto& c : held) EXPECT_EQ(status_of(c->read_response(std::chrono::seconds(5))), 408);
  auto again = client_->request(verb::post, "/api/v1/resources/" + code_ + "/imports", lines(0, 1),
                                {{"Authorization", std::string("Bearer ") + market_system_},
                                 {"Content-Type", "application/x-ndjson"}});
  EXPECT_EQ(again.status, 200) << again.body;
  auto maybe = client_->request(verb::post, "/api/v1/resources/" + code_ + "/imports?atomic=maybe",
                                lines(0, 1),
                                {{"Authorization", std::string("Bearer ") + market_system_},
                                 {"Content-Type", "application/x-ndjson"}});
  EXPECT_EQ(maybe.status, 400) << "atomic is true or false";
}

TEST_F(HostileTest, OneAddressCannotHoldTheHubsConnections) {
  boost::asio::io_context ioc;
  std::vector<boost::asio::ip::tcp::socket> silent;
  // 30 connections that never say hello fill this address's share (the issue's sixth finding
  // filled the whole hub's).
  for (int i = 0; i < 30; ++i) {
    silent.emplace_back(ioc);
    silent.back().connect({boost::asio::ip::make_address("127.0.0.1"), hub_->port()});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawTls same(hub_->port());
  EXPECT_FALSE(same.connect()) << "the 31st from one address is closed at once";
  RawTls other(hub_->port());
  other.from("127.0.0.2");
  ASSERT_TRUE(other.connect()) << "another address is served";
  other.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(other.read_response(std::chrono::seconds(3))), 200);
  // Silent connections end with the handshake timeout, and the address may connect again.
  char byte;
  boost::system::error_code ec;
  const auto started = std::chrono::steady_clock::now();
  silent.front().read_some(boost::asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  RawTls later(hub_->port());
  EXPECT_TRUE(later.connect());
}

TEST_F(HostileTest, NamesAreSingleLines) {
  auto agency = send(
      verb::post, "/api/v1/agencies", kAdmin,
      json{{"code", "11440100D5NQWYF282"}, {"name", "广州市\r\n某局"}, {"level", "city"}}.dump());
  EXPECT_EQ(agency.status, 422) << agency.body;
  auto principal = send(verb::post, "/api/v1/principals", kAdmin,
                        json{{"agency_code", kTax},
                             {"name", "evil\nadmin"},
                             {"kind", "user"},
                             {"roles", {"agency_operator"}}}
                            .dump());
  EXPECT_EQ(principal.status, 422);
  auto doc = sample_resource(kMarket, "企业\n登记");
  EXPECT_EQ(send(verb::post, "/api/v1/resources", kAdmin, doc.dump()).status, 422);
}

TEST_F(HostileTest, SessionsEndWithThePasswordADisableOrALostRole) {
  auto p = ok(verb::post, "/api/v1/principals", kAdmin,
              {{"agency_code", kTax},
               {"name", "sw-clerk"},
               {"kind", "user"},
               {"password", "first-password-123"},
               {"roles", {"agency_operator", "agency_data_officer"}}});
  const std::string id = p["id"];
  auto sign_in = [&](const std::string& password) {
    return ok(verb::post, "/api/v1/sessions", "",
              {{"name", "sw-clerk"}, {"password", password}})["token"]
        .get<std::string>();
  };
  auto works = [&](const std::string& token) {
    return send(verb::get, "/api/v1/me", token, "").status == 200;
  };
  std::string session = sign_in("first-password-123");
  ASSERT_TRUE(works(session));
  ok(verb::patch, "/api/v1/principals/" + id, kAdmin, {{"password", "second-password-456"}});
  EXPECT_FALSE(works(session)) << "a stolen session dies with the password";
  session = sign_in("second-password-456");
  ok(verb::patch, "/api/v1/principals/" + id, kAdmin, {{"disabled", true}});
  ok(verb::patch, "/api/v1/principals/" + id, kAdmin, {{"disabled", false}});
  EXPECT_FALSE(works(session)) << "re-enabling does not bring sessions back";
  session = sign_in("second-password-456");
  ok(verb::patch, "/api/v1/principals/" + id, kAdmin, {{"roles", {"agency_operator"}}});
  EXPECT_FALSE(works(session)) << "a lost role ends sessions";
  session = sign_in("second-password-456");
  ok(verb::patch, "/api/v1/principals/" + id, kAdmin,
     {{"roles", {"agency_operator", "agency_data_officer"}}});
  EXPECT_TRUE(works(session)) << "a role added takes nothing away";
  // Colleagues behind one address sign in correctly as often as they like (the throttle, set to
  // 5 failures per address here, counts failures only).
  for (int i = 0; i < 12; ++i) EXPECT_FALSE(sign_in("second-password-456").empty()) << i;
}

TEST_F(HostileTest, ListFiltersAndParametersTakeOnlyWhatTheyKnow) {
  for (const char* target :
       {"/api/v1/resources?status=AAA", "/api/v1/resources?share_type=AAA",
        "/api/v1/resources?category=AAA", "/api/v1/agencies?level=AAA",
        "/api/v1/resources?status=published&status=draft", "/api/v1/resources?q=%ZZ"}) {
    auto r = send(verb::get, target, kAdmin, "");
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
  }
  EXPECT_EQ(send(verb::get, "/api/v1/resources?status=published", kAdmin, "").status, 200);
  for (const char* version : {"2147483648", "99999999999999999999999"}) {
    EXPECT_EQ(
        send(verb::get, "/api/v1/resources/" + code_ + "/versions/" + version, kAdmin, "").status,
        404)
        << version;
    EXPECT_EQ(
        send(verb::get, "/api/v1/resources/" + code_ + "/schema?version=" + version, kAdmin, "")
            .status,
        404)
        << version;
  }
  EXPECT_EQ(send(verb::get, "/api/v1/resources/" + code_ + "/schema?version=0", kAdmin, "").status,
            400);
  // U+0000 inside a list of names says so.
  auto nul = send(verb::post, "/api/v1/applications", tax_officer_,
                  R"({"resource_code":")" + code_ +
                      R"(","items":["us\u0000cc"],"operations":["read"],"purpose":"核验",)"
                      R"("valid_until":")" +
                      city_date(365) + R"("})");
  EXPECT_EQ(nul.status, 422);
  EXPECT_NE(nul.body.find("U+0000"), std::string::npos) << nul.body;
}

}  // namespace
}  // namespace hub::test
