// The filter language: any text either parses into conditions on known items whose SQL is made
// of fixed fragments and bound parameters only, or is refused with 400 validation_failed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hub/core/error.hpp"
#include "hub/exchange/filter.hpp"

namespace {
const hub::exchange::RecordSchema& schema() {
  static auto s = hub::exchange::RecordSchema::from_resource(
      {{"code", "R"},
       {"key", "uscc"},
       {"items",
        {{{"name", "uscc"}, {"type", "string"}, {"required", true}},
         {{"name", "district"}, {"type", "string"}},
         {{"name", "reg_capital"}, {"type", "number"}},
         {{"name", "employees"}, {"type", "integer"}},
         {{"name", "active"}, {"type", "boolean"}},
         {{"name", "founded"}, {"type", "date"}}}}});
  return *s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<hub::exchange::Condition> where;
  try {
    where = hub::exchange::parse_filter(text, schema());
  } catch (const hub::ApiError& e) {
    if (e.status() != 400) __builtin_trap();
    return 0;
  }
  if (where.empty() || where.size() > 20) __builtin_trap();
  std::string sql;
  hub::pg::Params params;
  hub::exchange::append_conditions(sql, params, where, schema());
  // Nothing of the filter's text reaches the SQL: only the fixed fragments and placeholders.
  if (sql.find('\'') != std::string::npos || sql.find(';') != std::string::npos ||
      sql.find("--") != std::string::npos || sql.find("/*") != std::string::npos) {
    __builtin_trap();
  }
  for (char c : sql) {
    if (static_cast<unsigned char>(c) >= 0x80) __builtin_trap();
  }
  return 0;
}
