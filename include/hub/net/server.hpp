#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/core/config.hpp"
#include "hub/core/metrics.hpp"
#include "hub/core/worker.hpp"
#include "hub/http/dispatch.hpp"
#include "hub/http/router.hpp"

namespace spdlog {
class logger;
}

namespace hub::net {

struct SessionRegistry;

// The HTTPS listener and its connections. One acceptor hands each connection to the next worker
// (round robin); from then on the connection lives on that worker's thread only.
class Server {
 public:
  Server(const Config& config, const http::Router& router, http::Gatekeeper& gate, Metrics& metrics,
         std::vector<std::unique_ptr<Worker>>& workers, boost::asio::ssl::context& tls,
         std::shared_ptr<spdlog::logger> access_log);
  ~Server();

  // Binds and starts accepting (on worker 0). Throws when the address cannot be bound.
  void start();
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Graceful stop, first half: stop accepting, close idle connections, and let busy ones finish
  // their request (answered with Connection: close).
  void begin_shutdown();
  std::int64_t open_connections() const { return open_connections_.load(); }
  // Drops the acceptor; call once no thread runs the workers and before they are destroyed.
  void release_acceptor() { acceptor_.reset(); }

  // The route label used for requests that matched no route (for metrics).
  std::size_t unmatched_route_index() const { return router_.routes().size(); }

 private:
  class Session;
  boost::asio::awaitable<void> accept_loop();
  // Counts a connection of the address; false when it already has connections_per_address.
  bool take_address(const std::string& key);
  void release_address(const std::string& key);
  // Refusal of a connection over its address's limit, logged at most every 10 s.
  void warn_address_limit(const std::string& key);
  bool trusted_proxy(const boost::asio::ip::address& a) const;

  const Config& config_;
  std::vector<boost::asio::ip::address> trusted_proxies_;
  const http::Router& router_;
  http::Gatekeeper& gate_;
  Metrics& metrics_;
  std::vector<std::unique_ptr<Worker>>& workers_;
  boost::asio::ssl::context& tls_;
  std::shared_ptr<spdlog::logger> access_log_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::vector<std::unique_ptr<SessionRegistry>> registries_;  // one per worker
  std::atomic<std::int64_t> open_connections_{0};
  std::atomic<bool> draining_{false};
  std::size_t next_worker_ = 0;
  std::mutex addresses_mutex_;
  std::unordered_map<std::string, unsigned> connections_by_address_;
  std::chrono::steady_clock::time_point last_address_warning_{};  // under addresses_mutex_
};

}  // namespace hub::net
