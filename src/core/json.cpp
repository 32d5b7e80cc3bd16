#include "hub/core/json.hpp"

#include <charconv>
#include <cmath>
#include <vector>

#include "hub/core/text.hpp"

namespace hub {

using json = nlohmann::json;

namespace {

// Largest decimal exponent and number of significant digits a number may have: far beyond any
// real datum, well within PostgreSQL's numeric (131072 digits before the point, 16383 after), so
// a number the hub accepts is one the database stores.
constexpr int kMaxExponent = 1000;
constexpr std::size_t kMaxDigits = 1000;

// A JSON number as an exact decimal: (-1)^negative × digits × 10^exponent, digits without
// leading or trailing zeros ("" for zero).
struct Decimal {
  bool negative = false;
  std::string digits;
  long exponent = 0;
  bool operator==(const Decimal& o) const {
    if (digits.empty() && o.digits.empty()) return true;  // -0 == 0
    return negative == o.negative && digits == o.digits && exponent == o.exponent;
  }
};

// Parses the RFC 8259 number grammar exactly; nullopt for anything else or out of range.
std::optional<Decimal> decimal_of(std::string_view s) {
  Decimal d;
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') {
    d.negative = true;
    ++i;
  }
  auto digit = [&](std::size_t at) { return at < s.size() && s[at] >= '0' && s[at] <= '9'; };
  if (!digit(i)) return std::nullopt;
  std::string mantissa;
  if (s[i] == '0') {
    ++i;
  } else {
    while (digit(i)) mantissa.push_back(s[i++]);
  }
  long frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digit(i)) return std::nullopt;
    while (digit(i)) {
      mantissa.push_back(s[i++]);
      ++frac_digits;
    }
  }
  long exp = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (!digit(i)) return std::nullopt;
    while (digit(i)) {
      exp = exp * 10 + (s[i++] - '0');
      if (exp > 100000) return std::nullopt;  // far out of range; stop before overflowing
    }
    if (neg) exp = -exp;
  }
  if (i != s.size()) return std::nullopt;
  const std::size_t lead = mantissa.find_first_not_of('0');
  if (lead == std::string::npos) return Decimal{};  // zero
  mantissa.erase(0, lead);
  std::size_t trail = 0;
  while (mantissa[mantissa.size() - 1 - trail] == '0') ++trail;
  mantissa.resize(mantissa.size() - trail);
  d.digits = std::move(mantissa);
  d.exponent = exp - frac_digits + static_cast<long>(trail);
  // The magnitude's decimal exponent (of the first digit) and the number of digits are bounded.
  const long magnitude = d.exponent + static_cast<long>(d.digits.size()) - 1;
  if (d.digits.size() > kMaxDigits || magnitude > kMaxExponent || d.exponent < -kMaxExponent) {
    return std::nullopt;
  }
  return d;
}

std::string shortest(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string("null");
}

std::optional<Decimal> decimal_of_value(const json& v) {
  if (is_raw_number(v)) return decimal_of(raw_number_text(v));
  if (v.is_number_integer()) return decimal_of(v.dump());
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    return decimal_of(shortest(d));
  }
  return std::nullopt;
}

// Builds the value as nlohmann's own DOM parser does, with the hub's rules on top. The parser
// itself is iterative; only the depth it allows bounds what is built.
class Builder {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit Builder(const JsonLimits& limits) : limits_(limits) {}

