// Items' rules (docs/catalog.md "Item rules"): what a data officer registers (an item's rules,
// a regular expression among them) and what a provider's system then pushes against them. Input:
// an item's JSON object on the first line, then a value (the rest, as a string and, when it is
// JSON, as itself). Whatever the rules, checking a value ends, and a value the rules keep is
// kept by every rule.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "hub/catalog/code_lists.hpp"
#include "hub/catalog/item_rules.hpp"
#include "hub/core/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  auto item = nlohmann::json::parse(input.substr(0, newline), nullptr, false);
  if (!item.is_object()) return 0;
  const std::string rest = newline == std::string::npos ? "" : input.substr(newline + 1);
  for (const char* type : {"string", "integer", "number", "boolean", "date", "datetime"}) {
    std::vector<hub::FieldError> errors;
    const auto stored = hub::catalog::validate_item_rules(item, type, "items[0].", errors);
    if (!stored.is_object()) __builtin_trap();
    for (const auto& e : errors) {
      if (!e.field.starts_with("items[0].")) __builtin_trap();
    }
    if (!errors.empty()) continue;
    // What the catalog stored reads back as the same rules.
    nlohmann::json stored_item = stored;
    stored_item["type"] = type;
    const auto rules = hub::catalog::item_rules(stored_item);
    if (!rules) {
      if (!stored.empty()) __builtin_trap();
      continue;
    }
    std::vector<nlohmann::json> values = {nlohmann::json(rest)};
    // As a push reads it: numbers a double cannot hold kept as their text (raw numbers).
    hub::JsonError why;
    if (auto parsed = hub::parse_json(rest, why, {64, true})) values.push_back(*parsed);
    for (const auto& value : values) {
      // Strings that are not UTF-8 never reach the rules (the JSON reader refuses them).
      if (value.is_string()) {
        try {
          (void)value.dump();
        } catch (const nlohmann::json::exception&) {
          continue;
        }
      }
      const auto broken = hub::catalog::broken_rule(*rules, value);
      if (broken && (broken->rule.empty() || broken->message.empty())) __builtin_trap();
      if (broken && !stored.contains(broken->rule)) __builtin_trap();  // a rule it does not have
    }
  }
  return 0;
}
