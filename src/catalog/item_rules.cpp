#include "hub/catalog/item_rules.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "hub/catalog/code_lists.hpp"
#include "hub/core/dates.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/members/credentials.hpp"

namespace hub::catalog {

using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxPatternBytes = 512;
constexpr std::size_t kMaxEnumValues = 1000;
constexpr std::size_t kMaxEnumValueBytes = 1024;
constexpr std::size_t kMaxLength = 65535;
// A compiled pattern's size and memory. RE2 matches with a DFA built lazily within its memory,
// and falls back to an NFA (steps: the value's length times the program's size) when the DFA
// runs out; the program cap keeps that fallback at about 3 x 10^8 steps for a 65,536-byte
// value (a repetition of \p{Han} costs 77 instructions a time: ^[\p{Han}]{2,60}$ is 4,680, while
// ^\p{Han}+$ with max_length 60 is 80), and the memory cap keeps 500 items' patterns of one
// resource within 500 MiB in the worst case.
constexpr int kMaxProgramSize = 5000;
constexpr std::int64_t kMaxRegexMemory = 1 << 20;

constexpr std::int64_t kMaxSafeInteger = std::int64_t{1} << 53;

bool is_safe_integer(const json& v) {
  return (v.is_number_unsigned() && v.get<std::uint64_t>() <= std::uint64_t{kMaxSafeInteger}) ||
         (v.is_number_integer() && !v.is_number_unsigned() &&
          v.get<std::int64_t>() >= -kMaxSafeInteger && v.get<std::int64_t>() <= kMaxSafeInteger);
}

// floor(log10(|x|)) of a non-zero JSON number's text: where its first significant digit stands,
// its exponent included.
long decimal_exponent(std::string_view text) {
  const auto e = text.find_first_of("eE");
  long exponent = 0;
  if (e != std::string_view::npos) {
    std::string_view digits = text.substr(e + 1);
    const bool negative = digits.starts_with('-');
    if (negative || digits.starts_with('+')) digits.remove_prefix(1);
    for (char c : digits) exponent = std::min(exponent * 10 + (c - '0'), 1L << 40);
    if (negative) exponent = -exponent;
    text = text.substr(0, e);
  }
  if (text.starts_with('-')) text.remove_prefix(1);
  const auto point = text.find('.');
  const auto integer_digits =
      static_cast<long>(point == std::string_view::npos ? text.size() : point);
  long position = 0;  // of the first significant digit among all the digits
  for (char c : text) {
    if (c == '.') continue;
    if (c != '0') break;
    ++position;
  }
  return integer_digits - position - 1 + exponent;
}

// A number's value, raw ones (kept as their text: core/json.hpp) included, as a double: ranges
// compare at a double's precision.
std::optional<double> number_of(const json& v) {
  if (is_raw_number(v)) {
    // A JSON number's text; one beyond a double's range (the hub keeps up to 10^±1000) is the
    // infinity or the zero of its sign, so that a range still holds it.
    const std::string text(raw_number_text(v));
    double d = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (end != text.data() + text.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) {
      d = decimal_exponent(text) < 0 ? 0.0 : std::numeric_limits<double>::infinity();
      return text.starts_with('-') ? -d : d;
    }
    if (ec != std::errc()) return std::nullopt;
    return d;
  }
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

bool by_double(const std::pair<double, json>& a, const std::pair<double, json>& b) {
  return a.first < b.first;
}

// Whether `v` is one of the enum's values: a string by its text, a number by its exact value.
bool holds(const ItemRules& rules, const json& v) {
  if (v.is_string()) return rules.enum_strings.contains(v.get<std::string>());
  const auto d = number_of(v);
  if (!d) return false;
  auto [from, to] = std::equal_range(rules.enum_numbers.begin(), rules.enum_numbers.end(),
                                     std::pair<double, json>{*d, json()}, by_double);
  return std::any_of(from, to, [&](const auto& e) { return json_same_value(e.second, v); });
}

std::shared_ptr<const re2::RE2> compile(const std::string& pattern, std::string* error) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxRegexMemory);
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (!re->ok()) {
    if (error) *error = re->error();
    return nullptr;
  }
  if (re->ProgramSize() > kMaxProgramSize) {
    if (error) {
      *error = "it compiles to " + std::to_string(re->ProgramSize()) + " instructions, more than " +
               std::to_string(kMaxProgramSize);
    }
    return nullptr;
  }
  return re;
}

