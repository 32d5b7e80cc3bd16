// The naming rules of interface services' operations (resource.hpp), on their own: the catalog's
// validation and the OpenAPI import share them, and the import's fuzz target links them without
// the rest of the catalog.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "hub/catalog/resource.hpp"

namespace hub::catalog {

namespace {

// The dataset operations a grant may hold and the ledger's operation names.
constexpr std::array<std::string_view, 10> kReservedOperationIds = {
    "read",    "query", "changes",        "verify",        "aggregate",
    "compute", "call",  "licence_lookup", "compute_input", "report_value"};

bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool valid_operation_id(std::string_view id) {
  if (id.empty() || id.size() > 63 || !lower(id[0])) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return lower(c) || digit(c) || c == '_'; });
}

bool reserved_operation_id(std::string_view id) {
  return std::find(kReservedOperationIds.begin(), kReservedOperationIds.end(), id) !=
         kReservedOperationIds.end();
}

bool valid_member_name(std::string_view name) {
  if (name.empty() || name.size() > 63 || !(lower(name[0]) || upper(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return lower(c) || upper(c) || digit(c) || c == '_'; });
}

std::string service_path_problem(std::string_view path, std::vector<std::string>& placeholders) {
  if (path.empty() || path[0] != '/') return "must start with '/' (it is relative to base_url)";
  if (path.size() > 1000) return "must be at most 1000 characters";
  if (path.find("..") != std::string_view::npos) return "must not contain '..'";
  if (path.find("//") != std::string_view::npos) {
    return "must not contain an empty segment ('//')";
  }
  static constexpr std::string_view allowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/{}";
  for (char c : path) {
    if (c == '?') return "must not contain '?': query params are declared as params";
    if (c == '#') return "must not contain '#'";
    if (c == '%') return "must not contain percent escapes";
    if (allowed.find(c) == std::string_view::npos) {
      return "must hold only letters, digits, '/', {param} placeholders and -._~!$&'()*+,;=:@";
    }
  }
  std::size_t segment_start = 1;
  for (std::size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (path.substr(segment_start, i - segment_start) == ".") {
        return "must not contain a '.' segment";
      }
      segment_start = i + 1;
      continue;
    }
    if (path[i] == '}') return "has a '}' without its '{'";
    if (path[i] == '{') {
      const auto close = path.find('}', i + 1);
      if (close == std::string_view::npos) return "has a '{' without its '}'";
      const std::string name(path.substr(i + 1, close - i - 1));
      if (!valid_member_name(name)) {
        return "has a placeholder {" + name + "} that is not a param name";
      }
      if (std::find(placeholders.begin(), placeholders.end(), name) != placeholders.end()) {
        return "names the param '" + name + "' twice";
      }
      placeholders.push_back(name);
      i = close;
    }
  }
  return "";
}

}  // namespace hub::catalog
