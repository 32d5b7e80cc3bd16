#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace hub {

// A page of a list, as the domain asks for it: how many, and after which position (the
// position of the last item of the previous page: an id, a number; opaque to the caller, who
// gets it back in a signed cursor from the transport).
struct PageRequest {
  std::size_t limit = 100;
  std::optional<nlohmann::json> after;

  // `after` for lists positioned by a number (ledger index, change number, alert sequence):
  // nullopt on the first page; 400 validation_failed for a position that is not one.
  std::optional<std::int64_t> after_number() const;
  // `after` for lists positioned by an id: "" on the first page.
  std::string after_id() const;
};

// A page as the domain answers it: the items, and the position to continue after when the page
// is full (there may be more), else nullopt.
struct Page {
  nlohmann::json items = nlohmann::json::array();
  std::optional<nlohmann::json> next;

  // Sets `next` to `position` when the page holds `limit` items.
  void continue_after(const nlohmann::json& position, std::size_t limit) {
    if (items.size() == limit) next = position;
  }
};

// A page of a domain's typed records (applications, grants, agencies ...), positioned like Page;
// the transport renders each item.
template <typename T>
struct ListPage {
  std::vector<T> items;
  std::optional<nlohmann::json> next;

  // The page of `rows` records made by `item(i)`, continuing after `position(last record)` when
  // the page holds `limit` of them.
  template <typename F, typename P>
  static ListPage of_rows(int rows, std::size_t limit, const F& item, const P& position) {
    ListPage page;
    page.items.reserve(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) page.items.push_back(item(i));
    if (rows > 0 && page.items.size() == limit)
      page.next = nlohmann::json(position(page.items.back()));
    return page;
  }
};

}  // namespace hub
