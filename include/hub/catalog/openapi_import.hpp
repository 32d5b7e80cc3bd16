#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hub/core/error.hpp"

namespace hub::catalog {

struct ImportOptions {
  std::size_t max_operations = 100;              // more are left out, with a note
  std::size_t max_ref_depth = 16;                // $ref hops (and allOf / array levels) followed
  std::size_t max_steps = 200000;                // schema nodes visited in all: past it, an error
  std::string default_sensitivity = "internal";  // of response items without x-sensitivity
};

// A service's `operations` (docs/catalog.md, "Interface services") from an OpenAPI 3.0 or 3.1
// document given as JSON. A pure function: no I/O, bounded work whatever the input.
//
// - Each GET or POST operation of `paths` becomes an operation (others are left out, with a
//   note): operationId → id (snake_cased, sanitised, made unique, never a dataset operation's
//   name), summary → title, the path as it is.
// - Path and query parameters (path-level and operation-level, $ref'd ones included) → params:
//   schema.type → type, format date / date-time → date / datetime; a JSON requestBody's top-level
//   object properties → body params (required from the schema's `required`).
// - The 200 (or 201, 2XX) response's JSON schema: its top-level object properties, or those of
//   an array's items, → response_items, sensitivity `default_sensitivity` unless the property
//   says `x-sensitivity`; `x-mask` honoured for sensitive strings. allOf members are merged.
//   Nested objects and arrays are not response items (noted).
// - $ref to "#/components/..." is resolved, at most `max_ref_depth` hops, never round a cycle.
// - An operation-level `x-subject-param` names the subject param.
//
// Returns the operations array (what validate_resource accepts for them); `errors` gets what
// makes the document unusable as a whole (not OpenAPI 3, no paths, no importable operation,
// too complex); `notes`, when given, what was left out or changed, by JSON path.
nlohmann::json operations_from_openapi(const nlohmann::json& openapi,
                                       std::vector<FieldError>& errors,
                                       const ImportOptions& options = {},
                                       std::vector<FieldError>* notes = nullptr);

}  // namespace hub::catalog
