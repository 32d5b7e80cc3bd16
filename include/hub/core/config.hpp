#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

// A setting that cannot be used: start-up stops with this message, which names the key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DatabaseConfig {
  std::string url;          // libpq URL of the role the hub runs as; empty: embedded PostgreSQL
  std::string migrate_url;  // role that owns the schema and runs migrations; empty: same as url
  unsigned pool_size = 8;   // connections per I/O thread
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds query_timeout{10000};
  std::chrono::milliseconds acquire_timeout{2000};
  std::chrono::milliseconds retry_backoff{500};  // after a failed connect, fail fast this long
  std::string embedded_bin_dir;                  // PostgreSQL binaries; empty: found at start
};

struct TlsConfig {
  std::string cert;
  std::string key;
  std::string client_ca;
};

struct LimitsConfig {
  unsigned max_connections = 16384;
  unsigned connections_per_address = 256;  // open connections of one client address
  // Load balancers in front of the hub that pass TCP through (HAProxy `mode tcp`): connections
  // from these addresses must begin with a PROXY protocol v2 header (`send-proxy-v2`), and the
  // client's address it carries is the one every per-address limit, loopback check and log line
  // uses. A connection from one of them without the header is closed.
  std::vector<std::string> trusted_proxies;
  std::size_t header_limit = 8 * 1024;
  std::uint64_t json_body_limit = 1024 * 1024;
  std::uint64_t import_body_limit = 2ull * 1024 * 1024 * 1024;
  unsigned imports_per_agency = 2;  // imports running at once for one agency, on one node
  unsigned imports_per_node = 4;    // imports running at once on one node
  // An import body arriving slower than this, averaged over the window, is ended with 408.
  std::uint64_t import_min_bytes_per_second = 1024;
  std::chrono::milliseconds import_rate_window{30000};
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds shutdown_grace{10000};
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  bool access_log = true;
  std::string access_log_file;  // empty: standard output
};

// A token bucket: `per_second` requests a second on average, bursts of up to `burst`.
struct RateLimit {
  unsigned per_second = 0;
  unsigned burst = 0;
};

struct AuthConfig {
  unsigned session_ttl_minutes = 12 * 60;
  unsigned token_ttl_days_default = 90;
  unsigned token_ttl_days_max = 366;
  unsigned login_failures_per_name = 5;      // within login_window, then 429
  unsigned login_failures_per_address = 20;  // within login_window, then 429
  std::chrono::seconds login_window{900};
  // Per role, indexed by hub::Role; a principal gets the most generous of its roles.
  RateLimit rate_limits[6] = {
      {100, 200},    // hub_admin
      {100, 200},    // coordinator
      {50, 100},     // agency_cdo
      {50, 100},     // agency_data_officer
      {200, 400},    // agency_operator
      {2000, 4000},  // agency_system
  };
};

struct SharingConfig {
  std::string calendar_file;            // empty: the calendar compiled in (config/calendar.json)
  unsigned reply_working_days = 10;     // a provider decides an application within this
  unsigned demand_working_days = 10;    // an assigned agency answers a demand within this
  unsigned objection_working_days = 3;  // a provider answers an objection within this
  unsigned max_valid_days = 366;        // the longest a grant may be asked for
};

// Exchange store rules (API.md Part 2).
struct ExchangeConfig {
  // verify answers per grant and hour that are not a full match (an unknown key or a wrong
  // claim); past it, 429 and a verify_enumeration alert.
  unsigned verify_misses_per_hour = 200;
  // Joint computations (docs/computations.md): runs per grant and subject in an hour, and per
  // grant in a minute, counted on each node; past either, 429.
  unsigned compute_runs_per_subject_per_hour = 30;
  unsigned compute_runs_per_grant_per_minute = 6000;
  // Where an atomic import keeps its checked rows until its body has fully arrived (a file
  // unlinked at once, O_TMPFILE); empty: <data_dir>/spool.
  std::string spool_dir;
};

struct LedgerConfig {
  // The log's name in its checkpoints and its signing key's name: a schema-less URL that no
  // other log uses (C2SP tlog-checkpoint).
  std::string origin = "hub.local/ledger";
  std::string key_file;  // Ed25519 PEM; empty: <data_dir>/ledger/signing-key.pem, made at start
  std::chrono::milliseconds seal_interval{250};
  unsigned max_batch = 10000;  // entries per group commit
  // How long the requests of a batch whose COMMIT outcome is unknown (a failover) wait while the
  // outcome is learnt on the database; past it they are answered 503 (docs/ledger.md).
  std::chrono::milliseconds resolve_timeout{14000};
  // Key rotation: the key id (hex, as GET /ledger/public-key shows it) of the key being replaced.
  // A node refuses to start when the latest checkpoint was signed by a key other than its own,
  // unless it is this one (docs/operations.md, "Rotating the ledger key").
  std::string previous_key_id;
};

