#include "support/openapi_check.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "hub/core/embedded.hpp"

namespace hub::test {

namespace {

using nlohmann::json;

// "#/components/schemas/X" → "#/definitions/X", everywhere in a value. `format` is an
// annotation in OpenAPI 3.1 (JSON Schema 2020-12), which this validator's draft 7 would assert
// on nulls too; the date and time formats the hub uses become the patterns they mean, which
// apply to strings only.
void rewrite_refs(json& v) {
  if (v.is_object()) {
    if (v.contains("format") && v["format"].is_string()) {
      const std::string format = v["format"];
      v.erase("format");
      if (!v.contains("pattern")) {
        if (format == "date") v["pattern"] = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
        if (format == "date-time") {
          v["pattern"] =
              "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:["
              "0-9]{2})$";
        }
      }
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key() == "$ref" && it->is_string()) {
        std::string ref = *it;
        const std::string from = "#/components/schemas/";
        if (ref.rfind(from, 0) == 0) *it = "#/definitions/" + ref.substr(from.size());
      } else {
        rewrite_refs(*it);
      }
    }
  } else if (v.is_array()) {
    for (auto& e : v) rewrite_refs(e);
  }
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 1;
  while (i <= path.size()) {
    auto slash = path.find('/', i);
    out.push_back(path.substr(i, slash == std::string::npos ? std::string::npos : slash - i));
    if (slash == std::string::npos) break;
    i = slash + 1;
  }
  return out;
}

class Document {
 public:
  Document() {
    auto text = embedded::file("schemas/openapi.json");
    doc_ = json::parse(*text);
    definitions_ = doc_["components"]["schemas"];
    rewrite_refs(definitions_);
  }

  // The path item of the document that `path` matches, or nullptr.
  const json* path_item(const std::string& path, std::string& pattern) const {
    const auto parts = split_path(path);
    const json* found = nullptr;
    for (auto it = doc_["paths"].begin(); it != doc_["paths"].end(); ++it) {
      const auto want = split_path(it.key());
      bool match = false;
      if (!want.empty() && want.back() == "{path}" && it.key().rfind("/console/", 0) == 0) {
        match = path.rfind("/console/", 0) == 0;
      } else if (want.size() == parts.size()) {
        match = true;
        for (std::size_t i = 0; i < want.size() && match; ++i) {
          const bool param = want[i].size() > 2 && want[i].front() == '{';
          match = param ? !parts[i].empty() : want[i] == parts[i];
        }
      }
      // A literal segment beats a parameter: /resources/template.xlsx before /resources/{code}.
      if (match) {
        if (pattern.empty() || literal_count(it.key()) > literal_count(pattern)) {
          pattern = it.key();
          found = &*it;
        }
      }
    }
    return found;
  }

  const json& resolve_response(const json& r) const {
    if (r.contains("$ref")) {
      const std::string ref = r["$ref"];
      return doc_["components"]["responses"][ref.substr(ref.rfind('/') + 1)];
    }
    return r;
  }

  // A compiled schema for one documented body, made once.
  std::shared_ptr<valijson::Schema> schema(const std::string& key, const json& body_schema) {
    std::lock_guard lock(mutex_);
    auto& slot = compiled_[key];
    if (!slot) {
      json root = {{"definitions", definitions_}, {"allOf", json::array()}};
      json s = body_schema;
      rewrite_refs(s);
      root["allOf"].push_back(std::move(s));
      roots_[key] = std::move(root);
      slot = std::make_shared<valijson::Schema>();
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
      valijson::adapters::NlohmannJsonAdapter adapter(roots_[key]);
      parser.populateSchema(adapter, *slot);
    }
    return slot;
  }

 private:
  static std::size_t literal_count(const std::string& pattern) {
    std::size_t n = 0;
    for (const auto& s : split_path(pattern)) n += s.empty() || s.front() != '{';
    return n;
  }

  json doc_;
  json definitions_;
  std::mutex mutex_;
  std::map<std::string, json> roots_;
  std::map<std::string, std::shared_ptr<valijson::Schema>> compiled_;
};

Document& document() {
  static Document d;
  return d;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> check_json(const std::string& key, const json& schema,
                                    const std::string& body) {
  auto value = json::parse(body, nullptr, false);
  if (value.is_discarded()) return {"the body is not JSON"};
  auto compiled = document().schema(key, schema);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(value);
  if (validator.validate(*compiled, target, &results)) return {};
  std::vector<std::string> out;
  valijson::ValidationResults::Error error;
  while (results.popError(error) && out.size() < 5) {
    std::string where;
    for (const auto& c : error.context) where += c;
    out.push_back(where + ": " + error.description);
  }
  return out;
}

}  // namespace

std::vector<std::string> openapi_problems(boost::beast::http::verb verb, const std::string& target,
                                          const client::ClientResponse& response) {
  Document& doc = document();
  const std::string path = target.substr(0, target.find('?'));
  const std::string method = lower(std::string(boost::beast::http::to_string(verb)));
  const std::string status = std::to_string(response.status);
  std::string content_type = response.header("Content-Type");
  content_type = lower(content_type.substr(0, content_type.find(';')));
  std::string pattern;
  const json* item = doc.path_item(path, pattern);
  // Routing comes first: a path no route has, or another method on a known one.
  if (!item || !item->contains(method)) {
    const unsigned expected = item ? 405 : 404;
    if (response.status != expected && response.status != 431 && response.status != 400 &&
        response.status != 501 && response.status != 413) {
      return {"no documented operation, and the answer is " + status + ", not " +
              std::to_string(expected)};
    }
    return check_json("problem", {{"$ref", "#/components/schemas/Problem"}}, response.body);
  }
  const json& op = (*item)[method];
  if (!op["responses"].contains(status)) {
    return {method + " " + pattern + " answered " + status +
            ", which it does not document: " + response.body.substr(0, 300)};
  }
  const json& documented = doc.resolve_response(op["responses"][status]);
  if (!documented.contains("content")) {
    if (!response.body.empty()) return {"status " + status + " documents no body, one came"};
    return {};
  }
  if (!documented["content"].contains(content_type)) {
    return {method + " " + pattern + " " + status + " answered " + content_type +
            ", not a documented content type"};
  }
  const json& media = documented["content"][content_type];
  const bool is_json = content_type == "application/json" ||
                       content_type == "application/problem+json" ||
                       content_type == "application/schema+json";
  if (!is_json || !media.contains("schema")) return {};
  auto problems = check_json(method + " " + pattern + " " + status + " " + content_type,
                             media["schema"], response.body);
  for (auto& p : problems) {
    p = method + " " + pattern + " " + status + ": " + p + " in " + response.body.substr(0, 300);
  }
  return problems;
}

client::ResponseObserver openapi_observer() {
  return [](boost::beast::http::verb verb, const std::string& target,
            const client::ClientResponse& response) {
    for (const auto& problem : openapi_problems(verb, target, response)) {
      ADD_FAILURE() << "the answer to " << boost::beast::http::to_string(verb) << " " << target
                    << " is not as /openapi.json says: " << problem;
    }
  };
}

}  // namespace hub::test
