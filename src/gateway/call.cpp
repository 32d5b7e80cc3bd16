#include "hub/gateway/call.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>

#include "hub/core/dates.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"

namespace hub::gateway {

namespace bhttp = boost::beast::http;
using json = nlohmann::json;
using exchange::ItemType;

namespace {

constexpr std::size_t kMaxParamChars = 4096;

// Well-formed UTF-8 without control characters.
bool no_controls(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence_length(s, i);
    if (len == 0) return false;
    if (len == 1 && (static_cast<unsigned char>(s[i]) < 0x20 || s[i] == 0x7f)) return false;
    i += len;
  }
  return true;
}

// A path or query param's text checked against its type; the reason when it does not fit.
std::optional<std::string> text_problem(const Param& p, const std::string& v) {
  if (utf8_chars(v) > kMaxParamChars) return "must be at most 4096 characters";
  if (!no_controls(v)) return "must be UTF-8 text without control characters";
  static const std::regex integer_re(R"(^-?(0|[1-9][0-9]{0,15})$)");
  static const std::regex number_re(R"(^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$)");
  switch (p.type) {
    case ItemType::string:
      return std::nullopt;
    case ItemType::integer:
      if (!std::regex_match(v, integer_re) || std::abs(std::stod(v)) > 9007199254740992.0) {
        return "must be an integer within ±2^53";
      }
      return std::nullopt;
    case ItemType::number:
      if (v.size() > 64 || !std::regex_match(v, number_re)) return "must be a number";
      return std::nullopt;
    case ItemType::boolean:
      if (v != "true" && v != "false") return "must be true or false";
      return std::nullopt;
    case ItemType::date:
      if (!is_date(v)) return "must be a date YYYY-MM-DD";
      return std::nullopt;
    case ItemType::datetime:
      if (!is_date_time(v, true)) return "must be an RFC 3339 time";
      return std::nullopt;
  }
  return std::nullopt;
}

// A body param's JSON value checked against its type.
std::optional<std::string> value_problem(const Param& p, const json& v) {
  switch (p.type) {
    case ItemType::string:
      if (!v.is_string()) return "must be a string";
      return text_problem(p, v.get<std::string>());
    case ItemType::integer:
      if (!v.is_number_integer() || std::abs(v.get<double>()) > 9007199254740992.0) {
        return "must be an integer within ±2^53";
      }
      return std::nullopt;
    case ItemType::number:
      if (!v.is_number()) return "must be a number";
      return std::nullopt;
    case ItemType::boolean:
      if (!v.is_boolean()) return "must be true or false";
      return std::nullopt;
    case ItemType::date:
    case ItemType::datetime:
      if (!v.is_string()) return "must be a string";
      return text_problem(p, v.get<std::string>());
  }
  return std::nullopt;
}

}  // namespace