// The hub's shared secrets (the keys of list cursors and record references). Empty file: kept in
// the database (table hub_keys), made by the first node. A file (JSON {"cursor": hex,
// "record_ref": hex}, made by `hubctl secrets init FILE`) keeps them out of the database and its
// backups; the database then holds only their SHA-256, so that a node with other secrets refuses
// to start.
struct SecretsConfig {
  std::string file;
};

// The sharing-status report's score (docs/reports.md): each part is a share in [0, 1], weighted
// by these (any non-negative integers, not all zero), giving a score of 0..100.
struct ReportConfig {
  unsigned weight_freshness = 30;   // published resources updated within their cycle
  unsigned weight_timeliness = 30;  // applications answered by their deadline
  unsigned weight_objections = 20;  // objections answered by their deadline
  unsigned weight_volume = 20;      // requests served, against the busiest provider's (log scale)
  unsigned weight_quality = 10;     // the measured data quality of its published datasets
};

// Early warning (docs/reports.md): the rules' thresholds and how often they run.
struct MonitorConfig {
  std::chrono::milliseconds interval{60000};
  unsigned spike_factor = 5;           // an hour's requests over this × the consumer's hourly mean
  unsigned spike_min_requests = 500;   // and at least this many (quiet consumers stay quiet)
  unsigned baseline_days = 7;          // the mean is over this many days before the hour
  unsigned denied_burst = 50;          // refused requests of one consumer within an hour
  unsigned off_hours_records = 10000;  // records pulled in one hour off working hours
  unsigned work_start_hour = 8;        // working hours on working days, the city's time
  unsigned work_end_hour = 20;
  unsigned grant_expiring_days = 14;   // grant_expiring: this many days before valid_until
  unsigned calendar_ending_days = 60;  // calendar_ending: days before its last year ends; 0: off
};

// Interface services (API.md Part 2): where the hub may call providers' APIs, and how.
struct ServicesConfig {
  // Upstream hosts a service's base_url may name: "host", "host:port", "*.domain[:port]".
  // Empty: no service can be registered.
  std::vector<std::string> allowed_hosts;
  // CIDRs a resolved upstream address may always be in (else internal addresses are refused
  // unless the host is listed by name or address in allowed_hosts).
  std::vector<std::string> allowed_addresses;
  bool allow_http = false;                             // plain http:// upstreams (tests, labs)
  std::uint64_t max_response_bytes = 8 * 1024 * 1024;  // a longer upstream answer is 502
  std::string client_cert;  // PEM: the hub's client certificate for mTLS to providers
  std::string client_key;
  unsigned connections_per_upstream = 64;         // open connections to one upstream, per node
  unsigned breaker_failures = 5;                  // consecutive 502/504 that open the breaker
  std::chrono::milliseconds breaker_open{10000};  // then one call is let through
};

struct Config {
  std::string listen = "127.0.0.1:8443";
  std::filesystem::path data_dir = "data";
  unsigned threads = 0;  // 0: one per core
  std::string bootstrap_admin_token;
  TlsConfig tls;
  DatabaseConfig database;
  LimitsConfig limits;
  LogConfig log;
  AuthConfig auth;
  SharingConfig sharing;
  ExchangeConfig exchange;
  LedgerConfig ledger;
  SecretsConfig secrets;
  ReportConfig report;
  MonitorConfig monitor;
  ServicesConfig services;
  // The console's built files (served at /console/); empty: console/ beside the executable,
  // when it exists.
  std::string console_dir;

  std::string listen_host() const;
  std::uint16_t listen_port() const;
  unsigned effective_threads() const;
};

// Reads the JSON file (if `path` is not empty), then the HUB_* environment variables of API.md,
// then checks every value. Throws ConfigError naming the first bad key.
Config load_config(const std::filesystem::path& path,
                   const std::map<std::string, std::string>& env);

// The same from the config file's text (the fuzzer's entry, and tests').
Config load_config_text(std::string_view json_text, const std::map<std::string, std::string>& env);

// The process environment as a map (only HUB_* variables are read).
std::map<std::string, std::string> process_env();

}  // namespace hub
