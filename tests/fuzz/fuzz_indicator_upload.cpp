// An indicator values upload (POST /api/v1/indicators/values): the same bytes read as a CSV file
// and as an XLSX workbook. Refused with the file's reason, or lines within the limits, each
// numbered after the header, with a value that is a finite number or no number at all.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hub/indicators/service.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hub::indicators;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const bool xlsx : {false, true}) {
    std::vector<LineError> errors;
    const auto lines =
        xlsx ? read_value_lines_xlsx(bytes, errors) : read_value_lines_csv(bytes, errors);
    if (!errors.empty() && !lines.empty()) __builtin_trap();
    if (lines.size() > kMaxValueLines) __builtin_trap();
    for (const auto& line : lines) {
      if (line.line < 2) __builtin_trap();
      if (auto v = number_of(line.value); v && !std::isfinite(*v)) __builtin_trap();
    }
  }
  return 0;
}
