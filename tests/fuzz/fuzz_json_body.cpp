// The JSON body reader: whatever parse_json accepts is bounded in depth, has no member name
// twice, writes back as JSON that reads as the same value, and validates as a record without
// throwing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hub/core/json.hpp"
#include "hub/exchange/schema.hpp"

namespace {
std::size_t depth(const nlohmann::json& v) {
  std::size_t d = 0;
  if (v.is_object() || v.is_array()) {
    for (const auto& e : v) d = std::max(d, depth(e));
    return d + 1;
  }
  return 0;
}

const hub::exchange::RecordSchema& schema() {
  static auto s = hub::exchange::RecordSchema::from_resource(
      {{"code", "R"},
       {"key", "id"},
       {"items",
        {{{"name", "id"}, {"type", "string"}, {"required", true}},
         {{"name", "n"}, {"type", "integer"}},
         {{"name", "x"}, {"type", "number"}},
         {{"name", "b"}, {"type", "boolean"}},
         {{"name", "d"}, {"type", "date"}},
         {{"name", "t"}, {"type", "datetime"}},
         {{"name", "s"}, {"type", "string"}, {"sensitivity", "sensitive"}, {"mask", "name"}}}}});
  return *s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool exact : {false, true}) {
    hub::JsonError error;
    hub::JsonLimits limits;
    limits.exact_numbers = exact;
    auto v = hub::parse_json(text, error, limits);
    if (!v) {
      if (error.message.empty()) __builtin_trap();
      continue;
    }
    if (depth(*v) > limits.max_depth) __builtin_trap();
    const std::string written = hub::json_text(*v);
    hub::JsonError again_error;
    auto again = hub::parse_json(written, again_error, limits);
    if (!again || !hub::json_same_value(*v, *again)) __builtin_trap();
    if (exact && v->is_object()) {
      auto record = *v;
      (void)schema().validate(record, "k");
      for (const auto& item : schema().items) {
        if (auto it = v->find(item.name); it != v->end()) {
          (void)hub::exchange::shown_value(item, *it, false);
        }
      }
    }
  }
  return 0;
}
