#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "hub/api/console.hpp"
#include "hub/api/system.hpp"
#include "hub/app/services.hpp"
#include "hub/catalog/service.hpp"
#include "hub/compute/service.hpp"
#include "hub/coordination/demands.hpp"
#include "hub/coordination/escalations.hpp"
#include "hub/coordination/returns.hpp"
#include "hub/indicators/service.hpp"
#include "hub/core/config.hpp"
#include "hub/core/metrics.hpp"
#include "hub/core/worker.hpp"
#include "hub/exchange/service.hpp"
#include "hub/gateway/service.hpp"
#include "hub/http/dispatch.hpp"
#include "hub/http/router.hpp"
#include "hub/ledger/appender.hpp"
#include "hub/ledger/sealer.hpp"
#include "hub/ledger/service.hpp"
#include "hub/members/directory.hpp"
#include "hub/members/secrets.hpp"
#include "hub/members/service.hpp"
#include "hub/monitor/monitor.hpp"
#include "hub/net/server.hpp"
#include "hub/report/issues.hpp"
#include "hub/report/quality.hpp"
#include "hub/report/service.hpp"
#include "hub/sharing/service.hpp"
#include "hub/store/embedded_pg.hpp"

namespace hub {

// The whole server: configuration in, a listening hub out. hubd is main() around this; the
// integration tests run it in-process on port 0.
class App {
 public:
  explicit App(Config config);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Starts the embedded database (when no URL is configured), the I/O threads, the listener and
  // the migrator. Throws on anything that stops start-up (bad certificate, port in use, ...).
  void start();
  // Blocks until SIGINT/SIGTERM or a fatal error, then stops gracefully. Returns the exit code.
  int run_until_signal();
  // Graceful stop: no new connections, in-flight requests finish up to limits.shutdown_grace,
  // then the database connections close and the embedded database stops.
  void stop();

  std::uint16_t port() const;
  // The message of the error that stopped start-up (a different ledger key, say), or empty.
  std::string fatal_error() {
    std::lock_guard lock(mutex_);
    return fatal_error_;
  }
  bool ready() const {
    return state_.migrated.load() && services_->directory.loaded() && grants_ &&
           grants_->loaded() && catalog_index_->loaded();
  }
  sharing::GrantDirectory& grants() { return *grants_; }
  Services& services() { return *services_; }
  const Config& config() const { return config_; }
  const http::Router& router() const { return router_; }
  ledger::Appender& appender() { return *appender_; }
  ledger::Sealer& sealer() { return *sealer_; }
  monitor::Monitor& monitor() { return *monitor_; }
  // The domain's services, for callers other than the REST api (tests, later transports).
  exchange::ExchangeService& exchange() { return *exchange_; }
  sharing::SharingService& sharing() { return *sharing_; }
  gateway::GatewayService& gateway() { return *gateway_; }
  gateway::UpstreamClient& upstream_client() { return *upstream_client_; }
  catalog::CatalogService& catalog() { return *catalog_; }
  indicators::IndicatorService& indicators() { return *indicators_; }
  // The I/O threads: a domain call runs on one (it uses that worker's database pool unlocked).
  Worker& worker(std::size_t index) { return *workers_.at(index); }
  std::string app_conninfo() const { return app_conninfo_; }
  pg::EmbeddedPostgres* embedded_database() { return embedded_.get(); }

 private:
  void register_routes();
  void start_migrator();
  void load_console();
  void fatal(const std::string& message, int exit_code = 1);

  Config config_;
  api::SystemState state_;
  std::unique_ptr<pg::EmbeddedPostgres> embedded_;
  bool embedded_owned_ = false;
  std::string app_conninfo_;
  std::string migrate_conninfo_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  http::Router router_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<members::MembersService> members_;
  std::unique_ptr<catalog::CatalogIndex> catalog_index_;
  std::unique_ptr<catalog::CatalogService> catalog_;
  std::unique_ptr<sharing::GrantDirectory> grants_;
  std::unique_ptr<sharing::SharingService> sharing_;
  std::unique_ptr<coordination::DemandService> demands_;
  std::unique_ptr<coordination::EscalationService> escalations_;
  std::unique_ptr<coordination::ReturnService> returns_;
  std::unique_ptr<indicators::IndicatorService> indicators_;
  std::unique_ptr<members::DirectorySync> directory_sync_;
  std::unique_ptr<sharing::ConsentService> consents_;
  std::unique_ptr<exchange::ExchangeService> exchange_;
  std::unique_ptr<compute::ComputeService> compute_;
  std::unique_ptr<gateway::UpstreamClient> upstream_client_;
  std::unique_ptr<gateway::GatewayService> gateway_;
  std::optional<ledger::SigningKey> ledger_key_;
  std::unique_ptr<ledger::Appender> appender_;
  std::unique_ptr<ledger::Sealer> sealer_;
  std::unique_ptr<ledger::LedgerService> ledger_;
  std::unique_ptr<report::ReportService> reports_;
  std::unique_ptr<report::IssueService> issues_;
  std::unique_ptr<report::QualityService> quality_;
  std::unique_ptr<monitor::AlertService> alerts_;
  std::unique_ptr<monitor::Monitor> monitor_;
  api::ConsoleSite console_;
  std::unique_ptr<http::Gatekeeper> gate_;
  std::unique_ptr<Metrics> metrics_;
  std::shared_ptr<spdlog::logger> access_log_;
  std::unique_ptr<net::Server> server_;

  boost::asio::io_context control_;  // signals and fatal errors
  std::thread migrator_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  bool stopped_ = false;
  int exit_code_ = 0;
  std::string fatal_error_;
  std::optional<members::SecretsFile> secrets_;
};

}  // namespace hub
