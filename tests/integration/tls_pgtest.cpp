// TLS and connection handling at the Server level, with routes of the test's own.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
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
  explicit BareServer(const std::filesystem::path& client_ca = {}) : dir_() {
    config_.listen = "127.0.0.1:0";
    config_.limits.shutdown_grace = std::chrono::seconds(3);
    auto paths = net::ensure_self_signed(dir_.path());
    tls_ = std::make_unique<asio::ssl::context>(
        net::make_server_context(paths.cert, paths.key, client_ca));
    router_.add(Verb::get, "/whoami", Access::anyone(),
                [](http::Request& req) -> asio::awaitable<Response> {
                  co_return Response::text(http::Status::ok, req.peer_cert_sha256.value_or("none"),
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
