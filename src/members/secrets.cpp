#include "hub/members/secrets.hpp"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "hub/core/config.hpp"
#include "hub/core/text.hpp"
#include "hub/members/credentials.hpp"
#include "hub/store/pg.hpp"

namespace hub::members {

namespace {

[[noreturn]] void bad(const std::filesystem::path& file, const std::string& why) {
  throw ConfigError("secrets.file: " + file.string() + ": " + why);
}

}  // namespace

SecretsFile SecretsFile::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) bad(file, "cannot be read (make it with `hubctl secrets init FILE`)");
  std::stringstream text;
  text << in.rdbuf();
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (!doc.is_object()) bad(file, "is not a JSON object");
  SecretsFile out;
  for (const auto& spec : kHubSecrets) {
    auto it = doc.find(spec.name);
    if (it == doc.end() || !it->is_string()) {
      bad(file, std::string("has no \"") + spec.name +
                    "\" (a file of an older version: add it with `hubctl secrets add FILE`, then "
                    "copy the file to every node)");
    }
    auto key = from_hex(it->get<std::string>());
    if (!key || key->size() != spec.bytes) {
      bad(file, std::string("\"") + spec.name + "\" must be " + std::to_string(spec.bytes) +
                    " bytes in hex");
    }
    out.keys_[spec.name] = std::move(*key);
  }
  return out;
}

namespace {

// Writes `doc` to `file` through a temporary file of mode 0600, renamed over it.
void write_secrets(const std::filesystem::path& file, const nlohmann::json& doc) {
  std::error_code ec;
  const auto tmp = file.string() + ".tmp";
  const mode_t old = ::umask(077);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << doc.dump(2) << "\n";
    out.close();
    if (!out) {
      ::umask(old);
      bad(file, "cannot write " + tmp);
    }
  }
  ::umask(old);
  std::filesystem::rename(tmp, file, ec);
  if (ec) bad(file, "cannot write it: " + ec.message());
}

}  // namespace

void SecretsFile::create(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) bad(file, "exists already: not overwritten");
  nlohmann::json doc = nlohmann::json::object();
  for (const auto& spec : kHubSecrets) doc[spec.name] = to_hex(random_bytes(spec.bytes));
  write_secrets(file, doc);
}

std::vector<std::string> SecretsFile::add_missing(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) bad(file, "cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (!doc.is_object()) bad(file, "is not a JSON object");
  std::vector<std::string> added;
  for (const auto& spec : kHubSecrets) {
    if (doc.contains(spec.name)) continue;
    doc[spec.name] = to_hex(random_bytes(spec.bytes));
    added.emplace_back(spec.name);
  }
  if (!added.empty()) write_secrets(file, doc);
  return added;
}

std::string load_hub_key(PGconn* conn, const std::string& name, std::size_t bytes,
                         const SecretsFile* file) {
  if (file == nullptr) {
    // The first node to start makes the key; every node reads the one that won.
    pg::exec_blocking(conn,
                      "INSERT INTO hub_keys (name, key) VALUES ($1, decode($2, 'hex')) "
                      "ON CONFLICT (name) DO NOTHING",
                      pg::Params().add(name).add(to_hex(random_bytes(bytes))));
    auto r = pg::exec_blocking(conn, "SELECT encode(key, 'hex') FROM hub_keys WHERE name = $1",
                               pg::Params().add(name));
    if (r.is_null(0, 0)) {
      throw ConfigError("secrets.file: the hub's '" + name +
                        "' secret is kept in a file (the database holds only its SHA-256): "
                        "configure secrets.file on this node too");
    }
    auto key = from_hex(r.get(0, 0));
    if (!key) throw std::runtime_error("hub_keys." + name + " is not bytea");
    return *key;
  }
  const std::string& key = file->get(name);
  const std::string hex = to_hex(key);
  pg::exec_blocking(conn,
                    "INSERT INTO hub_keys (name, fingerprint) "
                    "VALUES ($1, sha256(decode($2, 'hex'))) ON CONFLICT (name) DO NOTHING",
                    pg::Params().add(name).add(hex));
  auto r = pg::exec_blocking(conn,
                             "SELECT key IS NULL OR key = decode($2, 'hex'), "
                             "fingerprint IS NULL OR fingerprint = sha256(decode($2, 'hex')) "
                             "FROM hub_keys WHERE name = $1",
                             pg::Params().add(name).add(hex));
  if (!r.get_bool(0, 0) || !r.get_bool(0, 1)) {
    throw ConfigError("secrets.file: its '" + name +
                      "' secret is not the one the other nodes of this hub use: give every node "
                      "the same file");
  }
  return key;
}

}  // namespace hub::members
