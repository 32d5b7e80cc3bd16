#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/catalog/item_rules.hpp"
#include "hub/core/error.hpp"

namespace hub::exchange {

enum class ItemType { string, integer, number, boolean, date, datetime };
enum class Mask { none, name, id_number, phone, address, bank_card, full };

struct Item {
  std::string name;
  ItemType type = ItemType::string;
  bool required = false;
  bool sensitive = false;
  Mask mask = Mask::none;  // for a sensitive item: how it is shown when not clear
  // What a value must be beyond its type (pattern, enum, ...); null when the item has no rules.
  std::shared_ptr<const catalog::ItemRules> rules;
};

// An item of a catalog document ({name, type, required, sensitivity, mask}); a sensitive item
// without a mask is hidden whole.
Item item_of(const nlohmann::json& item);
// An item type by its catalog name (string when unknown: the catalog checked it).
ItemType item_type_of(std::string_view name);

// How aggregates over a resource are released (API.md Part 2, docs/privacy.md): groups of at
// least `min_group_size`; with a daily budget, counts and sums with discrete Laplace noise, each
// query spending `epsilon_per_query` of the grant's `epsilon_per_day`, summed items clamped to
// bounds.
struct AggregatePolicy {
  double epsilon_per_day = 0;  // 0: no noise, exact counts of groups large enough
  double epsilon_per_query = 0;
  std::map<std::string, std::pair<double, double>> bounds;
  bool private_release() const { return epsilon_per_day > 0; }
};

// A resource as the exchange store needs it: its items and rules, read from the catalog's
// document of the version in force.
struct RecordSchema {
  std::string code;
  std::string provider_code;
  std::string status;
  int version = 0;
  std::string key_item;
  int min_group_size = 5;
  AggregatePolicy aggregate;
  std::string licence_type_code;  // a licence resource's licence type; empty for a dataset
  // quality_mode "flag": a record breaking an item's rule is stored and marked, not refused.
  bool quality_flag = false;
  std::vector<Item> items;
  std::vector<std::string> unique_items;  // the items with the `unique` rule
  // What a writer sets records.claims to: the unique items' names as a PostgreSQL array
  // literal, from which the records_claim trigger takes the values' claims; nullopt when the
  // resource has none.
  std::optional<std::string> unique_names;

  static std::shared_ptr<const RecordSchema> from_resource(const nlohmann::json& resource);
  const Item* item(std::string_view name) const;
  // Checks a pushed record (types, the items' rules, required items, unknown items refused) and
  // that its key item, when given, is `key`; fills the key item in when it is not (and holds
  // the key to the key item's rules). Field errors, none when valid: a broken rule's message
  // starts "rule <name>: ".
  std::vector<FieldError> validate(nlohmann::json& data, std::string_view key) const;
};

// In quality_mode "flag": takes the broken rules out of `errors` (what validate found) and
// returns them as the records table marks them ("item.rule"), in a PostgreSQL array literal;
// nullopt when no rule is broken. What remains in `errors` is refused whatever the mode.
std::optional<std::string> take_broken_rules(std::vector<FieldError>& errors);
// The elements of a PostgreSQL array literal of marks as take_broken_rules makes and the
// records table returns them ("{a.b,\"c.d\"}"): item names and rule names, no commas.
std::vector<std::string> array_elements(std::string_view literal);

// The masking rules of DESIGN.md: name: first character kept; ID number: first 1 and last 2;
// phone: first 3 and last 4; address: the last 8 characters hidden; bank card: first 4 and last
// 4; full: all hidden. Characters are counted in code points, so Chinese masks correctly.
std::string mask_value(std::string_view value, Mask mask);

// The item's value as a consumer sees it: as stored when `clear` or not sensitive, masked when
// sensitive and text, and nullopt when it must be withheld (a sensitive value that is not text:
// a number, a boolean, null).
std::optional<nlohmann::json> shown_value(const Item& item, const nlohmann::json& value,
                                          bool clear);

}  // namespace hub::exchange
