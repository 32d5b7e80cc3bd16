// TLS and connection handling at the Server level, with routes of the test's own.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <future>
#include <thread>

#include "hub/core/metrics.hpp"
#include "hub/http/purpose.hpp"
#include "hub/net/server.hpp"
#include "hub/net/tls.hpp"
#include "hub/sharing/purpose.hpp"
#include "support/certs.hpp"
#include "support/raw_tls.hpp"
#include "support/test_env.hpp"

namespace hub::test {
namespace {

namespace asio = boost::asio;
using http::Access;
using http::Response;
using http::Verb;

// A bare server (no database) whose routes tell what the server learnt about the connection.
class BareServer {
 public:
  explicit BareServer(const std::filesystem::path& client_ca = {},
                      const std::function<void(Config&)>& adjust = {})
      : dir_() {
    config_.listen = "127.0.0.1:0";
    config_.limits.shutdown_grace = std::chrono::seconds(3);
    if (adjust) adjust(config_);
    auto paths = net::ensure_self_signed(dir_.path());
    tls_ = std::make_unique<asio::ssl::context>(
        net::make_server_context(paths.cert, paths.key, client_ca));
    router_.add(Verb::get, "/whoami", Access::anyone(),
                [](http::Request& req) -> asio::awaitable<Response> {
                  co_return Response::text(http::Status::ok, req.peer_cert_sha256.value_or("none"),
                                           "text/plain");
                });
    router_.add(Verb::get, "/whereami", Access::anyone(),
                [](http::Request& req) -> asio::awaitable<Response> {
                  co_return Response::text(
                      http::Status::ok,
                      req.remote_address + (req.remote_is_loopback ? " loopback" : " remote"),
                      "text/plain");
                });
    router_.add(Verb::get, "/slow", Access::anyone(),
                [](http::Request& req) -> asio::awaitable<Response> {
                  asio::steady_timer t(req.worker->ioc(), std::chrono::milliseconds(700));
                  co_await t.async_wait(asio::use_awaitable);
                  co_return Response::json(http::Status::ok, R"({"slow":true})");
                });
    router_.add(Verb::get, "/purpose", Access::anyone(),
                [](http::Request& req) -> asio::awaitable<Response> {
                  co_return Response::text(http::Status::ok,
                                           sharing::checked_purpose(http::purpose_of(req)).text,
                                           "text/plain");
                },
                {.data_request = true, .operation = "read"});
    workers_.push_back(std::make_unique<Worker>(0));
    metrics_ = std::make_unique<Metrics>(std::vector<std::string>{"a", "b", "c", "unmatched"}, 1);
    server_ =
        std::make_unique<net::Server>(config_, router_, gate_, *metrics_, workers_, *tls_, nullptr);
    server_->start();
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(workers_[0]->ioc());
      workers_[0]->ioc().run();
    });
  }
  ~BareServer() {
    workers_[0]->ioc().stop();
    thread_.join();
    server_->release_acceptor();
    workers_.clear();
  }
  std::uint16_t port() const { return server_->local_endpoint().port(); }
  net::Server& server() { return *server_; }

 private:
  TempDir dir_;
  Config config_;
  http::Router router_;
  http::LoopbackGatekeeper gate_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<net::Server> server_;
  std::thread thread_;
};

std::string fingerprint_of(const std::filesystem::path& pem) {
  FILE* f = std::fopen(pem.c_str(), "r");
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  auto hex = net::certificate_sha256_hex(cert);
  X509_free(cert);
  return hex;
}

bool handshake_with(std::uint16_t port, int version) {
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  SSL_CTX_set_security_level(ctx.native_handle(), 0);  // let the client offer old versions
  SSL_CTX_set_min_proto_version(ctx.native_handle(), version);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), version);
  if (version < TLS1_2_VERSION) SSL_CTX_set_cipher_list(ctx.native_handle(), "DEFAULT:@SECLEVEL=0");
  asio::ssl::stream<asio::ip::tcp::socket> stream(ioc, ctx);
  stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  stream.handshake(asio::ssl::stream_base::client, ec);
  return !ec;
}

TEST(Tls, OnlyVersions12And13AreAccepted) {
  BareServer server;
  EXPECT_TRUE(handshake_with(server.port(), TLS1_3_VERSION));
  EXPECT_TRUE(handshake_with(server.port(), TLS1_2_VERSION));
  EXPECT_FALSE(handshake_with(server.port(), TLS1_1_VERSION));
  EXPECT_FALSE(handshake_with(server.port(), TLS1_VERSION));
}

