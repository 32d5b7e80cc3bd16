// The interface services' client (docs/gateway.md) against the stub upstream: answers, keep-alive
// and the pool bound, timeouts and limits, redirects not followed, the breaker, certificates
// (the upstream's CA, the hub's client certificate), the SSRF check at connect time, and a clean
// shutdown with calls still running.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "hub/cli/demo_data.hpp"
#include "hub/cli/stub_upstream.hpp"
#include "hub/core/worker.hpp"
#include "hub/gateway/upstream_client.hpp"
#include "hub/members/credentials.hpp"

namespace {

namespace asio = boost::asio;
using hub::Worker;
using hub::cli::StubOptions;
using hub::cli::StubRequest;
using hub::cli::StubResponse;
using hub::cli::StubUpstream;
using hub::gateway::Breaker;
using hub::gateway::Failure;
using hub::gateway::parse_base_url;
using hub::gateway::Upstream;
using hub::gateway::UpstreamAnswer;
using hub::gateway::UpstreamClient;
using hub::gateway::UpstreamPolicy;
using hub::gateway::UpstreamRequest;
using namespace std::chrono_literals;

Upstream upstream_of(const std::string& url, const std::string& ca_pem = {},
                     std::chrono::milliseconds timeout = 3000ms) {
  std::string why;
  auto up = parse_base_url(url, why);
  EXPECT_TRUE(up) << url << ": " << why;
  up->ca_pem = ca_pem;
  up->timeout = timeout;
  return *up;
}

UpstreamRequest get(std::string target) {
  UpstreamRequest r;
  r.target = std::move(target);
  return r;
}

// A client for one worker (the test's thread runs its io_context).
struct Client {
  explicit Client(hub::ServicesConfig c = {}, std::vector<std::string> hosts = {"localhost"},
                  std::vector<std::string> networks = {})
      : config(std::move(c)),
        policy(std::make_shared<const UpstreamPolicy>(hosts, networks)),
        client(config, policy, 1) {}

  UpstreamAnswer call(const Upstream& up, UpstreamRequest req) {
    auto task = client.call(worker, up, std::move(req));
    auto future = asio::co_spawn(worker.ioc(), std::move(task), asio::use_future);
    worker.ioc().restart();
    worker.ioc().run();
    return future.get();
  }

  // `n` calls at once; the answers in the order they were started.
  std::vector<UpstreamAnswer> concurrent(const std::vector<const Upstream*>& ups,
                                         const std::vector<UpstreamRequest>& reqs) {
    std::vector<std::future<UpstreamAnswer>> futures;
    for (std::size_t i = 0; i < ups.size(); ++i) {
      auto task = client.call(worker, *ups[i], reqs[i]);
      futures.push_back(asio::co_spawn(worker.ioc(), std::move(task), asio::use_future));
    }
    worker.ioc().restart();
    worker.ioc().run();
    std::vector<UpstreamAnswer> out;
    for (auto& f : futures) out.push_back(f.get());
    return out;
  }

