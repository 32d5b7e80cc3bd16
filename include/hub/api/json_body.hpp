#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hub/core/error.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/http/message.hpp"

namespace hub::api {

// Reads a JSON object body field by field and collects every problem, so a client learns all
// that is wrong at once (422 validation_failed with "errors"). A field the handler did not read
// is refused too: clients cannot set what they may not (mass assignment).
class JsonBody {
 public:
  explicit JsonBody(const http::Request& request);
  explicit JsonBody(nlohmann::json object);

  bool has(std::string_view field) const;
  std::optional<std::string> string(std::string_view field, bool required, std::size_t max_chars);
  // A string that is a single line (names): no CR, LF or other control character.
  std::optional<std::string> line(std::string_view field, bool required, std::size_t max_chars);
  std::optional<std::int64_t> integer(std::string_view field, bool required, std::int64_t min,
                                      std::int64_t max);
  std::optional<bool> boolean(std::string_view field, bool required);
  std::optional<std::vector<std::string>> strings(std::string_view field, bool required,
                                                  std::size_t max_items, std::size_t max_chars);
  // The raw value, marked as read; nullptr when absent.
  const nlohmann::json* raw(std::string_view field);

  void error(std::string field, std::string message);
  bool ok() const { return errors_.empty(); }
  // Throws 422 validation_failed with every error found, including fields nobody read.
  void finish();

 private:
  nlohmann::json body_;
  std::set<std::string, std::less<>> read_;
  std::vector<FieldError> errors_;
};

// JSON from a client, with the hub's rules (hub/core/json.hpp: depth 64, no member name twice,
// numbers in range): 400 validation_failed naming what is wrong. `exact_numbers` keeps numbers a
// double cannot hold as raw numbers (record data, claims, filters).
nlohmann::json parse_json_text(std::string_view text, bool exact_numbers);
// The body as JSON: 400 validation_failed when it is not acceptable JSON. (For bodies checked by
// a validator of their own rather than field by field with JsonBody.)
nlohmann::json parse_json(const http::Request& request, bool exact_numbers = false);
// The body as a JSON object: 422 validation_failed when it is JSON of another kind.
nlohmann::json body_object(const http::Request& request, bool exact_numbers = false);

// A JSON answer body: compact, and invalid UTF-8 (which a client cannot have stored through our
// validation, but a database row could hold) replaced rather than thrown on.
std::string json_text(const nlohmann::json& value);

using hub::nullable;

using hub::utf8_chars;

}  // namespace hub::api