TEST(Tls, DevelopmentCertificateIsP256ForLocalhostAndReused) {
  TempDir dir;
  auto first = net::ensure_self_signed(dir.path());
  FILE* f = std::fopen(first.cert.c_str(), "r");
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(cert, nullptr);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  char group[64] = {};
  size_t len = 0;
  EVP_PKEY_get_group_name(key, group, sizeof group, &len);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  X509_free(cert);
  auto perms = std::filesystem::status(first.key).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  const auto before = fingerprint_of(first.cert);
  auto second = net::ensure_self_signed(dir.path());
  EXPECT_EQ(fingerprint_of(second.cert), before);
}

TEST(MutualTls, VerifiedClientCertificateReachesTheHandler) {
  TempDir dir;
  TestCa ca(dir.path(), "agencies");
  auto client = ca.issue("tax-bureau-system");
  BareServer server(ca.cert_path());
  RawTls conn(server.port(), client.cert.string(), client.key.string());
  ASSERT_TRUE(conn.connect());
  conn.write("GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n");
  auto response = conn.read_response(std::chrono::seconds(5));
  EXPECT_EQ(status_of(response), 200) << response;
  EXPECT_NE(response.find(fingerprint_of(client.cert)), std::string::npos) << response;
}

TEST(MutualTls, NoCertificateOrAForeignOneIsRefused) {
  TempDir dir;
  TestCa ca(dir.path(), "agencies");
  TestCa other(dir.path(), "stranger");
  auto foreign = other.issue("intruder");
  BareServer server(ca.cert_path());

  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<RawTls> conn =
        attempt == 0
            ? std::make_unique<RawTls>(server.port())
            : std::make_unique<RawTls>(server.port(), foreign.cert.string(), foreign.key.string());
    bool connected = conn->connect();
    if (connected) {
      // With TLS 1.3 the refusal arrives after the client's side of the handshake.
      try {
        conn->write("GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n");
      } catch (const std::exception&) {
      }
      auto response = conn->read_for(std::chrono::seconds(2));
      EXPECT_EQ(status_of(response), 0) << "attempt " << attempt << ": " << response;
      EXPECT_TRUE(conn->closed());
    }
  }
}

TEST(MutualTls, WithoutAClientCaNoCertificateIsAsked) {
  BareServer server;
  RawTls conn(server.port());
  ASSERT_TRUE(conn.connect());
  conn.write("GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n");
  auto response = conn.read_response(std::chrono::seconds(5));
  EXPECT_NE(response.find("none"), std::string::npos);
}

// A PROXY protocol v2 header (HAProxy's send-proxy-v2) for a TCP client at `client`.
std::string proxy_v2(const std::string& client, bool local = false) {
  std::string h("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);
  h.push_back(local ? '\x20' : '\x21');
  h.push_back('\x11');  // TCP over IPv4
  h.push_back('\x00');
  h.push_back('\x0C');
  const auto src = asio::ip::make_address_v4(client).to_bytes();
  h.append(reinterpret_cast<const char*>(src.data()), 4);
  h.append("\x7F\x00\x00\x01", 4);  // destination
  h.append("\xC3\x50\x20\xFB", 4);  // ports 50000 and 8443
  return h;
}

std::string ask_whereami(RawTls& conn) {
  conn.write("GET /whereami HTTP/1.1\r\nHost: x\r\n\r\n");
  auto response = conn.read_response(std::chrono::seconds(5));
  EXPECT_EQ(status_of(response), 200) << response;
  return response.substr(response.find("\r\n\r\n") + 4);
}

// Behind HAProxy in mode tcp every connection comes from the proxy: with limits.trusted_proxies,
// the proxy's PROXY header names the client, and that client is who the hub sees (its address
// limit, its loopback-or-not, its log line). A trusted proxy's connection without the header is
// closed; nobody else's header is believed (it would be a TLS error, not an address).
TEST(ProxyProtocol, ATrustedProxyNamesTheClientWhoseLimitsApply) {
  BareServer server({}, [](Config& c) {
    c.limits.trusted_proxies = {"127.0.0.1"};
    c.limits.connections_per_address = 2;
  });
  RawTls first(server.port());
  first.before_tls(proxy_v2("203.0.113.7"));
  ASSERT_TRUE(first.connect());
  EXPECT_EQ(ask_whereami(first), "203.0.113.7 remote") << "not loopback: the client is outside";

  RawTls second(server.port());
  second.before_tls(proxy_v2("203.0.113.7"));
  ASSERT_TRUE(second.connect());
  RawTls third(server.port());  // over the client's limit of 2, though the proxy has 3
  third.before_tls(proxy_v2("203.0.113.7"));
  EXPECT_FALSE(third.connect()) << "closed before the handshake";
  RawTls other_client(server.port());
  other_client.before_tls(proxy_v2("198.51.100.9"));
  ASSERT_TRUE(other_client.connect());
  EXPECT_EQ(ask_whereami(other_client), "198.51.100.9 remote");

  RawTls check(server.port());  // LOCAL: the proxy's own health check
  check.before_tls(proxy_v2("0.0.0.0", true));
  ASSERT_TRUE(check.connect());
  EXPECT_EQ(ask_whereami(check), "127.0.0.1 loopback");

  RawTls bare(server.port());  // from the proxy's address, without a header
  EXPECT_FALSE(bare.connect());
  RawTls garbage(server.port());
  garbage.before_tls("PROXY TCP4 203.0.113.7 127.0.0.1 50000 8443\r\n");  // v1: not accepted
  EXPECT_FALSE(garbage.connect());
}

// A trusted proxy's connection that sends no header, or half of one, holds its slot no longer
// than a silent TLS client would: the handshake timeout.
TEST(ProxyProtocol, ASilentOrHalfSentHeaderIsCutOffAtTheHandshakeTimeout) {
  BareServer server({}, [](Config& c) {
    c.limits.trusted_proxies = {"127.0.0.1"};
    c.limits.handshake_timeout = std::chrono::milliseconds(300);
  });
  for (const std::string& sent : {std::string(), proxy_v2("203.0.113.7").substr(0, 20)}) {
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    if (!sent.empty()) asio::write(socket, asio::buffer(sent));
    const auto t0 = std::chrono::steady_clock::now();
    char byte;
    boost::system::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);  // blocks until the server closes
    EXPECT_EQ(ec, asio::error::eof) << ec.message();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  }
  for (int i = 0; i < 100 && server.server().open_connections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server.server().open_connections(), 0);
}

