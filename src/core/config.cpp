#include "hub/core/config.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "hub/core/json.hpp"
#include "hub/core/principal.hpp"

extern char** environ;

namespace hub {

namespace {

using json = nlohmann::json;

[[noreturn]] void bad(const std::string& key, const std::string& why) {
  throw ConfigError("config key '" + key + "': " + why);
}

std::uint64_t parse_uint(const std::string& key, const std::string& text, std::uint64_t max) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    bad(key, "expected a non-negative integer, got '" + text + "'");
  }
  if (v > max) bad(key, "must be at most " + std::to_string(max));
  return v;
}

// One settable key: how to read it from JSON and from an environment string.
struct Field {
  std::string key;
  std::function<void(Config&, const json&)> from_json;
  std::function<void(Config&, const std::string&)> from_text;
};

template <typename T>
Field string_field(std::string key, T Config::*outer, std::string T::*member) {
  return Field{key,
               [key, outer, member](Config& c, const json& v) {
                 if (!v.is_string()) bad(key, "expected a string");
                 (c.*outer).*member = v.get<std::string>();
               },
               [outer, member](Config& c, const std::string& v) { (c.*outer).*member = v; }};
}

Field top_string(std::string key, std::string Config::*member) {
  return Field{key,
               [key, member](Config& c, const json& v) {
                 if (!v.is_string()) bad(key, "expected a string");
                 c.*member = v.get<std::string>();
               },
               [member](Config& c, const std::string& v) { c.*member = v; }};
}

template <typename T, typename U>
Field uint_field(std::string key, T Config::*outer, U T::*member, std::uint64_t min,
                 std::uint64_t max) {
  auto set = [key, outer, member, min, max](Config& c, std::uint64_t v) {
    if (v < min) bad(key, "must be at least " + std::to_string(min));
    if (v > max) bad(key, "must be at most " + std::to_string(max));
    (c.*outer).*member = static_cast<U>(v);
  };
  return Field{
      key,
      [key, set](Config& c, const json& v) {
        if (!v.is_number_unsigned()) bad(key, "expected a non-negative integer");
        set(c, v.get<std::uint64_t>());
      },
      [key, set, max](Config& c, const std::string& v) { set(c, parse_uint(key, v, max)); }};
}

template <typename T>
Field ms_field(std::string key, T Config::*outer, std::chrono::milliseconds T::*member,
               std::uint64_t min_ms, std::uint64_t max_ms) {
  auto set = [key, outer, member, min_ms, max_ms](Config& c, std::uint64_t v) {
    if (v < min_ms) bad(key, "must be at least " + std::to_string(min_ms) + " ms");
    if (v > max_ms) bad(key, "must be at most " + std::to_string(max_ms) + " ms");
    (c.*outer).*member = std::chrono::milliseconds(v);
  };
  return Field{
      key,
      [key, set](Config& c, const json& v) {
        if (!v.is_number_unsigned()) bad(key, "expected milliseconds as an integer");
        set(c, v.get<std::uint64_t>());
      },
      [key, set, max_ms](Config& c, const std::string& v) { set(c, parse_uint(key, v, max_ms)); }};
}

template <typename T>
Field bool_field(std::string key, T Config::*outer, bool T::*member) {
  return Field{key,
               [key, outer, member](Config& c, const json& v) {
                 if (!v.is_boolean()) bad(key, "expected true or false");
                 (c.*outer).*member = v.get<bool>();
               },
               [key, outer, member](Config& c, const std::string& v) {
                 if (v != "true" && v != "false") bad(key, "expected true or false");
                 (c.*outer).*member = v == "true";
               }};
}

