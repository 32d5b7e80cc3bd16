#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hub::exchange {

// Record refs (API.md Part 2): the opaque name of a record that every answer naming a record
// carries, so that a consumer can point at a record (an objection) whose key its grant does not
// show. A ref is AES-256-SIV (RFC 5297, deterministic authenticated encryption) of the key, with
// the consumer agency and the resource as associated data, under a key every hub node shares
// (hub_keys 'record_ref'). So it is
//   - stable for one consumer, resource and key, and different for another consumer or resource
//     (two agencies cannot match their refs);
//   - opaque: without the hub's key it says nothing of the record key but a length bucket (keys
//     are padded to a multiple of 32 bytes: an 18-character ID number and a 16-character one
//     give refs of the same length);
//   - checked: the hub turns a ref back into its key only for the consumer and resource it was
//     made for; anything else, forged or altered, is no ref at all.
// Base64url without padding: 64 characters for keys of up to 31 bytes.
class RecordRefs {
 public:
  static constexpr std::size_t kKeyBytes = 64;
  void set_key(std::string key);  // kKeyBytes random bytes
  bool ready() const { return key_.load() != nullptr; }

  std::string ref(std::string_view consumer, std::string_view resource, std::string_view key) const;
  std::optional<std::string> key_of(std::string_view consumer, std::string_view resource,
                                    std::string_view ref) const;

 private:
  std::atomic<std::shared_ptr<const std::string>> key_;
};

}  // namespace hub::exchange
