#pragma once

#include "hub/core/error.hpp"
#include "hub/http/message.hpp"

namespace hub::http {

// An application/problem+json response: {"type","title","status","detail","code"} and, for
// validation errors, "errors":[{"field","message"}].
Response problem(ErrorCode code, std::string_view detail,
                 const std::vector<FieldError>& errors = {}, unsigned status = 0);
Response problem(const ApiError& error);

}  // namespace hub::http
