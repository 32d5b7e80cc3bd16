#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hub::ledger {

// The subject log's keyed hashes (docs/ledger.md, "The subject log"): a record key (an ID
// number, a unified social credit code) becomes HMAC-SHA256 under the hub's 'subject' secret
// (hub_keys or secrets.file, the same on every node). The ledger keeps the hashes of the keys
// each answer named, never the keys: without the secret nobody can test a guess against them,
// and with the key in hand the hub finds every entry that named it.
class SubjectKeys {
 public:
  static constexpr std::size_t kKeyBytes = 32;
  static constexpr std::size_t kHashBytes = 32;
  void set_key(std::string key);  // kKeyBytes random bytes
  bool ready() const { return key_.load() != nullptr; }

  // The 32-byte hash of one record key.
  std::string hash(std::string_view record_key) const;
  // The hashes of the keys an answer named: sorted, each once, concatenated (what an entry
  // stores and its leaf's subjects_sha256 hashes). Empty for none.
  std::string hashes(const std::vector<std::string>& record_keys) const;

 private:
  std::atomic<std::shared_ptr<const std::string>> key_;
};

// Splits an entry's stored subjects (concatenated 32-byte hashes) into lower-case hex strings,
// in their order; an empty list for none.
std::vector<std::string> subjects_hex(std::string_view concatenated);
// SHA-256 (hex) over concatenated sorted hashes: a leaf's subjects_sha256.
std::string subjects_sha256(std::string_view concatenated);

}  // namespace hub::ledger
