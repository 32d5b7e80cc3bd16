#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace hub::embedded {

// Files compiled into the binary (cmake/embed_files.cmake), by path from the source root:
// schemas/postgresql/*.sql, schemas/openapi.json, demo/*, config/calendar.json and
// config/code-lists/*.csv.
const std::vector<std::pair<std::string_view, std::string_view>>& files();

inline std::optional<std::string_view> file(std::string_view path) {
  for (const auto& [p, content] : files()) {
    if (p == path) return content;
  }
  return std::nullopt;
}

}  // namespace hub::embedded
