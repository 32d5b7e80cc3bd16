#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "hub/core/error.hpp"

namespace re2 {
class RE2;
}

namespace hub::catalog {

struct CodeList;

enum class IdCheck { none, uscc, citizen_id };

// What an item of a dataset may require of a value beyond its type (API.md Part 2, docs/catalog.md
// "Item rules"): pattern, enum, code_list, min, max, max_length, check. Compiled once per
// resource version and shared by every request that checks a record against it.
// `unique` is kept by the store (docs/exchange.md "Quality").
struct ItemRules {
  // RE2 syntax (linear time whatever the pattern and the value), matched anywhere in the value
  // as JSON Schema's `pattern` is: anchor it with ^ and $ to match the whole value.
  std::string pattern;
  std::shared_ptr<const re2::RE2> regex;  // the pattern compiled; null when none
  // enum: the values allowed, looked up without a scan (an enum has up to 1,000 values, checked
  // against every value pushed): strings by their text, numbers by their value as a double and
  // then exactly. No enum when both are empty.
  std::unordered_set<std::string> enum_strings;
  std::vector<std::pair<double, nlohmann::json>> enum_numbers;  // sorted by the double
  const CodeList* code_list = nullptr;
  std::optional<double> min;
  std::optional<double> max;
  std::optional<std::size_t> max_length;  // in characters (code points), not bytes
  IdCheck check = IdCheck::none;
  // No two live records of the resource hold the same value of this item (compared as JSON
  // text). Kept by the store, not by broken_rule: it needs the other records.
  bool unique = false;
};

// The rule fields an item may carry.
const std::vector<std::string>& item_rule_fields();

// Reads and checks the rules of catalog item `item`, whose type is `type` (the catalog's name):
// a malformed rule adds an error at `prefix` + its field. Returns the rules as the resource's
// document stores them (only those given), to merge into the item.
nlohmann::json validate_item_rules(const nlohmann::json& item, std::string_view type,
                                   const std::string& prefix, std::vector<FieldError>& errors);

// The rules of a stored (validated) catalog item; null when it has none.
std::shared_ptr<const ItemRules> item_rules(const nlohmann::json& item);

// The first rule a value of the item's type (not null) breaks, or nullopt when it keeps them all.
struct BrokenRule {
  std::string rule;     // the rule's field name: "pattern", "max_length", ...
  std::string message;  // what is wrong, for the provider who pushed it
};
std::optional<BrokenRule> broken_rule(const ItemRules& rules, const nlohmann::json& value);

// A citizen identity number (公民身份号码, GB 11643): 17 digits, the first 6 an area code, then
// a valid birth date, then the ISO 7064 MOD 11-2 check character (a digit or X).
bool valid_citizen_id(std::string_view id);
// The check character of a citizen identity number's first 17 characters, or '\0' when they are
// not 17 digits.
char citizen_id_check_character(std::string_view first17);

}  // namespace hub::catalog
