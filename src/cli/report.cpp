// hubctl report: the sharing-status report from /api/v1/reports/sharing-status, and issued
// reports (/api/v1/reports/issues).
#include <algorithm>
#include <fstream>
#include <optional>
#include <ostream>

#include "command.hpp"
#include "hub/core/text.hpp"
#include "hub/ledger/merkle.hpp"
#include "hub/ledger/note.hpp"

namespace hub::cli {

namespace {

// A PEM public key or a vkey, as `hubctl ledger verify` takes it.
std::optional<ledger::Verifier> verifier_of(const std::string& text) {
  if (text.find("-----BEGIN") != std::string::npos) {
    return ledger::verifier_from_pem("report", text);
  }
  std::string vkey = text;
  while (!vkey.empty() && (vkey.back() == '\n' || vkey.back() == '\r')) vkey.pop_back();
  return ledger::parse_vkey(vkey);
}

// hubctl report issue: freezes a period's report under a number (coordinator, hub_admin).
int report_issue(const Options& o, std::ostream& out) {
  Api api(o);
  auto issue = api.call(verb::post, "/api/v1/reports/issues",
                        {{"from", o.flag("from")},
                         {"to", o.flag("to")},
                         {"number", o.flag("number")},
                         {"title", o.flag("title")}});
  out << "issued " << issue["number"].get<std::string>() << " (" << issue["from"].get<std::string>()
      << " to " << issue["to"].get<std::string>() << "): id " << issue["id"].get<std::string>()
      << "\nsha256 " << issue["sha256"].get<std::string>() << "\nsignature "
      << issue["signature"].get<std::string>() << "\n";
  if (const std::string file = o.flag("o", false); !file.empty()) {
    auto r = api.raw(verb::get, "/api/v1/reports/issues/" + issue["id"].get<std::string>());
    if (r.status != 200) throw std::runtime_error("report issue: " + Api::describe(r));
    std::ofstream(file, std::ios::binary | std::ios::trunc) << r.body;
    out << "the issued JSON written to " << file << "\n";
  }
  return 0;
}

// hubctl report verify FILE: checks an issued report's JSON bytes against its signature, by the
// ledger's public key. Offline with --signature and --key; else what is missing is asked of the
// hub (--issue ID for the signature, /ledger/public-key for the key).
int report_verify(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.rest.size() != 3) {
    err << "usage: hubctl report verify FILE (--signature B64 | --issue ID) [--key FILE]\n";
    return 2;
  }
  const std::string body = read_file(o.rest[2]);
  std::string signature = o.flag("signature", false);
  std::string expected_sha;
  std::optional<Api> api;
  if (signature.empty()) {
    const std::string id = o.flag("issue", false);
    if (id.empty()) {
      err << "hubctl report verify: give --signature, or --issue ID to ask the hub for it\n";
      return 2;
    }
    api.emplace(o);
    auto r = api->raw(verb::get, "/api/v1/reports/issues/" + id + "?format=json");
    if (r.status != 200) throw std::runtime_error("report verify: " + Api::describe(r));
    signature = r.header("X-Hub-Report-Signature");
    expected_sha = r.header("X-Hub-Report-Sha256");
  }
  std::optional<ledger::Verifier> key;
  if (const std::string file = o.flag("key", false); !file.empty()) {
    key = verifier_of(read_file(file));
  } else {
    if (!api) api.emplace(o);
    key = ledger::parse_vkey(
        api->call(verb::get, "/api/v1/ledger/public-key")["vkey"].get<std::string>());
  }
  if (!key) throw std::runtime_error("--key: neither an Ed25519 PEM public key nor a vkey");
  const auto raw = base64_decode(signature);
  const auto digest = ledger::sha256(body);
  const std::string sha =
      to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  out << "sha256 " << sha << "\n";
  if (!expected_sha.empty() && expected_sha != sha) {
    err << "hubctl report verify: the file is not the issued report (its sha256 differs)\n";
    return 1;
  }
  if (!raw || !key->verify(body, *raw)) {
    err << "hubctl report verify: the signature does not match: the file was changed, or it was "
           "not signed by this key\n";
    return 1;
  }
  out << "ok: signed by the ledger key " << ledger::make_vkey(key->name, key->key) << "\n";
  return 0;
}

}  // namespace

// The sharing-status report, as the hub renders it (JSON, CSV with a BOM, or XLSX); issued
// reports (通报) and their verification.
int cmd_report(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  if (action == "issue") return report_issue(o, out);
  if (action == "verify") return report_verify(o, out, err);
  if (!action.empty()) {
    err << "usage: hubctl report [--from D] [--to D] [--format F] | report issue | report verify\n";
    return 2;
  }
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
  const std::string target = with_flags("/api/v1/reports/sharing-status?format=" + format, o,
                                        {{"from", "from"}, {"to", "to"}});
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

}  // namespace hub::cli
