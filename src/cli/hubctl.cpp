#include "hub/cli/hubctl.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "hub/catalog/resource.hpp"
#include "hub/cli/demo_data.hpp"
#include "hub/client/https_client.hpp"
#include "hub/core/embedded.hpp"
#include "hub/core/text.hpp"
#include "hub/ledger/audit.hpp"
#include "hub/ledger/history.hpp"
#include "hub/store/embedded_pg.hpp"
#include "hub/store/pg.hpp"

namespace hub::cli {

namespace {

namespace fs = std::filesystem;

// The demo's people all sign in with this; it is printed by `hubctl demo` and in the README.
constexpr const char* kDemoPassword = "hub-demo-2026";

const char* kUsage =
    "usage: hubctl [options] COMMAND\n"
    "\n"
    "commands:\n"
    "  status                          ask a running hub for /healthz and /readyz\n"
    "  agencies add --code C --name N --level L [--parent P]\n"
    "  agencies list [--level L]\n"
    "  agencies import FILE.csv        header code,name,level,parent_code (UTF-8); existing\n"
    "                                  codes are skipped, so it can be run again\n"
    "  principals add --name N --kind user|system --roles R1,R2 [--agency C]\n"
    "                 [--password-stdin] [--cert-sha256 HEX]\n"
    "  principals list [--agency C]\n"
    "  tokens issue PRINCIPAL_ID [--ttl-days N]   prints the token (shown once)\n"
    "  tokens revoke TOKEN_ID\n"
    "  resources apply -f FILE [--dry-run]   create or update catalog entries from JSON (one\n"
    "                                  object or an array; `code` picks the entry, else the\n"
    "                                  provider's entry of that name; `status` is applied too)\n"
    "  resources export [--format json|csv] [--provider C] [-o FILE]\n"
    "  applications list [--direction incoming|outgoing] [--status S]\n"
    "  applications decide ID approve|reject [--opinion TEXT] [--items a,b] [--operations r,q]\n"
    "  grants list [--resource CODE] [--consumer AGENCY]\n"
    "  grants revoke GRANT_ID\n"
    "  ledger export [-o FILE] [--agency C] [--resource CODE] [--from T] [--to T]\n"
    "                                  the ledger's entries as NDJSON, in index order\n"
    "  ledger checkpoint [-o FILE]     the latest signed checkpoint\n"
    "  ledger public-key [-o FILE]     the ledger's public key (PEM); prints its vkey\n"
    "  ledger verify --export FILE --checkpoint FILE --key FILE [--earlier FILE]\n"
    "                                  check an export offline: every leaf, every index, the\n"
    "                                  signed root, and consistency with an earlier checkpoint\n"
    "                                  (KEY: the PEM or the vkey); exit 1 on any problem\n"
    "  import RESOURCE FILE [--atomic] [--format ndjson|csv]\n"
    "                                  bulk-load records (NDJSON, or CSV with a header row;\n"
    "                                  the format follows the file's extension), with progress\n"
    "  report [--from DATE] [--to DATE] [--format json|csv|xlsx] [-o FILE]\n"
    "                                  the sharing-status report (default: this month so far);\n"
    "                                  XLSX needs -o\n"
    "  demo                            load the demo agencies, people, catalog and sharing,\n"
    "                                  and a month of ledger history on a new hub\n"
    "  db status|start|stop            control the embedded database under the data dir\n"
    "  version                         print the version\n"
    "\n"
    "options (or environment):\n"
    "  --url URL            the hub (HUB_URL, default https://localhost:8443)\n"
    "  --token-file FILE    file holding the bearer token (HUB_TOKEN_FILE); or HUB_TOKEN\n"
    "  --ca FILE            CA certificate to verify the hub (HUB_CA; default: the development\n"
    "                       certificate in the data dir, when there is one)\n"
    "  --insecure           do not verify the hub's certificate\n"
    "  --data-dir DIR       the hub's data dir (HUB_DATA_DIR, default ./data)\n";

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

// Flags that take no value.
const std::set<std::string> kSwitches = {"password-stdin", "insecure", "dry-run", "atomic"};

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

client::ClientOptions client_options(const Options& o) {
  client::ClientOptions c;
  std::string url = o.url;
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0) throw std::runtime_error("--url must start with https://");
  url = url.substr(scheme.size());
  if (auto slash = url.find('/'); slash != std::string::npos) url = url.substr(0, slash);
  if (!url.empty() && url.front() == '[') {
    auto close = url.find(']');
    c.host = url.substr(1, close - 1);
    c.port = close + 2 <= url.size() ? url.substr(close + 2) : "443";
  } else if (auto colon = url.rfind(':'); colon != std::string::npos) {
    c.host = url.substr(0, colon);
    c.port = url.substr(colon + 1);
  } else {
    c.host = url;
    c.port = "443";
  }
  c.insecure = o.insecure;
  c.ca_file = o.ca;
  if (c.ca_file.empty() && !c.insecure) {
    auto dev = o.data_dir / "tls" / "dev-cert.pem";
    if (fs::exists(dev)) c.ca_file = dev.string();
  }
  return c;
}

int cmd_status(const Options& o, std::ostream& out, std::ostream& err) {
  client::HttpsClient client(client_options(o));
  auto health = client.request(boost::beast::http::verb::get, "/healthz");
  auto ready = client.request(boost::beast::http::verb::get, "/readyz");
  out << "healthz: " << health.status << "\nreadyz:  " << ready.status << "\n";
  if (ready.status != 200) {
    try {
      err << "not ready: " << nlohmann::json::parse(ready.body).value("detail", "") << "\n";
    } catch (const std::exception&) {
    }
  }
  return health.status == 200 && ready.status == 200 ? 0 : 1;
}

int cmd_db(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.rest.size() != 2) {
    err << "usage: hubctl db status|start|stop\n";
    return 2;
  }
  pg::EmbeddedPostgres db(o.data_dir / "postgres", "");
  const std::string& action = o.rest[1];
  if (action == "status") {
    bool up = db.running();
    out << "embedded database in " << db.data_directory().string() << ": "
        << (up ? "running" : "stopped") << "\n";
    return up ? 0 : 3;
  }
  if (action == "start") {
    db.start();
    db.detach();  // leave it running after hubctl exits
    out << "started\n";
    return 0;
  }
  if (action == "stop") {
    db.stop();
    out << "stopped\n";
    return 0;
  }
  err << "unknown db action '" << action << "'\n";
  return 2;
}

