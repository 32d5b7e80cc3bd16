#pragma once
// The answer to an upload that is read whole and stored all or nothing (a registration workbook,
// a return list): 200 with the answer's fields, or, when it had errors, 422 problem+json
// (validation_failed) with the same fields beside `code`, every error listed there.

#include <nlohmann/json.hpp>
#include <string>

#include "hub/api/json_body.hpp"
#include "hub/http/problem.hpp"

namespace hub::api {

inline http::Response upload_answer(const nlohmann::json& body, std::size_t errors,
                                    const std::string& what) {
  if (errors == 0) return http::Response::json(http::Status::ok, json_text(body));
  http::Response res = http::problem(ErrorCode::validation_failed,
                                     std::to_string(errors) + (errors == 1 ? " error" : " errors") +
                                         " in the " + what + ": nothing was stored",
                                     {}, 422);
  nlohmann::json problem = nlohmann::json::parse(res.body);
  problem.update(body);
  res.body = json_text(problem);
  return res;
}

}  // namespace hub::api
