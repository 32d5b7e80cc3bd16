// The working-day calendar file: refused with a ConfigError naming the problem, or a calendar
// whose arithmetic holds.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hub/core/config.hpp"
#include "hub/sharing/calendar.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto calendar = hub::sharing::WorkingCalendar::from_text(text, "fuzz");
    const auto start = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
    const auto next = calendar.add_working_days(start, 10);
    if (next <= start) __builtin_trap();
    (void)calendar.due(std::chrono::system_clock::time_point(start), 3);
  } catch (const hub::ConfigError&) {
  }
  return 0;
}