// A JSON API call with the configured token; a problem answer becomes an exception with its
// detail and field errors, so every command reports failures the same way.
class Api {
 public:
  explicit Api(const Options& o) : client_(client_options(o)), token_(o.token) {
    if (token_.empty()) {
      throw std::runtime_error("no token: set HUB_TOKEN or HUB_TOKEN_FILE, or pass --token-file");
    }
  }
  client::ClientResponse raw(boost::beast::http::verb verb, const std::string& target,
                             const nlohmann::json& body = nullptr) {
    return client_.request(verb, target, body.is_null() ? std::string() : body.dump(),
                           {{"Authorization", "Bearer " + token_}});
  }
  nlohmann::json call(boost::beast::http::verb verb, const std::string& target,
                      const nlohmann::json& body = nullptr) {
    auto r = raw(verb, target, body);
    if (r.status >= 400) throw std::runtime_error(describe(r));
    return r.body.empty() ? nlohmann::json() : nlohmann::json::parse(r.body);
  }
  // Every item of a list, following next_cursor, one page in memory at a time.
  void each(const std::string& target, const std::function<void(nlohmann::json&)>& fn) {
    std::string cursor;
    const char sep = target.find('?') == std::string::npos ? '?' : '&';
    do {
      auto page = call(boost::beast::http::verb::get,
                       target + sep + "limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor));
      for (auto& item : page["items"]) fn(item);
      cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    } while (!cursor.empty());
  }
  std::vector<nlohmann::json> all(const std::string& target) {
    std::vector<nlohmann::json> items;
    each(target, [&](nlohmann::json& item) { items.push_back(std::move(item)); });
    return items;
  }
  static std::string describe(const client::ClientResponse& r) {
    std::string out = "HTTP " + std::to_string(r.status);
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    if (body.is_object()) {
      out += " " + body.value("code", "") + ": " + body.value("detail", "");
      for (const auto& e : body.value("errors", nlohmann::json::array())) {
        out += "\n  " + e.value("field", "") + ": " + e.value("message", "");
      }
    }
    return out;
  }

 private:
  client::HttpsClient client_;
  std::string token_;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// RFC 4180 CSV: quoted fields with "" escapes; a UTF-8 BOM at the start is dropped.
std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));
      row.clear();
    } else {
      field.push_back(c);
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

using boost::beast::http::verb;

// Creates agencies from CSV rows (parents first, so a file in any order works); an agency that
// exists already is left as it is. Returns (created, existing).
std::pair<int, int> import_agencies(Api& api, std::string_view csv, std::ostream& err) {
  auto rows = parse_csv(csv);
  if (rows.empty()) throw std::runtime_error("the file is empty");
  const auto& header = rows.front();
  auto column = [&](const std::string& name) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    return std::nullopt;
  };
  auto code = column("code"), name = column("name"), level = column("level");
  auto parent = column("parent_code");
  if (!code || !name || !level) {
    throw std::runtime_error("the header row must name code, name and level (and parent_code)");
  }
  std::vector<std::vector<std::string>> pending(rows.begin() + 1, rows.end());
  std::set<std::string> done;
  int created = 0, existing = 0;
  while (!pending.empty()) {
    std::vector<std::vector<std::string>> later;
    for (auto& row : pending) {
      auto cell = [&](std::optional<std::size_t> i) {
        return i && *i < row.size() ? row[*i] : std::string();
      };
      const std::string p = cell(parent);
      const bool parent_in_file = std::any_of(pending.begin(), pending.end(), [&](const auto& r) {
        return r.size() > *code && r[*code] == p;
      });
      if (!p.empty() && !done.contains(p) && parent_in_file) {
        later.push_back(row);
        continue;
      }
      nlohmann::json body = {{"code", cell(code)}, {"name", cell(name)}, {"level", cell(level)}};
      if (!p.empty()) body["parent_code"] = p;
      auto r = api.raw(verb::post, "/api/v1/agencies", body);
      if (r.status == 201) {
        ++created;
      } else if (r.status == 409) {
        ++existing;
      } else {
        err << "agency " << cell(code) << " (" << cell(name) << "): " << Api::describe(r) << "\n";
      }
      done.insert(cell(code));
    }
    if (later.size() == pending.size()) {
      throw std::runtime_error("parent_code cycle among the remaining agencies");
    }
    pending = std::move(later);
  }
  return {created, existing};
}

int cmd_agencies(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  Api api(o);
  if (action == "add") {
    nlohmann::json body = {
        {"code", o.flag("code")}, {"name", o.flag("name")}, {"level", o.flag("level")}};
    if (auto p = o.flag("parent", false); !p.empty()) body["parent_code"] = p;
    auto a = api.call(verb::post, "/api/v1/agencies", body);
    out << "created " << a["code"].get<std::string>() << " " << a["name"].get<std::string>()
        << "\n";
    return 0;
  }
  if (action == "list") {
    std::string target = "/api/v1/agencies";
    if (auto l = o.flag("level", false); !l.empty()) target += "?level=" + l;
    for (const auto& a : api.all(target)) {
      out << a["code"].get<std::string>() << "  " << a["level"].get<std::string>() << "  "
          << a["name"].get<std::string>() << "\n";
    }
    return 0;
  }
  if (action == "import") {
    if (o.rest.size() != 3) throw std::runtime_error("usage: hubctl agencies import FILE.csv");
    std::ifstream in(o.rest[2], std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + o.rest[2]);
    std::stringstream text;
    text << in.rdbuf();
    auto [created, existing] = import_agencies(api, text.str(), err);
    out << created << " created, " << existing << " already there\n";
    return 0;
  }
  err << "usage: hubctl agencies add|list|import\n";
  return 2;
}

int cmd_principals(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  Api api(o);
  if (action == "add") {
    nlohmann::json body = {
        {"name", o.flag("name")}, {"kind", o.flag("kind")}, {"roles", split(o.flag("roles"), ',')}};
    if (auto a = o.flag("agency", false); !a.empty()) body["agency_code"] = a;
    if (auto c = o.flag("cert-sha256", false); !c.empty()) body["cert_sha256"] = c;
    if (o.switches.contains("password-stdin")) {
      std::string password;
      std::getline(std::cin, password);
      body["password"] = password;
    }
    auto p = api.call(verb::post, "/api/v1/principals", body);
    out << p["id"].get<std::string>() << "\n";
    return 0;
  }
  if (action == "list") {
    std::string target = "/api/v1/principals";
    if (auto a = o.flag("agency", false); !a.empty()) target += "?agency=" + a;
    for (const auto& p : api.all(target)) {
      std::string roles;
      for (const auto& r : p["roles"]) roles += (roles.empty() ? "" : ",") + r.get<std::string>();
      out << p["id"].get<std::string>() << "  " << p["kind"].get<std::string>() << "  "
          << p["name"].get<std::string>() << "  " << roles << "  "
          << (p["agency_code"].is_null() ? "-" : p["agency_code"].get<std::string>()) << "\n";
    }
    return 0;
  }
  err << "usage: hubctl principals add|list\n";
  return 2;
}

