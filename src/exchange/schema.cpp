#include "hub/exchange/schema.hpp"

#include <algorithm>
#include <cstdint>

#include "hub/core/dates.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"

namespace hub::exchange {

using json = nlohmann::json;

namespace {

Mask parse_mask(const std::string& m) {
  if (m == "name") return Mask::name;
  if (m == "id_number") return Mask::id_number;
  if (m == "phone") return Mask::phone;
  if (m == "address") return Mask::address;
  if (m == "bank_card") return Mask::bank_card;
  return Mask::full;
}

// Code point boundaries of a UTF-8 string (invalid bytes count as one each).
std::vector<std::size_t> code_points(std::string_view s) {
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < s.size();) {
    starts.push_back(i);
    const std::size_t len = utf8_sequence_length(s, i);
    i += len == 0 ? 1 : len;
  }
  return starts;
}

}  // namespace

std::shared_ptr<const RecordSchema> RecordSchema::from_resource(const json& r) {
  auto s = std::make_shared<RecordSchema>();
  s->code = r.value("code", "");
  s->provider_code = r.value("provider_code", "");
  s->status = r.value("status", "");
  s->version = r.value("version", 0);
  s->key_item = r.value("key", "");
  if (r.contains("min_group_size") && r["min_group_size"].is_number_integer()) {
    s->min_group_size = r["min_group_size"].get<int>();
  }
  if (r.contains("aggregate_policy") && r["aggregate_policy"].is_object()) {
    const json& p = r["aggregate_policy"];
    if (p.contains("min_group_size") && p["min_group_size"].is_number_integer()) {
      s->min_group_size = p["min_group_size"].get<int>();
    }
    if (p.contains("epsilon_per_day") && p["epsilon_per_day"].is_number()) {
      s->aggregate.epsilon_per_day = p["epsilon_per_day"].get<double>();
      s->aggregate.epsilon_per_query =
          p.value("epsilon_per_query", s->aggregate.epsilon_per_day / 10);
    }
    if (p.contains("bounds") && p["bounds"].is_object()) {
      for (const auto& [name, range] : p["bounds"].items()) {
        if (range.is_array() && range.size() == 2 && range[0].is_number() && range[1].is_number()) {
          s->aggregate.bounds[name] = {range[0].get<double>(), range[1].get<double>()};
        }
      }
    }
  }
  if (r.contains("licence") && r["licence"].is_object()) {
    s->licence_type_code = r["licence"].value("type_code", "");
  }
  const json no_items = json::array();
  const auto items = r.find("items");
  for (const auto& it : items != r.end() && items->is_array() ? *items : no_items) {
    Item item = item_of(it);
    if (item.rules && item.rules->unique && item.name != s->key_item) {
      s->unique_items.push_back(item.name);
    }
    s->items.push_back(std::move(item));
  }
  s->quality_flag = r.value("quality_mode", "reject") == "flag";
  if (!s->unique_items.empty()) {
    std::string names = "{";
    for (const auto& n : s->unique_items) {
      names += (names.size() > 1 ? ",\"" : "\"") + n + "\"";  // names are [a-z0-9_]
    }
    s->unique_names = names + "}";
  }
  return s;
}

std::optional<std::string> take_broken_rules(std::vector<FieldError>& errors) {
  std::string marks = "{";
  std::vector<FieldError> rest;
  for (auto& e : errors) {
    // "rule <name>: ..." on an item (validate's words for a broken rule).
    if (!e.field.empty() && e.message.starts_with("rule ")) {
      const auto colon = e.message.find(':');
      if (colon != std::string::npos) {
        // Quoted: the field is an item's name and the rule a rule's (no quote or backslash in
        // either), but the literal should not depend on it.
        std::string mark = e.field + "." + e.message.substr(5, colon - 5);
        mark.erase(std::remove_if(mark.begin(), mark.end(),
                                  [](char ch) { return ch == '"' || ch == '\\'; }),
                   mark.end());
        marks += (marks.size() > 1 ? ",\"" : "\"") + mark + "\"";
        continue;
      }
    }
    rest.push_back(std::move(e));
  }
  errors = std::move(rest);
  if (marks.size() == 1) return std::nullopt;
  return marks + "}";
}

std::vector<std::string> array_elements(std::string_view literal) {
  std::vector<std::string> out;
  if (literal.size() < 2) return out;
  literal = literal.substr(1, literal.size() - 2);
  while (!literal.empty()) {
    const auto comma = literal.find(',');
    std::string_view e = literal.substr(0, comma);
    if (e.size() >= 2 && e.front() == '"') e = e.substr(1, e.size() - 2);
    out.emplace_back(e);
    if (comma == std::string_view::npos) break;
    literal.remove_prefix(comma + 1);
  }
  return out;
}

ItemType item_type_of(std::string_view t) {
  if (t == "integer") return ItemType::integer;
  if (t == "number") return ItemType::number;
  if (t == "boolean") return ItemType::boolean;
  if (t == "date") return ItemType::date;
  if (t == "datetime") return ItemType::datetime;
  return ItemType::string;
}

Item item_of(const json& it) {
  Item item;
  item.name = it.value("name", "");
  item.type = item_type_of(it.value("type", "string"));
  item.required = it.value("required", false);
  item.sensitive = it.value("sensitivity", "public") == "sensitive";
  if (item.sensitive) {
    item.mask = it.contains("mask") && it["mask"].is_string() ? parse_mask(it["mask"]) : Mask::full;
  }
  item.rules = catalog::item_rules(it);
  return item;
}

