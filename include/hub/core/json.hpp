#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace hub {

// Every JSON text the hub reads from a client (bodies, NDJSON lines, filter values) goes through
// parse_json: strict RFC 8259, nested at most `max_depth` levels (a deeper text is refused while
// it is read, before anything recursive touches it), no object with a member name twice, numbers
// within what PostgreSQL's numeric holds. With `exact_numbers`, a number a double cannot hold
// exactly (123456789012345678901234567890, 0.1000000000000000055511151231257827) is kept as the
// text it was written in (a raw number, below), so records store and return what was sent.
struct JsonLimits {
  std::size_t max_depth = 64;
  bool exact_numbers = false;
};

// Why a text was refused: a sentence for the client (it quotes nothing of the text but a member
// name) and the byte offset where reading stopped.
struct JsonError {
  std::string message;
  std::size_t offset = 0;
};

std::optional<nlohmann::json> parse_json(std::string_view text, JsonError& error,
                                         const JsonLimits& limits = {});

// A raw number: a JSON number kept as its text, in a binary value with this subtype (nothing
// else in the hub makes binary values). Only write_json writes it as a number; nlohmann's own
// dump() must not see one, which is why answers that may carry records use write_json.
constexpr std::uint8_t kRawNumberSubtype = 0x4e;  // 'N'
bool is_raw_number(const nlohmann::json& v);
std::string_view raw_number_text(const nlohmann::json& v);
// Whether `v` is a number, raw or not.
bool is_any_number(const nlohmann::json& v);
// The JSON text of a number, raw or not (for binding to SQL numeric).
std::string number_text(const nlohmann::json& v);
// Whether `text` is one JSON number (RFC 8259 grammar) within the range parse_json takes.
bool is_json_number(std::string_view text);

// Equality as a reader of the JSON sees it: numbers compare by exact decimal value, whatever
// their form (1e2, 100, 100.0 and a raw 100.000 are equal); everything else as nlohmann does.
bool json_same_value(const nlohmann::json& a, const nlohmann::json& b);

// Compact JSON appended to `out`: strings escaped with invalid UTF-8 replaced by U+FFFD, raw
// numbers as written, non-finite doubles as null.
void write_json(std::string& out, const nlohmann::json& v);
std::string json_text(const nlohmann::json& v);

// An optional text as JSON: its string, or null.
inline nlohmann::json nullable(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace hub