int cmd_tokens(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  if (o.rest.size() != 3 || (action != "issue" && action != "revoke")) {
    err << "usage: hubctl tokens issue PRINCIPAL_ID [--ttl-days N] | tokens revoke TOKEN_ID\n";
    return 2;
  }
  Api api(o);
  if (action == "issue") {
    nlohmann::json body = nlohmann::json::object();
    if (auto d = o.flag("ttl-days", false); !d.empty()) body["ttl_days"] = std::stoi(d);
    auto t = api.call(verb::post, "/api/v1/principals/" + o.rest[2] + "/tokens", body);
    out << t["token"].get<std::string>() << "\n";
    err << "token " << t["id"].get<std::string>() << " expires "
        << t["expires_at"].get<std::string>() << "; it is shown only this once\n";
    return 0;
  }
  api.call(verb::delete_, "/api/v1/tokens/" + o.rest[2]);
  out << "revoked\n";
  return 0;
}

// What of a resource document differs from the hub's current version (catalog fields only).
std::vector<std::string> changed_fields(const nlohmann::json& current,
                                        const nlohmann::json& wanted) {
  std::vector<std::string> changed;
  for (const auto& field : catalog::resource_fields()) {
    const auto a = current.contains(field) ? current[field] : nlohmann::json();
    const auto b = wanted.contains(field) ? wanted[field] : nlohmann::json();
    if (a != b) changed.push_back(field);
  }
  return changed;
}

struct ApplyCounts {
  int created = 0, updated = 0, unchanged = 0, failed = 0;
};

// Creates or updates each resource of `docs` so the hub's catalog matches it. Idempotent: a
// second run changes nothing. With dry_run, only says what it would do.
ApplyCounts apply_resources(Api& api, const nlohmann::json& docs, bool dry_run, std::ostream& out,
                            std::ostream& err) {
  ApplyCounts counts;
  const auto list = docs.is_array() ? docs : nlohmann::json::array({docs});
  for (const auto& raw : list) {
    nlohmann::json body = raw;
    std::string code = body.value("code", "");
    const std::string status = body.value("status", "");
    body.erase("code");
    body.erase("status");
    std::vector<FieldError> errors;
    auto wanted = catalog::validate_resource(body, errors);
    const std::string label = raw.value("name", "?");
    if (!wanted) {
      ++counts.failed;
      err << label << ": invalid:";
      for (const auto& e : errors) err << "\n  " << e.field << ": " << e.message;
      err << "\n";
      continue;
    }
    nlohmann::json current;
    if (code.empty()) {
      // The provider's entry of the same name, if there is one.
      for (const auto& r :
           api.all("/api/v1/resources?provider=" + (*wanted)["provider_code"].get<std::string>())) {
        if (r["name"] == (*wanted)["name"]) {
          current = r;
          code = r["code"];
          break;
        }
      }
    } else {
      auto r = api.raw(verb::get, "/api/v1/resources/" + code);
      if (r.status != 200) {
        ++counts.failed;
        err << code << ": " << Api::describe(r) << "\n";
        continue;
      }
      current = nlohmann::json::parse(r.body);
    }
    try {
      if (current.is_null()) {
        out << (dry_run ? "would create " : "create ") << label << "\n";
        if (!dry_run) {
          current = api.call(verb::post, "/api/v1/resources", *wanted);
          code = current["code"];
        }
        ++counts.created;
      } else {
        auto changed = changed_fields(current, *wanted);
        if (changed.empty()) {
          ++counts.unchanged;
        } else {
          std::string fields;
          for (const auto& f : changed) fields += (fields.empty() ? "" : ", ") + f;
          out << (dry_run ? "would update " : "update ") << code << " " << label << " (" << fields
              << ")\n";
          if (!dry_run) current = api.call(verb::put, "/api/v1/resources/" + code, *wanted);
          ++counts.updated;
        }
      }
      const std::string now = current.is_null() ? "draft" : current.value("status", "draft");
      if (!status.empty() && status != now) {
        const char* action = status == "published" ? "publish"
                             : status == "retired" ? "retire"
                                                   : nullptr;
        if (!action) throw std::runtime_error("status must be draft, published or retired");
        out << (dry_run ? "would " : "") << action << " " << (code.empty() ? label : code) << "\n";
        if (!dry_run) api.call(verb::post, "/api/v1/resources/" + code + "/" + action);
      }
    } catch (const std::exception& e) {
      ++counts.failed;
      err << label << ": " << e.what() << "\n";
    }
  }
  return counts;
}

int cmd_resources(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  Api api(o);
  if (action == "apply") {
    const std::string file = o.flag("f", false).empty() ? o.flag("file") : o.flag("f");
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read " + file);
    auto docs = nlohmann::json::parse(in, nullptr, false);
    if (docs.is_discarded()) throw std::runtime_error(file + " is not valid JSON");
    auto counts = apply_resources(api, docs, o.switches.contains("dry-run"), out, err);
    out << (o.switches.contains("dry-run") ? "dry run: " : "") << counts.created << " created, "
        << counts.updated << " updated, " << counts.unchanged << " unchanged, " << counts.failed
        << " failed\n";
    return counts.failed == 0 ? 0 : 1;
  }
  if (action == "export") {
    std::string target = "/api/v1/resources";
    if (auto p = o.flag("provider", false); !p.empty()) target += "?provider=" + p;
    auto all = api.all(target);
    const std::string format = o.flag("format", false).empty() ? "json" : o.flag("format");
    std::ostringstream text;
    if (format == "json") {
      nlohmann::json docs = nlohmann::json::array();
      for (const auto& r : all) {
        nlohmann::json doc = {{"code", r["code"]}, {"status", r["status"]}};
        for (const auto& f : catalog::resource_fields()) {
          if (r.contains(f)) doc[f] = r[f];
        }
        docs.push_back(doc);
      }
      text << docs.dump(2) << "\n";
    } else if (format == "csv") {
      // UTF-8 with a BOM so spreadsheet programs read the Chinese names.
      text << "\xEF\xBB\xBF"
              "code,name,provider_code,category,share_type,status,version,"
              "update_cycle,share_methods,legal_basis,item_count,items\r\n";
      auto field = [](const nlohmann::json& v) { return csv_cell(v.get<std::string>()); };
      for (const auto& r : all) {
        std::string methods, items;
        for (const auto& m : r["share_methods"])
          methods += (methods.empty() ? "" : ";") + m.get<std::string>();
        for (const auto& i : r["items"])
          items += (items.empty() ? "" : ";") + i["name"].get<std::string>();
        text << field(r["code"]) << ',' << field(r["name"]) << ',' << field(r["provider_code"])
             << ',' << field(r["category"]) << ',' << field(r["share_type"]) << ','
             << field(r["status"]) << ',' << r["version"].get<std::int64_t>() << ','
             << field(r["update_cycle"]) << ',' << csv_cell(methods) << ','
             << csv_cell(r["legal_basis"].is_null() ? "" : r["legal_basis"].get<std::string>())
             << ',' << r["item_count"].get<std::int64_t>() << ',' << csv_cell(items) << "\r\n";
      }
    } else {
      throw std::runtime_error("--format must be json or csv");
    }
    if (auto file = o.flag("o", false); !file.empty()) {
      std::ofstream(file, std::ios::binary) << text.str();
      out << all.size() << " resources written to " << file << "\n";
    } else {
      out << text.str();
    }
    return 0;
  }
  err << "usage: hubctl resources apply -f FILE [--dry-run] | resources export [--format "
         "json|csv]\n";
  return 2;
}

