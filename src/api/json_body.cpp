#include "hub/api/json_body.hpp"

#include "hub/core/json.hpp"
#include "hub/core/text.hpp"

namespace hub::api {

using nlohmann::json;

std::string json_text(const json& value) { return hub::json_text(value); }

json parse_json_text(std::string_view text, bool exact_numbers) {
  JsonError error;
  JsonLimits limits;
  limits.exact_numbers = exact_numbers;
  auto body = text.empty() ? std::nullopt : hub::parse_json(text, error, limits);
  if (!body) {
    // Not JSON, nested too deep, a member name twice: the request is malformed (400).
    const std::string why = text.empty() ? "the body is empty" : error.message;
    throw ApiError(
        ErrorCode::validation_failed, "the body is not acceptable JSON: " + why,
        {{"body", why + (text.empty() ? "" : " (at byte " + std::to_string(error.offset) + ")")}},
        400);
  }
  return std::move(*body);
}

json parse_json(const http::Request& request, bool exact_numbers) {
  return parse_json_text(request.message.body(), exact_numbers);
}

JsonBody::JsonBody(const http::Request& request) {
  const auto& text = request.message.body();
  if (text.empty()) {
    throw ApiError(ErrorCode::validation_failed, "a JSON object body is required", {}, 422);
  }
  body_ = parse_json_text(text, false);
  if (!body_.is_object()) {
    throw ApiError(ErrorCode::validation_failed, "the body must be a JSON object", {}, 422);
  }
}

JsonBody::JsonBody(json object) : body_(std::move(object)) {
  if (!body_.is_object()) {
    throw ApiError(ErrorCode::validation_failed, "expected a JSON object", {}, 422);
  }
}

bool JsonBody::has(std::string_view field) const {
  return body_.contains(field) && !body_[std::string(field)].is_null();
}

const json* JsonBody::raw(std::string_view field) {
  read_.insert(std::string(field));
  auto it = body_.find(field);
  if (it == body_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> JsonBody::string(std::string_view field, bool required,
                                            std::size_t max_chars) {
  const json* v = raw(field);
  if (v == nullptr) {
    if (required) error(std::string(field), "is required");
    return std::nullopt;
  }
  if (!v->is_string()) {
    error(std::string(field), "must be a string");
    return std::nullopt;
  }
  auto s = v->get<std::string>();
  if (s.find('\0') != std::string::npos) {
    error(std::string(field), "must not contain U+0000");
    return std::nullopt;
  }
  if (required && s.empty()) {
    error(std::string(field), "must not be empty");
    return std::nullopt;
  }
  if (utf8_chars(s) > max_chars) {
    error(std::string(field), "must be at most " + std::to_string(max_chars) + " characters");
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> JsonBody::line(std::string_view field, bool required,
                                          std::size_t max_chars) {
  auto s = string(field, required, max_chars);
  if (s && has_control_characters(*s)) {
    error(std::string(field), "must be a single line without control characters");
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> JsonBody::integer(std::string_view field, bool required,
                                              std::int64_t min, std::int64_t max) {
  const json* v = raw(field);
  if (v == nullptr) {
    if (required) error(std::string(field), "is required");
    return std::nullopt;
  }
  if (!v->is_number_integer()) {
    error(std::string(field), "must be an integer");
    return std::nullopt;
  }
  auto n = v->get<std::int64_t>();
  if (n < min || n > max) {
    error(std::string(field),
          "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> JsonBody::boolean(std::string_view field, bool required) {
  const json* v = raw(field);
  if (v == nullptr) {
    if (required) error(std::string(field), "is required");
    return std::nullopt;
  }
  if (!v->is_boolean()) {
    error(std::string(field), "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::vector<std::string>> JsonBody::strings(std::string_view field, bool required,
                                                          std::size_t max_items,
                                                          std::size_t max_chars) {
  const json* v = raw(field);
  if (v == nullptr) {
    if (required) error(std::string(field), "is required");
    return std::nullopt;
  }
  if (!v->is_array()) {
    error(std::string(field), "must be an array of strings");
    return std::nullopt;
  }
  if (v->size() > max_items) {
    error(std::string(field), "must have at most " + std::to_string(max_items) + " items");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    const std::string name = std::string(field) + "[" + std::to_string(i) + "]";
    if (!item.is_string()) {
      error(name, "must be a string");
      return std::nullopt;
    }
    const auto& text = item.get_ref<const std::string&>();
    if (text.find('\0') != std::string::npos) {
      error(name, "must not contain U+0000");
      return std::nullopt;
    }
    if (utf8_chars(text) > max_chars) {
      error(name, "must be at most " + std::to_string(max_chars) + " characters");
      return std::nullopt;
    }
    out.push_back(text);
  }
  return out;
}

void JsonBody::error(std::string field, std::string message) {
  errors_.push_back(FieldError{std::move(field), std::move(message)});
}

void JsonBody::finish() {
  for (const auto& [key, value] : body_.items()) {
    if (!read_.contains(key)) error(key, "is not a field this request may set");
  }
  if (!errors_.empty()) {
    throw ApiError(ErrorCode::validation_failed, "the request body has errors", errors_, 422);
  }
}

nlohmann::json body_object(const http::Request& request, bool exact_numbers) {
  auto body = parse_json(request, exact_numbers);
  if (!body.is_object()) {
    throw ApiError(ErrorCode::validation_failed, "the body must be a JSON object", {}, 422);
  }
  return body;
}

}  // namespace hub::api
