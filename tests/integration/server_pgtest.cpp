// The HTTPS spine against a real PostgreSQL: routing, errors, limits, timeouts, keep-alive.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/algorithm/string/case_conv.hpp>
#include <set>
#include <thread>

#include "support/hub_fixture.hpp"
#include "support/raw_tls.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

// Each test starts its hub (HubTest::start) with the limits it tries.
using ServerTest = HubTest;

TEST_F(ServerTest, HealthAndReadiness) {
  start();
  auto client = hub_->client();
  auto health = client.request(verb::get, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json::parse(health.body)["status"], "ok");
  auto ready = client.request(verb::get, "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(json::parse(ready.body)["status"], "ready");
}

TEST_F(ServerTest, UnknownPathIs404ProblemJson) {
  start();
  auto client = hub_->client();
  for (const char* path : {"/nope", "/api/v1/nothing/here", "/healthz/extra", "/"}) {
    auto r = client.request(verb::get, path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    auto body = json::parse(r.body);
    EXPECT_EQ(body["code"], "not_found");
    EXPECT_EQ(body["status"], 404);
    EXPECT_TRUE(body.contains("type") && body.contains("title") && body.contains("detail"));
  }
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  start();
  auto client = hub_->client();
  auto r = client.request(verb::post, "/healthz", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET");
  EXPECT_EQ(json::parse(r.body)["code"], "method_not_allowed");
  auto d = client.request(verb::delete_, "/readyz");
  EXPECT_EQ(d.status, 405);
}

TEST_F(ServerTest, RequestIdIsEchoedOrGenerated) {
  start();
  auto client = hub_->client();
  auto echoed = client.request(verb::get, "/healthz", {}, {{"X-Request-Id", "abc.DEF_12-3"}});
  EXPECT_EQ(echoed.header("X-Request-Id"), "abc.DEF_12-3");
  auto bad = client.request(verb::get, "/healthz", {}, {{"X-Request-Id", "has space"}});
  EXPECT_NE(bad.header("X-Request-Id"), "has space");
  EXPECT_FALSE(bad.header("X-Request-Id").empty());
  auto too_long = client.request(verb::get, "/nope", {}, {{"X-Request-Id", std::string(65, 'a')}});
  EXPECT_NE(too_long.header("X-Request-Id"), std::string(65, 'a'));
  auto a = client.request(verb::get, "/healthz");
  auto b = client.request(verb::get, "/healthz");
  EXPECT_NE(a.header("X-Request-Id"), b.header("X-Request-Id"));
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  RawTls conn(hub_->port());
  ASSERT_TRUE(conn.connect());
  for (int i = 0; i < 5; ++i) {
    conn.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto response = conn.read_response(std::chrono::seconds(5));
    EXPECT_EQ(status_of(response), 200) << response;
  }
  EXPECT_FALSE(conn.closed());
  conn.write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(conn.read_response(std::chrono::seconds(5))), 200);
  conn.read_for(std::chrono::seconds(2));
  EXPECT_TRUE(conn.closed());
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  start();
  RawTls conn(hub_->port());
  ASSERT_TRUE(conn.connect());
  conn.write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9 * 1024, 'a') +
             "\r\n\r\n");
  auto response = conn.read_response(std::chrono::seconds(5));
  EXPECT_EQ(status_of(response), 431) << response;
  EXPECT_NE(response.find("\"code\":\"payload_too_large\""), std::string::npos);
}

TEST_F(ServerTest, HeaderJustUnderTheLimitIsServed) {
  start();
  RawTls conn(hub_->port());
  ASSERT_TRUE(conn.connect());
  conn.write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(7 * 1024, 'a') +
             "\r\n\r\n");
  EXPECT_EQ(status_of(conn.read_response(std::chrono::seconds(5))), 200);
}