int cmd_applications(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  Api api(o);
  if (action == "list") {
    std::string target = "/api/v1/applications?x=1";
    if (auto d = o.flag("direction", false); !d.empty()) target += "&direction=" + d;
    if (auto st = o.flag("status", false); !st.empty()) target += "&status=" + st;
    for (const auto& a : api.all(target)) {
      out << a["id"].get<std::string>() << "  " << a["status"].get<std::string>()
          << (a["overdue"].get<bool>() ? " (overdue)" : "") << "  "
          << a["consumer_code"].get<std::string>() << " → " << a["resource_code"].get<std::string>()
          << "  due " << (a["due_at"].is_null() ? "-" : a["due_at"].get<std::string>()) << "  "
          << a["purpose"].get<std::string>() << "\n";
    }
    return 0;
  }
  if (action == "decide") {
    if (o.rest.size() != 4) {
      err << "usage: hubctl applications decide ID approve|reject [--opinion TEXT]\n";
      return 2;
    }
    nlohmann::json body = {{"decision", o.rest[3]}};
    if (auto op = o.flag("opinion", false); !op.empty()) body["opinion"] = op;
    if (auto i = o.flag("items", false); !i.empty()) body["items"] = split(i, ',');
    if (auto p = o.flag("operations", false); !p.empty()) body["operations"] = split(p, ',');
    auto a = api.call(verb::post, "/api/v1/applications/" + o.rest[2] + "/decision", body);
    out << a["status"].get<std::string>()
        << (a["grant_id"].is_null() ? "" : " grant " + a["grant_id"].get<std::string>()) << "\n";
    return 0;
  }
  err << "usage: hubctl applications list|decide\n";
  return 2;
}

int cmd_grants(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  Api api(o);
  if (action == "list") {
    std::string target = "/api/v1/grants?x=1";
    if (auto r = o.flag("resource", false); !r.empty()) target += "&resource_code=" + r;
    if (auto c = o.flag("consumer", false); !c.empty()) target += "&consumer=" + c;
    for (const auto& g : api.all(target)) {
      std::string items, ops;
      for (const auto& i : g["items"]) items += (items.empty() ? "" : ",") + i.get<std::string>();
      for (const auto& p : g["operations"]) ops += (ops.empty() ? "" : ",") + p.get<std::string>();
      out << g["id"].get<std::string>() << "  " << g["status"].get<std::string>() << "  "
          << g["consumer_code"].get<std::string>() << " → " << g["resource_code"].get<std::string>()
          << "  [" << ops << "] " << items << "  until " << g["valid_until"].get<std::string>()
          << "\n";
    }
    return 0;
  }
  if (action == "revoke" && o.rest.size() == 3) {
    api.call(verb::delete_, "/api/v1/grants/" + o.rest[2]);
    out << "revoked\n";
    return 0;
  }
  err << "usage: hubctl grants list [--resource CODE] [--consumer AGENCY] | grants revoke ID\n";
  return 2;
}

// Writes to -o FILE, or to `out` when there is none.
void write_output(const Options& o, std::ostream& out, const std::string& text) {
  const std::string file = o.flag("o", false);
  if (file.empty()) {
    out << text;
    return;
  }
  std::ofstream f(file, std::ios::binary | std::ios::trunc);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + file);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

int cmd_ledger(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  if (action == "verify") {
    const std::string checkpoint = read_file(o.flag("checkpoint"));
    const std::string key_text = read_file(o.flag("key"));
    std::string why;
    auto parsed = ledger::parse_checkpoint(checkpoint, why);
    if (!parsed) throw std::runtime_error("--checkpoint: " + why);
    std::optional<ledger::Verifier> key;
    if (key_text.find("-----BEGIN") != std::string::npos) {
      key = ledger::verifier_from_pem(parsed->origin, key_text);
    } else {
      std::string vkey = key_text;
      while (!vkey.empty() && (vkey.back() == '\n' || vkey.back() == '\r')) vkey.pop_back();
      key = ledger::parse_vkey(vkey);
    }
    if (!key) throw std::runtime_error("--key: neither an Ed25519 PEM public key nor a vkey");
    std::optional<std::string> earlier;
    if (auto e = o.flag("earlier", false); !e.empty()) earlier = read_file(e);
    std::ifstream in(o.flag("export"), std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + o.flag("export"));
    auto result = ledger::audit_export(
        in, checkpoint, *key, earlier ? std::optional<std::string_view>(*earlier) : std::nullopt);
    for (const auto& p : result.problems) err << "hubctl: ledger verify: " << p << "\n";
    if (!result.ok()) return 1;
    out << "ok: " << result.entries << " entries; the signed checkpoint of " << parsed->origin
        << " at tree size " << result.checkpoint_size << " matches"
        << (earlier ? ", and is consistent with the earlier one" : "") << "\n";
    return 0;
  }
  Api api(o);
  if (action == "export") {
    std::string target = "/api/v1/ledger/entries?x=1";
    for (const auto& [flag, name] : std::vector<std::pair<std::string, std::string>>{
             {"agency", "agency"}, {"resource", "resource_code"}, {"from", "from"}, {"to", "to"}}) {
      if (auto v = o.flag(flag, false); !v.empty()) target += "&" + name + "=" + url_encode(v);
    }
    const std::string file = o.flag("o", false);
    std::ofstream f;
    if (!file.empty()) {
      f.open(file, std::ios::binary | std::ios::trunc);
      if (!f) throw std::runtime_error("cannot write " + file);
    }
    std::ostream& sink = file.empty() ? out : f;
    std::uint64_t n = 0;
    api.each(target, [&](nlohmann::json& entry) {
      sink << entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      ++n;
    });
    sink.flush();
    if (!sink) throw std::runtime_error("cannot write the export");
    if (!file.empty()) out << n << " entries written to " << file << "\n";
    return 0;
  }
  if (action == "checkpoint") {
    auto r = api.raw(verb::get, "/api/v1/ledger/checkpoint");
    if (r.status != 200) throw std::runtime_error(Api::describe(r));
    write_output(o, out, r.body);
    return 0;
  }
  if (action == "public-key") {
    auto key = api.call(verb::get, "/api/v1/ledger/public-key");
    write_output(o, out, key["public_key_pem"].get<std::string>());
    if (!o.flag("o", false).empty()) out << key["vkey"].get<std::string>() << "\n";
    return 0;
  }
  err << "usage: hubctl ledger export|checkpoint|public-key|verify (see hubctl --help)\n";
  return 2;
}

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

