#pragma once

#include <libpq-fe.h>

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace hub::members {

// The hub's shared secrets: their names and sizes in bytes. 'cursor' signs list cursors,
// 'record_ref' makes record references (exchange::RecordRefs), 'subject' the subject log's keyed
// hashes (ledger::SubjectKeys).
struct SecretSpec {
  const char* name;
  std::size_t bytes;
};
inline constexpr SecretSpec kHubSecrets[] = {{"cursor", 32}, {"record_ref", 64}, {"subject", 32}};

// secrets.file: a JSON object of hex strings, one per secret of kHubSecrets.
class SecretsFile {
 public:
  // Throws ConfigError (naming secrets.file) when it is missing, unreadable, not such an object,
  // or a secret is absent or of the wrong size.
  static SecretsFile load(const std::filesystem::path& file);
  // Writes a new file of fresh random secrets, readable by its owner only. Refuses (ConfigError)
  // to overwrite an existing file: other nodes may already use it.
  static void create(const std::filesystem::path& file);
  // Adds the secrets a file made by an older version lacks (fresh random ones), keeping the
  // others; returns their names. Run it once and copy the file to every node again.
  static std::vector<std::string> add_missing(const std::filesystem::path& file);

  const std::string& get(const std::string& name) const { return keys_.at(name); }

 private:
  std::map<std::string, std::string> keys_;  // name -> bytes
};

// A secret every hub node shares (blocking; at start-up, on the migration's connection). Without
// a file: kept in hub_keys, made (`bytes` random bytes) by the first node that asks, read by the
// others. With one: the file's, after checking it against what hub_keys holds for that name (its
// SHA-256, recorded by the first node; or the key itself, for a hub that kept it there before):
// a different one throws ConfigError, so that nodes never sign with different secrets.
std::string load_hub_key(PGconn* conn, const std::string& name, std::size_t bytes,
                         const SecretsFile* file = nullptr);

}  // namespace hub::members
