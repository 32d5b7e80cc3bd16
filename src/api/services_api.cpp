#include "hub/api/services_api.hpp"

#include "hub/api/caller.hpp"
#include "hub/api/json_body.hpp"
#include "hub/api/recorded_answer.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"

namespace hub::api {

using boost::asio::awaitable;
using http::Access;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;
using nlohmann::json;

namespace {

// Writes what the gateway delivers as the response body and tells it the SHA-256 of those bytes.
class JsonCallSink final : public gateway::CallSink, public RecordedAnswer {
 public:
  std::string deliver(const gateway::CallAnswer& answer) override {
    write_json(begin(), answer.body);
    return digest();
  }
  std::string refuse(const ApiError& error) override { return RecordedAnswer::refuse(error); }
  void recorded(std::int64_t index) override { RecordedAnswer::recorded(index); }
};

// The query string's params in the order sent, decoded; a bad escape is the caller's error.
std::vector<std::pair<std::string, std::string>> call_params(std::string_view query) {
  auto params = http::parse_query_strict(query, 100);
  if (!params) {
    throw ApiError(ErrorCode::validation_failed, "the call's params have errors",
                   {{"query", "at most 100 params, each a name and a percent-encoded value"}}, 422);
  }
  return std::move(*params);
}

awaitable<Response> call_route(gateway::GatewayService& service, Request& req) {
  JsonCallSink sink;
  const Caller caller = caller_of(req);
  const std::string code(req.param("code"));
  const std::string operation(req.param("operation_id"));
  std::optional<ApiError> refusal;
  try {
    gateway::CallRequest call;
    call.service_code = code;
    call.operation_id = operation;
    call.query = call_params(req.query);
    if (req.message.method() == Verb::post && !req.message.body().empty()) {
      call.body = parse_json(req, true);
    }
    co_await service.call(caller, call, sink);
  } catch (const ApiError& e) {
    refusal = e;
  }
  if (refusal) {
    // Refused before the gateway saw it (a body that is not JSON): recorded all the same.
    if (!sink.touched()) {
      try {
        co_await service.refused(caller, code, operation, *refusal, sink);
      } catch (const ApiError&) {
      }
    }
    throw sink.annotate(*refusal);
  }
  co_return sink.response();
}

}  // namespace

void register_services_routes(http::Router& router, gateway::GatewayService& service) {
  for (Verb verb : {Verb::get, Verb::post}) {
    router.add(verb, "/api/v1/services/{code}/call/{operation_id}", Access::principal(),
               [&service](Request& req) -> awaitable<Response> {
                 co_return co_await call_route(service, req);
               },
               {.data_request = true, .operation = "call"});
  }
  router.add(Verb::get, "/api/v1/services/{code}/health", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const std::string code(req.param("code"));
               const gateway::Health h = co_await service.health(caller, code);
               json out = {{"state", std::string(gateway::state_name(h.state))},
                           {"calls_1h", h.calls_1h},
                           {"failures_1h", h.failures_1h},
                           {"p50_ms", h.p50_ms ? json(*h.p50_ms) : json(nullptr)},
                           {"p99_ms", h.p99_ms ? json(*h.p99_ms) : json(nullptr)}};
               co_return Response::json(Status::ok, json_text(out));
             });
}

}  // namespace hub::api
