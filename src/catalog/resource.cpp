#include "hub/catalog/resource.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <regex>
#include <set>

#include "hub/catalog/item_rules.hpp"
#include "hub/core/dates.hpp"
#include "hub/core/text.hpp"
#include "hub/gateway/upstream_client.hpp"
#include "hub/gateway/upstream_policy.hpp"
#include "hub/members/credentials.hpp"

namespace hub::catalog {

using nlohmann::json;

namespace {

const std::vector<std::string> kCategories = {"basic", "theme", "department"};
const std::vector<std::string> kTypes = {"string",  "integer", "number",
                                         "boolean", "date",    "datetime"};
const std::vector<std::string> kSensitivities = {"public", "internal", "sensitive"};
const std::vector<std::string> kMasks = {"name",    "id_number", "phone",
                                         "address", "bank_card", "full"};
const std::vector<std::string> kShareTypes = {"unconditional", "conditional", "none"};
const std::vector<std::string> kMethods = {"api", "bulk"};
const std::vector<std::string> kCycles = {"realtime",  "daily",      "weekly", "monthly",
                                          "quarterly", "semiannual", "yearly"};

bool one_of(const std::vector<std::string>& set, const std::string& v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

std::string list_of(const std::vector<std::string>& set) {
  std::string out;
  for (const auto& s : set) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Reads one field of an object with a type and limits, recording errors by path.
class Reader {
 public:
  Reader(const json& obj, std::string prefix, std::vector<FieldError>& errors)
      : obj_(obj), prefix_(std::move(prefix)), errors_(errors) {}

  void error(const std::string& field, std::string message) {
    errors_.push_back({prefix_ + field, std::move(message)});
  }
  const json* get(const std::string& field) {
    auto it = obj_.find(field);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }
  std::optional<std::string> text(const std::string& field, bool required, std::size_t max) {
    const json* v = get(field);
    if (!v) {
      if (required) error(field, "is required");
      return std::nullopt;
    }
    if (!v->is_string()) {
      error(field, "must be a string");
      return std::nullopt;
    }
    auto s = v->get<std::string>();
    if (s.find('\0') != std::string::npos) {
      error(field, "must not contain U+0000");
      return std::nullopt;
    }
    if (required && s.empty()) {
      error(field, "must not be empty");
      return std::nullopt;
    }
    if (utf8_chars(s) > max) {
      error(field, "must be at most " + std::to_string(max) + " characters");
      return std::nullopt;
    }
    return s;
  }
  std::optional<std::string> choice(const std::string& field, bool required,
                                    const std::vector<std::string>& set) {
    auto v = text(field, required, 40);
    if (v && !one_of(set, *v)) {
      error(field, "must be one of " + list_of(set));
      return std::nullopt;
    }
    return v;
  }
  std::optional<bool> boolean(const std::string& field, bool required) {
    const json* v = get(field);
    if (!v) {
      if (required) error(field, "is required");
      return std::nullopt;
    }
    if (!v->is_boolean()) {
      error(field, "must be true or false");
      return std::nullopt;
    }
    return v->get<bool>();
  }

 private:
  const json& obj_;
  std::string prefix_;
  std::vector<FieldError>& errors_;
};

}  // namespace

namespace {
// API.md Part 2's source of a returned resource (数据回流, docs/coordination.md): which ministry
// returned it, its national catalogue code, the channel, the agreement. Null when absent.
json source_of(const json* raw, std::vector<FieldError>& errors) {
  if (!raw || raw->is_null()) return nullptr;
  const std::string f = "source";
  if (!raw->is_object()) {
    errors.push_back(
        {f, "must be an object {ministry_code?, national_resource_code?, channel, agreement?}"});
    return nullptr;
  }
  json out = json::object();
  for (const auto& [key, value] : raw->items()) {
    static const std::vector<std::string> known = {"ministry_code", "national_resource_code",
                                                   "channel", "agreement"};
    if (!one_of(known, key)) errors.push_back({f + "." + key, "is not a field of the source"});
  }
  auto text = [&](const char* name, std::size_t max) -> json {
    auto it = raw->find(name);
    if (it == raw->end() || it->is_null()) return nullptr;
    if (!it->is_string() || it->get<std::string>().empty() ||
        utf8_chars(it->get<std::string>()) > max ||
        has_control_characters(it->get<std::string>())) {
      errors.push_back(
          {f + "." + name, "must be one line of 1 to " + std::to_string(max) + " characters"});
      return nullptr;
    }
    return *it;
  };
  out["ministry_code"] = text("ministry_code", 100);
  out["national_resource_code"] = text("national_resource_code", 100);
  out["agreement"] = text("agreement", 500);
  auto channel = raw->find("channel");
  if (channel == raw->end() || !channel->is_string() ||
      (*channel != "interface" && *channel != "batch")) {
    errors.push_back({f + ".channel", "must be interface or batch"});
  } else {
    out["channel"] = *channel;
  }
  return out;
}

// API.md Part 2's aggregate_policy (docs/privacy.md): the minimum group size, and, for
// differential privacy, a daily budget per grant, what each query spends, and the bounds each
// summed item is clamped to. Null when absent.
json aggregate_policy(const json* raw, const json& items, std::vector<FieldError>& errors) {
  if (!raw || raw->is_null()) return nullptr;
  const std::string f = "aggregate_policy";
  if (!raw->is_object()) {
    errors.push_back({f, "must be an object"});
    return nullptr;
  }
  json out = json::object();
  auto positive = [&](const char* name, double max) -> std::optional<double> {
    auto it = raw->find(name);
    if (it == raw->end() || it->is_null()) return std::nullopt;
    if (!it->is_number() || it->get<double>() <= 0 || it->get<double>() > max) {
      errors.push_back({f + "." + name, "must be a number above 0 and at most " +
                                            std::to_string(static_cast<int>(max))});
      return std::nullopt;
    }
    return it->get<double>();
  };
  for (const auto& [key, value] : raw->items()) {
    static const std::vector<std::string> known = {"min_group_size", "epsilon_per_day",
                                                   "epsilon_per_query", "bounds"};
    if (!one_of(known, key)) errors.push_back({f + "." + key, "is not a field of the policy"});
  }
  if (auto g = raw->find("min_group_size"); g != raw->end() && !g->is_null()) {
    if (!g->is_number_integer() || g->get<std::int64_t>() < 2 || g->get<std::int64_t>() > 1000) {
      errors.push_back({f + ".min_group_size", "must be an integer 2..1000"});
    } else {
      out["min_group_size"] = *g;
    }
  }
  auto per_day = positive("epsilon_per_day", 100);
  auto per_query = positive("epsilon_per_query", 100);
  if (per_query && !per_day) {
    errors.push_back({f + ".epsilon_per_query", "needs epsilon_per_day (the daily budget)"});
  }
  if (per_day) {
    // A tenth of the day's budget a query unless said otherwise.
    if (!per_query) per_query = *per_day / 10;
    if (*per_query > *per_day) {
      errors.push_back({f + ".epsilon_per_query", "must not exceed epsilon_per_day"});
    }
    out["epsilon_per_day"] = *per_day;
    out["epsilon_per_query"] = *per_query;
  }
  json bounds = json::object();
  if (auto b = raw->find("bounds"); b != raw->end() && !b->is_null()) {
    if (!b->is_object()) {
      errors.push_back({f + ".bounds", "must be an object of item: [lo, hi]"});
    } else {
      for (const auto& [name, range] : b->items()) {
        const std::string field = f + ".bounds." + name;
        auto item = std::find_if(items.begin(), items.end(),
                                 [&](const json& i) { return i["name"] == name; });
        if (item == items.end() || ((*item)["type"] != "number" && (*item)["type"] != "integer")) {
          errors.push_back({field, "must name a number or integer item"});
        } else if (!range.is_array() || range.size() != 2 || !range[0].is_number() ||
                   !range[1].is_number() || range[0].get<double>() >= range[1].get<double>() ||
                   std::abs(range[0].get<double>()) > 1e15 ||
                   std::abs(range[1].get<double>()) > 1e15) {
          errors.push_back({field, "must be [lo, hi] with lo < hi, within ±10^15"});
        } else {
          bounds[name] = range;
        }
      }
    }
  }
  if (!bounds.empty()) out["bounds"] = bounds;
  return out.empty() ? json(nullptr) : out;
}
}  // namespace

const std::vector<std::string>& resource_fields() {
  static const std::vector<std::string> fields = {
      "name",           "summary",          "provider_code",
      "category",       "format",           "key",
      "items",          "share_type",       "share_conditions",
      "share_methods",  "update_cycle",     "legal_basis",
      "related_codes",  "class_code",       "release_date",
      "min_group_size", "aggregate_policy", "kind",
      "upstream",       "operations",       "quality_mode",
      "source"};
  return fields;
}

bool valid_resource_code(std::string_view code) {
  return code.size() >= 24 && code.size() <= 30 && code[18] == '-' &&
         members::valid_uscc(code.substr(0, 18)) &&
         std::all_of(code.begin() + 19, code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

namespace {

const std::vector<std::string> kParamPlaces = {"path", "query", "body"};
const std::vector<std::string> kHttpMethods = {"GET", "POST"};

json validate_upstream(const json* raw, std::vector<FieldError>& errors,
                       const ServiceRules& rules) {
  json out = {{"base_url", ""}, {"timeout_ms", 5000}, {"ca_pem", nullptr}};
  if (!raw) {
    errors.push_back({"upstream", "is required for a service"});
    return out;
  }
  if (!raw->is_object()) {
    errors.push_back({"upstream", "must be an object {base_url, timeout_ms?, ca_pem?}"});
    return out;
  }
  Reader r(*raw, "upstream.", errors);
  for (const auto& [k, v] : raw->items()) {
    static const std::vector<std::string> known = {"base_url", "timeout_ms", "ca_pem"};
    if (!one_of(known, k)) r.error(k, "is not a field of upstream");
  }
  if (auto url = r.text("base_url", true, 2000)) {
    std::string why;
    auto upstream = gateway::parse_base_url(*url, why);
    if (!upstream) {
      r.error("base_url", why.empty() ? "is not a URL" : why);
    } else if (rules.check_hosts && !upstream->tls && !rules.allow_http) {
      r.error("base_url", "must be https (services.allow_http is off)");
    } else if (rules.check_hosts &&
               (!rules.policy || !rules.policy->allows_host(upstream->host, upstream->port))) {
      r.error("base_url", "the host is not in services.allowed_hosts");
    }
    out["base_url"] = *url;
  }
  if (const json* t = r.get("timeout_ms")) {
    if (!t->is_number_integer() || t->get<std::int64_t>() < 1 || t->get<std::int64_t>() > 60000) {
      r.error("timeout_ms", "must be an integer 1..60000 (milliseconds)");
    } else {
      out["timeout_ms"] = *t;
    }
  }
  if (const json* pem = r.get("ca_pem")) {
    std::string why;
    if (!pem->is_string()) {
      r.error("ca_pem", "must be a string of PEM certificates");
    } else if (!valid_certificates_pem(pem->get_ref<const std::string&>(), why)) {
      r.error("ca_pem", why);
    } else {
      out["ca_pem"] = *pem;
    }
  }
  return out;
}

// The operations of a service, normalised; every response item name means one thing across the
// operations (same type, sensitivity and mask), so that an application names it once.
json validate_operations(const json* raw, std::vector<FieldError>& errors) {
  json out = json::array();
  if (!raw || !raw->is_array() || raw->empty() || raw->size() > kMaxOperations) {
    errors.push_back({"operations", "must be an array of 1 to " + std::to_string(kMaxOperations) +
                                        " operations"});
    return out;
  }
  std::set<std::string> ids;
  // response item name → (its definition, the operation that defined it first)
  std::map<std::string, std::pair<json, std::string>> defined;
  for (std::size_t i = 0; i < raw->size(); ++i) {
    const json& op = (*raw)[i];
    const std::string at = "operations[" + std::to_string(i) + "]";
    if (!op.is_object()) {
      errors.push_back({at, "must be an object"});
      continue;
    }
    Reader r(op, at + ".", errors);
    for (const auto& [k, v] : op.items()) {
      static const std::vector<std::string> known = {
          "id", "title", "method", "path", "params", "response_items", "subject_param"};
      if (!one_of(known, k)) r.error(k, "is not a field of an operation");
    }
    json o;
    auto id = r.text("id", true, 63);
    if (id && !valid_operation_id(*id)) {
      r.error("id", "must match [a-z][a-z0-9_]{0,62}");
    } else if (id && reserved_operation_id(*id)) {
      r.error("id", "'" + *id + "' is the name of a dataset operation; choose another");
    } else if (id && !ids.insert(*id).second) {
      r.error("id", "duplicates another operation's id");
    }
    o["id"] = id.value_or("");
    o["title"] = r.text("title", true, 200).value_or("");
    if (has_control_characters(o["title"].get<std::string>())) {
      r.error("title", "must be a single line without control characters");
    }
    auto method = r.choice("method", true, kHttpMethods);
    o["method"] = method.value_or("");
    auto path = r.text("path", true, 1000);
    std::vector<std::string> placeholders;
    if (path) {
      if (auto why = service_path_problem(*path, placeholders); !why.empty()) {
        r.error("path", why);
      }
    }
    o["path"] = path.value_or("");

    // Params.
    json params = json::array();
    std::set<std::string> param_names;
    std::set<std::string> path_params;
    if (const json* ps = r.get("params")) {
      if (!ps->is_array() || ps->size() > kMaxParams) {
        r.error("params", "must be an array of at most " + std::to_string(kMaxParams) + " params");
      } else {
        for (std::size_t j = 0; j < ps->size(); ++j) {
          const json& p = (*ps)[j];
          const std::string pat = at + ".params[" + std::to_string(j) + "]";
          if (!p.is_object()) {
            errors.push_back({pat, "must be an object"});
            continue;
          }
          Reader pr(p, pat + ".", errors);
          for (const auto& [k, v] : p.items()) {
            static const std::vector<std::string> known = {"name", "in", "type", "required"};
            if (!one_of(known, k)) pr.error(k, "is not a field of a param");
          }
          auto name = pr.text("name", true, 63);
          if (name && !valid_member_name(*name)) {
            pr.error("name", "must match [A-Za-z][A-Za-z0-9_]{0,62}");
          } else if (name && !param_names.insert(*name).second) {
            pr.error("name", "duplicates another param's name");
          }
          auto in = pr.choice("in", true, kParamPlaces);
          auto type = pr.choice("type", true, kTypes);
          auto required = pr.boolean("required", false);
          if (in && *in == "path") {
            if (required && !*required) pr.error("required", "a path param is always required");
            required = true;
            if (name) path_params.insert(*name);
          }
          if (in && *in == "body" && method && *method == "GET") {
            pr.error("in", "a GET operation has no body params");
          }
          params.push_back({{"name", name.value_or("")},
                            {"in", in.value_or("")},
                            {"type", type.value_or("")},
                            {"required", required.value_or(false)}});
        }
      }
    }
    if (path) {
      for (const auto& ph : placeholders) {
        if (!path_params.contains(ph)) {
          r.error("path", "the placeholder {" + ph + "} must be declared as a param in: path");
        }
      }
      for (const auto& pp : path_params) {
        if (std::find(placeholders.begin(), placeholders.end(), pp) == placeholders.end()) {
          r.error("path", "the path param '" + pp + "' has no {" + pp + "} placeholder");
        }
      }
    }
    o["params"] = params;

    // Response items.
    json items = json::array();
    const json* ris = r.get("response_items");
    if (!ris || !ris->is_array() || ris->empty() || ris->size() > kMaxResponseItems) {
      r.error("response_items",
              "must be an array of 1 to " + std::to_string(kMaxResponseItems) + " items");
    } else {
      std::set<std::string> names;
      for (std::size_t j = 0; j < ris->size(); ++j) {
        const json& ri = (*ris)[j];
        const std::string iat = at + ".response_items[" + std::to_string(j) + "]";
        if (!ri.is_object()) {
          errors.push_back({iat, "must be an object"});
          continue;
        }
        Reader ir(ri, iat + ".", errors);
        for (const auto& [k, v] : ri.items()) {
          static const std::vector<std::string> known = {"name", "title", "type", "sensitivity",
                                                         "mask"};
          if (!one_of(known, k)) ir.error(k, "is not a field of a response item");
        }
        auto name = ir.text("name", true, 63);
        if (name && !valid_member_name(*name)) {
          ir.error("name", "must match [A-Za-z][A-Za-z0-9_]{0,62}");
          name.reset();
        } else if (name && !names.insert(*name).second) {
          ir.error("name", "duplicates another response item's name");
        }
        auto title = ir.text("title", true, 100);
        auto type = ir.choice("type", true, kTypes);
        auto sensitivity = ir.choice("sensitivity", true, kSensitivities);
        auto mask = ir.choice("mask", false, kMasks);
        if (mask && type && *type != "string") ir.error("mask", "applies to string items only");
        if (mask && sensitivity && *sensitivity != "sensitive") {
          ir.error("mask", "applies to sensitive items only");
        }
        const bool sensitive_string =
            sensitivity && *sensitivity == "sensitive" && type && *type == "string";
        json item = {{"name", name.value_or("")},
                     {"title", title.value_or("")},
                     {"type", type.value_or("")},
                     {"sensitivity", sensitivity.value_or("")},
                     {"mask", mask ? json(*mask) : (sensitive_string ? json("full") : json())}};
        if (name && type && sensitivity) {
          auto [it, fresh] = defined.try_emplace(*name, item, id.value_or(""));
          if (!fresh) {
            const json& first = it->second.first;
            for (const char* f : {"type", "sensitivity", "mask"}) {
              if (first[f] != item[f]) {
                ir.error(f, "differs from '" + *name + "' in operation '" + it->second.second +
                                "': a response item means the same in every operation");
              }
            }
          }
        }
        items.push_back(std::move(item));
      }
    }
    o["response_items"] = items;

    auto subject = r.text("subject_param", false, 63);
    if (subject && !param_names.contains(*subject)) {
      r.error("subject_param", "must name one of the operation's params");
    }
    o["subject_param"] = subject ? json(*subject) : json(nullptr);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

std::string kind_of(const json& document) {
  if (!document.is_object()) return "dataset";
  auto it = document.find("kind");
  return it != document.end() && it->is_string() && *it == "service" ? "service" : "dataset";
}

bool is_service(const json& document) { return kind_of(document) == "service"; }

json service_response_items(const json& document) {
  json out = json::array();
  std::set<std::string> seen;
  if (!is_service(document) || !document.contains("operations")) return out;
  for (const auto& op : document["operations"]) {
    if (!op.is_object() || !op.contains("response_items")) continue;
    for (const auto& item : op["response_items"]) {
      if (item.is_object() && item.contains("name") && item["name"].is_string() &&
          seen.insert(item["name"].get<std::string>()).second) {
        out.push_back(item);
      }
    }
  }
  return out;
}

bool valid_certificates_pem(std::string_view pem, std::string& why) {
  if (pem.size() > kMaxCaPemBytes) {
    why = "must be at most " + std::to_string(kMaxCaPemBytes) + " bytes";
    return false;
  }
  if (pem.find("PRIVATE KEY") != std::string_view::npos) {
    why = "must hold certificates only, never a private key";
    return false;
  }
  if (pem.find('\0') != std::string_view::npos) {
    why = "must be PEM text";
    return false;
  }
  auto count = [&](std::string_view needle) {
    std::size_t n = 0;
    for (auto at = pem.find(needle); at != std::string_view::npos; at = pem.find(needle, at + 1))
      ++n;
    return n;
  };
  const std::size_t blocks = count("-----BEGIN ");
  const std::size_t certificates = count("-----BEGIN CERTIFICATE-----");
  if (blocks == 0 || blocks != certificates) {
    why = "must be one or more PEM certificates (-----BEGIN CERTIFICATE-----) and nothing else";
    return false;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) {
    why = "could not be read";
    return false;
  }
  ERR_clear_error();
  std::size_t parsed = 0;
  while (parsed <= certificates) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!cert) break;
    X509_free(cert);
    ++parsed;
  }
  ERR_clear_error();
  if (parsed != certificates) {
    why =
        "holds a certificate that does not parse (certificate " + std::to_string(parsed + 1) + ")";
    return false;
  }
  return true;
}

std::optional<json> validate_resource(const json& body, std::vector<FieldError>& errors,
                                      const ServiceRules& rules) {
  const std::size_t errors_before = errors.size();
  if (!body.is_object()) {
    errors.push_back({"", "must be a JSON object"});
    return std::nullopt;
  }
  for (const auto& [key, value] : body.items()) {
    if (std::find(resource_fields().begin(), resource_fields().end(), key) ==
        resource_fields().end()) {
      errors.push_back({key, "is not a field this request may set"});
    }
  }
  Reader r(body, "", errors);
  json doc;
  static const std::vector<std::string> kKinds = {"dataset", "service"};
  const std::string kind = r.choice("kind", false, kKinds).value_or("dataset");
  const bool service = kind == "service";
  doc["kind"] = kind;
  doc["name"] = r.text("name", true, 200).value_or("");
  if (has_control_characters(doc["name"].get<std::string>())) {
    r.error("name", "must be a single line without control characters");
  }
  doc["summary"] = r.text("summary", true, 2000).value_or("");
  auto provider = r.text("provider_code", true, 18);
  if (provider && !members::valid_uscc(*provider)) {
    r.error("provider_code", "must be an agency's unified social credit code");
  }
  doc["provider_code"] = provider.value_or("");
  doc["category"] = r.choice("category", true, kCategories).value_or("");
  doc["format"] = r.text("format", true, 50).value_or("");
  auto share_type = r.choice("share_type", true, kShareTypes);
  doc["share_type"] = share_type.value_or("");
  auto conditions = r.text("share_conditions", false, 2000);
  doc["share_conditions"] = conditions ? json(*conditions) : json(nullptr);
  auto legal = r.text("legal_basis", false, 1000);
  doc["legal_basis"] = legal && !legal->empty() ? json(*legal) : json(nullptr);
  if (share_type && *share_type != "unconditional" && doc["legal_basis"].is_null()) {
    r.error("legal_basis", "is required for " + *share_type + " resources");
  }

  json related = json::array();
  if (const json* rel = r.get("related_codes")) {
    if (!rel->is_array() || rel->size() > 100) {
      r.error("related_codes", "must be an array of at most 100 resource codes");
    } else {
      for (std::size_t i = 0; i < rel->size(); ++i) {
        const auto& v = (*rel)[i];
        if (!v.is_string() || !valid_resource_code(v.get<std::string>())) {
          r.error("related_codes[" + std::to_string(i) + "]", "must be a resource code");
        } else {
          related.push_back(v);
        }
      }
    }
  }
  doc["related_codes"] = related;

  // 类/项/目/细目: one to four levels of 1-3 digits or capitals, separated by dots.
  auto class_code = r.text("class_code", false, 20);
  static const std::regex class_re(R"(^[0-9A-Z]{1,3}(\.[0-9A-Z]{1,3}){0,3}$)");
  if (class_code && !class_code->empty() && !std::regex_match(*class_code, class_re)) {
    r.error("class_code", "must be 1 to 4 dot-separated levels (类.项.目.细目), e.g. 2.01.03");
  }
  doc["class_code"] = class_code && !class_code->empty() ? json(*class_code) : json(nullptr);
  auto release = r.text("release_date", false, 10);
  if (release && !is_date(*release)) r.error("release_date", "must be a date YYYY-MM-DD");
  doc["release_date"] = release ? json(*release) : json(nullptr);

  doc["source"] = source_of(r.get("source"), errors);

  if (service) {
    // An interface service (API.md Part 2): the provider's API stands where records would.
    for (const char* f : {"key", "items", "share_methods", "update_cycle", "min_group_size",
                          "aggregate_policy", "quality_mode"}) {
      if (r.get(f)) r.error(f, "does not apply to a service (its operations say what it answers)");
    }
    doc["upstream"] = validate_upstream(r.get("upstream"), errors, rules);
    doc["operations"] = validate_operations(r.get("operations"), errors);
    if (errors.size() != errors_before) return std::nullopt;
    return doc;
  }
  for (const char* f : {"upstream", "operations"}) {
    if (r.get(f)) r.error(f, "applies to services only (kind: \"service\")");
  }

  auto key = r.text("key", true, 63);
  doc["key"] = key.value_or("");
  doc["update_cycle"] = r.choice("update_cycle", true, kCycles).value_or("");

  // share_methods: a non-empty set of api, bulk.
  json methods = json::array();
  if (const json* m = r.get("share_methods")) {
    if (!m->is_array() || m->empty()) {
      r.error("share_methods", "must be a non-empty array of api, bulk");
    } else {
      for (const auto& v : *m) {
        if (!v.is_string() || !one_of(kMethods, v.get<std::string>())) {
          r.error("share_methods", "must hold only api and bulk");
          break;
        }
        if (std::find(methods.begin(), methods.end(), v) == methods.end()) methods.push_back(v);
      }
    }
  } else {
    r.error("share_methods", "is required");
  }
  doc["share_methods"] = methods;

  if (const json* g = r.get("min_group_size")) {
    if (!g->is_number_integer() || g->get<std::int64_t>() < 2 || g->get<std::int64_t>() > 1000) {
      r.error("min_group_size", "must be an integer 2..1000");
    } else {
      doc["min_group_size"] = *g;
    }
  }
  if (!doc.contains("min_group_size")) doc["min_group_size"] = nullptr;
  // What a record breaking an item's rule gets: refused (422), or stored and flagged.
  static const std::vector<std::string> kQualityModes = {"reject", "flag"};
  doc["quality_mode"] = r.choice("quality_mode", false, kQualityModes).value_or("reject");

  // Items (信息项).
  json items = json::array();
  const json* raw_items = r.get("items");
  if (!raw_items || !raw_items->is_array() || raw_items->empty() || raw_items->size() > 500) {
    r.error("items", "must be an array of 1 to 500 items");
  } else {
    static const std::regex name_re("^[a-z][a-z0-9_]{0,62}$");
    std::set<std::string> names;
    for (std::size_t i = 0; i < raw_items->size(); ++i) {
      const auto& raw = (*raw_items)[i];
      const std::string prefix = "items[" + std::to_string(i) + "].";
      if (!raw.is_object()) {
        errors.push_back({"items[" + std::to_string(i) + "]", "must be an object"});
        continue;
      }
      Reader ir(raw, prefix, errors);
      for (const auto& [k, v] : raw.items()) {
        static const std::vector<std::string> item_fields = {"name",     "title",       "type",
                                                             "required", "sensitivity", "mask"};
        if (!one_of(item_fields, k) && !one_of(item_rule_fields(), k)) {
          ir.error(k, "is not an item field");
        }
      }
      json item;
      auto name = ir.text("name", true, 63);
      if (name && !std::regex_match(*name, name_re)) {
        ir.error("name", "must match [a-z][a-z0-9_]{0,62}");
      } else if (name && !names.insert(*name).second) {
        ir.error("name", "duplicates another item's name");
      }
      item["name"] = name.value_or("");
      item["title"] = ir.text("title", true, 100).value_or("");
      auto type = ir.choice("type", true, kTypes);
      item["type"] = type.value_or("");
      item["required"] = ir.boolean("required", true).value_or(false);
      auto sensitivity = ir.choice("sensitivity", true, kSensitivities);
      item["sensitivity"] = sensitivity.value_or("");
      auto mask = ir.choice("mask", false, kMasks);
      if (mask && type && *type != "string") ir.error("mask", "applies to string items only");
      if (mask && sensitivity && *sensitivity != "sensitive") {
        ir.error("mask", "applies to sensitive items only");
      }
      // A sensitive string item without a rule is hidden whole when masked ("full"); a
      // sensitive item of another type has no partial form and is withheld (null) instead.
      const bool sensitive_string =
          sensitivity && *sensitivity == "sensitive" && type && *type == "string";
      item["mask"] = mask ? json(*mask) : (sensitive_string ? json("full") : json(nullptr));
      // Its rules (pattern, enum, code_list, ...): only those given are stored.
      if (type) item.update(validate_item_rules(raw, *type, prefix, errors));
      items.push_back(item);
    }
    if (key && !key->empty()) {
      auto it = std::find_if(items.begin(), items.end(),
                             [&](const json& item) { return item["name"] == *key; });
      if (it == items.end()) {
        r.error("key", "must name one of the items");
      } else if (!(*it)["required"].get<bool>()) {
        r.error("key", "must name a required item");
      } else if ((*it)["type"] != "string" && (*it)["type"] != "integer") {
        r.error("key", "must name a string or integer item");
      } else if (it->value("unique", false)) {
        r.error("key", "names a unique item: a record key is unique already");
      }
    }
  }
  doc["items"] = items;
  doc["aggregate_policy"] = aggregate_policy(r.get("aggregate_policy"), items, errors);
  if (errors.size() != errors_before) return std::nullopt;
  return doc;
}

namespace {
// One item's JSON Schema property (records' items and services' response items alike).
json item_property(const json& item) {
  json p;
  const std::string type = item.value("type", "string");
  if (type == "date") {
    p = {{"type", "string"}, {"format", "date"}, {"pattern", R"(^\d{4}-\d{2}-\d{2}$)"}};
  } else if (type == "datetime") {
    p = {{"type", "string"},
         {"format", "date-time"},
         {"pattern", R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$)"}};
  } else if (type == "string") {
    p = {{"type", "string"}, {"maxLength", item.value("max_length", 65535)}};
  } else {
    p = {{"type", type}};
  }
  // The item's rules, as JSON Schema says them where it can (pattern is RE2 syntax here: the
  // common subset of ECMA-262's), and as x- keys where it cannot.
  if (item.contains("pattern")) p["pattern"] = item["pattern"];
  if (item.contains("enum")) p["enum"] = item["enum"];
  if (item.contains("min")) p["minimum"] = item["min"];
  if (item.contains("max")) p["maximum"] = item["max"];
  if (item.contains("code_list")) p["x-code-list"] = item["code_list"];
  if (item.contains("check")) p["x-check"] = item["check"];
  if (item.contains("unique")) p["x-unique"] = item["unique"];
  p["title"] = item.value("title", "");
  p["x-sensitivity"] = item.value("sensitivity", "public");
  if (item.contains("mask") && !item["mask"].is_null()) p["x-mask"] = item["mask"];
  return p;
}

// A service has no records; its schema says what each operation answers (a member absent from
// an answer is one the consumer's grant does not show).
json service_schema(const json& document) {
  json definitions = json::object();
  for (const auto& op : document.value("operations", json::array())) {
    json properties = json::object();
    for (const auto& item : op.value("response_items", json::array())) {
      properties[item.value("name", "")] = item_property(item);
    }
    json object = {{"type", "object"},
                   {"title", op.value("title", "")},
                   {"x-method", op.value("method", "")},
                   {"x-path", op.value("path", "")},
                   {"properties", properties},
                   {"additionalProperties", false}};
    definitions[op.value("id", "")] = {
        {"title", op.value("title", "")},
        {"oneOf", json::array({object, {{"type", "array"}, {"items", object}}})}};
  }
  return {{"$schema", "http://json-schema.org/draft-07/schema#"},
          {"title", document.value("name", "")},
          {"description",
           "An interface service has no records: one definition per operation id, what that "
           "operation answers (an object, or an array of objects)"},
          {"x-kind", "service"},
          {"definitions", definitions}};
}

json service_breaking_changes(const json& before, const json& after) {
  json removed = json::array();
  json retyped = json::array();
  json removed_operations = json::array();
  const json none = json::array();
  const json& after_ops = is_service(after) ? after["operations"] : none;
  for (const auto& old_op : before.value("operations", json::array())) {
    auto op = std::find_if(after_ops.begin(), after_ops.end(),
                           [&](const json& o) { return o["id"] == old_op["id"]; });
    if (op == after_ops.end()) {
      removed_operations.push_back(old_op["id"]);
      continue;
    }
    const std::string id = old_op["id"];
    for (const auto& old_item : old_op["response_items"]) {
      const json& items = (*op)["response_items"];
      auto it = std::find_if(items.begin(), items.end(),
                             [&](const json& n) { return n["name"] == old_item["name"]; });
      const std::string name = id + "." + old_item["name"].get<std::string>();
      if (it == items.end()) {
        removed.push_back(name);
      } else if ((*it)["type"] != old_item["type"]) {
        retyped.push_back({{"name", name}, {"from", old_item["type"]}, {"to", (*it)["type"]}});
      }
    }
  }
  if (removed.empty() && retyped.empty() && removed_operations.empty()) return nullptr;
  for (const auto& id : removed_operations) removed.push_back(id);
  return {{"removed", removed}, {"retyped", retyped}, {"removed_operations", removed_operations}};
}
}  // namespace

json record_schema(const json& document) {
  if (is_service(document)) return service_schema(document);
  json properties = json::object();
  json required = json::array();
  for (const auto& item : document["items"]) {
    properties[item["name"].get<std::string>()] = item_property(item);
    if (item["required"].get<bool>()) required.push_back(item["name"]);
  }
  return {{"$schema", "http://json-schema.org/draft-07/schema#"},
          {"title", document["name"]},
          {"type", "object"},
          {"properties", properties},
          {"required", required},
          {"additionalProperties", false}};
}

json breaking_changes(const json& before, const json& after) {
  if (is_service(before)) return service_breaking_changes(before, after);
  if (is_service(after)) return nullptr;  // a kind never changes (CatalogService::update)
  json removed = json::array();
  json retyped = json::array();
  for (const auto& old_item : before["items"]) {
    auto it = std::find_if(after["items"].begin(), after["items"].end(),
                           [&](const json& n) { return n["name"] == old_item["name"]; });
    if (it == after["items"].end()) {
      removed.push_back(old_item["name"]);
    } else if ((*it)["type"] != old_item["type"]) {
      retyped.push_back(
          {{"name", old_item["name"]}, {"from", old_item["type"]}, {"to", (*it)["type"]}});
    }
  }
  if (removed.empty() && retyped.empty()) return nullptr;
  return {{"removed", removed}, {"retyped", retyped}};
}

json licence_items() {
  auto item = [](const char* name, const char* title, const char* type, bool required,
                 const char* sensitivity, const char* mask = nullptr) {
    json i = {{"name", name},
              {"title", title},
              {"type", type},
              {"required", required},
              {"sensitivity", sensitivity}};
    if (mask) i["mask"] = mask;
    return i;
  };
  return json::array({
      item("licence_id", "证照标识", "string", true, "internal"),
      item("licence_name", "证照名称", "string", true, "public"),
      item("licence_number", "证照编号", "string", true, "internal"),
      item("type_name", "证照类型名称", "string", true, "public"),
      item("type_code", "证照类型代码", "string", true, "public"),
      item("holder_name", "持证主体", "string", true, "sensitive", "name"),
      item("holder_code", "持证主体代码", "string", true, "sensitive", "id_number"),
      item("holder_code_type", "持证主体代码类型", "string", true, "public"),
      item("issuer", "发证机构", "string", true, "public"),
      item("issuer_code", "发证机构代码", "string", true, "public"),
      item("issue_date", "发证日期", "date", true, "public"),
      item("valid_from", "有效期起始日期", "date", false, "public"),
      item("valid_until", "有效期截止日期", "date", false, "public"),
      item("status", "证照状态", "string", true, "public"),
  });
}

// What of a resource document differs from the hub's current version (catalog fields only).
std::vector<std::string> changed_fields(const json& current, const json& wanted) {
  std::vector<std::string> changed;
  for (const auto& field : catalog::resource_fields()) {
    auto a = current.contains(field) ? current[field] : json();
    auto b = wanted.contains(field) ? wanted[field] : json();
    // A licence resource is a dataset made from the licence template (the hub answers its kind
    // as licence); an entry without a kind is a dataset.
    if (field == "kind") {
      if (a.is_null() || a == "licence") a = "dataset";
      if (b.is_null() || b == "licence") b = "dataset";
    }
    // Without a quality_mode, a resource refuses what breaks a rule: the hub's default.
    if (field == "quality_mode") {
      if (a.is_null()) a = "reject";
      if (b.is_null()) b = "reject";
    }
    if (a != b) changed.push_back(field);
  }
  return changed;
}

}  // namespace hub::catalog
