// hubctl agencies, principals and tokens: clients of /api/v1/agencies, /principals, /tokens.
#include <algorithm>
#include <iostream>
#include <optional>
#include <set>

#include "command.hpp"
#include "hub/core/text.hpp"

namespace hub::cli {

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
    for (const auto& a : api.all(with_flags("/api/v1/agencies", o, {{"level", "level"}}))) {
      out << a["code"].get<std::string>() << "  " << a["level"].get<std::string>() << "  "
          << a["name"].get<std::string>() << "\n";
    }
    return 0;
  }
  if (action == "import") {
    if (o.rest.size() != 3) throw std::runtime_error("usage: hubctl agencies import FILE.csv");
    auto [created, existing] = import_agencies(api, read_file(o.rest[2]), err);
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
    for (const auto& p :
         api.all(with_flags("/api/v1/principals", o, {{"agency", "agency"}, {"role", "role"}}))) {
      const std::string roles = join_csv(p["roles"].get<std::vector<std::string>>());
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

}  // namespace hub::cli
