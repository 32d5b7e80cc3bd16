// The services gateway's parsing of what a consumer and an upstream send: the call's query string
// (decoded strictly), its params checked and placed in the upstream request (path placeholders
// and query percent-encoded: nothing may climb out of the operation's path), and the upstream's
// answer shown as a grant shows it (members filtered, sensitive ones masked). Input: the query
// string, a NUL byte, then the upstream's body. Nothing may crash or hang; a placed target
// starts with the service's base path and holds no raw '/', '?', '#' from a param.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hub/gateway/call.hpp"
#include "hub/http/message.hpp"

namespace {

using json = nlohmann::json;

const hub::gateway::ServiceDefinition& definition() {
  static const auto s = hub::gateway::ServiceDefinition::from_resource(
      json{{"code", "114401009P0Y2GG12L-00001"},
           {"kind", "service"},
           {"provider_code", "114401009P0Y2GG12L"},
           {"status", "published"},
           {"upstream", {{"base_url", "https://api.example.gov.cn/v1"}, {"timeout_ms", 1000}}},
           {"operations",
            {{{"id", "enterprise"},
              {"method", "GET"},
              {"path", "/enterprises/{uscc}/branches/{n}"},
              {"params",
               {{{"name", "uscc"}, {"in", "path"}, {"type", "string"}, {"required", true}},
                {{"name", "n"}, {"in", "path"}, {"type", "integer"}, {"required", true}},
                {{"name", "as_of"}, {"in", "query"}, {"type", "date"}, {"required", false}},
                {{"name", "active"}, {"in", "query"}, {"type", "boolean"}, {"required", false}},
                {{"name", "min"}, {"in", "query"}, {"type", "number"}, {"required", false}}}},
              {"subject_param", "uscc"},
              {"response_items",
               {{{"name", "uscc"}, {"type", "string"}, {"sensitivity", "public"}},
                {{"name", "legal_person"},
                 {"type", "string"},
                 {"sensitivity", "sensitive"},
                 {"mask", "name"}},
                {{"name", "capital"}, {"type", "number"}, {"sensitivity", "sensitive"}}}}}}}});
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view query = input.substr(0, nul);
  const std::string_view body = nul == std::string_view::npos ? "" : input.substr(nul + 1);
  const auto& service = definition();
  const auto& op = service.operations.front();
  if (auto params = hub::http::parse_query_strict(query, 100)) {
    hub::gateway::CallRequest call{service.code, op.id, std::move(*params), std::nullopt};
    try {
      const auto up = hub::gateway::upstream_request(service.upstream, op, call);
      // The subject log's key is the uscc the call was checked with, never anything else.
      const auto subject = hub::gateway::subject_of(op, call);
      if (!subject) std::abort();  // a path param is required: a checked call has it
      bool given = false;
      for (const auto& [name, value] : call.query) given |= name == "uscc" && value == *subject;
      if (!given) std::abort();
      const std::string_view target = up.target;
      if (!target.starts_with("/v1/enterprises/")) std::abort();
      const auto path = target.substr(0, target.find('?'));
      if (path.find('#') != std::string_view::npos || path.find("%2F") != std::string_view::npos ||
          std::count(path.begin(), path.end(), '/') != 5) {
        std::abort();  // a param climbed out of its placeholder
      }
      for (std::size_t at = 1; at < path.size();) {
        const auto next = std::min(path.find('/', at), path.size());
        const auto segment = path.substr(at, next - at);
        if (segment.empty() || segment == "." || segment == "..") std::abort();
        at = next + 1;
      }
    } catch (const hub::ApiError&) {
    }
  }
  hub::sharing::Decision d;
  d.allowed = true;
  d.items = {"uscc", "legal_person", "capital"};
  if (auto shown = hub::gateway::shown_answer(op, d, body)) {
    auto check = [](const json& record) {
      if (!record.is_object() || record.contains("capital")) std::abort();  // withheld
      for (const auto& [name, value] : record.items()) {
        if (name != "uscc" && name != "legal_person") std::abort();
      }
    };
    if (shown->body.is_array()) {
      for (const auto& r : shown->body) check(r);
    } else {
      check(shown->body);
    }
  }
  return 0;
}
