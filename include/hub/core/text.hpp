#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF) at s[i], or 0 when there is none there.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

// Counts UTF-8 code points (invalid sequences count one per byte).
std::size_t utf8_chars(std::string_view s);

// Appends `s` as a JSON string literal (quotes included). Invalid UTF-8 bytes become U+FFFD so
// that a log line stays valid JSON whatever a client sent.
void append_json_string(std::string& out, std::string_view s);

// Lower-case hex of bytes, and back: from_hex takes either case and an even number of digits,
// nullopt otherwise. hex_digit: one digit's value, or -1.
std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);
int hex_digit(char c);

// Standard base64 (RFC 4648 §4, padded), as signed notes and ledger leaves use it. Decoding
// returns nullopt for anything but canonical padded base64.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// A random identifier of `bytes` random bytes as hex (not for secrets: uses a fast PRNG).
std::string random_id(std::size_t bytes = 16);

// A random (version 4) UUID from OpenSSL's CSPRNG: ids made by the hub, so that one pipeline can
// insert a row and what refers to it.
std::string random_uuid();

// "a,b,c" ⇄ {"a","b","c"} (array_to_string / string_to_array in SQL; names hold no commas).
std::vector<std::string> split_csv(std::string_view csv);
std::string join_csv(const std::vector<std::string>& parts);

// One cell of text in a CSV file for people (RFC 4180): quoted, its quotes doubled, when it holds
// a comma, a quote or a line end; as it is otherwise. Text a spreadsheet program would run as a
// formula (=, +, -, @, tab or CR first) gets a leading apostrophe. Every CSV the hub or hubctl
// writes goes through here; numbers are written as numbers, not through here.
std::string csv_cell(std::string_view text);

// Whether `s` holds a character that breaks a line or controls a terminal: C0 (CR, LF and TAB
// among them), DEL, C1, U+2028 and U+2029. Names (agencies, principals, resources) are single
// lines: they end up in logs, CSV files and console tables.
bool has_control_characters(std::string_view s);

// Whether `s` is 1..max characters of [A-Za-z0-9._-].
bool is_token_chars(std::string_view s, std::size_t max);

}  // namespace hub
