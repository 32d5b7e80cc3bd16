// The OpenAPI import (catalog::operations_from_openapi): a provider's OpenAPI document, as hubctl
// reads it (parse_json: depth at most 64, no duplicate member), turned into a service's
// operations. It never crashes, never loops (bounded $ref hops, cycles, a step budget), and what
// it gives always keeps the catalog's naming rules: valid and unique ids that are no dataset
// operation's name, safe paths whose placeholders are exactly the path params, valid param and
// response item names, at most 100 operations.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hub/catalog/openapi_import.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/core/json.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 256 * 1024) return 0;
  hub::JsonError why;
  const auto doc =
      hub::parse_json(std::string_view(reinterpret_cast<const char*>(data), size), why);
  if (!doc) return 0;
  std::vector<hub::FieldError> errors, notes;
  hub::catalog::ImportOptions options;
  options.max_steps = 20000;
  const nlohmann::json ops = hub::catalog::operations_from_openapi(*doc, errors, options, &notes);
  check(ops.is_array());
  check(ops.size() <= options.max_operations);
  check(errors.empty() == !ops.empty());
  std::set<std::string> ids;
  for (const auto& op : ops) {
    const std::string id = op.at("id").get<std::string>();
    check(hub::catalog::valid_operation_id(id) && !hub::catalog::reserved_operation_id(id));
    check(ids.insert(id).second);
    const std::string method = op.at("method").get<std::string>();
    check(method == "GET" || method == "POST");
    check(!op.at("title").get<std::string>().empty());
    std::vector<std::string> placeholders;
    check(
        hub::catalog::service_path_problem(op.at("path").get<std::string>(), placeholders).empty());
    std::set<std::string> params, path_params;
    for (const auto& p : op.at("params")) {
      const std::string name = p.at("name").get<std::string>();
      check(hub::catalog::valid_member_name(name) && params.insert(name).second);
      if (p.at("in") == "path") path_params.insert(name);
      check(!(p.at("in") == "body" && method == "GET"));
    }
    check(params.size() <= hub::catalog::kMaxParams);
    check(path_params == std::set<std::string>(placeholders.begin(), placeholders.end()));
    const auto& items = op.at("response_items");
    check(!items.empty() && items.size() <= hub::catalog::kMaxResponseItems);
    for (const auto& item : items) {
      check(hub::catalog::valid_member_name(item.at("name").get<std::string>()));
    }
    (void)op.dump();  // valid UTF-8 throughout, or dump() throws
  }
  return 0;
}
