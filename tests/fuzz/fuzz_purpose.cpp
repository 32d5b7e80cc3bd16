// X-Purpose and X-Purpose-Code: decoded by the transport (percent-encoded UTF-8 from any
// client), checked by the domain's rules, and what the ledger would record of them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/http/purpose.hpp"
#include "hub/sharing/purpose.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string value(reinterpret_cast<const char*>(data), size);
  hub::http::Request request;
  // Header values cannot hold CR or LF; anything else a client may send.
  if (value.find_first_of("\r\n") != std::string::npos) return 0;
  request.message.set("X-Purpose", value);
  request.message.set("X-Purpose-Code", value);
  const auto sent = hub::http::purpose_of(request);
  try {
    const std::string purpose = hub::sharing::checked_purpose(sent).text;
    // What is accepted is valid UTF-8 of 1..200 characters with no control characters.
    for (std::size_t i = 0; i < purpose.size();) {
      const std::size_t len = hub::utf8_sequence_length(purpose, i);
      if (len == 0) __builtin_trap();
      i += len;
    }
    for (unsigned char c : purpose) {
      if (c < 0x20 || c == 0x7f) __builtin_trap();
    }
  } catch (const hub::ApiError& e) {
    if (e.status() != 400) __builtin_trap();
  }
  const auto recorded = hub::sharing::recorded_purpose(sent);
  if (recorded.code && !hub::is_token_chars(*recorded.code, 64)) __builtin_trap();
  (void)hub::http::percent_decode(value, true);
  return 0;
}