// A list of strings: a JSON array, or comma-separated in an environment variable.
template <typename T>
Field list_field(std::string key, T Config::*outer, std::vector<std::string> T::*member) {
  return Field{key,
               [key, outer, member](Config& c, const json& v) {
                 if (!v.is_array()) bad(key, "expected an array of strings");
                 std::vector<std::string> out;
                 for (const auto& e : v) {
                   if (!e.is_string() || e.get<std::string>().empty()) {
                     bad(key, "expected an array of non-empty strings");
                   }
                   out.push_back(e.get<std::string>());
                 }
                 (c.*outer).*member = std::move(out);
               },
               [outer, member](Config& c, const std::string& v) {
                 std::vector<std::string> out;
                 std::size_t start = 0;
                 while (start <= v.size()) {
                   auto comma = v.find(',', start);
                   if (comma == std::string::npos) comma = v.size();
                   std::string part = v.substr(start, comma - start);
                   while (!part.empty() && part.front() == ' ') part.erase(part.begin());
                   while (!part.empty() && part.back() == ' ') part.pop_back();
                   if (!part.empty()) out.push_back(part);
                   start = comma + 1;
                 }
                 (c.*outer).*member = std::move(out);
               }};
}

// Every key the config file may hold, by its dotted path.
const std::vector<Field>& fields() {
  static const std::vector<Field> all = [] {
    std::vector<Field> f;
    f.push_back(top_string("listen", &Config::listen));
    f.push_back(Field{"data_dir",
                      [](Config& c, const json& v) {
                        if (!v.is_string() || v.get<std::string>().empty())
                          bad("data_dir", "expected a non-empty path");
                        c.data_dir = v.get<std::string>();
                      },
                      [](Config& c, const std::string& v) {
                        if (v.empty()) bad("data_dir", "expected a non-empty path");
                        c.data_dir = v;
                      }});
    f.push_back(Field{"threads",
                      [](Config& c, const json& v) {
                        if (!v.is_number_unsigned()) bad("threads", "expected an integer 0..256");
                        c.threads = static_cast<unsigned>(
                            std::min<std::uint64_t>(v.get<std::uint64_t>(), 257));
                      },
                      [](Config& c, const std::string& v) {
                        c.threads = static_cast<unsigned>(parse_uint("threads", v, 256));
                      }});
    f.push_back(top_string("bootstrap_admin_token", &Config::bootstrap_admin_token));
    f.push_back(string_field("tls.cert", &Config::tls, &TlsConfig::cert));
    f.push_back(string_field("tls.key", &Config::tls, &TlsConfig::key));
    f.push_back(string_field("tls.client_ca", &Config::tls, &TlsConfig::client_ca));
    f.push_back(string_field("database.url", &Config::database, &DatabaseConfig::url));
    f.push_back(
        string_field("database.migrate_url", &Config::database, &DatabaseConfig::migrate_url));
    f.push_back(string_field("database.embedded_bin_dir", &Config::database,
                             &DatabaseConfig::embedded_bin_dir));
    f.push_back(
        uint_field("database.pool_size", &Config::database, &DatabaseConfig::pool_size, 1, 256));
    f.push_back(ms_field("database.connect_timeout_ms", &Config::database,
                         &DatabaseConfig::connect_timeout, 100, 600000));
    f.push_back(ms_field("database.query_timeout_ms", &Config::database,
                         &DatabaseConfig::query_timeout, 100, 3600000));
    f.push_back(ms_field("database.acquire_timeout_ms", &Config::database,
                         &DatabaseConfig::acquire_timeout, 1, 600000));
    f.push_back(ms_field("database.retry_backoff_ms", &Config::database,
                         &DatabaseConfig::retry_backoff, 0, 600000));
    f.push_back(uint_field("limits.max_connections", &Config::limits,
                           &LimitsConfig::max_connections, 1, 1000000));
    f.push_back(uint_field("limits.connections_per_address", &Config::limits,
                           &LimitsConfig::connections_per_address, 1, 1000000));
    f.push_back(uint_field("limits.imports_per_agency", &Config::limits,
                           &LimitsConfig::imports_per_agency, 1, 1000));
    f.push_back(uint_field("limits.imports_per_node", &Config::limits,
                           &LimitsConfig::imports_per_node, 1, 1000));
    f.push_back(uint_field("limits.import_min_bytes_per_second", &Config::limits,
                           &LimitsConfig::import_min_bytes_per_second, 0, 1ull << 30));
    f.push_back(ms_field("limits.import_rate_window_ms", &Config::limits,
                         &LimitsConfig::import_rate_window, 1000, 3600000));
    f.push_back(uint_field("exchange.verify_misses_per_hour", &Config::exchange,
                           &ExchangeConfig::verify_misses_per_hour, 1, 1000000));
    f.push_back(uint_field("exchange.compute_runs_per_subject_per_hour", &Config::exchange,
                           &ExchangeConfig::compute_runs_per_subject_per_hour, 1, 1000000));
    f.push_back(uint_field("exchange.compute_runs_per_grant_per_minute", &Config::exchange,
                           &ExchangeConfig::compute_runs_per_grant_per_minute, 1, 10000000));
    f.push_back(string_field("exchange.spool_dir", &Config::exchange, &ExchangeConfig::spool_dir));
    f.push_back(uint_field("limits.header_limit_bytes", &Config::limits,
                           &LimitsConfig::header_limit, 1024, 1024 * 1024));
    f.push_back(uint_field("limits.json_body_limit_bytes", &Config::limits,
                           &LimitsConfig::json_body_limit, 1024, 1ull << 30));
    f.push_back(uint_field("limits.import_body_limit_bytes", &Config::limits,
                           &LimitsConfig::import_body_limit, 1024, 1ull << 40));
    f.push_back(ms_field("limits.handshake_timeout_ms", &Config::limits,
                         &LimitsConfig::handshake_timeout, 100, 600000));
    f.push_back(ms_field("limits.idle_timeout_ms", &Config::limits, &LimitsConfig::idle_timeout,
                         100, 3600000));
    f.push_back(ms_field("limits.read_timeout_ms", &Config::limits, &LimitsConfig::read_timeout,
                         100, 3600000));
    f.push_back(ms_field("limits.write_timeout_ms", &Config::limits, &LimitsConfig::write_timeout,
                         100, 3600000));
    f.push_back(ms_field("limits.shutdown_grace_ms", &Config::limits, &LimitsConfig::shutdown_grace,
                         0, 600000));
    f.push_back(string_field("log.level", &Config::log, &LogConfig::level));
    f.push_back(Field{"log.access_log",
                      [](Config& c, const json& v) {
                        if (!v.is_boolean()) bad("log.access_log", "expected true or false");
                        c.log.access_log = v.get<bool>();
                      },
                      [](Config& c, const std::string& v) {
                        if (v != "true" && v != "false")
                          bad("log.access_log", "expected true or false");
                        c.log.access_log = v == "true";
                      }});
    f.push_back(string_field("log.access_log_file", &Config::log, &LogConfig::access_log_file));
    f.push_back(uint_field("auth.session_ttl_minutes", &Config::auth,
                           &AuthConfig::session_ttl_minutes, 1, 60 * 24 * 31));
    f.push_back(uint_field("auth.token_ttl_days_default", &Config::auth,
                           &AuthConfig::token_ttl_days_default, 1, 3660));
    f.push_back(uint_field("auth.token_ttl_days_max", &Config::auth,
                           &AuthConfig::token_ttl_days_max, 1, 3660));
    f.push_back(uint_field("auth.login_failures_per_name", &Config::auth,
                           &AuthConfig::login_failures_per_name, 1, 1000));
    f.push_back(uint_field("auth.login_failures_per_address", &Config::auth,
                           &AuthConfig::login_failures_per_address, 1, 100000));
    f.push_back(Field{"auth.login_window_s",
                      [](Config& c, const json& v) {
                        if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0 ||
                            v.get<std::uint64_t>() > 86400)
                          bad("auth.login_window_s", "expected seconds, 1..86400");
                        c.auth.login_window = std::chrono::seconds(v.get<std::uint64_t>());
                      },
                      [](Config& c, const std::string& v) {
                        c.auth.login_window =
                            std::chrono::seconds(parse_uint("auth.login_window_s", v, 86400));
                      }});
    f.push_back(
        string_field("sharing.calendar_file", &Config::sharing, &SharingConfig::calendar_file));
    f.push_back(uint_field("sharing.reply_working_days", &Config::sharing,
                           &SharingConfig::reply_working_days, 1, 365));
    f.push_back(uint_field("sharing.demand_working_days", &Config::sharing,
                           &SharingConfig::demand_working_days, 1, 365));
    f.push_back(uint_field("sharing.objection_working_days", &Config::sharing,
                           &SharingConfig::objection_working_days, 1, 365));
    f.push_back(uint_field("sharing.max_valid_days", &Config::sharing,
                           &SharingConfig::max_valid_days, 1, 3660));
    f.push_back(string_field("ledger.origin", &Config::ledger, &LedgerConfig::origin));
    f.push_back(string_field("ledger.key_file", &Config::ledger, &LedgerConfig::key_file));
    f.push_back(ms_field("ledger.seal_interval_ms", &Config::ledger, &LedgerConfig::seal_interval,
                         20, 1000));
    f.push_back(
        uint_field("ledger.max_batch", &Config::ledger, &LedgerConfig::max_batch, 1, 100000));
    f.push_back(ms_field("ledger.resolve_timeout_ms", &Config::ledger,
                         &LedgerConfig::resolve_timeout, 100, 15000));
    f.push_back(
        string_field("ledger.previous_key_id", &Config::ledger, &LedgerConfig::previous_key_id));
    f.push_back(string_field("secrets.file", &Config::secrets, &SecretsConfig::file));
    f.push_back(uint_field("report.weight_freshness", &Config::report,
                           &ReportConfig::weight_freshness, 0, 1000));
    f.push_back(uint_field("report.weight_timeliness", &Config::report,
                           &ReportConfig::weight_timeliness, 0, 1000));
    f.push_back(uint_field("report.weight_objections", &Config::report,
                           &ReportConfig::weight_objections, 0, 1000));
    f.push_back(
        uint_field("report.weight_volume", &Config::report, &ReportConfig::weight_volume, 0, 1000));
    f.push_back(uint_field("report.weight_quality", &Config::report, &ReportConfig::weight_quality,
                           0, 1000));
    f.push_back(
        ms_field("monitor.interval_ms", &Config::monitor, &MonitorConfig::interval, 100, 3600000));
    f.push_back(uint_field("monitor.spike_factor", &Config::monitor, &MonitorConfig::spike_factor,
                           2, 1000));
    f.push_back(uint_field("monitor.spike_min_requests", &Config::monitor,
                           &MonitorConfig::spike_min_requests, 1, 100000000));
    f.push_back(uint_field("monitor.baseline_days", &Config::monitor, &MonitorConfig::baseline_days,
                           1, 60));
    f.push_back(uint_field("monitor.denied_burst", &Config::monitor, &MonitorConfig::denied_burst,
                           1, 100000000));
    f.push_back(uint_field("monitor.off_hours_records", &Config::monitor,
                           &MonitorConfig::off_hours_records, 1, 1000000000));
    f.push_back(uint_field("monitor.work_start_hour", &Config::monitor,
                           &MonitorConfig::work_start_hour, 0, 23));
    f.push_back(uint_field("monitor.work_end_hour", &Config::monitor, &MonitorConfig::work_end_hour,
                           1, 24));
    f.push_back(uint_field("monitor.grant_expiring_days", &Config::monitor,
                           &MonitorConfig::grant_expiring_days, 1, 366));
    f.push_back(uint_field("monitor.calendar_ending_days", &Config::monitor,
                           &MonitorConfig::calendar_ending_days, 0, 366));
    f.push_back(top_string("console_dir", &Config::console_dir));
    f.push_back(
        list_field("services.allowed_hosts", &Config::services, &ServicesConfig::allowed_hosts));
    f.push_back(list_field("services.allowed_addresses", &Config::services,
                           &ServicesConfig::allowed_addresses));
    f.push_back(
        list_field("limits.trusted_proxies", &Config::limits, &LimitsConfig::trusted_proxies));
    f.push_back(bool_field("services.allow_http", &Config::services, &ServicesConfig::allow_http));
    f.push_back(uint_field("services.max_response_bytes", &Config::services,
                           &ServicesConfig::max_response_bytes, 1024, 1ull << 30));
    f.push_back(
        string_field("services.client_cert", &Config::services, &ServicesConfig::client_cert));
    f.push_back(
        string_field("services.client_key", &Config::services, &ServicesConfig::client_key));
    f.push_back(uint_field("services.connections_per_upstream", &Config::services,
                           &ServicesConfig::connections_per_upstream, 1, 10000));
    f.push_back(uint_field("services.breaker_failures", &Config::services,
                           &ServicesConfig::breaker_failures, 1, 1000));
    f.push_back(ms_field("services.breaker_open_ms", &Config::services,
                         &ServicesConfig::breaker_open, 100, 3600000));
    for (std::size_t r = 0; r < kRoleCount; ++r) {
      const std::string base = "auth.rate_limits." + std::string(role_name(static_cast<Role>(r)));
      for (bool burst : {false, true}) {
        const std::string key = base + (burst ? ".burst" : ".per_second");
        auto set = [key, r, burst](Config& c, std::uint64_t v) {
          if (v < 1 || v > 10000000) bad(key, "expected 1..10000000");
          (burst ? c.auth.rate_limits[r].burst : c.auth.rate_limits[r].per_second) =
              static_cast<unsigned>(v);
        };
        f.push_back(Field{
            key,
            [key, set](Config& c, const json& v) {
              if (!v.is_number_unsigned()) bad(key, "expected a positive integer");
              set(c, v.get<std::uint64_t>());
            },
            [key, set](Config& c, const std::string& v) { set(c, parse_uint(key, v, 10000000)); }});
      }
    }
    return f;
  }();
  return all;
}

