#pragma once

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace hub {

// Opaque, tamper-evident list cursors: base64url(JSON) + "." + base64url(HMAC-SHA256), under a
// key every hub node shares (stored in hub_keys). A cursor names the list it belongs to, so a
// cursor of one list is refused by another. Positions are ids and numbers, never a key or an
// item a consumer does not see (docs/privacy.md).
class CursorCodec {
 public:
  void set_key(std::string key) { key_.store(std::make_shared<const std::string>(std::move(key))); }
  bool has_key() const { return key_.load() != nullptr; }
  std::string encode(std::string_view list, const nlohmann::json& position) const;
  // The position, or throws 400 validation_failed for a cursor that was not ours or is of
  // another list.
  nlohmann::json decode(std::string_view list, std::string_view cursor) const;

 private:
  std::atomic<std::shared_ptr<const std::string>> key_;
};

}  // namespace hub
