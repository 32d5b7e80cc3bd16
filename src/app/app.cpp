#include "hub/app/app.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/executor_work_guard.hpp>
#include <csignal>

#include "hub/api/authenticator.hpp"
#include "hub/api/catalog_api.hpp"
#include "hub/api/compute_api.hpp"
#include "hub/api/coordination_api.hpp"
#include "hub/api/indicators_api.hpp"
#include "hub/api/exchange_api.hpp"
#include "hub/api/ledger_api.hpp"
#include "hub/api/members_api.hpp"
#include "hub/api/report_api.hpp"
#include "hub/api/services_api.hpp"
#include "hub/api/sharing_api.hpp"
#include "hub/core/error.hpp"
#include "hub/core/log.hpp"
#include "hub/net/tls.hpp"
#include "hub/store/migrations.hpp"

namespace hub {

namespace asio = boost::asio;

namespace {

// 10,000 keep-alive clients need 10,000 descriptors: take what the hard limit allows.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

App::App(Config config)
    : config_(std::move(config)), services_(std::make_unique<Services>(config_)) {}

App::~App() { stop(); }

void App::start() {
  access_log_ = init_logging(config_.log);
  // A malformed calendar stops start-up (ConfigError), before anything is started.
  auto calendar = config_.sharing.calendar_file.empty()
                      ? sharing::WorkingCalendar::built_in()
                      : sharing::WorkingCalendar::load(config_.sharing.calendar_file);
  // The ledger's signing key: configured (every node of a cluster shares it), or made in the data
  // dir at first start. A bad key stops start-up (ConfigError).
  ledger_key_ = ledger::SigningKey::load(config_.ledger.key_file.empty()
                                             ? config_.data_dir / "ledger" / "signing-key.pem"
                                             : std::filesystem::path(config_.ledger.key_file),
                                         config_.ledger.key_file.empty());
  // The hub's shared secrets, when kept in a file: a bad file stops start-up (ConfigError).
  if (!config_.secrets.file.empty()) secrets_ = members::SecretsFile::load(config_.secrets.file);
  std::signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();

  if (config_.database.url.empty()) {
    embedded_ = std::make_unique<pg::EmbeddedPostgres>(config_.data_dir / "postgres",
                                                       config_.database.embedded_bin_dir);
    // Enough for every pool, the migrator and the directory sync, with room for operators.
    embedded_->set_max_connections(config_.effective_threads() * config_.database.pool_size + 20);
    embedded_->claim();
    embedded_->start();
    embedded_owned_ = true;
    app_conninfo_ = embedded_->app_conninfo();
    migrate_conninfo_ = embedded_->owner_conninfo();
  } else {
    app_conninfo_ = config_.database.url;
    migrate_conninfo_ =
        config_.database.migrate_url.empty() ? config_.database.url : config_.database.migrate_url;
  }

  std::filesystem::path cert = config_.tls.cert;
  std::filesystem::path key = config_.tls.key;
  if (cert.empty()) {
    auto paths = net::ensure_self_signed(config_.data_dir);
    cert = paths.cert;
    key = paths.key;
  }
  tls_ = std::make_unique<asio::ssl::context>(
      net::make_server_context(cert, key, config_.tls.client_ca));

  const unsigned threads = config_.effective_threads();
  pg::PoolOptions pool_options;
  pool_options.connection.conninfo = app_conninfo_;
  pool_options.connection.connect_timeout = config_.database.connect_timeout;
  pool_options.connection.query_timeout = config_.database.query_timeout;
  pool_options.max_size = config_.database.pool_size;
  pool_options.acquire_timeout = config_.database.acquire_timeout;
  pool_options.retry_backoff = config_.database.retry_backoff;
  for (unsigned i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>(i);
    worker->set_pool(std::make_unique<pg::Pool>(worker->ioc(), pool_options));
    workers_.push_back(std::move(worker));
  }

  members_ = std::make_unique<members::MembersService>(*services_);
  catalog_index_ = std::make_unique<catalog::CatalogIndex>();
  catalog_ = std::make_unique<catalog::CatalogService>(*services_, *catalog_index_);
  grants_ = std::make_unique<sharing::GrantDirectory>();
  sharing_ = std::make_unique<sharing::SharingService>(*services_, *grants_, std::move(calendar));
  demands_ = std::make_unique<coordination::DemandService>(*services_, sharing_->calendar());
  returns_ = std::make_unique<coordination::ReturnService>(*services_);
  escalations_ =
      std::make_unique<coordination::EscalationService>(*services_, sharing_->calendar());
  gate_ = std::make_unique<api::Authenticator>(services_->directory, services_->rate_limiter);
  ledger::AppenderOptions appender_options;
  appender_options.conninfo = app_conninfo_;
  appender_options.max_batch = config_.ledger.max_batch;
  appender_options.connect_timeout = config_.database.connect_timeout;
  appender_options.retry_backoff = config_.database.retry_backoff;
  appender_options.resolve_timeout = config_.ledger.resolve_timeout;
  appender_ = std::make_unique<ledger::Appender>(appender_options);
  // The exchange store records every share in the ledger itself, whoever calls it.
  consents_ = std::make_unique<sharing::ConsentService>(*services_, sharing_->calendar());
  exchange_ = std::make_unique<exchange::ExchangeService>(*services_, *catalog_index_, *grants_,
                                                          *consents_, *appender_);
  // Joint computations: runs read their inputs and record them the same way.
  compute::RunLimits run_limits;
  run_limits.per_subject_per_hour = config_.exchange.compute_runs_per_subject_per_hour;
  run_limits.per_grant_per_minute = config_.exchange.compute_runs_per_grant_per_minute;
  compute_ = std::make_unique<compute::ComputeService>(*services_, *catalog_index_, *grants_,
                                                       *consents_, *appender_, run_limits);
  // Interface services: calls of providers' APIs, recorded the same way.
  upstream_client_ = std::make_unique<gateway::UpstreamClient>(config_.services,
                                                               services_->upstream_policy, threads);
  gateway_ = std::make_unique<gateway::GatewayService>(*services_, *catalog_index_, *grants_,
                                                       *appender_, *upstream_client_);
  // Indicator reporting: each reported value recorded the same way (operation report_value).
  indicators_ = std::make_unique<indicators::IndicatorService>(*services_, sharing_->calendar(),
                                                               *appender_);
  ledger::SealerOptions sealer_options;
  sealer_options.conninfo = app_conninfo_;
  sealer_options.origin = config_.ledger.origin;
  sealer_options.interval = config_.ledger.seal_interval;
  sealer_options.connect_timeout = config_.database.connect_timeout;
  sealer_ = std::make_unique<ledger::Sealer>(sealer_options, *ledger_key_);
  ledger_ = std::make_unique<ledger::LedgerService>(*services_, *catalog_index_,
                                                    config_.ledger.origin, *ledger_key_);
  reports_ = std::make_unique<report::ReportService>(*services_, sharing_->calendar());
  issues_ = std::make_unique<report::IssueService>(*services_, *reports_, *ledger_key_);
  quality_ = std::make_unique<report::QualityService>(*services_);
  alerts_ = std::make_unique<monitor::AlertService>(*services_);
  monitor::MonitorOptions monitor_options;
  monitor_options.conninfo = app_conninfo_;
  monitor_options.config = config_.monitor;
  monitor_options.verify_misses_per_hour = config_.exchange.verify_misses_per_hour;
  monitor_options.connect_timeout = config_.database.connect_timeout;
  monitor_ = std::make_unique<monitor::Monitor>(monitor_options, sharing_->calendar());
  load_console();
  register_routes();
  std::vector<std::string> labels;
  for (const auto& route : router_.routes()) {
    labels.push_back(std::string(http::beast_http::to_string(route.verb)) + " " + route.pattern);
  }
  labels.push_back("unmatched");
  metrics_ = std::make_unique<Metrics>(labels, threads);
  metrics_->add_source([this](std::string& out) {
    out += "# TYPE hub_open_connections gauge\nhub_open_connections " +
           std::to_string(server_ ? server_->open_connections() : 0) + "\n";
    out += "# TYPE hub_ready gauge\nhub_ready " + std::string(ready() ? "1" : "0") + "\n";
    std::int64_t open = 0, idle = 0, waiting = 0;
    std::uint64_t failures = 0, unavailable = 0;
    for (const auto& w : workers_) {
      const auto& s = w->db().stats();
      open += s.open.load();
      idle += s.idle.load();
      waiting += s.waiting.load();
      failures += s.connect_failures.load();
      unavailable += s.unavailable.load();
    }
    out += "# TYPE hub_db_pool_connections gauge\n";
    out += "hub_db_pool_connections{state=\"open\"} " + std::to_string(open) + "\n";
    out += "hub_db_pool_connections{state=\"idle\"} " + std::to_string(idle) + "\n";
    out +=
        "# TYPE hub_db_pool_waiting gauge\nhub_db_pool_waiting " + std::to_string(waiting) + "\n";
    out += "# TYPE hub_db_connect_failures_total counter\nhub_db_connect_failures_total " +
           std::to_string(failures) + "\n";
    out += "# TYPE hub_db_unavailable_total counter\nhub_db_unavailable_total " +
           std::to_string(unavailable) + "\n";
    const auto& imports = exchange_->import_stats();
    out += "# TYPE hub_import_batches_total counter\n";
    out += "hub_import_batches_total{way=\"copy\"} " + std::to_string(imports.copied.load()) + "\n";
    out += "hub_import_batches_total{way=\"insert\"} " + std::to_string(imports.inserted.load()) +
           "\n";
    out += "hub_import_batches_total{way=\"upsert\"} " + std::to_string(imports.upserted.load()) +
           "\n";
    out +=
        "# TYPE hub_import_batches_met_stored_total counter\nhub_import_batches_met_stored_total " +
        std::to_string(imports.met_stored.load()) + "\n";
    const auto& a = appender_->stats();
    const auto& z = sealer_->stats();
    out += "# TYPE hub_ledger_entries_total counter\nhub_ledger_entries_total " +
           std::to_string(a.entries.load()) + "\n";
    out += "# TYPE hub_ledger_commits_total counter\nhub_ledger_commits_total " +
           std::to_string(a.batches.load()) + "\n";
    out += "# TYPE hub_ledger_failed_entries_total counter\nhub_ledger_failed_entries_total " +
           std::to_string(a.failed_entries.load()) + "\n";
    out += "# TYPE hub_ledger_queued gauge\nhub_ledger_queued " + std::to_string(a.queued.load()) +
           "\n";
    out += "# TYPE hub_ledger_largest_commit gauge\nhub_ledger_largest_commit " +
           std::to_string(a.largest_batch.load()) + "\n";
    out += "# TYPE hub_ledger_locked_commits_total counter\nhub_ledger_locked_commits_total " +
           std::to_string(a.locked_batches.load()) + "\n";
    out += "# TYPE hub_ledger_missed_claims_total counter\nhub_ledger_missed_claims_total " +
           std::to_string(a.missed_guesses.load()) + "\n";
    out += "# TYPE hub_ledger_commit_outcome_unknown_total counter\n";
    out += "hub_ledger_commit_outcome_unknown_total{resolved=\"committed\"} " +
           std::to_string(a.resolved_committed.load()) + "\n";
    out += "hub_ledger_commit_outcome_unknown_total{resolved=\"not_committed\"} " +
           std::to_string(a.resolved_not_committed.load()) + "\n";
    out += "hub_ledger_commit_outcome_unknown_total{resolved=\"no\"} " +
           std::to_string(a.unresolved.load()) + "\n";
    out +=
        "# TYPE hub_ledger_late_committed_entries_total counter\n"
        "hub_ledger_late_committed_entries_total " +
        std::to_string(a.late_committed_entries.load()) + "\n";
    out += "# TYPE hub_ledger_sealer_leader gauge\nhub_ledger_sealer_leader " +
           std::string(z.leader.load() ? "1" : "0") + "\n";
    // API.md Part 2: which node seals and which watches.
    out += "# TYPE hub_leader gauge\nhub_leader{role=\"sealer\"} " +
           std::string(z.leader.load() ? "1" : "0") + "\nhub_leader{role=\"monitor\"} " +
           std::string(monitor_->stats().leader.load() ? "1" : "0") + "\n";
    out += "# TYPE hub_ledger_sealed_tree_size gauge\nhub_ledger_sealed_tree_size " +
           std::to_string(z.tree_size.load()) + "\n";
    out += "# TYPE hub_ledger_seal_failures_total counter\nhub_ledger_seal_failures_total " +
           std::to_string(z.failures.load()) + "\n";
    monitor_->render_metrics(out);
    upstream_client_->render_metrics(out);
  });

  server_ = std::make_unique<net::Server>(config_, router_, *gate_, *metrics_, workers_, *tls_,
                                          access_log_);
  server_->start();
  for (auto& worker : workers_) {
    threads_.emplace_back([w = worker.get()] {
      auto guard = asio::make_work_guard(w->ioc());
      w->ioc().run();
    });
  }
  spdlog::info("hub {} listening on https://{}:{} with {} I/O thread(s)", HUB_VERSION,
               config_.listen_host(), port(), threads);
  start_migrator();
}

void App::register_routes() {
  api::register_system_routes(
      router_, state_, [this] { return metrics_ ? metrics_->render() : std::string(); },
      [this] {
        return services_->directory.loaded() && grants_->loaded() && catalog_index_->loaded();
      });
  api::register_members_routes(router_, *members_, *services_);
  api::register_catalog_routes(router_, *catalog_, services_->cursors);
  api::register_sharing_routes(router_, *sharing_, services_->cursors);
  api::register_coordination_routes(router_, *demands_, *escalations_, *returns_,
                                    services_->cursors);
  api::register_indicator_routes(router_, *indicators_, services_->cursors);
  api::register_compute_routes(router_, *compute_, *consents_, *exchange_, services_->cursors);
  api::register_exchange_routes(router_, *exchange_, services_->cursors,
                                config_.limits.import_body_limit);
  api::register_services_routes(router_, *gateway_);
  api::register_ledger_routes(router_, *ledger_, services_->cursors);
  api::register_report_routes(router_, *reports_, *issues_, *quality_, *alerts_,
                              services_->cursors);
  api::register_console_routes(router_, console_);
}

void App::load_console() {
  std::filesystem::path dir = config_.console_dir;
  if (dir.empty()) {
    // Beside the executable: build/console for build/hubd, /usr/lib/hub/console for an install.
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) dir = exe.parent_path() / "console";
  }
  console_ = api::ConsoleSite::load(dir);
  if (console_.empty()) {
    spdlog::warn(
        "no console files in {}: /console/ is not served (build the console, or set "
        "console_dir)",
        dir.empty() ? std::string("(none)") : dir.string());
  } else {
    spdlog::info("console: {} file(s) from {}", console_.size(), dir.string());
  }
}

void App::start_migrator() {
  migrator_ = std::thread([this] {
    bool warned = false;
    while (true) {
      {
        std::lock_guard lock(mutex_);
        if (stop_requested_) return;
      }
      try {
        auto conn = pg::connect_blocking(migrate_conninfo_, config_.database.connect_timeout);
        int applied = pg::migrate(conn.get(), pg::embedded_migrations());
        spdlog::info("database schema at version {} ({} migration(s) applied now)",
                     pg::latest_migration_version(), applied);
        // A node with another ledger key or other secrets than the hub's refuses to start.
        ledger::check_signing_key(conn.get(), config_.ledger.origin, *ledger_key_,
                                  config_.ledger.previous_key_id);
        const members::SecretsFile* file = secrets_ ? &*secrets_ : nullptr;
        services_->cursors.set_key(members::load_hub_key(conn.get(), "cursor", 32, file));
        services_->record_refs.set_key(
            members::load_hub_key(conn.get(), "record_ref", exchange::RecordRefs::kKeyBytes, file));
        services_->subjects.set_key(
            members::load_hub_key(conn.get(), "subject", ledger::SubjectKeys::kKeyBytes, file));
        if (!config_.bootstrap_admin_token.empty() &&
            members::bootstrap_admin(conn.get(), config_.bootstrap_admin_token,
                                     config_.auth.token_ttl_days_max)) {
          spdlog::info("created the first hub_admin ('admin') with HUB_BOOTSTRAP_ADMIN_TOKEN");
        }
        // The directory follows the tables the migrations just made sure exist.
        directory_sync_ = std::make_unique<members::DirectorySync>(
            services_->directory, app_conninfo_,
            std::vector<members::SyncFollower*>{grants_.get(), catalog_index_.get()});
        directory_sync_->start();
        appender_->start();
        sealer_->start();
        monitor_->start();
        state_.migrated.store(true);
        return;
      } catch (const pg::MigrationError& e) {
        fatal(e.what());
        return;
      } catch (const ConfigError& e) {
        fatal(e.what(), 2);  // as a bad configuration file: restarting would not help
        return;
      } catch (const pg::PgError& e) {
        fatal(std::string("database refused the migration: ") + e.what());
        return;
      } catch (const DbUnavailable& e) {
        if (!warned) spdlog::warn("database not reachable yet ({}); retrying", e.what());
        warned = true;
      }
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_requested_; });
    }
  });
}

