#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hub/core/error.hpp"

namespace hub::catalog {

// The metadata of a resource version as API.md's Resource and the national catalogue metadata
// (GB/T 21063) describe it, checked and normalised: every optional field present (null or
// empty), items in the order given. Returns the document, or nullopt with `errors` filled in
// (one per field, "items[2].mask" style paths).
std::optional<nlohmann::json> validate_resource(const nlohmann::json& body,
                                                std::vector<FieldError>& errors);

// The fields a client may send for a resource (anything else is refused).
const std::vector<std::string>& resource_fields();

// The JSON Schema (draft-07) a record of this version must satisfy: one property per item,
// `required` from the items, nothing else allowed. Sensitivity and mask ride along as x- keys.
nlohmann::json record_schema(const nlohmann::json& document);

// What a new version removes or retypes among the previous version's items:
// {"removed":[names],"retyped":[{"name","from","to"}]}, or null when nothing.
nlohmann::json breaking_changes(const nlohmann::json& before, const nlohmann::json& after);

// The electronic licence template (电子证照, GB/T 36903): the items every licence resource has.
nlohmann::json licence_items();

// Whether `code` has the shape of a code the hub assigns: provider code + "-" + 5 digits.
bool valid_resource_code(std::string_view code);

}  // namespace hub::catalog