std::string encode_component(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// --- the definition -------------------------------------------------------------------------

const Param* Operation::param(std::string_view name) const {
  for (const auto& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const exchange::Item* Operation::response_item(std::string_view name) const {
  for (const auto& i : response_items) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

const Operation* ServiceDefinition::operation(std::string_view id) const {
  for (const auto& o : operations) {
    if (o.id == id) return &o;
  }
  return nullptr;
}

std::shared_ptr<const ServiceDefinition> ServiceDefinition::from_resource(const json& r) {
  if (r.value("kind", "dataset") != "service") return nullptr;
  const auto up = r.find("upstream");
  const auto ops = r.find("operations");
  if (up == r.end() || !up->is_object() || ops == r.end() || !ops->is_array()) return nullptr;
  auto s = std::make_shared<ServiceDefinition>();
  s->code = r.value("code", "");
  s->provider_code = r.value("provider_code", "");
  s->status = r.value("status", "");
  std::string why;
  auto upstream = parse_base_url(up->value("base_url", ""), why);
  if (!upstream) return nullptr;
  s->upstream = std::move(*upstream);
  if (auto t = up->find("timeout_ms"); t != up->end() && t->is_number_integer() && *t > 0) {
    s->upstream.timeout = std::chrono::milliseconds(std::clamp<std::uint64_t>(*t, 1, 60000));
  }
  if (auto ca = up->find("ca_pem"); ca != up->end() && ca->is_string()) {
    s->upstream.ca_pem = ca->get<std::string>();
  }
  for (const auto& o : *ops) {
    if (!o.is_object()) continue;
    Operation op;
    op.id = o.value("id", "");
    op.method = o.value("method", "GET") == "POST" ? bhttp::verb::post : bhttp::verb::get;
    op.path = o.value("path", "/");
    if (auto ps = o.find("params"); ps != o.end() && ps->is_array()) {
      for (const auto& p : *ps) {
        if (!p.is_object()) continue;
        Param param;
        param.name = p.value("name", "");
        const std::string in = p.value("in", "query");
        param.in = in == "path"   ? Param::In::path
                   : in == "body" ? Param::In::body
                                  : Param::In::query;
        param.type = exchange::item_type_of(p.value("type", "string"));
        param.required = p.value("required", false) || param.in == Param::In::path;
        op.params.push_back(std::move(param));
      }
    }
    if (auto items = o.find("response_items"); items != o.end() && items->is_array()) {
      for (const auto& i : *items) {
        if (i.is_object()) op.response_items.push_back(exchange::item_of(i));
      }
    }
    if (auto subject = o.find("subject_param"); subject != o.end() && subject->is_string()) {
      op.subject_param = subject->get<std::string>();
    }
    s->operations.push_back(std::move(op));
  }
  return s;
}

// --- params and answers -------------------------------------------------------------------

std::optional<std::string> subject_of(const Operation& op, const CallRequest& request) {
  if (!op.subject_param) return std::nullopt;
  const Param* p = op.param(*op.subject_param);
  if (!p) return std::nullopt;
  if (p->in == Param::In::body) {
    if (!request.body || !request.body->is_object()) return std::nullopt;
    auto v = request.body->find(p->name);
    if (v == request.body->end() || v->is_null()) return std::nullopt;
    return v->is_string() ? v->get<std::string>() : v->dump();
  }
  for (const auto& [name, value] : request.query) {
    if (name == p->name) return value;
  }
  return std::nullopt;
}

UpstreamRequest upstream_request(const Upstream& upstream, const Operation& op,
                                 const CallRequest& request) {
  std::vector<FieldError> errors;
  std::map<std::string, std::string, std::less<>> text;  // path and query params given
  for (const auto& [name, value] : request.query) {
    const Param* p = op.param(name);
    if (!p || p->in == Param::In::body) {
      errors.push_back({name, p ? "is a body param: send it in the JSON body"
                                : "is not a param of this operation"});
      continue;
    }
    if (!text.emplace(name, value).second) {
      errors.push_back({name, "is given more than once"});
      continue;
    }
    if (auto why = text_problem(*p, value)) {
      errors.push_back({name, *why});
    } else if (p->in == Param::In::path && (value.empty() || value == "." || value == ".." ||
                                            value.find_first_of("/\\") != std::string::npos)) {
      // Percent-encoded or not, a path segment that is a dot segment or holds a separator could
      // climb out of the operation's path at an upstream that decodes before it normalises.
      errors.push_back(
          {name, "must be one path segment: not empty, '.' or '..', without '/' or '\\'"});
    }
  }
  json body = json::object();
  const bool has_body_params = std::any_of(op.params.begin(), op.params.end(),
                                           [](const Param& p) { return p.in == Param::In::body; });
  if (request.body && !request.body->is_null()) {
    if (!request.body->is_object()) {
      errors.push_back({"", "the body must be a JSON object of the operation's body params"});
    } else if (op.method == bhttp::verb::get && !request.body->empty()) {
      errors.push_back({"", "a GET operation takes no body"});
    } else {
      for (const auto& [name, value] : request.body->items()) {
        const Param* p = op.param(name);
        if (!p || p->in != Param::In::body) {
          errors.push_back({name, p ? "is a path or query param: send it in the query string"
                                    : "is not a param of this operation"});
          continue;
        }
        if (value.is_null()) {
          if (p->required) errors.push_back({name, "is required"});
          continue;
        }
        if (auto why = value_problem(*p, value)) {
          errors.push_back({name, *why});
          continue;
        }
        body[name] = value;
      }
    }
  }
  for (const auto& p : op.params) {
    if (!p.required) continue;
    const bool given = p.in == Param::In::body ? body.contains(p.name) : text.contains(p.name);
    if (!given) errors.push_back({p.name, "is required"});
  }
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "the call's params have errors", errors, 422);
  }

  UpstreamRequest out;
  out.method = op.method;
  std::string path;
  path.reserve(op.path.size() + 32);
  for (std::size_t i = 0; i < op.path.size();) {
    if (op.path[i] == '{') {
      const std::size_t close = op.path.find('}', i);
      if (close != std::string::npos) {
        auto it = text.find(std::string_view(op.path).substr(i + 1, close - i - 1));
        if (it != text.end()) path += encode_component(it->second);
        i = close + 1;
        continue;
      }
    }
    path += op.path[i++];
  }
  out.target = upstream.base_path + path;
  char sep = out.target.find('?') == std::string::npos ? '?' : '&';
  for (const auto& p : op.params) {  // in the declared order
    if (p.in != Param::In::query) continue;
    auto it = text.find(p.name);
    if (it == text.end()) continue;
    out.target += sep;
    out.target += encode_component(p.name);
    out.target += '=';
    out.target += encode_component(it->second);
    sep = '&';
  }
  if (op.method == bhttp::verb::post && (has_body_params || request.body)) out.body = body.dump();
  return out;
}

std::optional<CallAnswer> shown_answer(const Operation& op, const sharing::Decision& d,
                                       std::string_view upstream_body) {
  JsonError error;
  JsonLimits limits;
  limits.exact_numbers = true;
  auto parsed = parse_json(upstream_body, error, limits);
  if (!parsed) return std::nullopt;
  auto one = [&](const json& record) -> std::optional<json> {
    if (!record.is_object()) return std::nullopt;
    json out = json::object();
    for (const auto& item : op.response_items) {
      if (!d.covers(item.name)) continue;
      auto it = record.find(item.name);
      if (it == record.end()) continue;
      if (auto shown = exchange::shown_value(item, *it, d.clear(item.name))) {
        out[item.name] = std::move(*shown);
      }
    }
    return out;
  };
  CallAnswer answer;
  if (parsed->is_object()) {
    answer.body = *one(*parsed);
    answer.record_count = 1;
    return answer;
  }
  if (!parsed->is_array()) return std::nullopt;
  answer.body = json::array();
  for (const auto& element : *parsed) {
    auto shown = one(element);
    if (!shown) return std::nullopt;
    answer.body.push_back(std::move(*shown));
  }
  answer.record_count = static_cast<std::int64_t>(answer.body.size());
  return answer;
}

}  // namespace hub::gateway
