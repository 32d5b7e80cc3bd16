#include "hub/http/problem.hpp"

#include <nlohmann/json.hpp>

namespace hub::http {

Response problem(ErrorCode code, std::string_view detail, const std::vector<FieldError>& errors,
                 unsigned status) {
  if (status == 0) status = error_code_status(code);
  nlohmann::json body = {
      {"type", "https://hub.example/problems/" + std::string(error_code_name(code))},
      {"title", error_code_title(code)},
      {"status", status},
      {"detail", detail},
      {"code", error_code_name(code)},
  };
  if (!errors.empty()) {
    auto& list = body["errors"] = nlohmann::json::array();
    for (const auto& e : errors) list.push_back({{"field", e.field}, {"message", e.message}});
  }
  Response r;
  r.status = static_cast<Status>(status);
  r.content_type = "application/problem+json";
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response problem(const ApiError& error) {
  auto r = problem(error.code(), error.what(), error.errors(), error.status());
  for (const auto& h : error.headers()) r.headers.push_back(h);
  return r;
}

}  // namespace hub::http
