// The line readers of bulk imports: an NDJSON line and a CSV line with its cells, as a provider's
// file holds them (the first byte picks which).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hub/core/json.hpp"
#include "hub/exchange/lines.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view line(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string why;
  if (data[0] & 1) {
    auto record = hub::exchange::ndjson_record(line, why);
    if (record && !record->is_object()) __builtin_trap();
    if (!record && why.empty()) __builtin_trap();
    return 0;
  }
  std::vector<std::string> fields;
  if (!hub::exchange::split_csv_line(line, fields, why)) {
    if (why.empty()) __builtin_trap();
    return 0;
  }
  std::size_t total = 0;
  for (const auto& f : fields) total += f.size();
  if (total > line.size()) __builtin_trap();
  static const hub::exchange::ItemType types[] = {
      hub::exchange::ItemType::string, hub::exchange::ItemType::integer,
      hub::exchange::ItemType::number, hub::exchange::ItemType::boolean,
      hub::exchange::ItemType::date,   hub::exchange::ItemType::datetime};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    hub::exchange::Item item;
    item.name = "c";
    item.type = types[i % 6];
    std::string cell_why;
    auto v = hub::exchange::csv_cell_value(item, fields[i], cell_why);
    if (v && item.type == hub::exchange::ItemType::number && !hub::is_any_number(*v)) {
      __builtin_trap();
    }
  }
  return 0;
}