  bool null() { return put(json(nullptr)); }
  bool boolean(bool v) { return put(json(v)); }
  bool number_integer(number_integer_t v) { return put(json(v)); }
  bool number_unsigned(number_unsigned_t v) { return put(json(v)); }
  bool number_float(number_float_t v, const string_t& text) {
    auto exact = decimal_of(text);
    if (!exact) return fail("a number is out of range");
    if (!limits_.exact_numbers) {
      if (!std::isfinite(v)) return fail("a number is out of range");
      return put(json(v));
    }
    // The double when it writes back as the very text sent (500.5, 0.1, 42.25); else the text
    // itself (1.50 keeps its scale, 1e2 its form, 0.1000000000000000055 its digits).
    if (std::isfinite(v) && shortest(v) == text) return put(json(v));
    json raw = json::binary(binary_t::container_type(text.begin(), text.end()), kRawNumberSubtype);
    return put(std::move(raw));
  }
  bool string(string_t& v) { return put(json(std::move(v))); }
  bool binary(binary_t&) { return fail("binary values are not JSON"); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool key(string_t& k) {
    json& object = *stack_.back();
    if (object.contains(k)) {
      std::string name = k.size() > 64 ? k.substr(0, 64) + "…" : k;
      return fail("the member name \"" + name + "\" appears twice in one object");
    }
    key_ = std::move(k);
    return true;
  }
  bool end_object() {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_array() {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    if (message_.empty()) {
      message_ = "not valid JSON";
      offset_ = position;
    }
    return false;
  }

  json& root() { return root_; }
  const std::string& message() const { return message_; }
  std::size_t offset() const { return offset_; }

 private:
  bool fail(std::string message) {
    message_ = std::move(message);
    return false;
  }
  json* place(json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(v);
    return &slot;
  }
  bool put(json v) {
    place(std::move(v));
    return true;
  }
  bool open(json container) {
    if (stack_.size() >= limits_.max_depth) {
      return fail("JSON is nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    stack_.push_back(place(std::move(container)));
    return true;
  }

  const JsonLimits& limits_;
  json root_;
  std::vector<json*> stack_;
  std::string key_;
  std::string message_;
  std::size_t offset_ = 0;
};

}  // namespace

std::optional<json> parse_json(std::string_view text, JsonError& error, const JsonLimits& limits) {
  Builder builder(limits);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json, true);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) {
    error.message = builder.message().empty() ? "not valid JSON" : builder.message();
    error.offset = builder.offset();
    return std::nullopt;
  }
  return std::move(builder.root());
}

bool is_raw_number(const json& v) {
  return v.is_binary() && v.get_binary().has_subtype() &&
         v.get_binary().subtype() == kRawNumberSubtype;
}

std::string_view raw_number_text(const json& v) {
  const auto& bytes = v.get_binary();
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

bool is_any_number(const json& v) { return v.is_number() || is_raw_number(v); }

std::string number_text(const json& v) {
  std::string out;
  write_json(out, v);
  return out;
}

bool is_json_number(std::string_view text) { return decimal_of(text).has_value(); }

bool json_same_value(const json& a, const json& b) {
  if (is_any_number(a) && is_any_number(b)) {
    auto x = decimal_of_value(a), y = decimal_of_value(b);
    return x && y && *x == *y;
  }
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !json_same_value(*it, *other)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!json_same_value(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

void write_json(std::string& out, const json& v) {
  switch (v.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      out += "null";
      return;
    case json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: {
      char buf[32];
      auto [end, ec] = v.is_number_unsigned()
                           ? std::to_chars(buf, buf + sizeof buf, v.get<std::uint64_t>())
                           : std::to_chars(buf, buf + sizeof buf, v.get<std::int64_t>());
      out.append(buf, ec == std::errc{} ? end : buf);
      return;
    }
    case json::value_t::number_float: {
      const double d = v.get<double>();
      out += std::isfinite(d) ? shortest(d) : std::string("null");
      return;
    }
    case json::value_t::string:
      append_json_string(out, v.get_ref<const std::string&>());
      return;
    case json::value_t::binary:
      if (is_raw_number(v)) {
        out += raw_number_text(v);
      } else {
        out += "null";
      }
      return;
    case json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v) {
        if (!first) out.push_back(',');
        first = false;
        write_json(out, e);
      }
      out.push_back(']');
      return;
    }
    case json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, it.key());
        out.push_back(':');
        write_json(out, *it);
      }
      out.push_back('}');
      return;
    }
  }
}

std::string json_text(const json& v) {
  std::string out;
  write_json(out, v);
  return out;
}

}  // namespace hub
