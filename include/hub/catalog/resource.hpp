#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hub/core/error.hpp"

namespace hub::gateway {
class UpstreamPolicy;
}

namespace hub::catalog {

// What an interface service's upstream may be (API.md Part 2): its host must be allowed by the
// hub's services.allowed_hosts (the policy), and http is refused unless services.allow_http. The
// default refuses every upstream host, so a caller that knows no policy registers no service.
// hubctl, which cannot know the hub's configuration, checks everything else and leaves the host
// and the scheme to the hub (`check_hosts = false`).
struct ServiceRules {
  const gateway::UpstreamPolicy* policy = nullptr;  // null: no host is allowed
  bool allow_http = false;
  bool check_hosts = true;

  // Every rule but the hub's own configuration (hubctl's checks before it sends a document).
  static ServiceRules offline() { return {nullptr, true, false}; }
};

// Limits of a service's operations (API.md Part 2, docs/catalog.md).
inline constexpr std::size_t kMaxOperations = 100;
inline constexpr std::size_t kMaxParams = 50;
inline constexpr std::size_t kMaxResponseItems = 200;
inline constexpr std::size_t kMaxCaPemBytes = 64 * 1024;

// The metadata of a resource version as API.md's Resource and the national catalogue metadata
// (GB/T 21063) describe it, checked and normalised: every optional field present (null or
// empty), items in the order given. Returns the document, or nullopt with `errors` filled in
// (one per field, "items[2].mask" style paths).
//
// `kind` is "dataset" (the default) or "service" and is kept in the document. A dataset has
// key, items, share_methods, update_cycle; a service has instead upstream {base_url, timeout_ms,
// ca_pem} and operations [{id, title, method, path, params, response_items, subject_param}]
// (docs/catalog.md, "Interface services"), its upstream checked against `rules`.
std::optional<nlohmann::json> validate_resource(const nlohmann::json& body,
                                                std::vector<FieldError>& errors,
                                                const ServiceRules& rules = {});

// The catalogue fields (resource_fields) in which `wanted` differs from `current`, in that order;
// an absent kind is a dataset and an absent quality_mode reject, as the hub takes them. Empty
// when storing `wanted` would change nothing (hubctl resources apply, registration by
// spreadsheet).
std::vector<std::string> changed_fields(const nlohmann::json& current,
                                        const nlohmann::json& wanted);

// The kind of a stored resource document: "service", or "dataset" (documents stored before
// services existed have no kind: they are datasets).
std::string kind_of(const nlohmann::json& document);
bool is_service(const nlohmann::json& document);

// A service's response items over all its operations, each once (the first operation's
// definition: validate_resource makes every operation define a name alike), in order of first
// appearance. What an application's items and clear_items name.
nlohmann::json service_response_items(const nlohmann::json& document);

// The naming rules of a service's operations (shared by validate_resource and the OpenAPI
// import, which must produce only what validation accepts):
// - an operation id matches [a-z][a-z0-9_]{0,62} and is not the name of a dataset operation
//   (read, query, changes, verify, aggregate, ...), so a grant's operation names say by
//   themselves which are a service's;
// - a param or response item name matches [A-Za-z][A-Za-z0-9_]{0,62} (the upstream's own
//   member and parameter names, camelCase included);
// - a path starts with '/', holds RFC 3986 path characters and {param} placeholders, and never
//   "..", a "." segment, "//", '?', '#' or a percent escape. service_path_problem returns why
//   not ("" when it is fine) and fills `placeholders` in order.
bool valid_operation_id(std::string_view id);
bool reserved_operation_id(std::string_view id);
bool valid_member_name(std::string_view name);
std::string service_path_problem(std::string_view path, std::vector<std::string>& placeholders);

// Whether `pem` is one or more PEM certificates and nothing else (no private key); why not.
bool valid_certificates_pem(std::string_view pem, std::string& why);

// The fields a client may send for a resource (anything else is refused).
const std::vector<std::string>& resource_fields();

// The JSON Schema (draft-07) a record of this version must satisfy: one property per item,
// `required` from the items, nothing else allowed. Sensitivity and mask ride along as x- keys.
// A service has no records: its schema describes what each operation answers (one object, or
// each object of an array), one definition per operation id, with the response items as
// properties ("x-kind": "service").
nlohmann::json record_schema(const nlohmann::json& document);

// What a new version removes or retypes among the previous version's items:
// {"removed":[names],"retyped":[{"name","from","to"}]}, or null when nothing. For a service,
// names are "operation_id.item" for response items, and a removed operation is also listed in
// "removed_operations": [ids].
nlohmann::json breaking_changes(const nlohmann::json& before, const nlohmann::json& after);

// The electronic licence template (电子证照, GB/T 36903): the items every licence resource has.
nlohmann::json licence_items();

// Whether `code` has the shape of a code the hub assigns: provider code + "-" + 5 digits.
bool valid_resource_code(std::string_view code);

}  // namespace hub::catalog
