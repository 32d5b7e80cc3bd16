#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/exchange/schema.hpp"

namespace hub::exchange {

// The line readers of bulk imports (import.cpp), apart so that they can be fuzzed alone.

// RFC 4180 fields of one CSV line (quoted fields with "" escapes; no newline inside a field).
// false, with `why`, for a line that is not that.
bool split_csv_line(std::string_view line, std::vector<std::string>& fields, std::string& why);

// A CSV cell as the item's JSON value; nullopt for an empty cell (no value), or with `why` set
// when the cell is not of the item's type. Numbers are kept exactly as written.
std::optional<nlohmann::json> csv_cell_value(const Item& item, const std::string& cell,
                                             std::string& why);

// An NDJSON line as a record's JSON object (the rules of parse_json, numbers exact); nullopt
// with `why` otherwise.
std::optional<nlohmann::json> ndjson_record(std::string_view line, std::string& why);

}  // namespace hub::exchange