int cmd_import(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.rest.size() != 3) {
    err << "usage: hubctl import RESOURCE FILE [--atomic] [--format ndjson|csv]\n";
    return 2;
  }
  const std::string code = o.rest[1], file = o.rest[2];
  std::string format = o.flag("format", false);
  if (format.empty()) format = file.ends_with(".csv") ? "csv" : "ndjson";
  if (format != "csv" && format != "ndjson") throw std::runtime_error("--format is ndjson or csv");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file);
  const auto size = fs::file_size(file);
  if (o.token.empty()) throw std::runtime_error("no token: set HUB_TOKEN or HUB_TOKEN_FILE");
  client::HttpsClient c(client_options(o));
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  std::uint64_t rows = 0;
  // rows, rows/s and the time left, redrawn on one line a few times a second
  auto draw = [&](std::uint64_t sent, bool final) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = secs > 0 ? rows / secs : 0;
    const double left = sent > 0 && sent < size ? secs * (double(size) / sent - 1) : 0;
    char line[160];
    std::snprintf(line, sizeof line, "\r%12llu rows  %9.0f rows/s  %5.1f%%  %s %s",
                  static_cast<unsigned long long>(rows), rate, size ? 100.0 * sent / size : 100.0,
                  final ? "took" : "ETA", clock_text(final ? secs : left).c_str());
    err << line << std::flush;
  };
  auto r = c.upload(
      verb::post,
      "/api/v1/resources/" + url_encode(code) + "/imports" +
          (o.switches.contains("atomic") ? "?atomic=true" : ""),
      in, size,
      {{"Authorization", "Bearer " + o.token},
       {"Content-Type", format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson"}},
      [&](std::uint64_t sent, std::string_view chunk) {
        rows += static_cast<std::uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
        const auto now = std::chrono::steady_clock::now();
        if (now - last > std::chrono::milliseconds(250)) {
          last = now;
          draw(sent, false);
        }
      });
  draw(size, true);
  err << "\n";
  if (r.status >= 400) throw std::runtime_error(Api::describe(r));
  auto result = nlohmann::json::parse(r.body);
  out << result["accepted"].get<long long>() << " accepted, " << result["rejected"].get<long long>()
      << " rejected\n";
  for (const auto& e : result["errors"]) {
    out << "  line " << e["line"].get<long long>() << ": " << e["message"].get<std::string>()
        << "\n";
  }
  return result["rejected"].get<long long>() > 0 ? 1 : 0;
}

// Signs a demo person in and returns an API client acting as them.
std::unique_ptr<Api> demo_person(const Options& o, const std::string& name) {
  client::HttpsClient c(client_options(o));
  auto r = c.request(verb::post, "/api/v1/sessions",
                     nlohmann::json{{"name", name}, {"password", kDemoPassword}}.dump());
  if (r.status != 200)
    throw std::runtime_error("demo sign-in of " + name + ": " + Api::describe(r));
  Options as = o;
  as.token = nlohmann::json::parse(r.body)["token"];
  return std::make_unique<Api>(as);
}

// The sharing part of the demo, made once: market regulation's enterprise registrations are
// applied for by tax (approved), human resources (pending) and statistics (rejected); market
// regulation takes tax's open credit ratings (granted at once); power supply waits on human
// resources; and tax has raised an objection on a registration record.
// The service item (政务服务事项编码) the demo's verify grant is bound to.
constexpr const char* kDemoServiceItem = "11440100MB2C92175P4442011017000";

void demo_sharing(const Options& o, Api& admin, std::ostream& out, std::ostream& err) {
  auto existing = admin.all("/api/v1/applications");
  if (!existing.empty()) {
    out << "sharing: " << existing.size() << " applications already there\n";
    return;
  }
  auto code_of = [&](const std::string& provider, const std::string& name) {
    for (const auto& r : admin.all("/api/v1/resources?provider=" + provider)) {
      if (r["name"] == name) return r["code"].get<std::string>();
    }
    throw std::runtime_error("demo resource missing: " + name);
  };
  const std::string registration = code_of("114401009P0Y2GG12L", "企业登记信息");
  const std::string ratings = code_of("11440100XYDWCM5T1B", "纳税信用等级评价结果");
  const std::string social = code_of("11440100FAJ0T55W64", "社会保险缴费信息");
  const std::string until = "2027-06-30";
  try {
    auto tax = demo_person(o, "gzsw-officer");
    auto market = demo_person(o, "gzsc-officer");
    auto hr = demo_person(o, "gzrs-officer");
    auto stats = demo_person(o, "gztj-cdo");
    auto power = demo_person(o, "gdgz-cdo");

    // Approved: tax reads and queries enterprise registrations for tax administration.
    auto a1 = tax->call(verb::post, "/api/v1/applications",
                        {{"resource_code", registration},
                         {"items", {"uscc", "name", "legal_person", "reg_capital", "status"}},
                         {"operations", {"read", "query", "changes"}},
                         {"purpose", "税收征管中核实纳税人登记信息"},
                         {"legal_basis", "《中华人民共和国税收征收管理法》"},
                         {"valid_until", until}});
    market->call(verb::post, "/api/v1/applications/" + a1["id"].get<std::string>() + "/decision",
                 {{"decision", "approve"}, {"opinion", "同意，用于税收征管"}});
    // Unconditional: market regulation takes the tax credit ratings at once.
    market->call(verb::post, "/api/v1/applications",
                 {{"resource_code", ratings},
                  {"items", {"uscc", "taxpayer_name", "credit_level", "year"}},
                  {"operations", {"read", "query", "aggregate"}},
                  {"purpose", "信用监管中的纳税信用联合奖惩"},
                  {"valid_until", until}});
    // Pending: human resources asks for registrations for talent policies.
    hr->call(verb::post, "/api/v1/applications",
             {{"resource_code", registration},
              {"items", {"uscc", "name", "status"}},
              {"operations", {"verify"}},
              {"purpose", "人才引进政策中核验用人单位登记状态"},
              {"valid_until", until}});
    // Rejected: statistics asks for the legal persons' ID numbers in clear.
    auto a4 = stats->call(verb::post, "/api/v1/applications",
                          {{"resource_code", registration},
                           {"items", {"uscc", "legal_person", "legal_person_id"}},
                           {"clear_items", {"legal_person_id"}},
                           {"operations", {"query"}},
                           {"purpose", "经济普查名录核对"},
                           {"valid_until", until}});
    market->call(verb::post, "/api/v1/applications/" + a4["id"].get<std::string>() + "/decision",
                 {{"decision", "reject"},
                  {"opinion", "统计用途不需要明文身份证号码，请改为核验或脱敏后申请"}});
    // Pending, at a provider with a deadline: power supply asks human resources.
    power->call(verb::post, "/api/v1/applications",
                {{"resource_code", social},
                 {"items", {"person_id", "employer_uscc", "paid_months"}},
                 {"operations", {"aggregate"}},
                 {"purpose", "企业用工与用电关联分析（仅统计）"},
                 {"valid_until", until}});
    out << "sharing: 5 applications (approved, automatic, pending ×2, rejected)\n";
  } catch (const std::exception& e) {
    err << "demo sharing: " << e.what() << "\n";
  }
}

// The demo: the city's agencies, and for seven of them a CDO, a data officer and a system, plus
// a coordinator. People share one documented password; systems get tokens written to
// DATA_DIR/demo-tokens.json (0600), reused on the next run while they still work.
// Records for the demo: 3,000 enterprises pushed by market regulation and 2,000 residents by
// public security (realistic and the same every run), then a masked read, a verify and an
// aggregate, each a data request in the ledger. Done once: skipped when records are there.
// The month of ledger history behind the console's charts, written straight to the database
// (the API has, by design, no way to write the past): HUB_DATABASE_URL when set, else the
// embedded database of --data-dir. Only into an empty ledger, before the demo's own requests.
void demo_ledger_history(const Options& o, std::ostream& out, std::ostream& err) {
  try {
    std::string conninfo = env_or("HUB_DATABASE_URL", "");
    if (conninfo.empty()) {
      pg::EmbeddedPostgres db(o.data_dir / "postgres", "");
      if (!db.running()) {
        err << "demo history: no embedded database running in " << o.data_dir.string()
            << " and no HUB_DATABASE_URL: the ledger gets no history\n";
        return;
      }
      conninfo = db.app_conninfo();
    }
    auto conn = pg::connect_blocking(conninfo, 10);
    auto rows = pg::exec_blocking(
        conn.get(),
        "SELECT g.id, g.consumer_code, g.provider_code, g.resource_code,"
        " array_to_string(g.operations, ','), array_to_string(g.items, ','), g.purpose,"
        " (SELECT p.id FROM principals p WHERE p.agency_code = g.consumer_code"
        "  AND p.kind = 'system' ORDER BY p.name LIMIT 1), r.record_count,"
        " extract(epoch FROM now())::bigint"
        " FROM grants g JOIN resources r ON r.code = g.resource_code"
        " WHERE g.revoked_at IS NULL AND g.valid_until > now() ORDER BY g.created_at, g.id",
        pg::Params());
    std::vector<cli::HistoryGrant> grants;
    std::int64_t now = 0;
    for (int i = 0; i < rows.rows(); ++i) {
      if (rows.is_null(i, 7)) continue;
      cli::HistoryGrant g;
      g.grant_id = rows.get(i, 0);
      g.consumer_code = rows.get(i, 1);
      g.provider_code = rows.get(i, 2);
      g.resource_code = rows.get(i, 3);
      g.operations = split_csv(std::string(rows.get(i, 4)));
      g.items = split_csv(std::string(rows.get(i, 5)));
      g.purpose = rows.get(i, 6);
      g.principal_id = rows.get(i, 7);
      g.resource_records = std::max<std::int64_t>(rows.get_int(i, 8), 1);
      now = rows.get_int(i, 9);
      if (!g.operations.empty()) grants.push_back(std::move(g));
    }
    auto history = cli::demo_history(grants, now, 30);
    const std::size_t n = history.size();
    if (ledger::append_history(conn.get(), std::move(history))) {
      out << "ledger history: " << n << " data requests over the last 30 days, under "
          << grants.size() << " grants\n";
    } else {
      out << "ledger history: the ledger has entries already, so none was added\n";
    }
  } catch (const std::exception& e) {
    err << "demo history: " << e.what() << "\n";
  }
}

void demo_records(const Options& o, Api& admin, const nlohmann::json& tokens, std::ostream& out,
                  std::ostream& err) {
  auto resource_of = [&](const std::string& provider, const std::string& name) {
    for (const auto& r : admin.all("/api/v1/resources?provider=" + provider)) {
      if (r["name"] == name) return r;
    }
    throw std::runtime_error("demo resource missing: " + name);
  };
  try {
    const auto registration = resource_of("114401009P0Y2GG12L", "企业登记信息");
    const auto residents = resource_of("1144010024CNN5F90B", "户籍人口基本信息");
    const std::string reg = registration["code"], res = residents["code"];
    if (admin.call(verb::get, "/api/v1/resources/" + reg)["record_count"].get<long long>() > 0) {
      out << "records: already there\n";
      return;
    }
    client::HttpsClient c(client_options(o));
    auto as = [&](const std::string& system) {
      return std::vector<std::pair<std::string, std::string>>{
          {"Authorization", "Bearer " + tokens.at(system).get<std::string>()},
          {"X-Purpose", "%E6%BC%94%E7%A4%BA"}};  // 演示
    };
    auto import = [&](const std::string& system, const std::string& code, const std::string& body) {
      auto h = as(system);
      h.emplace_back("Content-Type", "application/x-ndjson");
      auto r = c.request(verb::post, "/api/v1/resources/" + code + "/imports", body, h);
      if (r.status != 200) throw std::runtime_error("demo import: " + Api::describe(r));
      return nlohmann::json::parse(r.body)["accepted"].get<long long>();
    };
    const std::string enterprises = demo_enterprises_ndjson(3000);
    out << "records: " << import("gzsc-system", reg, enterprises) << " enterprises (企业登记信息), "
        << import("gzga-system", res, demo_residents_ndjson(2000))
        << " residents (户籍人口基本信息)\n";

    // Usable but invisible: human resources may verify a resident's name against an ID number,
    // and statistics count enterprises by district, neither seeing a record.
    auto hr = demo_person(o, "gzrs-officer");
    auto police = demo_person(o, "gzga-officer");
    auto stats = demo_person(o, "gztj-cdo");
    auto market = demo_person(o, "gzsc-officer");
    // Bound to one service item (政务服务事项编码): each verify under the grant names it.
    auto verify_app = hr->call(verb::post, "/api/v1/applications",
                               {{"resource_code", res},
                                {"items", {"id_number", "name"}},
                                {"operations", {"verify"}},
                                {"purpose", "社保业务办理中核验参保人身份"},
                                {"purpose_codes", {kDemoServiceItem}},
                                {"legal_basis", "《社会保险法》"},
                                {"valid_until", "2027-06-30"}});
    police->call(verb::post,
                 "/api/v1/applications/" + verify_app["id"].get<std::string>() + "/decision",
                 {{"decision", "approve"}, {"opinion", "同意，仅限核验"}});
    const auto resident = nlohmann::json::parse(demo_residents_ndjson(1));
    auto agg_app = stats->call(verb::post, "/api/v1/applications",
                               {{"resource_code", reg},
                                {"items", {"district", "industry", "reg_capital"}},
                                {"operations", {"aggregate"}},
                                {"purpose", "经济运行分析（分区企业数和注册资本合计）"},
                                {"valid_until", "2027-06-30"}});
    market->call(verb::post,
                 "/api/v1/applications/" + agg_app["id"].get<std::string>() + "/decision",
                 {{"decision", "approve"}, {"opinion", "同意，仅限汇总统计"}});
    // The month of history comes before the demo's own requests below: the ledger's time never
    // goes backwards.
    demo_ledger_history(o, out, err);

    // A masked read: tax reads a registration under its approved grant.
    const auto first = nlohmann::json::parse(enterprises.substr(0, enterprises.find('\n')));
    auto read = c.request(
        verb::get, "/api/v1/resources/" + reg + "/records/" + first["uscc"].get<std::string>(), {},
        as("gzsw-system"));
    out << "  tax reads " << first["uscc"].get<std::string>()
        << " (legal person masked): " << read.body << "\n";
    // An open objection: tax finds that registration's legal person out of date.
    auto tax = demo_person(o, "gzsw-officer");
    tax->call(
        verb::post,
        "/api/v1/resources/" + reg + "/records/" + first["uscc"].get<std::string>() + "/objections",
        {{"items", {"legal_person"}},
         {"description", "该企业法定代表人已于2026年9月变更，登记信息未更新"}});
    out << "  tax objects to that registration's legal person (an open objection)\n";

    auto verify_headers = as("gzrs-system");
    verify_headers.emplace_back("X-Purpose-Code", kDemoServiceItem);
    auto verify = c.request(
        verb::post, "/api/v1/resources/" + res + "/verify",
        nlohmann::json{{"key", resident["id_number"]}, {"claims", {{"name", resident["name"]}}}}
            .dump(),
        verify_headers);
    out << "  human resources verifies a resident's name: " << verify.body << "\n";
    auto agg = c.request(
        verb::post, "/api/v1/resources/" + reg + "/aggregate",
        nlohmann::json{{"group_by", {"district"}},
                       {"metrics", {{{"op", "count"}}, {{"op", "sum"}, {"item", "reg_capital"}}}}}
            .dump(),
        as("gztj-system"));
    const auto groups = nlohmann::json::parse(agg.body, nullptr, false);
    out << "  statistics counts enterprises by district: "
        << (groups.is_object() && groups.contains("groups") ? groups["groups"].size() : 0)
        << " districts";
    if (groups.is_object() && groups.contains("privacy")) {
      // The resource's aggregate_policy: counts and sums with Laplace noise, a daily budget.
      out << " (differentially private: ε " << groups["privacy"]["epsilon_spent"].dump()
          << " spent, " << groups["privacy"]["epsilon_remaining"].dump() << " left today)";
    }
    out << "\n";
  } catch (const std::exception& e) {
    err << "demo records: " << e.what() << "\n";
  }
}

// The sharing-status report, as the hub renders it (JSON, CSV with a BOM, or XLSX).
int cmd_report(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string format = o.flag("format", false).empty() ? "json" : o.flag("format");
  if (format != "json" && format != "csv" && format != "xlsx") {
    err << "hubctl report: --format must be json, csv or xlsx\n";
    return 2;
  }
  const std::string file = o.flag("o", false);
  if (format == "xlsx" && file.empty()) {
    err << "hubctl report: an XLSX workbook needs -o FILE\n";
    return 2;
  }
  std::string target = "/api/v1/reports/sharing-status?format=" + format;
  for (const char* name : {"from", "to"}) {
    if (auto v = o.flag(name, false); !v.empty()) target += std::string("&") + name + "=" + v;
  }
  Api api(o);
  auto r = api.raw(verb::get, target);
  if (r.status != 200) throw std::runtime_error("report: " + Api::describe(r));
  if (file.empty()) {
    out << r.body;
    if (format == "json") out << "\n";
    return 0;
  }
  std::ofstream(file, std::ios::binary | std::ios::trunc) << r.body;
  std::size_t rows = 0;
  if (format == "json") rows = nlohmann::json::parse(r.body)["agencies"].size();
  if (format == "csv")
    rows = static_cast<std::size_t>(std::count(r.body.begin(), r.body.end(), '\n')) - 1;
  out << "report written to " << file << " (" << r.body.size() << " bytes";
  if (rows > 0) out << ", " << rows << " agencies";
  out << ")\n";
  return 0;
}

int cmd_demo(const Options& o, std::ostream& out, std::ostream& err) {
  Api api(o);
  auto csv = embedded::file("demo/agencies.csv");
  if (!csv) throw std::runtime_error("demo data missing from this build");
  auto [created, existing] = import_agencies(api, *csv, err);
  out << "agencies: " << created << " created, " << existing << " already there\n";

  struct DemoAgency {
    const char* prefix;
    const char* code;
  };
  static const DemoAgency kAgencies[] = {
      {"gzga", "1144010024CNN5F90B"},  // 广州市公安局
      {"gzsc", "114401009P0Y2GG12L"},  // 广州市市场监督管理局
      {"gzrs", "11440100FAJ0T55W64"},  // 广州市人力资源和社会保障局
      {"gzgh", "11440100TN5YUXTM3J"},  // 广州市规划和自然资源局
      {"gztj", "114401000UUY8XPWXH"},  // 广州市统计局
      {"gzsw", "11440100XYDWCM5T1B"},  // 国家税务总局广州市税务局
      {"gdgz", "11440000B94HP7C595"},  // 广东电网有限责任公司广州供电局
  };
  const std::string password = kDemoPassword;
  int people = 0;
  auto add = [&](const nlohmann::json& body) -> std::optional<std::string> {
    auto r = api.raw(verb::post, "/api/v1/principals", body);
    if (r.status == 201) {
      ++people;
      return nlohmann::json::parse(r.body)["id"].get<std::string>();
    }
    if (r.status != 409) err << body["name"].get<std::string>() << ": " << Api::describe(r) << "\n";
    return std::nullopt;
  };
  add({{"name", "coordinator"},
       {"kind", "user"},
       {"roles", {"coordinator"}},
       {"agency_code", "11440100CWC9EE711D"},
       {"password", password}});
  for (const auto& a : kAgencies) {
    add({{"name", std::string(a.prefix) + "-cdo"},
         {"kind", "user"},
         {"roles", {"agency_cdo"}},
         {"agency_code", a.code},
         {"password", password}});
    add({{"name", std::string(a.prefix) + "-officer"},
         {"kind", "user"},
         {"roles", {"agency_data_officer"}},
         {"agency_code", a.code},
         {"password", password}});
    add({{"name", std::string(a.prefix) + "-operator"},
         {"kind", "user"},
         {"roles", {"agency_operator"}},
         {"agency_code", a.code},
         {"password", password}});
    add({{"name", std::string(a.prefix) + "-system"},
         {"kind", "system"},
         {"roles", {"agency_system"}},
         {"agency_code", a.code}});
  }
  out << "principals: " << people << " created\n";

  // The catalog: the demo resources, published, and a licence resource from the template.
  auto resources = nlohmann::json::parse(*embedded::file("demo/resources.json"));
  for (auto& r : resources) r["status"] = "published";
  std::ostringstream quiet;
  auto counts = apply_resources(api, resources, false, quiet, err);
  out << "resources: " << counts.created << " created, " << counts.updated << " updated, "
      << counts.unchanged << " unchanged\n";
  bool has_licence = false;
  for (const auto& r : api.all("/api/v1/resources?provider=114401009P0Y2GG12L")) {
    if (r["kind"] == "licence") has_licence = true;
  }
  if (!has_licence) {
    auto licence = api.call(verb::post, "/api/v1/licence-resources",
                            {{"provider_code", "114401009P0Y2GG12L"},
                             {"type_name", "营业执照"},
                             {"type_code", "11100000000000127L001"},
                             {"share_type", "conditional"},
                             {"share_conditions", "用于政务服务中的营业执照免提交和核验。"},
                             {"legal_basis", "《国务院关于在线政务服务的若干规定》"}});
    api.call(verb::post, "/api/v1/resources/" + licence["code"].get<std::string>() + "/publish");
    out << "licence resource: 营业执照 " << licence["code"].get<std::string>() << "\n";
  }

  demo_sharing(o, api, out, err);

  // System tokens: reuse the saved ones that still work, issue the rest.
  const fs::path token_file = o.data_dir / "demo-tokens.json";
  nlohmann::json saved = nlohmann::json::object();
  if (std::ifstream in(token_file); in) saved = nlohmann::json::parse(in, nullptr, false);
  if (!saved.is_object()) saved = nlohmann::json::object();
  std::map<std::string, std::string> ids;
  for (const auto& p : api.all("/api/v1/principals")) ids[p["name"]] = p["id"];
  nlohmann::json tokens = nlohmann::json::object();
  client::HttpsClient probe(client_options(o));
  for (const auto& a : kAgencies) {
    const std::string name = std::string(a.prefix) + "-system";
    if (saved.contains(name)) {
      auto me = probe.request(verb::get, "/api/v1/me", {},
                              {{"Authorization", "Bearer " + saved[name].get<std::string>()}});
      if (me.status == 200) {
        tokens[name] = saved[name];
        continue;
      }
    }
    if (!ids.contains(name)) continue;
    auto t =
        api.call(verb::post, "/api/v1/principals/" + ids[name] + "/tokens", {{"ttl_days", 30}});
    tokens[name] = t["token"];
  }
  fs::create_directories(o.data_dir);
  {
    std::ofstream outf(token_file, std::ios::trunc);
    outf << tokens.dump(2) << "\n";
  }
  fs::permissions(token_file, fs::perms::owner_read | fs::perms::owner_write);
  demo_records(o, api, tokens, out, err);
  out << "demo people sign in with password '" << password << "'; system tokens are in "
      << token_file.string() << "\n";
  return 0;
}

}  // namespace

