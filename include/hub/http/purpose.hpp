#pragma once

#include <optional>
#include <string>

#include "hub/http/message.hpp"

namespace hub::http {

// Decodes and checks X-Purpose: 1..200 characters of UTF-8 (percent-encoding allowed), no control
// characters (else 400 purpose_required), at least 2 that are not white space (else 400
// validation_failed).
std::string checked_purpose(const Request& request);
// X-Purpose-Code when sent: 1..64 of [A-Za-z0-9._-], else 400 validation_failed.
std::optional<std::string> checked_purpose_code(const Request& request);

}  // namespace hub::http
