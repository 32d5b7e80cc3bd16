// hubctl ledger: export, checkpoint and public-key ask the hub; verify works offline with the
// ledger's own auditor (ledger::audit_export), trusting nothing but the files it is given.
#include <fstream>
#include <optional>
#include <ostream>

#include "command.hpp"
#include "hub/ledger/audit.hpp"

namespace hub::cli {

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
