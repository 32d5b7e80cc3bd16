// hubctl agencies, principals and tokens: clients of /api/v1/agencies, /principals, /tokens.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>

#include "command.hpp"
#include "hub/core/text.hpp"
#include "hub/members/credentials.hpp"

namespace hub::cli {

namespace {
// The index of the column a CSV header row names `name`.
std::optional<std::size_t> header_column(const std::vector<std::string>& header,
                                         std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}
}  // namespace

// Creates agencies from CSV rows (parents first, so a file in any order works); an agency that
// exists already is left as it is. Returns (created, existing).
std::pair<int, int> import_agencies(Api& api, std::string_view csv, std::ostream& err) {
  auto rows = parse_csv(csv);
  if (rows.empty()) throw std::runtime_error("the file is empty");
  const auto& header = rows.front();
  auto column = [&header](std::string_view name) { return header_column(header, name); };
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
  if (action == "change") {
    // A reorganisation: rename, move (--parent none: to the top), disable or enable.
    if (o.rest.size() != 3) throw std::runtime_error("usage: hubctl agencies change CODE ...");
    nlohmann::json body = nlohmann::json::object();
    if (auto n = o.flag("name", false); !n.empty()) body["name"] = n;
    if (auto p = o.flag("parent", false); !p.empty()) {
      body["parent_code"] = p == "none" ? nlohmann::json(nullptr) : nlohmann::json(p);
    }
    if (auto st = o.flag("status", false); !st.empty()) body["status"] = st;
    auto a = api.call(verb::patch, "/api/v1/agencies/" + o.rest[2], body);
    out << a["code"].get<std::string>() << "  " << a["status"].get<std::string>() << "  "
        << a["name"].get<std::string>() << "\n";
    return 0;
  }
  if (action == "succeed") {
    if (o.rest.size() != 3) {
      throw std::runtime_error("usage: hubctl agencies succeed CODE --by SUCCESSOR");
    }
    auto a = api.call(verb::post, "/api/v1/agencies/" + o.rest[2] + "/succession",
                      {{"successor_code", o.flag("by")}});
    const auto& m = a["moved"];
    out << a["code"].get<std::string>() << " is succeeded by "
        << a["successor_code"].get<std::string>() << " and disabled; moved: " << m["resources"]
        << " resources, " << m["grants"] << " grants, " << m["applications"]
        << " pending applications, " << m["demands"] << " demands, " << m["escalations"]
        << " escalations, " << m["objections"] << " objections\n";
    return 0;
  }
  err << "usage: hubctl agencies add|list|import|change|succeed\n";
  return 2;
}

namespace {

// hubctl principals import FILE: the hundreds of accounts a city gives out, from a UTF-8 CSV with
// a header row naming agency_code, name, kind and roles (several separated by ';'), and
// optionally cert_sha256. People get a generated initial password (16 random characters),
// written with their names to `passwords` (mode 0600) for the administrator to hand out; systems
// get none (tokens are issued to them). A name already taken is skipped, so the file can be
// imported again; every other refusal is listed with its line.
struct PrincipalImport {
  int created = 0, existing = 0, failed = 0;
};

PrincipalImport import_principals(Api& api, std::string_view csv, const std::string& passwords,
                                  std::ostream& err) {
  auto rows = parse_csv(csv);
  if (rows.empty()) throw std::runtime_error("the file is empty");
  const auto& header = rows.front();
  auto column = [&header](std::string_view name) { return header_column(header, name); };
  const auto agency = column("agency_code"), name = column("name"), kind = column("kind"),
             roles = column("roles"), cert = column("cert_sha256");
  if (!name || !kind || !roles) {
    throw std::runtime_error(
        "the header row must name name, kind and roles (and agency_code, cert_sha256)");
  }
  std::ofstream out;
  PrincipalImport result;
  for (std::size_t line = 1; line < rows.size(); ++line) {
    const auto& row = rows[line];
    auto cell = [&](std::optional<std::size_t> i) {
      return i && *i < row.size() ? row[*i] : std::string();
    };
    if (std::all_of(row.begin(), row.end(), [](const std::string& c) { return c.empty(); })) {
      continue;
    }
    nlohmann::json body = {
        {"name", cell(name)}, {"kind", cell(kind)}, {"roles", nlohmann::json::array()}};
    for (const auto& r : split(cell(roles), ';')) {
      if (!r.empty()) body["roles"].push_back(r);
    }
    if (!cell(agency).empty()) body["agency_code"] = cell(agency);
    if (!cell(cert).empty()) body["cert_sha256"] = cell(cert);
    std::string password;
    if (cell(kind) == "user") {
      password = members::base64url(members::random_bytes(12));
      body["password"] = password;
    }
    auto r = api.raw(verb::post, "/api/v1/principals", body);
    if (r.status == 201) {
      ++result.created;
      if (!password.empty()) {
        if (!out.is_open()) {
          out.open(passwords, std::ios::trunc);
          if (!out) throw std::runtime_error("cannot write " + passwords);
          fs::permissions(passwords, fs::perms::owner_read | fs::perms::owner_write);
          out << "name,initial_password\n";
        }
        out << cell(name) << "," << password << "\n";
      }
    } else if (r.status == 409) {
      ++result.existing;
    } else {
      ++result.failed;
      err << "line " << line + 1 << " (" << cell(name) << "): " << Api::describe(r) << "\n";
    }
  }
  return result;
}

}  // namespace

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
  if (action == "import") {
    if (o.rest.size() != 3) {
      throw std::runtime_error("usage: hubctl principals import FILE.csv [-o PASSWORDS.csv]");
    }
    std::string passwords = o.flag("o", false);
    if (passwords.empty()) passwords = "initial-passwords.csv";
    const auto r = import_principals(api, read_file(o.rest[2]), passwords, err);
    out << r.created << " created, " << r.existing << " already there, " << r.failed << " refused";
    if (r.created > 0) out << "; the people's initial passwords are in " << passwords << " (0600)";
    out << "\n";
    return r.failed > 0 ? 1 : 0;
  }
  err << "usage: hubctl principals add|list|import\n";
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
