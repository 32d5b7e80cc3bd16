#include "hub/sharing/purpose.hpp"

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"

namespace hub::sharing {

namespace {
// Counts code points; nullopt when the bytes are not valid UTF-8.
std::optional<std::size_t> utf8_length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence_length(s, i);
    if (len == 0) return std::nullopt;
    i += len;
    ++count;
  }
  return count;
}

// Unicode White_Space (the ideographic space U+3000 a Chinese input method types among them).
bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
         c == 0x3000;
}

}  // namespace

std::size_t visible_characters(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence_length(s, i);
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    char32_t c = b(0);
    if (len == 2) c = ((c & 0x1f) << 6) | (b(1) & 0x3f);
    if (len == 3) c = ((c & 0x0f) << 12) | ((b(1) & 0x3f) << 6) | (b(2) & 0x3f);
    if (len == 4)
      c = ((c & 0x07) << 18) | ((b(1) & 0x3f) << 12) | ((b(2) & 0x3f) << 6) | (b(3) & 0x3f);
    if (!is_white_space(c)) ++count;
    i += len == 0 ? 1 : len;
  }
  return count;
}

CheckedPurpose checked_purpose(const std::optional<Purpose>& sent) {
  if (!sent) {
    throw ApiError(ErrorCode::purpose_required, "X-Purpose is required on data requests");
  }
  const auto length = sent->decodable ? utf8_length(sent->text) : std::nullopt;
  if (!length || *length < 1 || *length > 200) {
    throw ApiError(ErrorCode::purpose_required,
                   "X-Purpose must be 1 to 200 characters of (percent-encoded) UTF-8");
  }
  for (unsigned char c : sent->text) {
    if (c < 0x20 || c == 0x7f) {
      throw ApiError(ErrorCode::purpose_required, "X-Purpose must not hold control characters");
    }
  }
  // A purpose says something: " ", "x" or a run of ideographic spaces is no purpose.
  if (visible_characters(sent->text) < 2) {
    throw ApiError(ErrorCode::validation_failed,
                   "X-Purpose must state the purpose in at least 2 characters that are not spaces",
                   {{"X-Purpose", "at least 2 characters that are not white space"}}, 400);
  }
  if (sent->code && !is_token_chars(*sent->code, 64)) {
    throw ApiError(ErrorCode::validation_failed, "X-Purpose-Code is 1 to 64 of [A-Za-z0-9._-]",
                   {{"X-Purpose-Code", "1 to 64 of [A-Za-z0-9._-]"}}, 400);
  }
  return {sent->text, sent->code};
}

CheckedPurpose recorded_purpose(const std::optional<Purpose>& sent) {
  CheckedPurpose out;
  if (!sent) return out;
  try {
    out.text = checked_purpose(Purpose{sent->text, std::nullopt, sent->decodable}).text;
  } catch (const ApiError&) {
  }
  if (sent->code && is_token_chars(*sent->code, 64)) out.code = sent->code;
  return out;
}

}  // namespace hub::sharing
