#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hub/app/services.hpp"
#include "hub/catalog/index.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/error.hpp"
#include "hub/gateway/call.hpp"
#include "hub/gateway/upstream_client.hpp"
#include "hub/ledger/appender.hpp"
#include "hub/sharing/grants.hpp"

namespace hub::gateway {

// Where a call's answer goes (the transport's renderer), as exchange::ShareSink: it returns the
// SHA-256 of the exact bytes the consumer will get; the domain records them before returning.
class CallSink {
 public:
  virtual ~CallSink() = default;
  virtual std::string deliver(const CallAnswer& answer) = 0;
  virtual std::string refuse(const ApiError& error) = 0;
  virtual void recorded(std::int64_t ledger_index) = 0;
};

// The service's state and last hour (GET /services/{code}/health).
struct Health {
  Breaker::State state = Breaker::State::closed;
  std::int64_t calls_1h = 0;
  std::int64_t failures_1h = 0;
  std::optional<double> p50_ms;
  std::optional<double> p99_ms;
};

// The services gateway: a consumer's call of a provider's operation, checked against its grant,
// passed to the upstream, its answer filtered and masked, and recorded in the ledger before the
// answer leaves — the same rule as every data request (docs/gateway.md).
class GatewayService {
 public:
  GatewayService(Services& services, catalog::CatalogIndex& catalog,
                 sharing::GrantDirectory& grants, ledger::Appender& ledger, UpstreamClient& client);

  boost::asio::awaitable<void> call(const Caller& caller, const CallRequest& request,
                                    CallSink& sink);
  // A call refused before it reached the domain (a body that is not JSON): recorded all the same,
  // then thrown (the purpose's own refusal first, as for every share).
  boost::asio::awaitable<void> refused(const Caller& caller, const std::string& service_code,
                                       const std::string& operation_id, const ApiError& error,
                                       CallSink& sink);
  boost::asio::awaitable<Health> health(const Caller& caller, const std::string& service_code);

 private:
  struct Call;
  std::shared_ptr<const ServiceDefinition> definition(const Principal& me, const std::string& code);
  boost::asio::awaitable<void> run(const Caller& caller, Call& call, const CallRequest& request,
                                   CallSink& sink);
  boost::asio::awaitable<CallAnswer> perform(const Caller& caller, Call& call,
                                             const CallRequest& request);
  boost::asio::awaitable<void> record(const Caller& caller, const Call& call, int status,
                                      const std::string& digest, CallSink& sink);
  void outage(const Caller& caller, const ServiceDefinition& service, const UpstreamAnswer& a,
              Breaker::State before);

  Services& services_;
  catalog::CatalogIndex& catalog_;
  sharing::GrantDirectory& grants_;
  ledger::Appender& ledger_;
  UpstreamClient& client_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, std::pair<std::shared_ptr<const catalog::IndexEntry>,
                                            std::shared_ptr<const ServiceDefinition>>>
      cache_;
};

}  // namespace hub::gateway