void App::fatal(const std::string& message, int exit_code) {
  spdlog::critical("{}", message);
  {
    std::lock_guard lock(mutex_);
    exit_code_ = exit_code;
    fatal_error_ = message;
  }
  control_.stop();
}

int App::run_until_signal() {
  asio::signal_set signals(control_, SIGINT, SIGTERM);
  signals.async_wait([this](boost::system::error_code ec, int signal) {
    if (!ec) spdlog::info("signal {} received: stopping", signal);
    control_.stop();
  });
  control_.run();
  stop();
  std::lock_guard lock(mutex_);
  return exit_code_;
}

void App::stop() {
  if (stopped_) return;
  stopped_ = true;
  state_.stopping.store(true);
  if (server_) {
    server_->begin_shutdown();
    const auto deadline = std::chrono::steady_clock::now() + config_.limits.shutdown_grace;
    while (server_->open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (server_->open_connections() > 0) {
      spdlog::warn("{} connection(s) still open after the grace period; closing them",
                   server_->open_connections());
    }
  }
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (migrator_.joinable()) migrator_.join();
  if (directory_sync_) directory_sync_->stop();
  // After the connections drained: what is still queued for the ledger is failed (its requests
  // get no answer anyway), while the I/O threads that wait for it still run.
  if (appender_) appender_->stop();
  if (sealer_) sealer_->stop();
  if (monitor_) monitor_->stop();
  for (auto& worker : workers_) worker->ioc().stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  // Work queued on the CPU pool refers to coroutines of the I/O threads: destroy it while their
  // io_contexts still exist.
  if (services_->cpu) {
    services_->cpu->stop();
    services_->cpu.reset();
  }
  if (server_) server_->release_acceptor();
  // Idle upstream connections belong to the workers' io_contexts: closed before those go.
  if (upstream_client_) {
    for (auto& worker : workers_) upstream_client_->close(*worker);
  }
  workers_.clear();  // closes the database connections
  server_.reset();
  // Only a database this process claimed and started is this process's to stop.
  if (embedded_ && embedded_owned_) embedded_->stop();
  if (access_log_) access_log_->flush();
  spdlog::info("stopped");
}

std::uint16_t App::port() const { return server_ ? server_->local_endpoint().port() : 0; }

}  // namespace hub