TEST_F(ServerTest, DeclaredBodyOverTheLimitIs413BeforeTheBodyIsRead) {
  start();
  RawTls conn(hub_->port());
  ASSERT_TRUE(conn.connect());
  // Only the header is sent: the answer must not wait for 2 MiB that never come.
  const auto started = std::chrono::steady_clock::now();
  conn.write(
      "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 2097152\r\n\r\n");
  auto response = conn.read_response(std::chrono::seconds(5));
  EXPECT_EQ(status_of(response), 413) << response;
  EXPECT_NE(response.find("\"code\":\"payload_too_large\""), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  conn.read_for(std::chrono::seconds(2));
  EXPECT_TRUE(conn.closed()) << "the unread body leaves the connection unusable";
}

TEST_F(ServerTest, AnAnonymousBodyIsRefusedBeforeItIsRead) {
  start();
  RawTls conn(hub_->port());
  ASSERT_TRUE(conn.connect());
  // 500 KB announced, none sent: the 401 must not wait for it, and no 100 Continue goes out.
  const auto started = std::chrono::steady_clock::now();
  conn.write(
      "POST /api/v1/agencies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: 500000\r\n\r\n");
  auto response = conn.read_response(std::chrono::seconds(5));
  EXPECT_EQ(status_of(response), 401) << response;
  EXPECT_EQ(response.find("100 Continue"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  conn.read_for(std::chrono::seconds(2));
  EXPECT_TRUE(conn.closed());
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413) {
  start([](Config& c) { c.limits.json_body_limit = 4096; });
  RawTls conn(hub_->port());
  ASSERT_TRUE(conn.connect());
  std::string chunk(3000, 'x');
  conn.write("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  conn.write("bb8\r\n" + chunk + "\r\nbb8\r\n" + chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(status_of(conn.read_response(std::chrono::seconds(5))), 413);
}

TEST_F(ServerTest, MalformedRequestIs400AndCloses) {
  start();
  RawTls conn(hub_->port());
  ASSERT_TRUE(conn.connect());
  conn.write("GARBAGE\x01\x02 / HTTP/9.9\r\n\r\n");
  auto response = conn.read_response(std::chrono::seconds(5));
  EXPECT_EQ(status_of(response), 400) << response;
  conn.read_for(std::chrono::seconds(2));
  EXPECT_TRUE(conn.closed());
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
  start([](Config& c) { c.limits.idle_timeout = std::chrono::milliseconds(300); });
  RawTls conn(hub_->port());
  ASSERT_TRUE(conn.connect());
  conn.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(conn.read_response(std::chrono::seconds(5))), 200);
  conn.read_for(std::chrono::seconds(3));
  EXPECT_TRUE(conn.closed());
}

TEST_F(ServerTest, SlowHeaderCannotHoldTheConnection) {
  start([](Config& c) { c.limits.idle_timeout = std::chrono::milliseconds(500); });
  RawTls conn(hub_->port());
  ASSERT_TRUE(conn.connect());
  // A byte every 100 ms keeps the socket busy but the header never completes in time.
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa";
  const auto started = std::chrono::steady_clock::now();
  for (char c : request) {
    try {
      conn.write(std::string(1, c));
    } catch (const std::exception&) {
      break;  // closed by the server: what we want
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(3)) break;
  }
  conn.read_for(std::chrono::seconds(2));
  EXPECT_TRUE(conn.closed());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(7));
}

TEST_F(ServerTest, SilentClientIsDroppedAfterTheHandshakeTimeout) {
  start([](Config& c) { c.limits.handshake_timeout = std::chrono::milliseconds(300); });
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), hub_->port()});
  char byte;
  boost::system::error_code ec;
  const auto started = std::chrono::steady_clock::now();
  socket.read_some(boost::asio::buffer(&byte, 1), ec);  // blocks until the server closes
  EXPECT_TRUE(ec) << "the server should close a connection that never says hello";
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_F(ServerTest, ConnectionCapRefusesTheExtraConnection) {
  start([](Config& c) { c.limits.max_connections = 2; });
  RawTls a(hub_->port());
  RawTls b(hub_->port());
  ASSERT_TRUE(a.connect());
  ASSERT_TRUE(b.connect());
  a.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(a.read_response(std::chrono::seconds(5))), 200);
  RawTls c(hub_->port());
  EXPECT_FALSE(c.connect()) << "a third connection should be closed at once";
  b.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(b.read_response(std::chrono::seconds(5))), 200);
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  start();
  auto client = hub_->client();
  client.request(verb::get, "/healthz");
  client.request(verb::get, "/healthz");
  client.request(verb::get, "/missing");
  auto r = client.request(verb::get, "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type").rfind("text/plain", 0), 0u);
  EXPECT_NE(r.body.find("hub_http_requests_total{route=\"GET /healthz\",status=\"200\"} 2"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("hub_http_requests_total{route=\"unmatched\",status=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(r.body.find("hub_http_request_duration_seconds_bucket{route=\"GET /healthz\""),
            std::string::npos);
  EXPECT_NE(r.body.find("hub_open_connections 1"), std::string::npos);
  EXPECT_NE(r.body.find("hub_db_pool_connections{state=\"open\"}"), std::string::npos);
}

// A lint of the OpenAPI document: it describes exactly the route table (no more, no less),
// every $ref resolves, operation ids are unique, every operation answers something in 2xx and
// declares its path parameters.
TEST_F(ServerTest, OpenApiDocumentDescribesExactlyTheRouteTable) {
  start();
  auto client = hub_->client();
  auto r = client.request(verb::get, "/openapi.json");
  ASSERT_EQ(r.status, 200);
  auto doc = json::parse(r.body);
  EXPECT_EQ(doc["openapi"], "3.1.0");
  ASSERT_TRUE(doc["paths"].is_object());

  std::set<std::string> documented;
  std::set<std::string> operation_ids;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (method == "parameters") continue;
      documented.insert(boost::algorithm::to_upper_copy(method) + " " + path);
      ASSERT_TRUE(op.contains("operationId")) << method << " " << path;
      EXPECT_TRUE(operation_ids.insert(op["operationId"].get<std::string>()).second)
          << "duplicate operationId " << op["operationId"];
      bool has_success = false;
      for (const auto& [code, response] : op["responses"].items()) {
        // A success, or for a redirecting route its redirect.
        if (code.size() == 3 && (code[0] == '2' || code[0] == '3')) has_success = true;
      }
      EXPECT_TRUE(has_success) << method << " " << path << " documents no 2xx or 3xx answer";
      // Every {param} of the path is declared as a path parameter.
      std::set<std::string> declared;
      for (const auto* list : {&item, &op}) {
        if (!list->contains("parameters")) continue;
        for (const auto& p : (*list)["parameters"]) {
          json param = p;
          if (param.contains("$ref")) continue;
          if (param["in"] == "path") declared.insert(param["name"].get<std::string>());
        }
      }
      for (std::size_t open = path.find('{'); open != std::string::npos;
           open = path.find('{', open + 1)) {
        auto name = path.substr(open + 1, path.find('}', open) - open - 1);
        EXPECT_TRUE(declared.contains(name)) << path << " does not declare {" << name << "}";
      }
    }
  }
  std::set<std::string> routed;
  for (const auto& route : hub_->app().router().routes()) {
    // A tail parameter {name*} is OpenAPI's {name}.
    std::string pattern = route.pattern;
    if (auto star = pattern.find("*}"); star != std::string::npos) pattern.erase(star, 1);
    routed.insert(std::string(boost::beast::http::to_string(route.verb)) + " " + pattern);
  }
  EXPECT_EQ(documented, routed) << "the OpenAPI document and the route table differ";

  // Every $ref points at something that exists.
  std::function<void(const json&)> check_refs = [&](const json& node) {
    if (node.is_object()) {
      if (node.contains("$ref")) {
        auto ref = node["$ref"].get<std::string>();
        ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
        EXPECT_TRUE(doc.contains(json::json_pointer(ref.substr(1)))) << "dangling " << ref;
      }
      for (const auto& [k, v] : node.items()) check_refs(v);
    } else if (node.is_array()) {
      for (const auto& v : node) check_refs(v);
    }
  };
  check_refs(doc);
}

TEST_F(ServerTest, GracefulStopFinishesAndRefusesNewConnections) {
  start();
  RawTls idle(hub_->port());
  ASSERT_TRUE(idle.connect());
  idle.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(idle.read_response(std::chrono::seconds(5))), 200);
  const auto port = hub_->port();
  const auto started = std::chrono::steady_clock::now();
  hub_->app().stop();
  // The idle keep-alive connection did not hold the stop for the whole grace period.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1500));
  idle.read_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(idle.closed());
  RawTls late(port);
  EXPECT_FALSE(late.connect());
}

}  // namespace
}  // namespace hub::test
