#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "hub/exchange/schema.hpp"
#include "hub/store/pg.hpp"

namespace hub::exchange {

// API.md's filter language: `district eq "天河区" and reg_capital ge 1000`. Operators eq ne gt
// ge lt le prefix; values are JSON literals.
struct Condition {
  std::string item;
  std::string op;
  nlohmann::json value;
};

// Parses a filter; 400 validation_failed (field "filter") when it is malformed, names an item
// the resource does not have, or compares a value of the wrong type.
std::vector<Condition> parse_filter(std::string_view text, const RecordSchema& schema);

// Appends " AND <condition>" for each condition to `sql`, with every item name and value bound
// as a parameter (`params` grows; placeholders continue from its size). Only fixed fragments of
// SQL text are ever added, so the filter is safe by construction.
void append_conditions(std::string& sql, pg::Params& params, const std::vector<Condition>& where,
                       const RecordSchema& schema);

}  // namespace hub::exchange
