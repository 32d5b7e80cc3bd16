#pragma once

// hubctl's insides, shared by its command groups (one .cpp a group) and its command table
// (hubctl.cpp). Not installed: only src/cli includes it.

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hub/client/https_client.hpp"

namespace hub::cli {

namespace fs = std::filesystem;
using boost::beast::http::verb;

// The command line: global options, then the command's words and flags.
struct Options {
  std::string url;
  std::string ca;
  std::string token;
  bool insecure = false;
  fs::path data_dir;
  std::vector<std::string> rest;
  std::map<std::string, std::string> flags;  // --name value pairs after the command
  std::set<std::string> switches;            // flags without a value

  std::string flag(const std::string& name, bool required = true) const {
    auto it = flags.find(name);
    if (it != flags.end()) return it->second;
    if (required) throw std::runtime_error("--" + name + " is required");
    return {};
  }
};

// Where a command does its work.
enum class Reach {
  hub,      // an HTTPS client of a running hub's public API, nothing else
  offline,  // no hub: the domain's own code on local files or the embedded database
  mixed,    // some actions against the hub, some offline (the table says which)
};

// One row of the command table: the first word of the command line and the help's lines for it
// (each line indented by two spaces when printed; a line that does not begin with a space starts
// with `name`). run returns the exit code; it may throw, and hubctl_main reports the exception.
struct Command {
  std::string_view name;
  std::string_view usage;
  int (*run)(const Options& o, std::ostream& out, std::ostream& err);
  Reach reach;
};

std::string env_or(const char* name, const std::string& fallback);
// The HTTPS client options for --url, --ca and --insecure (the data dir's development
// certificate when no CA is given).
client::ClientOptions client_options(const Options& o);

// A JSON API call with the configured token; a problem answer becomes an exception with its
// detail and field errors, so every command reports failures the same way.
class Api {
 public:
  explicit Api(const Options& o);
  client::ClientResponse raw(verb method, const std::string& target,
                             const nlohmann::json& body = nullptr);
  nlohmann::json call(verb method, const std::string& target, const nlohmann::json& body = nullptr);
  // A body sent as it is, with its Content-Type (a workbook, a CSV file).
  client::ClientResponse send(verb method, const std::string& target, std::string body,
                              const std::string& content_type);
  // Every item of a list, following next_cursor, one page in memory at a time.
  void each(const std::string& target, const std::function<void(nlohmann::json&)>& fn);
  std::vector<nlohmann::json> all(const std::string& target);
  static std::string describe(const client::ClientResponse& r);

 private:
  client::HttpsClient client_;
  std::string token_;
};

std::vector<std::string> split(const std::string& s, char sep);
// RFC 4180 CSV: quoted fields with "" escapes; a UTF-8 BOM at the start is dropped.
std::vector<std::vector<std::string>> parse_csv(std::string_view text);
// Writes to -o FILE, or to `out` when there is none.
void write_output(const Options& o, std::ostream& out, const std::string& text);
std::string read_file(const std::string& path);
std::string url_encode(std::string_view s);
// `target` with a query parameter (URL-encoded) for each optional flag given: {flag, parameter}.
std::string with_flags(std::string target, const Options& o,
                       std::initializer_list<std::pair<std::string_view, std::string_view>> flags);

// What one group lends another (the demo loads agencies and resources as the commands do).
std::pair<int, int> import_agencies(Api& api, std::string_view csv, std::ostream& err);
struct ApplyCounts {
  int created = 0, updated = 0, unchanged = 0, failed = 0;
};
ApplyCounts apply_resources(Api& api, const nlohmann::json& docs, bool dry_run, std::ostream& out,
                            std::ostream& err);
void demo_ledger_history(const Options& o, Api& admin, std::ostream& out, std::ostream& err);
// demo.cpp: the demo people's password, one signed in, a demo resource by provider and name.
extern const char* const kDemoPassword;
std::unique_ptr<Api> demo_person(const Options& o, const std::string& name);
nlohmann::json demo_resource(Api& admin, const std::string& provider, const std::string& name);
// demo_registration.cpp: resources registered from a workbook by a data officer.
void demo_registration(const Options& o, std::ostream& out);
// demo_returns.cpp: the return list (数据回流) and its progress.
void demo_returns(const Options& o, Api& admin, std::ostream& out);
// demo_indicators.cpp: indicators of five bureaus and a year of their values (指标报送).
void demo_indicators(const Options& o, std::ostream& out, std::ostream& err);
// demo_compute.cpp: joint computation (信易贷) over four providers for a credit bureau.
void demo_compute(const Options& o, Api& admin, const nlohmann::json& tokens, std::ostream& out,
                  std::ostream& err);

// The command groups, one file each.
int cmd_status(const Options& o, std::ostream& out, std::ostream& err);        // status.cpp
int cmd_version(const Options& o, std::ostream& out, std::ostream& err);       // status.cpp
int cmd_db(const Options& o, std::ostream& out, std::ostream& err);            // db.cpp
int cmd_secrets(const Options& o, std::ostream& out, std::ostream& err);       // secrets.cpp
int cmd_agencies(const Options& o, std::ostream& out, std::ostream& err);      // members.cpp
int cmd_principals(const Options& o, std::ostream& out, std::ostream& err);    // members.cpp
int cmd_tokens(const Options& o, std::ostream& out, std::ostream& err);        // members.cpp
int cmd_resources(const Options& o, std::ostream& out, std::ostream& err);     // catalog.cpp
int cmd_services(const Options& o, std::ostream& out, std::ostream& err);      // services.cpp
int cmd_applications(const Options& o, std::ostream& out, std::ostream& err);  // sharing.cpp
int cmd_grants(const Options& o, std::ostream& out, std::ostream& err);        // sharing.cpp
int cmd_ledger(const Options& o, std::ostream& out, std::ostream& err);        // ledger.cpp
int cmd_import(const Options& o, std::ostream& out, std::ostream& err);        // import.cpp
int cmd_report(const Options& o, std::ostream& out, std::ostream& err);        // report.cpp
int cmd_demo(const Options& o, std::ostream& out, std::ostream& err);          // demo.cpp
// demo_upstream.cpp:
int cmd_demo_upstream(const Options& o, std::ostream& out, std::ostream& err);

}  // namespace hub::cli
