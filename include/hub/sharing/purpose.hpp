#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hub/core/caller.hpp"

namespace hub::sharing {

// The purpose every data request states (API.md): a text of 1 to 200 characters of UTF-8
// without control characters (else 400 purpose_required), at least 2 of them not white space
// (U+3000 counts as white space; else 400 validation_failed), and, when sent, a purpose code of
// 1 to 64 of [A-Za-z0-9._-] (else 400 validation_failed). Whether the code is one the grant
// names is the grant's rule (GrantDirectory::authorize).
struct CheckedPurpose {
  std::string text;
  std::optional<std::string> code;
};
CheckedPurpose checked_purpose(const std::optional<Purpose>& sent);

// Code points of valid UTF-8 that are not Unicode White_Space (U+3000 among them); invalid
// bytes are skipped.
std::size_t visible_characters(std::string_view s);

// What a ledger entry records of the purpose sent, whatever became of the request: the text when
// it was a purpose, else ""; the code when well-formed, else none.
CheckedPurpose recorded_purpose(const std::optional<Purpose>& sent);

}  // namespace hub::sharing