TEST(ProxyProtocol, AnUntrustedPeersHeaderIsNeverTakenForAnAddress) {
  BareServer server({}, [](Config& c) { c.limits.trusted_proxies = {"192.0.2.1"}; });
  RawTls plain(server.port());
  ASSERT_TRUE(plain.connect());
  EXPECT_EQ(ask_whereami(plain), "127.0.0.1 loopback");
  RawTls forged(server.port());
  forged.before_tls(proxy_v2("203.0.113.7"));
  EXPECT_FALSE(forged.connect()) << "the header is no TLS: the handshake fails";
}

TEST(Shutdown, InFlightRequestFinishesWithConnectionClose) {
  BareServer server;
  RawTls conn(server.port());
  ASSERT_TRUE(conn.connect());
  conn.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server.server().begin_shutdown();
  auto response = conn.read_response(std::chrono::seconds(5));
  EXPECT_EQ(status_of(response), 200) << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos) << response;
  EXPECT_NE(response.find(R"({"slow":true})"), std::string::npos);
  for (int i = 0; i < 100 && server.server().open_connections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server.server().open_connections(), 0);
}

TEST(Purpose, DataRequestsNeedADecodedPurposeOf1To200Characters) {
  BareServer server;
  RawTls conn(server.port());
  ASSERT_TRUE(conn.connect());
  auto ask = [&](const std::string& header) {
    conn.write("GET /purpose HTTP/1.1\r\nHost: x\r\n" + header + "\r\n");
    return conn.read_response(std::chrono::seconds(5));
  };
  auto missing = ask("");
  EXPECT_EQ(status_of(missing), 400);
  EXPECT_NE(missing.find("\"code\":\"purpose_required\""), std::string::npos);
  // 核验 (verification), percent-encoded UTF-8.
  auto chinese = ask("X-Purpose: %E6%A0%B8%E9%AA%8C\r\n");
  EXPECT_EQ(status_of(chinese), 200);
  EXPECT_NE(chinese.find("核验"), std::string::npos);
  std::string two_hundred;
  for (int i = 0; i < 200; ++i) two_hundred += "%E6%A0%B8";  // 200 characters, 600 bytes
  EXPECT_EQ(status_of(ask("X-Purpose: " + two_hundred + "\r\n")), 200);
  EXPECT_EQ(status_of(ask("X-Purpose: " + two_hundred + "a\r\n")), 400);
  EXPECT_EQ(status_of(ask("X-Purpose: %FF%FE\r\n")), 400);
  EXPECT_EQ(status_of(ask("X-Purpose: bad%0Aline\r\n")), 400);
}

}  // namespace
}  // namespace hub::test
