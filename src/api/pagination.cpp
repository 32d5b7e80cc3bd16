#include "hub/api/pagination.hpp"

#include <charconv>

#include "hub/core/error.hpp"
#include "hub/core/json.hpp"

namespace hub::api {

using nlohmann::json;

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

std::string list_body(const Page& page, const CursorCodec& codec, std::string_view list) {
  std::string out = "{\"items\":";
  write_json(out, page.items);
  out += ",\"next_cursor\":";
  write_json(out, page.next ? json(codec.encode(list, *page.next)) : json(nullptr));
  out += '}';
  return out;
}

}  // namespace hub::api