const Item* RecordSchema::item(std::string_view name) const {
  for (const auto& i : items) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

namespace {
void check_rules(const Item& item, const json& value, std::vector<FieldError>& errors) {
  if (!item.rules) return;
  if (auto broken = catalog::broken_rule(*item.rules, value)) {
    errors.push_back({item.name, "rule " + broken->rule + ": " + broken->message});
  }
}
}  // namespace

std::vector<FieldError> RecordSchema::validate(json& data, std::string_view key) const {
  std::vector<FieldError> errors;
  if (!data.is_object()) {
    errors.push_back({"", "a record is a JSON object of items"});
    return errors;
  }
  for (const auto& [name, value] : data.items()) {
    const Item* it = item(name);
    if (!it) {
      errors.push_back({name, "is not an item of this resource"});
      continue;
    }
    if (value.is_null()) {
      if (it->required) errors.push_back({name, "is required"});
      continue;
    }
    bool ok = false;
    switch (it->type) {
      case ItemType::string:
        ok = value.is_string();
        break;
      case ItemType::integer: {
        // JSON integers a double holds exactly (what a JavaScript client can send and read
        // back); 1.0 and 1e2 are numbers, not integers.
        constexpr std::int64_t kMax = std::int64_t{1} << 53;
        ok = (value.is_number_unsigned() && value.get<std::uint64_t>() <= kMax) ||
             (value.is_number_integer() && !value.is_number_unsigned() &&
              value.get<std::int64_t>() >= -kMax && value.get<std::int64_t>() <= kMax);
        break;
      }
      case ItemType::number:
        ok = is_any_number(value);
        break;
      case ItemType::boolean:
        ok = value.is_boolean();
        break;
      case ItemType::date:
        ok = value.is_string() && is_date(value.get<std::string>());
        break;
      case ItemType::datetime:
        ok = value.is_string() && is_date_time(value.get<std::string>());
        break;
    }
    if (!ok) {
      static const char* expected[] = {
          "a string",      "an integer within ±2^53", "a number",
          "true or false", "a date (YYYY-MM-DD)",     "an RFC 3339 date-time"};
      errors.push_back({name, std::string("must be ") + expected[static_cast<int>(it->type)]});
      continue;
    }
    if (it->type == ItemType::string) {
      const auto& text = value.get_ref<const std::string&>();
      if (text.size() > 65536) {
        errors.push_back({name, "is longer than 65536 bytes"});
        continue;  // the rules (a pattern above all) see only values the hub would store
      }
      // PostgreSQL's jsonb cannot hold U+0000; a record with one is refused, naming the item.
      if (text.find('\0') != std::string::npos) {
        errors.push_back({name, "must not contain U+0000"});
        continue;
      }
    }
    check_rules(*it, value, errors);
  }
  if (!key_item.empty()) {
    if (data.contains(key_item) && !data[key_item].is_null()) {
      const json& k = data[key_item];
      const std::string text = k.is_string() ? k.get<std::string>() : json_text(k);
      if (text != key) errors.push_back({key_item, "differs from the record key in the path"});
    } else if (const Item* it = item(key_item); it && it->type == ItemType::string) {
      data[key_item] = std::string(key);
      check_rules(*it, data[key_item], errors);
    } else if (it && it->type == ItemType::integer) {
      try {
        std::size_t used = 0;
        const long long v = std::stoll(std::string(key), &used);
        if (used == key.size()) {
          data[key_item] = v;
          check_rules(*it, data[key_item], errors);
        }
      } catch (const std::exception&) {
      }
    }
  }
  for (const auto& it : items) {
    if (it.required && (!data.contains(it.name) || data[it.name].is_null())) {
      const bool reported = std::any_of(errors.begin(), errors.end(),
                                        [&](const FieldError& e) { return e.field == it.name; });
      if (!reported) errors.push_back({it.name, "is required"});
    }
  }
  return errors;
}

std::string mask_value(std::string_view value, Mask mask) {
  const auto cps = code_points(value);
  const std::size_t n = cps.size();
  auto keep = [&](std::size_t head, std::size_t tail) {
    if (head + tail >= n) {
      // Too short to keep anything and still hide something: hide all but the first.
      head = n > 1 ? 1 : 0;
      tail = 0;
    }
    std::string out(value.substr(0, head < n ? cps[head] : value.size()));
    out.append(n - head - tail, '*');
    if (tail > 0) out.append(value.substr(cps[n - tail]));
    return out;
  };
  switch (mask) {
    case Mask::none:
      return std::string(value);
    case Mask::name:
      return n == 0 ? std::string() : keep(1, 0);
    case Mask::id_number:
      return keep(1, 2);
    case Mask::phone:
      return keep(3, 4);
    case Mask::address:
      if (n <= 8) return std::string(n, '*');
      return std::string(value.substr(0, cps[n - 8])) + std::string(8, '*');
    case Mask::bank_card:
      return keep(4, 4);
    case Mask::full:
      return "******";
  }
  return "******";
}

std::optional<json> shown_value(const Item& item, const json& value, bool clear) {
  if (clear || !item.sensitive) return value;
  // No partial form of a number, a date or nothing: withheld, null included, so that an item the
  // consumer does not see is absent whatever its value. Judged by the item's declared type, not
  // the value's: an upstream's answer is not validated, and a sensitive number it sent as text
  // (no mask: numbers have none) went out in clear (found by fuzz_gateway_call).
  if (item.type != ItemType::string || !value.is_string()) return std::nullopt;
  return json(
      mask_value(value.get<std::string>(), item.mask == Mask::none ? Mask::full : item.mask));
}

}  // namespace hub::exchange
