// hubctl services: interface services' operations from a provider's OpenAPI document. The import
// itself is the catalog's pure function (catalog::operations_from_openapi); with --resource the
// operations replace a registered service's through the API (PUT /api/v1/resources/{code}: a
// new version), checked first with the catalog's own validate_resource.
#include <ostream>

#include "command.hpp"
#include "hub/catalog/openapi_import.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/core/json.hpp"

namespace hub::cli {

namespace {

// The OpenAPI document of FILE (JSON; nested at most 64 levels, no member name twice, as the hub
// reads every client's JSON).
nlohmann::json openapi_document(const std::string& file) {
  const std::string text = read_file(file);
  JsonError why;
  auto doc = parse_json(text, why);
  if (!doc) {
    throw std::runtime_error(file + " is not JSON the hub reads (" + why.message + " at byte " +
                             std::to_string(why.offset) +
                             "); a YAML document must be converted to JSON first");
  }
  return std::move(*doc);
}

int import_openapi(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.rest.size() < 3) {
    throw std::runtime_error("usage: hubctl services import-openapi FILE [--resource CODE]");
  }
  const auto openapi = openapi_document(o.rest[2]);
  std::vector<FieldError> errors, notes;
  const auto operations = catalog::operations_from_openapi(openapi, errors, {}, &notes);
  for (const auto& n : notes) err << "note: " << n.field << ": " << n.message << "\n";
  if (!errors.empty()) {
    for (const auto& e : errors) {
      err << "error: " << (e.field.empty() ? "" : e.field + ": ") << e.message << "\n";
    }
    return 1;
  }
  const std::string code = o.flag("resource", false);
  if (code.empty()) {
    write_output(o, out, operations.dump(2) + "\n");
    return 0;
  }

  // A new version of the service with these operations and everything else as it is.
  Api api(o);
  const auto current = api.call(verb::get, "/api/v1/resources/" + url_encode(code));
  if (current.value("kind", "") != "service") {
    throw std::runtime_error(code + " is not an interface service (kind " +
                             current.value("kind", "dataset") + ")");
  }
  nlohmann::json body = nlohmann::json::object();
  for (const auto& f : catalog::resource_fields()) {
    if (current.contains(f)) body[f] = current[f];
  }
  body["operations"] = operations;
  std::vector<FieldError> invalid;
  if (!catalog::validate_resource(body, invalid, catalog::ServiceRules::offline())) {
    for (const auto& e : invalid) err << "invalid: " << e.field << ": " << e.message << "\n";
    return 1;
  }
  const auto updated = api.call(verb::put, "/api/v1/resources/" + url_encode(code), body);
  out << code << ": version " << updated.value("version", 0) << " with " << operations.size()
      << " operations (" << updated.value("status", "") << ")\n";
  if (updated.contains("breaking_changes") && !updated["breaking_changes"].is_null()) {
    out << "breaking changes, told to every grant holder: " << updated["breaking_changes"].dump()
        << "\n";
  }
  return 0;
}

}  // namespace

int cmd_services(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  if (action == "import-openapi") return import_openapi(o, out, err);
  err << "usage: hubctl services import-openapi FILE [--resource CODE] [-o FILE]\n";
  return 2;
}

}  // namespace hub::cli
