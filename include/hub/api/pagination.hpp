#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "hub/core/cursor.hpp"
#include "hub/core/page.hpp"
#include "hub/http/message.hpp"

namespace hub::api {

// limit (default 100, at most 1000) and cursor from the query string, the cursor decoded for
// `list`.
PageRequest page_request(const http::Request& request, const CursorCodec& codec,
                         std::string_view list);

// {"items":[...],"next_cursor":...}: the next position as a cursor of `list`, or null.
std::string list_body(const Page& page, const CursorCodec& codec, std::string_view list);

// The same for a page of typed records, each rendered by `render`.
template <typename T, typename F>
std::string list_body(const ListPage<T>& page, const F& render, const CursorCodec& codec,
                      std::string_view list) {
  Page out;
  out.next = page.next;
  for (const auto& item : page.items) out.items.push_back(render(item));
  return list_body(out, codec, list);
}

}  // namespace hub::api
