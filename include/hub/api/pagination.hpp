#pragma once

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "hub/http/message.hpp"

namespace hub::api {

// Opaque, tamper-evident list cursors: base64url(JSON) + "." + base64url(HMAC-SHA256), under a
// key every hub node shares (stored in hub_keys). A cursor names the list it belongs to, so a
// cursor of one list is refused by another.
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

struct PageRequest {
  std::size_t limit = 100;
  std::optional<nlohmann::json> after;  // the position after which the page starts

  // `after` for lists positioned by a number (ledger index, change number, alert sequence):
  // nullopt on the first page; 400 validation_failed for a position that is not one.
  std::optional<std::int64_t> after_number() const;
};

// limit (default 100, at most 1000) and cursor from the query string.
PageRequest page_request(const http::Request& request, const CursorCodec& codec,
                         std::string_view list);

// {"items":[...],"next_cursor":...}; `next` is the position of the last item when the page is
// full (there may be more), else null.
std::string list_body(const nlohmann::json& items, const std::optional<nlohmann::json>& next,
                      const CursorCodec& codec, std::string_view list);

}  // namespace hub::api
