#pragma once

#include <boost/beast/http/verb.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hub/exchange/schema.hpp"
#include "hub/gateway/upstream_client.hpp"
#include "hub/sharing/grants.hpp"

namespace hub::gateway {

// The pure steps of a call (no I/O, no state), apart so that a fuzzer reaches them: a service's
// definition read from its catalog document, a consumer's params checked and placed in the
// upstream request, and the upstream's answer shown as the grant shows it.

// An interface service as the gateway needs it (API.md Part 2), read from the catalog's document
// of the version in force.
struct Param {
  enum class In { path, query, body };
  std::string name;
  In in = In::query;
  exchange::ItemType type = exchange::ItemType::string;
  bool required = false;
};

struct Operation {
  std::string id;
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string path;  // relative, with {param} placeholders
  std::vector<Param> params;
  std::vector<exchange::Item> response_items;
  // The param whose value names the person or enterprise the call is about (API.md Part 2):
  // its keyed hash goes into the call's ledger entry, the subject log.
  std::optional<std::string> subject_param;
  const Param* param(std::string_view name) const;
  const exchange::Item* response_item(std::string_view name) const;
};

struct ServiceDefinition {
  std::string code;
  std::string provider_code;
  std::string status;
  Upstream upstream;
  std::vector<Operation> operations;
  const Operation* operation(std::string_view id) const;

  // nullopt when the document is not a service's (a dataset) or cannot be used.
  static std::shared_ptr<const ServiceDefinition> from_resource(const nlohmann::json& resource);
};

// A call as a consumer sends it: path and query params as text (the query string's, decoded, in
// the order sent), body params as the members of a JSON object.
struct CallRequest {
  std::string service_code;
  std::string operation_id;
  std::vector<std::pair<std::string, std::string>> query;
  std::optional<nlohmann::json> body;
};

// What the consumer receives: the upstream's JSON with the members its grant does not cover
// removed and the sensitive ones masked unless clear; an object stays an object, an array an
// array of objects.
struct CallAnswer {
  nlohmann::json body;
  std::int64_t record_count = 0;
};

// The params of `op` checked and placed: the upstream request's target (base path, path with
// placeholders filled and percent-encoded, query params in the declared order) and JSON body.
// Throws 422 validation_failed listing every bad param (unknown, missing, repeated, mistyped).
UpstreamRequest upstream_request(const Upstream& upstream, const Operation& op,
                                 const CallRequest& request);

// The value the consumer gave for the operation's subject_param, as text (a number or boolean
// in a body as its JSON text); nullopt when the operation has none or it was not given.
std::optional<std::string> subject_of(const Operation& op, const CallRequest& request);

// The upstream's answer as the grant shows it: only the operation's response items the grant
// covers, sensitive ones masked unless clear; nullopt when it is not a JSON object or an array
// of objects (a 502).
std::optional<CallAnswer> shown_answer(const Operation& op, const sharing::Decision& d,
                                       std::string_view upstream_body);

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string encode_component(std::string_view s);

}  // namespace hub::gateway
