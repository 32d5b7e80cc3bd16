#include "hub/catalog/openapi_import.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hub/catalog/resource.hpp"
#include "hub/core/text.hpp"

namespace hub::catalog {

using nlohmann::json;

namespace {

const std::array<std::string_view, 3> kSensitivities = {"public", "internal", "sensitive"};
const std::array<std::string_view, 6> kMasks = {"name",    "id_number", "phone",
                                                "address", "bank_card", "full"};

// Properties of one schema (allOf merged) looked at: more than any operation may use.
constexpr std::size_t kMaxProperties = 1000;

template <typename Set>
bool one_of(const Set& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// A member of an object, or null (never throws, whatever `node` is).
const json* member(const json* node, std::string_view name) {
  if (!node || !node->is_object()) return nullptr;
  auto it = node->find(name);
  return it == node->end() ? nullptr : &*it;
}

std::string text_of(const json* node) {
  return node && node->is_string() ? node->get<std::string>() : std::string();
}

// Text for a title: valid UTF-8 only, control characters and line breaks as spaces, runs of
// white space as one, trimmed, at most `max` characters.
std::string clean_text(std::string_view s, std::size_t max) {
  std::string out;
  std::size_t chars = 0;
  bool space = false;
  for (std::size_t i = 0; i < s.size() && chars < max;) {
    const std::size_t len = utf8_sequence_length(s, i);
    if (len == 0) {
      ++i;
      continue;
    }
    std::string_view c = s.substr(i, len);
    i += len;
    const auto b0 = static_cast<unsigned char>(c[0]);
    const bool control =
        (len == 1 && (b0 < 0x20 || b0 == 0x7f)) ||
        (len == 2 && b0 == 0xc2 && static_cast<unsigned char>(c[1]) <= 0x9f) ||
        (len == 3 && b0 == 0xe2 && static_cast<unsigned char>(c[1]) == 0x80 &&
         (static_cast<unsigned char>(c[2]) == 0xa8 || static_cast<unsigned char>(c[2]) == 0xa9));
    if (control || c == " ") {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      ++chars;
      space = false;
      if (chars >= max) break;
    }
    out += c;
    ++chars;
  }
  return out;
}

// An operationId (or a method and path) as an operation id: snake_case, [a-z0-9_], starting
// with a letter, at most 63 characters, never a dataset operation's name.
std::string snake_id(std::string_view raw) {
  std::string out;
  char prev = 0;
  for (char c : raw) {
    const bool up = c >= 'A' && c <= 'Z';
    const bool low = c >= 'a' && c <= 'z';
    const bool dig = c >= '0' && c <= '9';
    if (up) {
      if ((prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9')) out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else if (low || dig) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
    prev = c;
    if (out.size() > 80) break;
  }
  std::string collapsed;
  for (char c : out) {
    if (c == '_' && (collapsed.empty() || collapsed.back() == '_')) continue;
    collapsed += c;
  }
  while (!collapsed.empty() && collapsed.back() == '_') collapsed.pop_back();
  if (collapsed.empty() || !(collapsed[0] >= 'a' && collapsed[0] <= 'z')) {
    collapsed = "op_" + collapsed;
  }
  if (collapsed.size() > 60) collapsed.resize(60);
  while (collapsed.back() == '_') collapsed.pop_back();
  if (reserved_operation_id(collapsed)) collapsed += "_op";
  return collapsed;
}

struct Context {
  const json& root;
  const ImportOptions& options;
  std::vector<FieldError>* notes;
  std::size_t steps = 0;
  bool exhausted = false;

  void note(std::string where, std::string message) {
    if (notes && notes->size() < 1000) notes->push_back({std::move(where), std::move(message)});
  }
  bool step() {
    if (++steps > options.max_steps) exhausted = true;
    return !exhausted;
  }

  // The node a local reference names ("#/components/schemas/Name", any JSON pointer into the
  // document), or null.
  const json* pointer(std::string_view ref) const {
    if (ref.empty() || ref[0] != '#') return nullptr;
    ref.remove_prefix(1);
    const json* node = &root;
    while (!ref.empty()) {
      if (ref[0] != '/') return nullptr;
      ref.remove_prefix(1);
      const auto end = std::min(ref.find('/'), ref.size());
      std::string token;
      for (std::size_t i = 0; i < end; ++i) {
        if (ref[i] == '~' && i + 1 < end && (ref[i + 1] == '0' || ref[i + 1] == '1')) {
          token += ref[i + 1] == '0' ? '~' : '/';
          ++i;
        } else {
          token += ref[i];
        }
      }
      ref.remove_prefix(end);
      if (node->is_object()) {
        node = member(node, token);
      } else if (node->is_array()) {
        if (token.empty() || token.size() > 9 ||
            !std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; }))
          return nullptr;
        const std::size_t index = std::stoul(token);
        node = index < node->size() ? &(*node)[index] : nullptr;
      } else {
        return nullptr;
      }
      if (!node) return nullptr;
    }
    return node;
  }

  // `node` with its $ref chain followed: at most max_ref_depth hops, never round a cycle.
  // Null (with a note) when it cannot be resolved.
  const json* resolve(const json* node, const std::string& where, std::size_t& depth) {
    std::vector<const json*> seen;
    while (node && node->is_object()) {
      const json* ref = member(node, "$ref");
      if (!ref) return node;
      if (!step()) return nullptr;
      if (!ref->is_string()) {
        note(where, "$ref is not a string");
        return nullptr;
      }
      if (++depth > options.max_ref_depth) {
        note(where, "$ref chain deeper than " + std::to_string(options.max_ref_depth));
        return nullptr;
      }
      const json* target = pointer(ref->get_ref<const std::string&>());
      if (!target) {
        note(where, "$ref '" + clean_text(ref->get_ref<const std::string&>(), 200) +
                        "' does not name a part of this document");
        return nullptr;
      }
      if (std::find(seen.begin(), seen.end(), target) != seen.end()) {
        note(where, "$ref cycle");
        return nullptr;
      }
      seen.push_back(node);
      node = target;
    }
    return node;
  }
};

// An OpenAPI schema's type as an item type, or "" when it has none (objects, arrays).
std::string item_type(Context& ctx, const json* schema, const std::string& where,
                      std::size_t depth) {
  schema = ctx.resolve(schema, where, depth);
  if (!schema || !schema->is_object()) return "string";
  const json* type = member(schema, "type");
  std::string t;
  if (type && type->is_string()) {
    t = type->get<std::string>();
  } else if (type && type->is_array()) {  // 3.1: ["string", "null"]
    for (const auto& v : *type) {
      if (v.is_string() && v != "null") {
        t = v.get<std::string>();
        break;
      }
    }
  } else if (member(schema, "properties")) {
    t = "object";
  } else if (member(schema, "items")) {
    t = "array";
  }
  const std::string format = text_of(member(schema, "format"));
  if (t == "string" || t.empty()) {
    if (format == "date") return "date";
    if (format == "date-time") return "datetime";
    return "string";
  }
  if (t == "integer" || t == "number" || t == "boolean") return t;
  return "";  // object, array
}

// The top-level properties of an object schema (allOf members merged; an array's items looked
// through when `arrays`), in document order, each once: (name, property schema).
void properties_of(Context& ctx, const json* schema, const std::string& where, std::size_t depth,
                   bool arrays, std::vector<std::pair<std::string, const json*>>& out,
                   std::set<std::string>& seen, std::set<std::string>& required) {
  schema = ctx.resolve(schema, where, depth);
  if (!schema || !schema->is_object() || !ctx.step()) return;
  if (++depth > ctx.options.max_ref_depth) {
    ctx.note(where, "schema nested deeper than " + std::to_string(ctx.options.max_ref_depth));
    return;
  }
  const json* type = member(schema, "type");
  const json* items = member(schema, "items");
  if (arrays && items && (!type || (type->is_string() && *type == "array"))) {
    properties_of(ctx, items, where + ".items", depth, false, out, seen, required);
    return;
  }
  if (const json* all = member(schema, "allOf"); all && all->is_array()) {
    for (std::size_t i = 0; i < all->size() && !ctx.exhausted; ++i) {
      properties_of(ctx, &(*all)[i], where + ".allOf[" + std::to_string(i) + "]", depth, false, out,
                    seen, required);
    }
  }
  if (const json* req = member(schema, "required"); req && req->is_array()) {
    for (const auto& r : *req) {
      if (!ctx.step()) return;
      if (r.is_string()) required.insert(r.get<std::string>());
    }
  }
  if (const json* props = member(schema, "properties"); props && props->is_object()) {
    for (const auto& [name, prop] : props->items()) {
      if (!ctx.step()) return;
      if (out.size() >= kMaxProperties) {
        ctx.note(where, "left out: properties past the first " + std::to_string(kMaxProperties));
        return;
      }
      if (seen.insert(name).second) out.emplace_back(name, &prop);
    }
  }
}

// The JSON schema of a request body or response ("application/json", else the first JSON-ish
// media type).
const json* json_schema_of(Context& ctx, const json* content_holder, const std::string& where) {
  std::size_t depth = 0;
  content_holder = ctx.resolve(content_holder, where, depth);
  const json* content = member(content_holder, "content");
  if (!content || !content->is_object()) return nullptr;
  const json* media = member(content, "application/json");
  if (!media) {
    for (const auto& [type, m] : content->items()) {
      if (!ctx.step()) return nullptr;
      if (type.find("json") != std::string::npos) {
        media = &m;
        break;
      }
    }
  }
  return member(media, "schema");
}

struct Param {
  std::string name, in, type;
  bool required = false;
};

json operation_of(Context& ctx, const std::string& path, const std::string& method, const json& op,
                  const json* path_item, std::set<std::string>& ids, const std::string& where) {
  // The path, as the hub will use it.
  std::vector<std::string> placeholders;
  if (auto why = service_path_problem(path, placeholders); !why.empty()) {
    ctx.note(where, "left out: the path " + why);
    return nullptr;
  }

  // Id and title.
  std::string raw_id = text_of(member(&op, "operationId"));
  if (raw_id.empty()) raw_id = method + "_" + path;
  std::string id = snake_id(raw_id);
  if (!ids.insert(id).second) {
    for (int n = 2;; ++n) {
      const std::string suffix = "_" + std::to_string(n);
      std::string candidate = id.substr(0, 63 - suffix.size()) + suffix;
      if (ids.insert(candidate).second) {
        id = candidate;
        break;
      }
    }
  }
  std::string title = clean_text(text_of(member(&op, "summary")), 200);
  if (title.empty()) title = clean_text(text_of(member(&op, "description")), 200);
  if (title.empty()) title = clean_text(text_of(member(&op, "operationId")), 200);
  if (title.empty()) title = id;

  // Parameters: the operation's override the path item's of the same name and place.
  std::vector<Param> params;
  bool usable = true;
  auto add_params = [&](const json* list, const std::string& at) {
    if (!list || !list->is_array()) return;
    for (std::size_t i = 0; i < list->size() && !ctx.exhausted; ++i) {
      const std::string pat = at + "[" + std::to_string(i) + "]";
      if (i >= 2 * kMaxParams) {
        ctx.note(pat, "left out: more than " + std::to_string(kMaxParams) + " params");
        usable = false;
        break;
      }
      std::size_t depth = 0;
      const json* p = ctx.resolve(&(*list)[i], pat, depth);
      if (!p || !p->is_object()) continue;
      const std::string name = text_of(member(p, "name"));
      const std::string in = text_of(member(p, "in"));
      const json* req = member(p, "required");
      const bool required = in == "path" || (req && req->is_boolean() && req->get<bool>());
      if (in != "path" && in != "query") {
        ctx.note(pat, "left out: a " + (in.empty() ? std::string("param") : in) +
                          " param (the hub sends path, query and body params only)");
        if (required) usable = false;
        continue;
      }
      if (!valid_member_name(name)) {
        ctx.note(pat,
                 "the param name '" + clean_text(name, 80) + "' is not [A-Za-z][A-Za-z0-9_]{0,62}");
        if (required) usable = false;
        continue;
      }
      std::string type = item_type(ctx, member(p, "schema"), pat + ".schema", depth);
      if (type.empty()) {
        ctx.note(pat, "an object or array param is passed as a string");
        type = "string";
      }
      auto same = std::find_if(params.begin(), params.end(),
                               [&](const Param& q) { return q.name == name; });
      if (same != params.end()) {
        if (same->in == in) {
          *same = Param{name, in, type, required};
        } else {
          ctx.note(pat, "left out: another param is named '" + name + "'");
          if (required) usable = false;
        }
        continue;
      }
      params.push_back(Param{name, in, type, required});
    }
  };
  add_params(member(path_item, "parameters"), where + ".parameters(path)");
  add_params(member(&op, "parameters"), where + ".parameters");

  // A JSON request body's top-level properties are body params (POST only).
  if (const json* body = member(&op, "requestBody")) {
    if (method == "get") {
      ctx.note(where + ".requestBody", "left out: a GET operation has no body");
    } else if (const json* schema = json_schema_of(ctx, body, where + ".requestBody")) {
      std::vector<std::pair<std::string, const json*>> props;
      std::set<std::string> required, seen;
      properties_of(ctx, schema, where + ".requestBody", 0, false, props, seen, required);
      for (const auto& [member_name, prop] : props) {
        const std::string& name = member_name;  // a lambda below names it
        const std::string pat = where + ".requestBody.properties." + clean_text(name, 80);
        const bool req = required.contains(name);
        if (!valid_member_name(name)) {
          ctx.note(pat, "left out: not a param name ([A-Za-z][A-Za-z0-9_]{0,62})");
          if (req) usable = false;
          continue;
        }
        if (std::any_of(params.begin(), params.end(),
                        [&](const Param& q) { return q.name == name; })) {
          ctx.note(pat, "left out: another param is named '" + name + "'");
          if (req) usable = false;
          continue;
        }
        std::string type = item_type(ctx, prop, pat, 0);
        if (type.empty()) {
          ctx.note(pat, "an object or array body member is passed as a string");
          type = "string";
        }
        params.push_back(Param{name, "body", type, req});
      }
    } else {
      ctx.note(where + ".requestBody", "left out: not a JSON object body");
    }
  }

  // Every placeholder a declared path param, every path param used.
  for (const auto& ph : placeholders) {
    auto p = std::find_if(params.begin(), params.end(),
                          [&](const Param& q) { return q.name == ph && q.in == "path"; });
    if (p == params.end()) {
      ctx.note(where, "left out: the path's {" + ph + "} is not a declared path param");
      usable = false;
    }
  }
  std::erase_if(params, [&](const Param& p) {
    const bool unused = p.in == "path" && std::find(placeholders.begin(), placeholders.end(),
                                                    p.name) == placeholders.end();
    if (unused) ctx.note(where, "left out: the path param '" + p.name + "' is not in the path");
    return unused;
  });
  if (params.size() > kMaxParams) {
    ctx.note(where, "left out: more than " + std::to_string(kMaxParams) + " params");
    usable = false;
  }

  // Response items: the 200 (or 201, 2XX) answer's JSON object members.
  const json* responses = member(&op, "responses");
  const json* ok = nullptr;
  for (const char* status : {"200", "201", "2XX", "2xx"}) {
    if ((ok = member(responses, status))) break;
  }
  json items = json::array();
  if (const json* schema = ok ? json_schema_of(ctx, ok, where + ".responses") : nullptr) {
    std::vector<std::pair<std::string, const json*>> props;
    std::set<std::string> required, seen;
    properties_of(ctx, schema, where + ".responses", 0, true, props, seen, required);
    for (const auto& [name, raw_prop] : props) {
      if (ctx.exhausted) break;
      const std::string pat = where + ".responses.properties." + clean_text(name, 80);
      if (!valid_member_name(name)) {
        ctx.note(pat, "left out: not a response item name ([A-Za-z][A-Za-z0-9_]{0,62})");
        continue;
      }
      std::size_t depth = 0;
      const json* prop = ctx.resolve(raw_prop, pat, depth);
      const std::string type = item_type(ctx, prop, pat, depth);
      if (type.empty()) {
        ctx.note(pat, "left out: a nested object or array is not a response item");
        continue;
      }
      if (items.size() >= kMaxResponseItems) {
        ctx.note(pat,
                 "left out: more than " + std::to_string(kMaxResponseItems) + " response items");
        break;
      }
      std::string sensitivity = ctx.options.default_sensitivity;
      if (const json* x = member(prop, "x-sensitivity")) {
        if (x->is_string() && one_of(kSensitivities, x->get_ref<const std::string&>())) {
          sensitivity = x->get<std::string>();
        } else {
          ctx.note(pat, "x-sensitivity is not public, internal or sensitive");
        }
      }
      if (!one_of(kSensitivities, sensitivity)) sensitivity = "internal";
      json mask = nullptr;
      const bool sensitive_string = sensitivity == "sensitive" && type == "string";
      if (const json* x = member(prop, "x-mask")) {
        if (!x->is_string() || !one_of(kMasks, x->get_ref<const std::string&>())) {
          ctx.note(pat, "x-mask is not one of name, id_number, phone, address, bank_card, full");
        } else if (!sensitive_string) {
          ctx.note(pat, "x-mask left out: masks apply to sensitive strings only");
        } else {
          mask = *x;
        }
      }
      if (sensitive_string && mask.is_null()) mask = "full";
      std::string item_title = clean_text(text_of(member(prop, "title")), 100);
      if (item_title.empty()) item_title = clean_text(text_of(member(prop, "description")), 100);
      if (item_title.empty()) item_title = name;
      items.push_back({{"name", name},
                       {"title", item_title},
                       {"type", type},
                       {"sensitivity", sensitivity},
                       {"mask", mask}});
    }
  }
  if (items.empty()) {
    ctx.note(where, "left out: no JSON object answer with members (200, 201 or 2XX)");
    usable = false;
  }
  if (!usable || ctx.exhausted) {
    ids.erase(id);
    return nullptr;
  }

  json params_json = json::array();
  for (const auto& p : params) {
    params_json.push_back(
        {{"name", p.name}, {"in", p.in}, {"type", p.type}, {"required", p.required}});
  }
  json subject = nullptr;
  if (const json* s = member(&op, "x-subject-param"); s && s->is_string()) {
    const std::string name = s->get<std::string>();
    if (std::any_of(params.begin(), params.end(), [&](const Param& p) { return p.name == name; })) {
      subject = name;
    } else {
      ctx.note(where + ".x-subject-param", "names no param of the operation");
    }
  }
  std::string upper_method = method;
  for (char& c : upper_method) c = static_cast<char>(c - 'a' + 'A');
  return {{"id", id},
          {"title", title},
          {"method", upper_method},
          {"path", path},
          {"params", params_json},
          {"response_items", items},
          {"subject_param", subject}};
}

}  // namespace

json operations_from_openapi(const json& openapi, std::vector<FieldError>& errors,
                             const ImportOptions& options, std::vector<FieldError>* notes) {
  json out = json::array();
  if (!openapi.is_object()) {
    errors.push_back({"", "an OpenAPI document is a JSON object"});
    return out;
  }
  const std::string version = text_of(member(&openapi, "openapi"));
  if (!version.starts_with("3.0") && !version.starts_with("3.1")) {
    errors.push_back({"openapi", member(&openapi, "swagger")
                                     ? "Swagger 2.0 is not supported: convert it to OpenAPI 3"
                                     : "must be an OpenAPI 3.0 or 3.1 document"});
    return out;
  }
  const json* paths = member(&openapi, "paths");
  if (!paths || !paths->is_object()) {
    errors.push_back({"paths", "must be an object of paths"});
    return out;
  }
  Context ctx{openapi, options, notes};
  std::set<std::string> ids;
  for (const auto& [path, item] : paths->items()) {
    if (ctx.exhausted) break;
    const std::string where = "paths." + clean_text(path, 200);
    std::size_t depth = 0;
    const json* path_item = ctx.resolve(&item, where, depth);
    if (!path_item || !path_item->is_object()) continue;
    for (const auto& [method, op] : path_item->items()) {
      if (ctx.exhausted) break;
      static const std::array<std::string_view, 6> other = {"put",     "delete", "patch",
                                                            "options", "head",   "trace"};
      if (one_of(other, method)) {
        ctx.note(where + "." + method, "left out: only GET and POST operations are imported");
        continue;
      }
      if ((method != "get" && method != "post") || !op.is_object()) continue;
      if (out.size() >= options.max_operations) {
        ctx.note(where + "." + method,
                 "left out: more than " + std::to_string(options.max_operations) + " operations");
        continue;
      }
      json operation = operation_of(ctx, path, method, op, path_item, ids, where + "." + method);
      if (!operation.is_null()) out.push_back(std::move(operation));
    }
  }
  if (ctx.exhausted) {
    errors.push_back({"", "the document is too complex to import (over " +
                              std::to_string(options.max_steps) + " schema steps)"});
    return json::array();
  }
  if (out.empty()) errors.push_back({"paths", "no GET or POST operation could be imported"});
  return out;
}

}  // namespace hub::catalog
