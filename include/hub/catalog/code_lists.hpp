#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hub::catalog {

// A named list of codes that an item's `code_list` rule names (API.md Part 2, docs/catalog.md
// "Item rules"). Built into the hub from config/code-lists/ (scripts/update-code-lists).
struct CodeList {
  std::string name;                                        // what a rule names, e.g. "gb2260"
  std::string title;                                       // what it is, in Chinese
  std::string source;                                      // where its codes come from
  std::vector<std::pair<std::string, std::string>> codes;  // (code, name), sorted by code

  bool contains(std::string_view code) const;
  // The name of `code`, or null when it is not in the list.
  const std::string* name_of(std::string_view code) const;
};

// Every built-in list, in name order; loaded once, on first use.
const std::vector<CodeList>& code_lists();
// The list called `name`, or null.
const CodeList* find_code_list(std::string_view name);

}  // namespace hub::catalog