std::string bound_text(double v) {
  json j = v;
  if (std::floor(v) == v && std::fabs(v) < 1e15) j = static_cast<std::int64_t>(v);
  return j.dump();
}

// Reads the rules, checking them when `errors` is given; the stored form goes into `stored`.
std::shared_ptr<ItemRules> read(const json& item, std::string_view type, const std::string& prefix,
                                std::vector<FieldError>* errors, json* stored) {
  auto rules = std::make_shared<ItemRules>();
  bool any = false;
  const bool text = type == "string";
  const bool numeric = type == "integer" || type == "number";
  auto error = [&](const char* field, std::string message) {
    if (errors) errors->push_back({prefix + field, std::move(message)});
  };
  auto only_for = [&](const char* field, bool applies, const char* types) {
    if (!applies) error(field, std::string("applies to ") + types + " items only");
    return applies;
  };

  if (auto it = item.find("pattern"); it != item.end() && !it->is_null()) {
    if (!it->is_string() || it->get_ref<const std::string&>().empty() ||
        it->get_ref<const std::string&>().size() > kMaxPatternBytes) {
      error("pattern", "must be a regular expression of 1 to 512 bytes");
    } else if (only_for("pattern", text, "string")) {
      std::string why;
      rules->pattern = it->get<std::string>();
      rules->regex = compile(rules->pattern, &why);
      if (!rules->regex) {
        error("pattern", "is not a regular expression the hub accepts (RE2 syntax): " + why);
        // A stored pattern that no longer compiles fails closed: broken_rule refuses values.
      }
      if (stored) (*stored)["pattern"] = rules->pattern;
      any = true;
    }
  }
  if (auto it = item.find("enum"); it != item.end() && !it->is_null()) {
    if (!it->is_array() || it->empty() || it->size() > kMaxEnumValues) {
      error("enum", "must be an array of 1 to 1000 values");
    } else if (only_for("enum", text || numeric, "string, integer and number")) {
      for (const auto& v : *it) {
        const auto number = text ? std::nullopt : number_of(v);
        const bool fits =
            text ? v.is_string() && v.get_ref<const std::string&>().size() <= kMaxEnumValueBytes
                 : number && (type == "integer" ? is_safe_integer(v) : is_any_number(v));
        if (!fits) {
          error("enum", text ? "must hold strings of at most 1024 bytes"
                             : "must hold values of the item's type");
          break;
        }
        const bool added = text ? rules->enum_strings.insert(v.get<std::string>()).second
                                : (rules->enum_numbers.emplace_back(*number, v), true);
        if (!added) {
          error("enum", "holds " + json_text(v) + " twice");
          break;
        }
      }
      std::sort(rules->enum_numbers.begin(), rules->enum_numbers.end(), by_double);
      // Numbers equal as doubles count as one value (1 and 1.0 are; so would be two numbers
      // differing only past a double's precision).
      if (std::adjacent_find(rules->enum_numbers.begin(), rules->enum_numbers.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }) !=
          rules->enum_numbers.end()) {
        error("enum", "holds a number twice");
      }
      if (stored) (*stored)["enum"] = *it;
      any = true;
    }
  }
  if (auto it = item.find("code_list"); it != item.end() && !it->is_null()) {
    if (!it->is_string()) {
      error("code_list", "must be the name of a code list (GET /api/v1/code-lists)");
    } else if (only_for("code_list", text, "string")) {
      rules->code_list = find_code_list(it->get<std::string>());
      if (!rules->code_list) {
        error("code_list", "names no code list of this hub (GET /api/v1/code-lists)");
      }
      if (stored) (*stored)["code_list"] = *it;
      any = true;
    }
  }
  for (const char* field : {"min", "max"}) {
    if (auto it = item.find(field); it != item.end() && !it->is_null()) {
      const auto bound = number_of(*it);
      if (!bound || !std::isfinite(*bound)) {
        error(field, "must be a number");
      } else if (only_for(field, numeric, "integer and number")) {
        (field[1] == 'i' ? rules->min : rules->max) = *bound;
        if (stored) (*stored)[field] = *it;
        any = true;
      }
    }
  }
  if (rules->min && rules->max && *rules->min > *rules->max) error("max", "is less than min");
  if (auto it = item.find("max_length"); it != item.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
        it->get<std::int64_t>() > static_cast<std::int64_t>(kMaxLength)) {
      error("max_length", "must be an integer 1..65535 (characters)");
    } else if (only_for("max_length", text, "string")) {
      rules->max_length = it->get<std::size_t>();
      if (stored) (*stored)["max_length"] = *it;
      any = true;
    }
  }
  if (auto it = item.find("check"); it != item.end() && !it->is_null()) {
    const std::string check = it->is_string() ? it->get<std::string>() : "";
    if (check != "uscc" && check != "citizen_id") {
      error("check", "must be uscc or citizen_id");
    } else if (only_for("check", text, "string")) {
      rules->check = check == "uscc" ? IdCheck::uscc : IdCheck::citizen_id;
      if (stored) (*stored)["check"] = check;
      any = true;
    }
  }
  if (auto it = item.find("unique"); it != item.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      error("unique", "must be true or false");
    } else if (it->get<bool>() && only_for("unique", type != "boolean",
                                           "string, integer, number, date and datetime")) {
      rules->unique = true;
      if (stored) (*stored)["unique"] = true;
      any = true;
    }
  }
  return any ? rules : nullptr;
}

}  // namespace