const Field* find_field(const std::string& key) {
  for (const auto& f : fields()) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

void apply_json(Config& c, const json& obj, const std::string& prefix) {
  for (const auto& [name, value] : obj.items()) {
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    if (const Field* f = find_field(key)) {
      f->from_json(c, value);
      continue;
    }
    bool is_section = std::any_of(fields().begin(), fields().end(),
                                  [&](const Field& f) { return f.key.starts_with(key + "."); });
    if (!is_section) throw ConfigError("unknown config key '" + key + "'");
    if (!value.is_object()) bad(key, "expected an object");
    apply_json(c, value, key);
  }
}

// The environment variables of API.md (and a few more) and the keys they set.
const std::vector<std::pair<std::string, std::string>>& env_keys() {
  static const std::vector<std::pair<std::string, std::string>> all = {
      {"HUB_LISTEN", "listen"},
      {"HUB_DATA_DIR", "data_dir"},
      {"HUB_THREADS", "threads"},
      {"HUB_DATABASE_URL", "database.url"},
      {"HUB_MIGRATE_DATABASE_URL", "database.migrate_url"},
      {"HUB_TLS_CERT", "tls.cert"},
      {"HUB_TLS_KEY", "tls.key"},
      {"HUB_TLS_CLIENT_CA", "tls.client_ca"},
      {"HUB_BOOTSTRAP_ADMIN_TOKEN", "bootstrap_admin_token"},
      {"HUB_LOG_LEVEL", "log.level"},
      {"HUB_ACCESS_LOG_FILE", "log.access_log_file"},
      {"HUB_CALENDAR_FILE", "sharing.calendar_file"},
      {"HUB_LEDGER_ORIGIN", "ledger.origin"},
      {"HUB_LEDGER_KEY_FILE", "ledger.key_file"},
      {"HUB_SECRETS_FILE", "secrets.file"},
      {"HUB_CONSOLE_DIR", "console_dir"},
      {"HUB_SERVICES_ALLOWED_HOSTS", "services.allowed_hosts"},
      {"HUB_TRUSTED_PROXIES", "limits.trusted_proxies"},
      {"HUB_SERVICES_ALLOWED_ADDRESSES", "services.allowed_addresses"},
      {"HUB_SERVICES_ALLOW_HTTP", "services.allow_http"},
  };
  return all;
}

void validate(const Config& c) {
  (void)c.listen_host();
  (void)c.listen_port();
  for (const auto& proxy : c.limits.trusted_proxies) {
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address(proxy, ec);
    if (ec) bad("limits.trusted_proxies", "'" + proxy + "' is not an IP address");
  }
  static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
  if (std::find(levels.begin(), levels.end(), c.log.level) == levels.end()) {
    bad("log.level", "expected one of trace, debug, info, warn, error, critical, off");
  }
  if (c.tls.cert.empty() != c.tls.key.empty()) {
    bad(c.tls.cert.empty() ? "tls.cert" : "tls.key", "tls.cert and tls.key are set together");
  }
  if (c.threads > 256) bad("threads", "expected an integer 0..256");
  if (c.report.weight_freshness + c.report.weight_timeliness + c.report.weight_objections +
          c.report.weight_volume + c.report.weight_quality ==
      0) {
    bad("report", "the score's weights must not all be zero");
  }
  if (c.monitor.work_start_hour >= c.monitor.work_end_hour) {
    bad("monitor.work_start_hour", "must be before monitor.work_end_hour");
  }
  if (c.ledger.origin.empty() || c.ledger.origin.size() > 200) {
    bad("ledger.origin", "must be 1 to 200 characters");
  }
  for (char ch : c.ledger.origin) {
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f || ch == '+') {
      bad("ledger.origin", "must not contain spaces, control characters or '+'");
    }
  }
  if (!c.bootstrap_admin_token.empty() &&
      (c.bootstrap_admin_token.size() < 16 || c.bootstrap_admin_token.size() > 512)) {
    bad("bootstrap_admin_token", "must be 16 to 512 characters");
  }
  for (char ch : c.bootstrap_admin_token) {
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) {
      bad("bootstrap_admin_token", "must not contain spaces or control characters");
    }
  }
  if (c.auth.token_ttl_days_default > c.auth.token_ttl_days_max) {
    bad("auth.token_ttl_days_default", "must not exceed auth.token_ttl_days_max");
  }
  for (std::size_t r = 0; r < kRoleCount; ++r) {
    if (c.auth.rate_limits[r].burst < c.auth.rate_limits[r].per_second) {
      bad("auth.rate_limits." + std::string(role_name(static_cast<Role>(r))) + ".burst",
          "must be at least per_second");
    }
  }
  if (c.services.client_cert.empty() != c.services.client_key.empty()) {
    bad(c.services.client_cert.empty() ? "services.client_cert" : "services.client_key",
        "services.client_cert and services.client_key are set together");
  }
  if (c.limits.json_body_limit > c.limits.import_body_limit) {
    bad("limits.json_body_limit_bytes", "must not exceed limits.import_body_limit_bytes");
  }
}

}  // namespace