  Worker worker{0};
  hub::ServicesConfig config;
  std::shared_ptr<const UpstreamPolicy> policy;
  UpstreamClient client;
};

StubResponse ok_json(const StubRequest&) { return StubResponse::json(200, R"({"ok":true})"); }

TEST(BaseUrl, TakesAStrictUrlApart) {
  std::string why;
  auto up = parse_base_url("https://API.GZGA.gov.cn:8443/population/v1/", why);
  ASSERT_TRUE(up) << why;
  EXPECT_TRUE(up->tls);
  EXPECT_EQ(up->host, "api.gzga.gov.cn");
  EXPECT_EQ(up->port, 8443);
  EXPECT_EQ(up->base_path, "/population/v1");
  EXPECT_EQ(up->key(), "https://api.gzga.gov.cn:8443");

  up = parse_base_url("http://10.1.2.3", why);
  ASSERT_TRUE(up) << why;
  EXPECT_FALSE(up->tls);
  EXPECT_EQ(up->port, 80);
  EXPECT_EQ(up->base_path, "");
  EXPECT_EQ(up->key(), "http://10.1.2.3:80");

  up = parse_base_url("https://[FD00::5]/", why);
  ASSERT_TRUE(up) << why;
  EXPECT_EQ(up->host, "fd00::5");
  EXPECT_EQ(up->key(), "https://[fd00::5]:443");
  EXPECT_EQ(up->base_path, "");

  up = parse_base_url("https://svc.example.cn/api/%E4%BA%BA%E5%8F%A3/v1", why);
  ASSERT_TRUE(up) << why;
  EXPECT_EQ(up->base_path, "/api/%E4%BA%BA%E5%8F%A3/v1");

  for (const char* bad : {"",
                          "ftp://a.cn",
                          "https://",
                          "https:///v1",
                          "//a.cn",
                          "a.cn",
                          "https://user:pw@a.cn",
                          "https://a.cn/v1?x=1",
                          "https://a.cn/#f",
                          "https://a.cn:0",
                          "https://a.cn:65536",
                          "https://a.cn:",
                          "https://a.cn:+80",
                          "https://a.cn:8o",
                          "https://a..cn",
                          "https://.a.cn",
                          "https://a.cn.",
                          "https://-a.cn",
                          "https://a_b.cn",
                          "https://a.cn/v 1",
                          "https://a.cn/v1\n",
                          "https://a.cn/\x01",
                          "https://127.1",
                          "https://0x7f.0.0.1",
                          "https://127.0.0.01",
                          "https://256.0.0.1",
                          "https://1.2.3.4.5",
                          "https://a.123",
                          "https://[fd00::1",
                          "https://[fd00::1]x",
                          "https://[fe80::1%25eth0]",
                          "https://[zz::1]",
                          "https://a.cn/../etc",
                          "https://a.cn/v1/./x",
                          "https://a.cn//v1",
                          "https://a.cn/%2e%2e/x",
                          "https://a.cn/%2F",
                          "https://a.cn/%4",
                          "https://a.cn/%zz",
                          "https://a.cn\\@b.cn",
                          "https://a.cn/v1;x",
                          "https://a\xe4.cn",
                          "HTTPS://a.cn/ v"}) {
    EXPECT_FALSE(parse_base_url(bad, why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  EXPECT_TRUE(parse_base_url("HTTPS://a.cn", why));
  EXPECT_FALSE(parse_base_url("https://a.cn/" + std::string(2000, 'x'), why));
}

TEST(Breaker, OpensAfterConsecutiveFailuresAndLetsOneThrough) {
  Breaker b(3, 1000ms);
  const auto t0 = std::chrono::steady_clock::now();
  b.failed(t0);
  b.failed(t0);
  b.succeeded();  // not consecutive
  b.failed(t0);
  b.failed(t0);
  EXPECT_EQ(b.state(t0), Breaker::State::closed);
  EXPECT_TRUE(b.allow(t0));
  b.failed(t0);
  EXPECT_EQ(b.state(t0), Breaker::State::open);
  EXPECT_EQ(b.times_opened(), 1u);
  EXPECT_FALSE(b.allow(t0 + 999ms));
  EXPECT_EQ(b.state(t0 + 1000ms), Breaker::State::half_open);
  EXPECT_TRUE(b.allow(t0 + 1000ms));   // the one
  EXPECT_FALSE(b.allow(t0 + 1001ms));  // not two
  b.failed(t0 + 1100ms);               // the trial failed: open again, for a full period
  EXPECT_EQ(b.state(t0 + 1200ms), Breaker::State::open);
  EXPECT_FALSE(b.allow(t0 + 2000ms));
  EXPECT_TRUE(b.allow(t0 + 2100ms));
  b.succeeded();
  EXPECT_EQ(b.state(), Breaker::State::closed);
  EXPECT_TRUE(b.allow());
  EXPECT_EQ(b.times_opened(), 2u);

  Breaker never(0, 1000ms);
  for (int i = 0; i < 100; ++i) never.failed();
  EXPECT_EQ(never.state(), Breaker::State::closed);
}

TEST(Breaker, ExactlyOneOfManyThreadsGetsTheTrial) {
  Breaker b(1, 1ms);
  b.failed();
  std::this_thread::sleep_for(5ms);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 1000; ++k) {
        if (b.allow()) allowed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1);
}

TEST(UpstreamClient, AnswersWithTheUpstreamsJsonAndSendsOnlyHubHeaders) {
  StubUpstream stub;
  stub.on("GET", "/v1/ping", ok_json);
  Client c;
  const auto up = upstream_of(stub.base_url() + "/v1", stub.ca_pem());
  auto req = get(up.base_path + "/ping");
  req.headers = {{"X-Hub-Request-Id", "r-1"},
                 {"X-Hub-Consumer", "gzga"},
                 {"X-Hub-Purpose", "%E6%A0%B8%E9%AA%8C"}};
  const auto a = c.call(up, req);
  EXPECT_EQ(a.failure, Failure::none) << a.detail;
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.content_type, "application/json");
  EXPECT_EQ(a.body, R"({"ok":true})");
  EXPECT_GT(a.elapsed.count(), 0);
  ASSERT_EQ(stub.request_count(), 1u);
  const auto seen = stub.requests()[0];
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/v1/ping");
  EXPECT_EQ(seen.header("Host"), "localhost:" + std::to_string(stub.port()));
  EXPECT_EQ(seen.header("User-Agent"), "hub");
  EXPECT_EQ(seen.header("Accept"), "application/json");
  EXPECT_EQ(seen.header("X-Hub-Request-Id"), "r-1");
  EXPECT_EQ(seen.header("X-Hub-Consumer"), "gzga");
  EXPECT_EQ(seen.header("X-Hub-Purpose"), "%E6%A0%B8%E9%AA%8C");
  EXPECT_FALSE(seen.has_header("Authorization"));
  EXPECT_FALSE(seen.has_header("Cookie"));
  EXPECT_EQ(c.client.breaker_state(up.key()), Breaker::State::closed);
}

TEST(UpstreamClient, PostsAJsonBody) {
  StubUpstream stub;
  stub.on("POST", "/v1/check",
          [](const StubRequest& r) { return StubResponse::json(200, r.body); });
  Client c;
  const auto up = upstream_of(stub.base_url() + "/v1", stub.ca_pem());
  auto req = get("/v1/check");
  req.method = boost::beast::http::verb::post;
  req.body = R"({"id_number":"440106198503124314"})";
  const auto a = c.call(up, req);
  EXPECT_EQ(a.failure, Failure::none) << a.detail;
  EXPECT_EQ(a.body, R"({"id_number":"440106198503124314"})");
  const auto seen = stub.requests().at(0);
  EXPECT_EQ(seen.header("Content-Type"), "application/json");
  EXPECT_FALSE(seen.has_header("Authorization"));
}

TEST(UpstreamClient, ReusesOneKeepAliveConnection) {
  StubUpstream stub;
  stub.on("GET", "/v1/ping", ok_json);
  Client c;
  const auto up = upstream_of(stub.base_url() + "/v1", stub.ca_pem());
  const int n = 300;
  int good = 0;
  // One coroutine making the calls one after another (informative: calls/s of this build).
  auto loop = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < n; ++i) {
      auto req = get("/v1/ping");
      const auto a = co_await c.client.call(c.worker, up, std::move(req));
      if (a.failure == Failure::none && a.status == 200) ++good;
    }
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto task = loop();
  auto done = asio::co_spawn(c.worker.ioc(), std::move(task), asio::use_future);
  c.worker.ioc().run();
  done.get();
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%d sequential keep-alive calls: %.0f calls/s (this build)\n", n, n / seconds);
  EXPECT_EQ(good, n);
  EXPECT_EQ(stub.connections_accepted(), 1u);
  EXPECT_EQ(stub.request_count(), static_cast<std::size_t>(n));
  std::string metrics;
  c.client.render_metrics(metrics);
  const std::string label = "{upstream=\"" + up.key() + "\"}";
  EXPECT_NE(metrics.find("hub_upstream_calls_total" + label + " 300\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("hub_upstream_failures_total" + label + " 0\n"), std::string::npos);
  EXPECT_NE(metrics.find("hub_upstream_connections" + label + " 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("hub_upstream_breaker_state" + label + " 0\n"), std::string::npos);
  EXPECT_NE(metrics.find("hub_upstream_duration_seconds_bucket{upstream=\"" + up.key() +
                         "\",le=\"+Inf\"} 300\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("hub_upstream_duration_seconds_count" + label + " 300\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("# TYPE hub_upstream_duration_seconds histogram"), std::string::npos);
}

TEST(UpstreamClient, HoldsAtMostTheBoundAndCallsBeyondWait) {
  StubUpstream stub;
  stub.on("GET", "/v1/slow", [](const StubRequest&) {
    auto r = StubResponse::json(200, R"({"ok":true})");
    r.delay = 50ms;
    return r;
  });
  hub::ServicesConfig config;
  config.connections_per_upstream = 3;
  Client c(config);
  const auto up = upstream_of(stub.base_url(), stub.ca_pem());
  std::vector<const Upstream*> ups(12, &up);
  std::vector<UpstreamRequest> reqs(12, get("/v1/slow"));
  for (const auto& a : c.concurrent(ups, reqs)) {
    EXPECT_EQ(a.failure, Failure::none) << a.detail;
  }
  EXPECT_EQ(stub.request_count(), 12u);
  EXPECT_LE(stub.max_concurrent_connections(), 3u);
  EXPECT_EQ(stub.connections_accepted(), 3u);
}

TEST(UpstreamClient, AWaitForAConnectionEndsWithTheTimeout) {
  StubUpstream stub;
  stub.on("GET", "/v1/slow", [](const StubRequest&) {
    auto r = StubResponse::json(200, R"({"ok":true})");
    r.delay = 400ms;
    return r;
  });
  hub::ServicesConfig config;
  config.connections_per_upstream = 1;
  Client c(config);
  const auto patient = upstream_of(stub.base_url(), stub.ca_pem(), 2000ms);
  const auto hasty = upstream_of(stub.base_url(), stub.ca_pem(), 100ms);
  std::vector<const Upstream*> ups = {&patient, &hasty};
  std::vector<UpstreamRequest> reqs(2, get("/v1/slow"));
  const auto answers = c.concurrent(ups, reqs);
  EXPECT_EQ(answers[0].failure, Failure::none) << answers[0].detail;
  EXPECT_EQ(answers[1].failure, Failure::timeout);
  EXPECT_LT(answers[1].elapsed, 300ms);
  EXPECT_EQ(stub.request_count(), 1u);
}

TEST(UpstreamClient, ASlowUpstreamTimesOut) {
  StubUpstream stub;
  stub.on("GET", "/v1/slow", [](const StubRequest&) {
    auto r = StubResponse::json(200, R"({"ok":true})");
    r.delay = 3000ms;
    return r;
  });
  stub.on("GET", "/v1/dribble", [](const StubRequest&) {
    auto r = StubResponse::json(200, std::string(200, ' ') + "{}");
    r.chunk_pause = 50ms;
    r.chunk_bytes = 10;
    return r;
  });
  Client c;
  const auto up = upstream_of(stub.base_url(), stub.ca_pem(), 300ms);
  for (const char* target : {"/v1/slow", "/v1/dribble"}) {
    const auto a = c.call(up, get(target));
    EXPECT_EQ(a.failure, Failure::timeout) << target << ": " << a.detail;
    EXPECT_GE(a.elapsed, 300ms);
    EXPECT_LT(a.elapsed, 1000ms);
  }
}

TEST(UpstreamClient, AnAnswerOverTheLimitIsTooLarge) {
  StubUpstream stub;
  stub.on("GET", "/v1/huge", [](const StubRequest&) {
    StubResponse r;
    r.huge_body = 8u << 20;
    return r;
  });
  stub.on("GET", "/v1/ping", ok_json);
  hub::ServicesConfig config;
  config.max_response_bytes = 1u << 20;
  Client c(config);
  const auto up = upstream_of(stub.base_url(), stub.ca_pem());
  const auto a = c.call(up, get("/v1/huge"));
  EXPECT_EQ(a.failure, Failure::too_large) << a.detail;
  EXPECT_TRUE(a.body.empty());
  // That connection was closed; the next call makes another.
  EXPECT_EQ(c.call(up, get("/v1/ping")).failure, Failure::none);
  EXPECT_EQ(stub.connections_accepted(), 2u);
}

TEST(UpstreamClient, ARedirectIsReturnedNotFollowed) {
  StubUpstream stub;
  stub.on("GET", "/v1/moved", [](const StubRequest&) {
    auto r = StubResponse::json(302, "");
    r.headers = {{"Location", "https://localhost/v1/elsewhere"}};
    return r;
  });
  Client c;
  const auto up = upstream_of(stub.base_url(), stub.ca_pem());
  const auto a = c.call(up, get("/v1/moved"));
  EXPECT_EQ(a.failure, Failure::none);
  EXPECT_EQ(a.status, 302u);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(stub.request_count(), 1u);
}

TEST(UpstreamClient, BreakerOpensThenLetsOneTrialThroughThenCloses) {
  StubUpstream stub;
  std::atomic<bool> healthy{false};
  stub.on("GET", "/v1/x", [&](const StubRequest&) {
    if (healthy) {
      auto r = StubResponse::json(200, R"({"ok":true})");
      r.delay = 50ms;  // so that the second call comes while the trial runs
      return r;
    }
    return StubResponse::json(500, R"({"error":"db down"})");
  });
  hub::ServicesConfig config;
  config.breaker_failures = 3;
  config.breaker_open = 200ms;
  Client c(config);
  const auto up = upstream_of(stub.base_url(), stub.ca_pem());
  for (int i = 0; i < 3; ++i) {
    const auto a = c.call(up, get("/v1/x"));
    EXPECT_EQ(a.failure, Failure::none);
    EXPECT_EQ(a.status, 500u);
  }
  EXPECT_EQ(c.client.breaker_state(up.key()), Breaker::State::open);
  const auto refused = c.call(up, get("/v1/x"));
  EXPECT_EQ(refused.failure, Failure::breaker_open);
  EXPECT_EQ(stub.request_count(), 3u);

  // After the open period a failing trial opens it again.
  std::this_thread::sleep_for(250ms);
  EXPECT_EQ(c.client.breaker_state(up.key()), Breaker::State::half_open);
  EXPECT_EQ(c.call(up, get("/v1/x")).status, 500u);
  EXPECT_EQ(c.client.breaker_state(up.key()), Breaker::State::open);
  EXPECT_EQ(stub.request_count(), 4u);

  // Then a good trial: exactly one of two calls goes through, and it closes the breaker.
  std::this_thread::sleep_for(250ms);
  healthy = true;
  std::vector<const Upstream*> ups(2, &up);
  std::vector<UpstreamRequest> reqs(2, get("/v1/x"));
  const auto answers = c.concurrent(ups, reqs);
  EXPECT_EQ(answers[0].failure, Failure::none);
  EXPECT_EQ(answers[0].status, 200u);
  EXPECT_EQ(answers[1].failure, Failure::breaker_open);
  EXPECT_EQ(stub.request_count(), 5u);
  EXPECT_EQ(c.client.breaker_state(up.key()), Breaker::State::closed);
  EXPECT_EQ(c.call(up, get("/v1/x")).status, 200u);

  std::string metrics;
  c.client.render_metrics(metrics);
  const std::string label = "{upstream=\"" + up.key() + "\"}";
  EXPECT_NE(metrics.find("hub_upstream_failures_total" + label + " 4\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("hub_upstream_breaker_rejections_total" + label + " 2\n"),
            std::string::npos);
}

TEST(UpstreamClient, AnAnswerTheCallerCannotUseCountsAsAFailure) {
  StubUpstream stub;
  stub.on("GET", "/v1/html", [](const StubRequest&) {
    auto r = StubResponse::json(200, "<html>maintenance</html>");
    r.content_type = "text/html";
    return r;
  });
  hub::ServicesConfig config;
  config.breaker_failures = 2;
  Client c(config);
  const auto up = upstream_of(stub.base_url(), stub.ca_pem());
  int judged = 0;
  auto req = get("/v1/html");
  req.usable = [&judged](const UpstreamAnswer& a) {
    ++judged;
    return a.content_type == "application/json";
  };
  EXPECT_EQ(c.call(up, req).status, 200u);
  EXPECT_EQ(c.call(up, req).status, 200u);
  EXPECT_EQ(judged, 2);
  EXPECT_EQ(c.client.breaker_state(up.key()), Breaker::State::open);
  EXPECT_EQ(c.call(up, req).failure, Failure::breaker_open);
}

TEST(UpstreamClient, VerifiesTheUpstreamsCertificate) {
  StubUpstream stub;
  stub.on("GET", "/v1/ping", ok_json);
  StubUpstream other;
  Client c;
  // Another CA, and the system's CAs: neither signed the stub's certificate.
  for (const std::string& ca : {other.ca_pem(), std::string()}) {
    const auto up = upstream_of(stub.base_url(), ca);
    const auto a = c.call(up, get("/v1/ping"));
    EXPECT_EQ(a.failure, Failure::connect) << a.detail;
  }
  EXPECT_EQ(stub.request_count(), 0u);
  // Its own CA, by name and by literal address (the certificate names both).
  Client by_ip({}, {"localhost", "127.0.0.1"});
  for (const char* host : {"localhost", "127.0.0.1"}) {
    const auto up = upstream_of(stub.base_url(host), stub.ca_pem());
    const auto a = by_ip.call(up, get("/v1/ping"));
    EXPECT_EQ(a.failure, Failure::none) << host << ": " << a.detail;
  }
}

TEST(UpstreamClient, ConnectsOnlyToAddressesThePolicyAllows) {
  StubUpstream stub;
  stub.on("GET", "/v1/ping", ok_json);
  // "localhost" resolves to loopback; a wildcard is not enough for an internal address.
  {
    Client c({}, {"*.localhost", "localhost.gov.cn"});
    const auto up = upstream_of(stub.base_url(), stub.ca_pem());
    const auto a = c.call(up, get("/v1/ping"));
    EXPECT_EQ(a.failure, Failure::refused_address) << a.detail;
    EXPECT_NE(a.detail.find("127.0.0.1"), std::string::npos) << a.detail;
  }
  // The literal address, when only the name is listed.
  {
    Client c({}, {"localhost"});
    const auto up = upstream_of(stub.base_url("127.0.0.1"), stub.ca_pem());
    EXPECT_EQ(c.call(up, get("/v1/ping")).failure, Failure::refused_address);
  }
  // An allowed network lets any host through to its addresses, but the host must be listed.
  {
    Client c({}, {"localhost"}, {"127.0.0.0/8"});
    const auto up = upstream_of(stub.base_url(), stub.ca_pem());
    EXPECT_EQ(c.call(up, get("/v1/ping")).failure, Failure::none);
    Client unlisted({}, {"intranet.gov.cn"}, {"127.0.0.0/8"});
    EXPECT_EQ(unlisted.call(up, get("/v1/ping")).failure, Failure::refused_address);
  }
  EXPECT_EQ(stub.request_count(), 1u);
  // A name that does not resolve.
  {
    Client c({}, {"no-such-host.invalid"});
    const auto up = upstream_of("https://no-such-host.invalid", stub.ca_pem());
    EXPECT_EQ(c.call(up, get("/v1/ping")).failure, Failure::resolve);
  }
}

TEST(UpstreamClient, PresentsTheHubsClientCertificate) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hub-upstream-pki-" + std::to_string(::getpid()));
  const auto pki = hub::cli::make_client_pki(dir);
  StubOptions options;
  options.client_ca_pem = pki.ca_pem;
  StubUpstream stub(options);
  stub.on("GET", "/v1/ping", ok_json);
  const auto up = upstream_of(stub.base_url(), stub.ca_pem());
  {
    Client without;
    const auto a = without.call(up, get("/v1/ping"));
    EXPECT_EQ(a.failure, Failure::connect) << a.detail;
  }
  {
    hub::ServicesConfig config;
    config.client_cert = pki.cert.string();
    config.client_key = pki.key.string();
    Client with(config);
    const auto a = with.call(up, get("/v1/ping"));
    EXPECT_EQ(a.failure, Failure::none) << a.detail;
  }
  EXPECT_EQ(stub.request_count(), 1u);
  hub::ServicesConfig bad;
  bad.client_cert = (dir / "missing.pem").string();
  bad.client_key = pki.key.string();
  EXPECT_THROW(Client{bad}, std::invalid_argument);
  std::filesystem::remove_all(dir);
}

TEST(UpstreamClient, AConnectionBrokenMidAnswerIsBroken) {
  StubUpstream stub;
  stub.on("GET", "/v1/cut", [](const StubRequest&) {
    auto r = StubResponse::json(200, std::string(100, ' ') + "{}");
    r.break_after = 10;
    return r;
  });
  stub.on("GET", "/v1/silent", [](const StubRequest&) {
    StubResponse r;
    r.close_without_answer = true;
    return r;
  });
  Client c;
  const auto up = upstream_of(stub.base_url(), stub.ca_pem());
  const auto cut = c.call(up, get("/v1/cut"));
  EXPECT_EQ(cut.failure, Failure::broken) << cut.detail;
  const auto silent = c.call(up, get("/v1/silent"));  // a fresh connection: not retried
  EXPECT_EQ(silent.failure, Failure::broken) << silent.detail;
  EXPECT_EQ(stub.request_count(), 2u);
}

TEST(UpstreamClient, AReusedConnectionTheServerDroppedIsRetriedOnceForAGet) {
  StubUpstream stub;
  std::atomic<int> n{0};
  stub.on("*", "/v1/flaky", [&](const StubRequest&) {
    StubResponse r = StubResponse::json(200, R"({"ok":true})");
    if (++n == 2) r.close_without_answer = true;  // as a server closing an idle connection
    return r;
  });
  Client c;
  const auto up = upstream_of(stub.base_url(), stub.ca_pem());
  EXPECT_EQ(c.call(up, get("/v1/flaky")).failure, Failure::none);
  const auto a = c.call(up, get("/v1/flaky"));
  EXPECT_EQ(a.failure, Failure::none) << a.detail;
  EXPECT_EQ(stub.request_count(), 3u);
  EXPECT_EQ(stub.connections_accepted(), 2u);

  // A POST is not sent twice: the upstream may have acted on it.
  n = 0;
  auto post = get("/v1/flaky");
  post.method = boost::beast::http::verb::post;
  post.body = "{}";
  EXPECT_EQ(c.call(up, post).failure, Failure::none);
  EXPECT_EQ(c.call(up, post).failure, Failure::broken);
  EXPECT_EQ(stub.request_count(), 5u);
}

TEST(UpstreamClient, PlainHttpOnlyWhenAllowed) {
  StubOptions options;
  options.tls = false;
  StubUpstream stub(options);
  stub.on("GET", "/v1/ping", ok_json);
  const auto up = upstream_of(stub.base_url());
  EXPECT_FALSE(up.tls);
  Client refused;
  EXPECT_EQ(refused.call(up, get("/v1/ping")).failure, Failure::refused_address);
  hub::ServicesConfig config;
  config.allow_http = true;
  Client allowed(config);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(allowed.call(up, get("/v1/ping")).status, 200u);
  EXPECT_EQ(stub.connections_accepted(), 1u);
}

TEST(UpstreamClient, RefusesControlCharactersInTargetAndHeaders) {
  Client c;
  const auto up = upstream_of("https://localhost:1");
  auto bad_header = get("/v1/x");
  bad_header.headers = {{"X-Hub-Purpose", "a\r\nAuthorization: Bearer x"}};
  EXPECT_THROW(c.call(up, bad_header), std::invalid_argument);
  EXPECT_THROW(c.call(up, get("/v1/x y")), std::invalid_argument);
  EXPECT_THROW(c.call(up, get("v1")), std::invalid_argument);
}

TEST(UpstreamClient, ShutsDownCleanlyWithCallsRunningAndConnectionsPooled) {
  StubUpstream stub;
  stub.on("GET", "/v1/ping", ok_json);
  stub.on("GET", "/v1/slow", [](const StubRequest&) {
    auto r = StubResponse::json(200, "{}");
    r.delay = 5000ms;
    return r;
  });
  hub::ServicesConfig config;
  config.connections_per_upstream = 2;
  const auto policy = std::make_shared<const UpstreamPolicy>(std::vector<std::string>{"localhost"},
                                                             std::vector<std::string>{});
  const auto up = upstream_of(stub.base_url(), stub.ca_pem(), 10000ms);
  auto ping = get("/v1/ping");
  auto slow = get("/v1/slow");
  // The worker's io_context goes first (pooled connections, a call reading, a call waiting for a
  // connection), then the client; and the other way round.
  for (int order = 0; order < 2; ++order) {
    auto client = std::make_unique<UpstreamClient>(config, policy, 1);
    auto worker = std::make_unique<Worker>(0);
    auto t1 = client->call(*worker, up, ping);
    asio::co_spawn(worker->ioc(), std::move(t1), asio::detached);
    worker->ioc().run();
    for (int i = 0; i < 3; ++i) {
      auto t = client->call(*worker, up, slow);
      asio::co_spawn(worker->ioc(), std::move(t), asio::detached);
    }
    worker->ioc().restart();
    worker->ioc().run_for(200ms);
    if (order == 0) {
      worker.reset();
      client.reset();
    } else {
      client.reset();
      worker.reset();
    }
  }
  // close() on the worker's thread, as App::stop would.
  UpstreamClient client(config, policy, 1);
  Worker worker(0);
  auto t = client.call(worker, up, ping);
  asio::co_spawn(worker.ioc(), std::move(t), asio::detached);
  worker.ioc().run();
  client.close(worker);
  std::string metrics;
  client.render_metrics(metrics);
  EXPECT_NE(metrics.find("hub_upstream_connections{upstream=\"" + up.key() + "\"} 0\n"),
            std::string::npos)
      << metrics;
}

TEST(StubUpstream, DemoAnswersAsTheProvidersWould) {
  auto stub = StubUpstream::demo();
  Client c;
  const auto population = upstream_of(stub->base_url() + "/population/v1", stub->ca_pem());
  // 陈志强, percent-encoded as the hub sends it.
  const std::string id = hub::cli::citizen_id("44010619850312431");
  const auto yes = c.call(population, get("/population/v1/verify?id_number=" + id +
                                          "&name=%E9%99%88%E5%BF%97%E5%BC%BA"));
  EXPECT_EQ(yes.status, 200u) << yes.body;
  EXPECT_NE(yes.body.find(R"("match":true)"), std::string::npos) << yes.body;
  EXPECT_NE(yes.body.find(R"("household_district":"440106")"), std::string::npos) << yes.body;
  const auto no =
      c.call(population, get("/population/v1/verify?id_number=" + id + "&name=%E6%9D%8E%E5%9B%9B"));
  EXPECT_NE(no.body.find(R"("match":false)"), std::string::npos) << no.body;
  EXPECT_EQ(c.call(population, get("/population/v1/verify?name=x")).status, 400u);

  const auto market = upstream_of(stub->base_url() + "/market/v1", stub->ca_pem());
  const std::string uscc =
      std::string("91440106MA59C3T8K") + hub::members::uscc_check_character("91440106MA59C3T8K");
  const auto found = c.call(market, get("/market/v1/enterprises/" + uscc));
  EXPECT_EQ(found.status, 200u);
  EXPECT_NE(found.body.find("广州天河云数科技有限公司"), std::string::npos) << found.body;
  EXPECT_NE(found.body.find(R"("legal_representative_id":")" + id + "\""), std::string::npos)
      << found.body;
  const auto missing = c.call(market, get("/market/v1/enterprises/91440101MA5CXXXXXX"));
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(c.call(market, get("/elsewhere")).status, 404u);
}

// A directory of its own for a test, removed after it.
struct TempDir {
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(StubUpstream, KeepsItsCaInTheStateDirAcrossRestarts) {
  const TempDir dir("hub-stub-state");
  StubOptions options;
  options.state_dir = dir.path;
  std::string ca;
  {
    auto stub = StubUpstream::demo(options);
    EXPECT_FALSE(stub->kept_state());
    ca = stub->ca_pem();
    EXPECT_EQ(file_text(dir.path / "ca.pem"), ca);
    namespace fs = std::filesystem;
    for (const char* key : {"ca-key.pem", "server-key.pem"}) {
      EXPECT_EQ(fs::status(dir.path / key).permissions() & fs::perms::all,
                fs::perms::owner_read | fs::perms::owner_write)
          << key;
    }
    EXPECT_TRUE(fs::exists(dir.path / "server.pem"));
  }
  const std::string server = file_text(dir.path / "server.pem");
  // Restarted: the same CA and server certificate, and a client that trusts only that CA (as
  // the hub with the ca_pem registered before) is served.
  {
    auto stub = StubUpstream::demo(options);
    EXPECT_TRUE(stub->kept_state());
    EXPECT_EQ(stub->ca_pem(), ca);
    EXPECT_EQ(file_text(dir.path / "server.pem"), server);
    Client c;
    const auto market = upstream_of(stub->base_url() + "/market/v1", ca);
    const std::string uscc =
        std::string("91440106MA59C3T8K") + hub::members::uscc_check_character("91440106MA59C3T8K");
    const auto a = c.call(market, get("/market/v1/enterprises/" + uscc));
    EXPECT_EQ(a.failure, Failure::none) << a.detail;
    EXPECT_EQ(a.status, 200u) << a.body;
  }
  // A server certificate that is no longer good is made again with the same CA.
  {
    std::ofstream(dir.path / "server.pem") << "not a certificate\n";
    StubUpstream stub(options);
    stub.on("GET", "/v1/ping", ok_json);
    EXPECT_FALSE(stub.kept_state());
    EXPECT_EQ(stub.ca_pem(), ca);
    EXPECT_NE(file_text(dir.path / "server.pem"), server);
    Client c;
    const auto a = c.call(upstream_of(stub.base_url(), ca), get("/v1/ping"));
    EXPECT_EQ(a.failure, Failure::none) << a.detail;
  }
  // A CA whose key is gone is made again, and written, with a server certificate it signs.
  {
    std::filesystem::remove(dir.path / "ca-key.pem");
    StubUpstream stub(options);
    stub.on("GET", "/v1/ping", ok_json);
    EXPECT_FALSE(stub.kept_state());
    EXPECT_NE(stub.ca_pem(), ca);
    EXPECT_EQ(file_text(dir.path / "ca.pem"), stub.ca_pem());
    Client c;
    EXPECT_EQ(c.call(upstream_of(stub.base_url(), ca), get("/v1/ping")).failure, Failure::connect);
    EXPECT_EQ(c.call(upstream_of(stub.base_url(), stub.ca_pem()), get("/v1/ping")).failure,
              Failure::none);
  }
}

TEST(StubUpstream, ListensOnTheHostAndPortAsked) {
  std::uint16_t port = 0;
  {
    StubUpstream probe;  // a port that was free a moment ago
    port = probe.port();
  }
  StubOptions options;
  options.port = port;
  options.listen_host = "localhost";
  StubUpstream stub(options);
  stub.on("GET", "/v1/ping", ok_json);
  EXPECT_EQ(stub.port(), port);
  Client c;
  const auto a = c.call(upstream_of("https://localhost:" + std::to_string(port), stub.ca_pem()),
                        get("/v1/ping"));
  EXPECT_EQ(a.failure, Failure::none) << a.detail;
  // The port is taken now: a second stub there says so.
  try {
    StubUpstream second(options);
    ADD_FAILURE() << "a second stub listened on " << port;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(port)),
              std::string::npos)
        << e.what();
  }
  options.listen_host = "not an address";
  EXPECT_THROW(StubUpstream bad(options), std::invalid_argument);
}

}  // namespace