const std::vector<std::string>& item_rule_fields() {
  static const std::vector<std::string> fields = {"pattern", "enum",       "code_list", "min",
                                                  "max",     "max_length", "check",     "unique"};
  return fields;
}

json validate_item_rules(const json& item, std::string_view type, const std::string& prefix,
                         std::vector<FieldError>& errors) {
  json stored = json::object();
  read(item, type, prefix, &errors, &stored);
  return stored;
}

std::shared_ptr<const ItemRules> item_rules(const json& item) {
  const auto type = item.find("type");
  const std::string type_name =
      type != item.end() && type->is_string() ? type->get<std::string>() : "string";
  return read(item, type_name, "", nullptr, nullptr);
}

std::optional<BrokenRule> broken_rule(const ItemRules& rules, const json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (rules.check == IdCheck::uscc && !members::valid_uscc(s)) {
      return BrokenRule{"check",
                        "is not a unified social credit code (GB 32100: 18 characters "
                        "with a valid check character)"};
    }
    if (rules.check == IdCheck::citizen_id && !valid_citizen_id(s)) {
      return BrokenRule{"check",
                        "is not a citizen identity number (GB 11643: 17 digits with a "
                        "valid birth date and check character)"};
    }
    if (rules.code_list && !rules.code_list->contains(s)) {
      return BrokenRule{"code_list", "is not a code of " + rules.code_list->name};
    }
    if (rules.max_length && utf8_chars(s) > *rules.max_length) {
      return BrokenRule{"max_length",
                        "is longer than " + std::to_string(*rules.max_length) + " characters"};
    }
    if (!rules.pattern.empty()) {
      if (!rules.regex) return BrokenRule{"pattern", "cannot be checked: the pattern is invalid"};
      if (!re2::RE2::PartialMatch(s, *rules.regex)) {
        return BrokenRule{"pattern", "does not match the pattern " + rules.pattern};
      }
    }
  }
  if ((!rules.enum_strings.empty() || !rules.enum_numbers.empty()) && !holds(rules, value)) {
    return BrokenRule{"enum", "is not one of the values the item allows"};
  }
  if (const auto number = number_of(value)) {
    const double v = *number;
    if (rules.min && v < *rules.min) {
      return BrokenRule{"min", "is less than " + bound_text(*rules.min)};
    }
    if (rules.max && v > *rules.max) {
      return BrokenRule{"max", "is greater than " + bound_text(*rules.max)};
    }
  }
  return std::nullopt;
}

char citizen_id_check_character(std::string_view first17) {
  if (first17.size() != 17) return '\0';
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) {
    if (first17[i] < '0' || first17[i] > '9') return '\0';
    sum += (first17[i] - '0') * kWeights[i];
  }
  return kCheck[sum % 11];
}

bool valid_citizen_id(std::string_view id) {
  if (id.size() != 18) return false;
  const char check = citizen_id_check_character(id.substr(0, 17));
  if (check == '\0' || id[17] != check) return false;
  // The birth date: YYYYMMDD at 7..14, a real day.
  const std::string birth = std::string(id.substr(6, 4)) + "-" + std::string(id.substr(10, 2)) +
                            "-" + std::string(id.substr(12, 2));
  return is_date(birth);
}

}  // namespace hub::catalog
