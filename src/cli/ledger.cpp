// hubctl ledger: export, checkpoint and public-key ask the hub; verify works offline with the
// ledger's own auditor (ledger::audit_export), trusting nothing but the files it is given.
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>

#include "command.hpp"
#include "hub/ledger/audit.hpp"
#include "hub/ledger/entry.hpp"
#include "hub/report/subject_report.hpp"

namespace hub::cli {

namespace {

// The text of a member of an entry: strings as they are, null as "-", anything else as JSON.
std::string text_of(const nlohmann::json& e, const char* field) {
  const auto it = e.find(field);
  if (it == e.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// The names of agencies and resources the entries mention, as far as the caller may read them
// (an unknown or unreadable one stays a code).
std::map<std::string, std::string> names_of(Api& api, const std::vector<nlohmann::json>& entries) {
  std::map<std::string, std::string> names;
  auto look_up = [&](const std::string& path, const std::string& code) {
    if (code.empty() || code == "-" || names.contains(path + code)) return;
    names[path + code] = "";
    auto r = api.raw(verb::get, path + url_encode(code));
    if (r.status != 200) return;
    auto doc = nlohmann::json::parse(r.body, nullptr, false);
    if (doc.is_object() && doc.contains("name") && doc["name"].is_string()) {
      names[path + code] = doc["name"].get<std::string>();
    }
  };
  for (const auto& e : entries) {
    look_up("/api/v1/agencies/", text_of(e, "consumer_code"));
    look_up("/api/v1/agencies/", text_of(e, "provider_code"));
    look_up("/api/v1/resources/", text_of(e, "resource_code"));
  }
  return names;
}

// hubctl ledger subject KEY [--format table|xlsx] [-o FILE]: the subject log. The key goes to
// the hub, which looks up its keyed hash; it is never stored.
int subject_history(const Options& o, Api& api, std::ostream& out, std::ostream& err) {
  if (o.rest.size() != 3) {
    throw std::runtime_error("usage: hubctl ledger subject KEY [--format table|xlsx] [-o FILE]");
  }
  const std::string& key = o.rest[2];
  const std::string format = o.flag("format", false).empty() ? "table" : o.flag("format");
  if (format != "table" && format != "xlsx") {
    throw std::runtime_error("--format must be table or xlsx");
  }
  const std::string file = o.flag("o", false);
  if (format == "xlsx" && file.empty()) throw std::runtime_error("--format xlsx needs -o FILE");
  const auto entries = api.all("/api/v1/ledger/entries?subject=" + url_encode(key));
  if (format == "table") {
    std::ostringstream table;
    table << "index\ttime\toperation\tconsumer\tprovider\tresource\tpurpose\tpurpose_code\t"
             "status\tcheckpoint\n";
    for (const auto& e : entries) {
      table << text_of(e, "index") << '\t' << text_of(e, "time") << '\t' << text_of(e, "operation")
            << '\t' << text_of(e, "consumer_code") << '\t' << text_of(e, "provider_code") << '\t'
            << text_of(e, "resource_code") << '\t' << text_of(e, "purpose") << '\t'
            << text_of(e, "purpose_code") << '\t' << text_of(e, "status") << '\t'
            << (e["checkpoint"].is_object() ? e["checkpoint"]["tree_size"].dump() : "-") << '\n';
    }
    write_output(o, out, table.str());
    err << entries.size() << " entries\n";
    return 0;
  }
  // A citizen's report (docs/ledger.md): names instead of codes where the caller may read them,
  // the checkpoint covering each entry, the ledger's origin from its latest checkpoint.
  report::SubjectReport rep;
  rep.subject = report::masked_key(key);
  rep.generated_at =
      ledger::format_time_micros(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  if (auto cp = api.raw(verb::get, "/api/v1/ledger/checkpoint"); cp.status == 200) {
    rep.origin = cp.body.substr(0, cp.body.find('\n'));
  }
  const auto names = names_of(api, entries);
  auto name = [&names](const std::string& path, const std::string& code) {
    auto it = names.find(path + code);
    return it == names.end() ? std::string() : it->second;
  };
  for (const auto& e : entries) {
    report::SubjectAccess a;
    a.index = e.value("index", std::int64_t{0});
    a.time = text_of(e, "time");
    a.operation = text_of(e, "operation");
    a.consumer_code = text_of(e, "consumer_code");
    a.consumer_name = name("/api/v1/agencies/", a.consumer_code);
    a.provider_code = text_of(e, "provider_code");
    a.provider_name = name("/api/v1/agencies/", a.provider_code);
    a.resource_code = text_of(e, "resource_code");
    a.resource_name = name("/api/v1/resources/", a.resource_code);
    a.purpose =
        e.contains("purpose") && e["purpose"].is_string() ? e["purpose"].get<std::string>() : "";
    if (e.contains("purpose_code") && e["purpose_code"].is_string()) {
      a.purpose_code = e["purpose_code"].get<std::string>();
    }
    a.status = e.value("status", 0);
    if (e.contains("checkpoint") && e["checkpoint"].is_object()) {
      const auto& c = e["checkpoint"];
      a.checkpoint_size = c.value("tree_size", std::int64_t{0});
      a.checkpoint_root_hash = c.value("root_hash", "");
      a.checkpoint_signed_at = c.value("signed_at", "");
    }
    rep.accesses.push_back(std::move(a));
  }
  const std::string bytes = report::subject_report_xlsx(rep, "");
  std::ofstream f(file, std::ios::binary | std::ios::trunc);
  if (!f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    throw std::runtime_error("cannot write " + file);
  }
  f.close();
  if (!f) throw std::runtime_error("cannot write " + file);
  out << rep.accesses.size() << " entries written to " << file << "\n";
  return 0;
}

}  // namespace

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
    const std::string target = with_flags(
        "/api/v1/ledger/entries?x=1", o,
        {{"agency", "agency"}, {"resource", "resource_code"}, {"from", "from"}, {"to", "to"}});
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
  if (action == "subject") return subject_history(o, api, out, err);
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

}  // namespace hub::cli
