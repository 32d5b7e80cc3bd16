#include "hub/api/pagination.hpp"

#include <charconv>

#include "hub/core/error.hpp"
#include "hub/members/credentials.hpp"

namespace hub::api {

using nlohmann::json;

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

std::optional<std::int64_t> PageRequest::after_number() const {
  if (!after) return std::nullopt;
  if (!after->is_number_integer()) bad_query_param("cursor", "is not a cursor of this list");
  return after->get<std::int64_t>();
}

PageRequest page_request(const http::Request& request, const CursorCodec& codec,
                         std::string_view list) {
  PageRequest page;
  if (auto limit = request.query_param("limit")) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc{} || end != limit->data() + limit->size() || n == 0) {
      throw ApiError(ErrorCode::validation_failed, "limit must be a positive integer",
                     {{"limit", "must be a positive integer"}}, 400);
    }
    page.limit = std::min<std::size_t>(n, 1000);
  }
  if (auto cursor = request.query_filter("cursor")) {
    page.after = codec.decode(list, *cursor);
  }
  return page;
}

std::string list_body(const json& items, const std::optional<json>& next, const CursorCodec& codec,
                      std::string_view list) {
  json body = {{"items", items},
               {"next_cursor", next ? json(codec.encode(list, *next)) : json(nullptr)}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace hub::api
