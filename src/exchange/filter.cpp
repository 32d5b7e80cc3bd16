#include "hub/exchange/filter.hpp"

#include <cctype>

#include "hub/core/error.hpp"
#include "hub/core/json.hpp"

namespace hub::exchange {

using json = nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& message) {
  throw ApiError(ErrorCode::validation_failed, "bad filter: " + message, {{"filter", message}},
                 400);
}

bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

bool numeric(ItemType t) { return t == ItemType::integer || t == ItemType::number; }

}  // namespace

std::vector<Condition> parse_filter(std::string_view text, const RecordSchema& schema) {
  std::vector<Condition> out;
  std::size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  auto word = [&] {
    skip();
    const std::size_t start = i;
    while (i < text.size() && is_name_char(text[i])) ++i;
    return std::string(text.substr(start, i - start));
  };
  skip();
  if (i == text.size()) bad("it is empty");
  while (true) {
    Condition c;
    c.item = word();
    if (c.item.empty() || !(c.item[0] >= 'a' && c.item[0] <= 'z')) {
      bad("expected an item name at character " + std::to_string(i + 1));
    }
    const Item* item = schema.item(c.item);
    if (!item) bad("'" + c.item + "' is not an item of this resource");
    c.op = word();
    static const std::vector<std::string> ops = {"eq", "ne", "gt", "ge", "lt", "le", "prefix"};
    if (std::find(ops.begin(), ops.end(), c.op) == ops.end()) {
      bad("expected one of eq ne gt ge lt le prefix after '" + c.item + "'");
    }
    skip();
    const std::size_t start = i;
    if (i < text.size() && text[i] == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      if (i >= text.size()) bad("a string value is not closed");
      ++i;
    } else {
      while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    }
    // A literal is one scalar: parsed with the rules of any client JSON, numbers exactly.
    JsonError error;
    JsonLimits limits;
    limits.max_depth = 1;
    limits.exact_numbers = true;
    auto value =
        start == i ? std::nullopt : parse_json(text.substr(start, i - start), error, limits);
    if (!value || value->is_object() || value->is_array()) {
      bad("the value for '" + c.item + "' is not a JSON literal");
    }
    c.value = std::move(*value);
    if (c.value.is_string() &&
        c.value.get_ref<const std::string&>().find('\0') != std::string::npos) {
      bad("the value for '" + c.item + "' holds U+0000");
    }
    if (!c.value.is_null()) {
      const bool fits = numeric(item->type)               ? is_any_number(c.value)
                        : item->type == ItemType::boolean ? c.value.is_boolean()
                                                          : c.value.is_string();
      if (!fits) bad("the value for '" + c.item + "' is not of the item's type");
    }
    if (c.op == "prefix" && !c.value.is_string()) bad("prefix takes a string");
    if ((item->type == ItemType::boolean || c.value.is_null()) && c.op != "eq" && c.op != "ne") {
      bad("'" + c.item + "' compares with eq or ne only");
    }
    out.push_back(std::move(c));
    if (out.size() > 20) bad("more than 20 conditions");
    const std::string next = word();
    skip();
    if (next.empty() && i == text.size()) break;
    if (next != "and") bad("expected 'and' at character " + std::to_string(i + 1));
  }
  return out;
}

void append_conditions(std::string& sql, pg::Params& params, const std::vector<Condition>& where,
                       const RecordSchema& schema) {
  auto placeholder = [&params](const std::string& value) {
    params.add(value);
    std::string p = "$";  // (not "$" + to_string(): GCC 12 warns falsely on that at -O2)
    p += std::to_string(params.size());
    return p;
  };
  for (const auto& c : where) {
    const Item& item = *schema.item(c.item);
    // Equality on the key item is a lookup of the primary key (resource_code, key): the record
    // key is the key item's text (RecordSchema::validate), so `key = $n` finds the one record
    // where the item's expression alone would scan the whole resource (13x slower at 10 million
    // rows, docs/performance.md). The item's own condition stays, so the answer is the same.
    if (c.item == schema.key_item && c.op == "eq" && !c.value.is_null() &&
        (item.type == ItemType::string || item.type == ItemType::integer)) {
      sql += " AND key = " +
             placeholder(c.value.is_string() ? c.value.get<std::string>() : json_text(c.value));
    }
    const std::string name = placeholder(c.item);
    if (c.value.is_null()) {
      sql += c.op == "eq" ? " AND data->>" + name + " IS NULL"
                          : " AND data->>" + name + " IS NOT NULL";
      continue;
    }
    static const std::map<std::string, std::string> sql_op = {
        {"eq", "="}, {"ne", "<>"}, {"gt", ">"}, {"ge", ">="}, {"lt", "<"}, {"le", "<="}};
    if (item.type == ItemType::boolean) {
      sql += " AND (data->" + name + ") " + sql_op.at(c.op) + " " +
             placeholder(json_text(c.value)) + "::jsonb";
    } else if (numeric(item.type)) {
      sql += " AND (data->>" + name + ")::numeric " + sql_op.at(c.op) + " " +
             placeholder(number_text(c.value)) + "::numeric";
    } else if (c.op == "prefix") {
      sql +=
          " AND starts_with(data->>" + name + ", " + placeholder(c.value.get<std::string>()) + ")";
    } else {
      // Byte order, so a comparison means the same on every database whatever its collation
      // (dates and times in ISO form compare correctly as text).
      sql += " AND (data->>" + name + ") COLLATE \"C\" " + sql_op.at(c.op) + " " +
             placeholder(c.value.get<std::string>());
    }
  }
}

}  // namespace hub::exchange
