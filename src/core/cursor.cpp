#include "hub/core/cursor.hpp"

#include "hub/core/error.hpp"
#include "hub/members/credentials.hpp"

namespace hub {

using json = nlohmann::json;

namespace {
[[noreturn]] void bad_cursor() {
  throw ApiError(ErrorCode::validation_failed, "the cursor is not valid for this list",
                 {{"cursor", "not a cursor this list gave out"}}, 400);
}
}  // namespace

std::string CursorCodec::encode(std::string_view list, const json& position) const {
  auto key = key_.load();
  if (!key) throw DbUnavailable("cursor key not loaded yet");
  const std::string payload = json{{"l", list}, {"p", position}}.dump();
  const std::string mac = members::hmac_sha256(*key, payload).substr(0, 16);
  return members::base64url(payload) + "." + members::base64url(mac);
}

json CursorCodec::decode(std::string_view list, std::string_view cursor) const {
  auto key = key_.load();
  if (!key) throw DbUnavailable("cursor key not loaded yet");
  auto dot = cursor.find('.');
  if (dot == std::string_view::npos) bad_cursor();
  auto payload = members::base64url_decode(cursor.substr(0, dot));
  auto mac = members::base64url_decode(cursor.substr(dot + 1));
  if (!payload || !mac) bad_cursor();
  if (!members::digest_equal(*mac, members::hmac_sha256(*key, *payload).substr(0, 16))) {
    bad_cursor();
  }
  auto doc = json::parse(*payload, nullptr, false);
  if (!doc.is_object() || doc.value("l", "") != list || !doc.contains("p")) bad_cursor();
  return doc["p"];
}

}  // namespace hub
