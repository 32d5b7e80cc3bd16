#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hub/core/config.hpp"
#include "hub/gateway/upstream_policy.hpp"

namespace hub {
class Worker;
}

namespace hub::gateway {

// Where a service's calls go: its upstream's base_url taken apart, with its own CA and timeout.
struct Upstream {
  bool tls = true;   // https (http only with services.allow_http)
  std::string host;  // lower-case name or literal address (no brackets)
  std::uint16_t port = 443;
  std::string base_path;  // "" or "/v1" (no trailing slash)
  std::string ca_pem;     // empty: the system's CAs
  std::chrono::milliseconds timeout{5000};

  // "https://host:port" identity of the pool, the breaker and the metrics (no path); the port is
  // always written, an IPv6 host in brackets.
  std::string key() const;
};

// Takes a base_url apart: scheme http or https, a host (name, IPv4, [IPv6]), an optional port,
// an optional path; no user info, query or fragment. nullopt with `why` otherwise. Strict (at most
// 2000 characters, ASCII without whitespace or controls): a name is dot-separated labels of
// [a-z0-9-] whose last label begins with a letter (so "127.1" or "0x7f.0.0.1" is no name), a
// number-and-dots host must be a dotted quad, the port is 1..65535, the path is segments of
// [A-Za-z0-9-._~] and %XX of non-ASCII bytes (no dot segments, no empty segments, no encoded
// ASCII). The host is lower-cased; one trailing '/' of the path is dropped.
std::optional<Upstream> parse_base_url(std::string_view url, std::string& why);

struct UpstreamAnswer;

struct UpstreamRequest {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;  // base_path + the operation's path, params filled and percent-encoded
  std::string body;    // JSON, for POST
  std::vector<std::pair<std::string, std::string>> headers;  // X-Hub-* (never the consumer's)
  // The caller's judgement of an answer that came (no failure, status below 500): false when it
  // cannot use it (a 2xx that is not JSON: a 502 of API.md), which then counts as a failure for
  // the breaker and the metrics. Called once, on the worker's thread, before call() returns; it
  // may keep what it parsed. Empty: every such answer is usable.
  std::function<bool(const UpstreamAnswer&)> usable;
};

// Why no usable answer came.
enum class Failure {
  none,
  refused_address,  // every address the host resolved to is refused by the policy (SSRF), or
                    // the host itself is no longer allowed, or http:// without allow_http
  resolve,          // the name did not resolve
  connect,          // refused, reset, TLS handshake or certificate verification failed
  broken,           // the connection broke while sending or reading (or the client was closed)
  timeout,          // no full answer within the upstream's timeout
  too_large,        // the answer is over services.max_response_bytes
  breaker_open,     // not called: the breaker is open
};
std::string_view failure_name(Failure f);

struct UpstreamAnswer {
  Failure failure = Failure::none;
  unsigned status = 0;  // the upstream's status when it answered (3xx included: never followed)
  std::string content_type;
  std::string body;
  std::chrono::microseconds elapsed{0};
  std::string detail;  // for the operators' log; never sent to a consumer
};

// The breaker of one upstream (API.md: opens after N consecutive failures, lets one call through
// after the open period; that call's outcome closes it or opens it again). Shared by the node's
// threads: a mutex, skipped by allow() and succeeded() while it is closed with no failure counted
// (the hot path). failures_to_open 0: never opens. A success reported while it is open (a call
// that began before it opened) changes nothing; a success in half_open (the trial) closes it.
class Breaker {
 public:
  enum class State { closed, open, half_open };
  Breaker(unsigned failures_to_open, std::chrono::milliseconds open_for);
  // May a call go now? In half_open exactly one caller gets true until it reports.
  bool allow(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  void succeeded();
  void failed(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  // open turns half_open once the open period has passed (the next allow() lets one through).
  State state(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) const;
  std::uint64_t times_opened() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};
std::string_view state_name(Breaker::State s);

// Calls providers' APIs for the node. Each worker thread has its own keep-alive pool per
// upstream (used only from that thread), bounded so the node holds at most
// services.connections_per_upstream connections to one upstream (that number split evenly
// between the workers, at least 1 each); a call beyond waits for one, within its timeout. Every
// new connection resolves the host now and connects only to addresses the policy allows (the
// SSRF check at connect time); the certificate is verified against the upstream's ca_pem or the
// system's CAs and its name; the hub's client certificate is presented when configured. Redirects
// are never followed (a 3xx is returned as it is). Answers longer than
// services.max_response_bytes are cut off (too_large) and that connection closed. docs/gateway.md.
class UpstreamClient {
 public:
  // Throws std::invalid_argument without a policy or when services.client_cert/client_key
  // cannot be loaded (read once here, to stop start-up rather than fail calls).
  UpstreamClient(const ServicesConfig& config, std::shared_ptr<const UpstreamPolicy> policy,
                 unsigned workers);
  ~UpstreamClient();
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // Runs on `worker`'s thread (index below `workers`); `upstream` must outlive the call (a named
  // local of the caller). Checks the breaker first (breaker_open without calling), then calls,
  // and reports the outcome to the breaker and the metrics: 5xx, every failure (refused_address,
  // resolve, connect, broken, timeout, too_large: the 502/504 of API.md) and an answer
  // `request.usable` refuses count as failures; other statuses as successes. The whole call
  // (waiting for a connection, connecting, sending, reading) is bounded by upstream.timeout.
  // Throws std::invalid_argument for a target or header with control characters.
  boost::asio::awaitable<UpstreamAnswer> call(Worker& worker, const Upstream& upstream,
                                              UpstreamRequest request);

  Breaker::State breaker_state(const std::string& upstream_key) const;
  // Prometheus text: per upstream calls, failures, a latency histogram, breaker state (0 closed,
  // 1 half_open, 2 open), open connections, calls refused by the open breaker.
  void render_metrics(std::string& out) const;
  // Closes every pooled connection of `worker` (called on that worker's thread at stop, before
  // its io_context goes; also done by the io_context's own shutdown if forgotten). Calls still
  // running there finish with their connection closed; calls waiting for one fail as broken.
  void close(Worker& worker);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with running calls, which may outlive the client
};

}  // namespace hub::gateway
