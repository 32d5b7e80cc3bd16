// An indicator's reporting period, as a URL's path segment gives it (PUT
// /api/v1/indicators/{code}/values/{period}): refused, or a period that reads back as the same
// text, steps forward and back to itself, and is due after it ends.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hub/indicators/service.hpp"
#include "hub/sharing/calendar.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hub::indicators;
  static const auto calendar = hub::sharing::WorkingCalendar::built_in();
  if (size == 0) return 0;
  // The first byte picks the frequency, the rest is the text.
  const auto frequency = static_cast<Frequency>(data[0] % 3);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto period = parse_period(text, frequency);
  if (!period) return 0;
  if (period->text() != text) __builtin_trap();
  if (period->next().previous() != *period || period->previous().next() != *period) {
    __builtin_trap();
  }
  const auto end = std::chrono::sys_days{period->next().first_day()};
  if (due_at(*period, 1 + data[0] % 60, calendar) <= std::chrono::system_clock::time_point(end)) {
    __builtin_trap();
  }
  return 0;
}
