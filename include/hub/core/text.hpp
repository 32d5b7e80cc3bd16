#pragma once

#include <string>
#include <string_view>

namespace hub {

// Appends `s` as a JSON string literal (quotes included). Invalid UTF-8 bytes become U+FFFD so
// that a log line stays valid JSON whatever a client sent.
void append_json_string(std::string& out, std::string_view s);

// Lower-case hex of bytes.
std::string to_hex(std::string_view bytes);

// A random identifier of `bytes` random bytes as hex (not for secrets: uses a fast PRNG).
std::string random_id(std::size_t bytes = 16);

// Whether `s` is 1..max characters of [A-Za-z0-9._-].
bool is_token_chars(std::string_view s, std::size_t max);

}  // namespace hub