int hubctl_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  // The library logs through spdlog (the embedded database, for one): plain lines for a person.
  spdlog::set_pattern("hubctl: %v");
  Options o;
  o.url = env_or("HUB_URL", "https://localhost:8443");
  o.ca = env_or("HUB_CA", "");
  o.data_dir = env_or("HUB_DATA_DIR", "data");
  std::string token_file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        err << "hubctl: " << a << " needs a value\n";
        throw std::invalid_argument(a);
      }
      return args[++i];
    };
    if (a == "--url") {
      o.url = value();
    } else if (a == "--ca") {
      o.ca = value();
    } else if (a == "--insecure") {
      o.insecure = true;
    } else if (a == "--data-dir") {
      o.data_dir = value();
    } else if (a == "--token-file") {
      token_file = value();
    } else if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else if (a == "-f" || a == "-o") {
      o.flags[a.substr(1)] = value();
    } else if (a.rfind("--", 0) == 0 && a.size() > 2) {
      const std::string name = a.substr(2);
      if (kSwitches.contains(name)) {
        o.switches.insert(name);
      } else {
        o.flags[name] = value();
      }
    } else {
      o.rest.push_back(a);
    }
  }
  if (token_file.empty()) token_file = env_or("HUB_TOKEN_FILE", "");
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    if (!in) {
      err << "hubctl: cannot read the token file " << token_file << "\n";
      return 2;
    }
    std::getline(in, o.token);
    while (!o.token.empty() && (o.token.back() == '\r' || o.token.back() == ' ')) {
      o.token.pop_back();
    }
  } else {
    o.token = env_or("HUB_TOKEN", "");
  }
  if (o.rest.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string& command = o.rest.front();
  try {
    if (command == "version") {
      out << "hubctl " << HUB_VERSION << "\n";
      return 0;
    }
    if (command == "status") return cmd_status(o, out, err);
    if (command == "agencies") return cmd_agencies(o, out, err);
    if (command == "principals") return cmd_principals(o, out, err);
    if (command == "tokens") return cmd_tokens(o, out, err);
    if (command == "demo") return cmd_demo(o, out, err);
    if (command == "resources") return cmd_resources(o, out, err);
    if (command == "applications") return cmd_applications(o, out, err);
    if (command == "grants") return cmd_grants(o, out, err);
    if (command == "db") return cmd_db(o, out, err);
    if (command == "ledger") return cmd_ledger(o, out, err);
    if (command == "import") return cmd_import(o, out, err);
    if (command == "report") return cmd_report(o, out, err);
  } catch (const std::exception& e) {
    err << "hubctl: " << e.what() << "\n";
    return 1;
  }
  err << "hubctl: unknown command '" << command << "'\n" << kUsage;
  return 2;
}

}  // namespace hub::cli