std::string Config::listen_host() const {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) bad("listen", "expected host:port");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

std::uint16_t Config::listen_port() const {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) bad("listen", "expected host:port");
  return static_cast<std::uint16_t>(parse_uint("listen", listen.substr(colon + 1), 65535));
}

unsigned Config::effective_threads() const {
  if (threads != 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

namespace {
Config config_from(const std::optional<std::string_view>& text, const std::string& origin,
                   const std::map<std::string, std::string>& env) {
  Config c;
  if (text) {
    // Strict like a request body: nesting bounded, a key given twice is a mistake, not a choice.
    JsonError error;
    auto doc = parse_json(*text, error);
    if (!doc) {
      throw ConfigError("config file '" + origin + "' is not valid JSON: " + error.message +
                        " (at byte " + std::to_string(error.offset) + ")");
    }
    if (!doc->is_object()) throw ConfigError("config file must hold a JSON object");
    apply_json(c, *doc, "");
  }
  for (const auto& [var, key] : env_keys()) {
    auto it = env.find(var);
    if (it == env.end()) continue;
    try {
      find_field(key)->from_text(c, it->second);
    } catch (const ConfigError& e) {
      throw ConfigError(std::string(e.what()) + " (from " + var + ")");
    }
  }
  validate(c);
  return c;
}
}  // namespace

Config load_config(const std::filesystem::path& path,
                   const std::map<std::string, std::string>& env) {
  if (path.empty()) return config_from(std::nullopt, "", env);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read config file '" + path.string() + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return config_from(text.str(), path.string(), env);
}

Config load_config_text(std::string_view json_text, const std::map<std::string, std::string>& env) {
  return config_from(json_text, "(text)", env);
}

std::map<std::string, std::string> process_env() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("HUB_")) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

}  // namespace hub
