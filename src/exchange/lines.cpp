#include "hub/exchange/lines.hpp"

#include <charconv>

#include "hub/core/json.hpp"
#include "hub/core/text.hpp"

namespace hub::exchange {

using json = nlohmann::json;

// RFC 4180 fields of one line (quoted fields with "" escapes; no newline inside a field).
bool split_csv_line(std::string_view line, std::vector<std::string>& fields, std::string& why) {
  fields.clear();
  std::string field;
  std::size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) {
          why = "a quoted field is not closed (a newline inside a field is not supported)";
          return false;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') {
        why = "text after a closing quote";
        return false;
      }
    } else {
      while (i < line.size() && line[i] != ',') field.push_back(line[i++]);
    }
    fields.push_back(field);
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

// A CSV cell as the item's JSON value; empty cells are left out (no value).
std::optional<json> csv_cell_value(const Item& item, const std::string& cell, std::string& why) {
  if (cell.empty()) return std::nullopt;
  switch (item.type) {
    case ItemType::integer: {
      long long v = 0;
      auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
      if (ec != std::errc{} || end != cell.data() + cell.size()) {
        why = item.name + ": must be an integer";
        return std::nullopt;
      }
      return json(v);
    }
    case ItemType::number: {
      // Kept exactly as written (a raw number when a double would change it).
      JsonError error;
      JsonLimits limits;
      limits.exact_numbers = true;
      auto v = is_json_number(cell) ? parse_json(cell, error, limits) : std::nullopt;
      if (!v || !is_any_number(*v)) {
        why = item.name + ": must be a number";
        return std::nullopt;
      }
      return v;
    }
    case ItemType::boolean:
      if (cell == "true") return json(true);
      if (cell == "false") return json(false);
      why = item.name + ": must be true or false";
      return std::nullopt;
    default:
      // Text as JSON would have it: a cell that is not UTF-8 is refused, as a JSON line with it
      // would be (stored, its bad bytes would become U+FFFD: not what the item's rules checked).
      for (std::size_t i = 0; i < cell.size();) {
        const std::size_t n = utf8_sequence_length(cell, i);
        if (n == 0) {
          why = item.name + ": is not UTF-8 text";
          return std::nullopt;
        }
        i += n;
      }
      return json(cell);
  }
}

std::optional<json> ndjson_record(std::string_view line, std::string& why) {
  // Each line with the rules of any JSON from a client, numbers kept exactly.
  JsonError error;
  JsonLimits limits;
  limits.exact_numbers = true;
  auto parsed = parse_json(line, error, limits);
  if (!parsed || !parsed->is_object()) {
    why = parsed ? "not a JSON object" : "not a JSON object: " + error.message;
    return std::nullopt;
  }
  return parsed;
}

}  // namespace hub::exchange
