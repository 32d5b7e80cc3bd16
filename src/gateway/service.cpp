#include "hub/gateway/service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <cmath>
#include <regex>

#include "hub/core/dates.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/ledger/recorded_share.hpp"
#include "hub/sharing/purpose.hpp"
#include "hub/store/pg.hpp"

namespace hub::gateway {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using json = nlohmann::json;
using exchange::ItemType;

namespace {

// The last hour of a service's calls that reached for its upstream (upstream_ms set), from the
// ledger's partial index of call entries.
constexpr pg::Query kHealth{
    "gateway_health",
    "SELECT count(*), count(*) FILTER (WHERE coalesce(upstream_status, 599) >= 500),"
    " percentile_cont(0.5) WITHIN GROUP (ORDER BY upstream_ms),"
    " percentile_cont(0.99) WITHIN GROUP (ORDER BY upstream_ms)"
    " FROM ledger_entries WHERE operation = 'call' AND resource_code = $1"
    " AND time > now() - interval '1 hour' AND upstream_ms IS NOT NULL"};

constexpr pg::Query kOutage{
    "gateway_outage",
    "INSERT INTO service_outages (resource_code, provider_code, upstream, failures, last_failure)"
    " VALUES ($1, $2, $3, $4, $5)"};

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

// RFC 3986 percent-encoding of everything but the unreserved characters.
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

std::int64_t to_ms(std::chrono::microseconds us) {
  return static_cast<std::int64_t>(std::llround(static_cast<double>(us.count()) / 1000.0));
}

}  // namespace

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
    s->operations.push_back(std::move(op));
  }
  return s;
}

// --- params and answers -------------------------------------------------------------------

UpstreamRequest GatewayService::upstream_request(const Upstream& upstream, const Operation& op,
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
    if (auto why = text_problem(*p, value)) errors.push_back({name, *why});
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

std::optional<CallAnswer> GatewayService::filtered(const Operation& op, const sharing::Decision& d,
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

// --- the call ----------------------------------------------------------------------------------

// What a call's ledger entry records, as the call learns it.
struct GatewayService::Call {
  std::string service_code;
  std::string operation_id;
  std::optional<std::string> provider_code;
  std::optional<std::string> grant_id;
  std::vector<std::string> items;  // delivered (or covered, when refused)
  std::int64_t record_count = 0;
  sharing::CheckedPurpose purpose;
  std::optional<int> upstream_status;
  std::optional<std::int64_t> upstream_ms;
};

GatewayService::GatewayService(Services& services, catalog::CatalogIndex& catalog,
                               sharing::GrantDirectory& grants, ledger::Appender& ledger,
                               UpstreamClient& client)
    : services_(services), catalog_(catalog), grants_(grants), ledger_(ledger), client_(client) {}

std::shared_ptr<const ServiceDefinition> GatewayService::definition(const Principal& me,
                                                                    const std::string& code) {
  auto entry = catalog_.find(code);
  if (!entry || entry->kind != "service" ||
      (entry->status == "draft" && !me.of_agency(entry->provider_code) && !me.hub_level())) {
    throw ApiError(ErrorCode::not_found, "no such service");
  }
  std::lock_guard lock(cache_mutex_);
  auto& slot = cache_[code];
  if (slot.first.get() != entry.get() || !slot.second) {
    auto parsed = ServiceDefinition::from_resource(json::parse(entry->json));
    if (!parsed) throw std::runtime_error("service " + code + ": its document cannot be used");
    slot = {entry, std::move(parsed)};
  }
  return slot.second;
}

asio::awaitable<void> GatewayService::call(const Caller& caller, const CallRequest& request,
                                           CallSink& sink) {
  Call c;
  c.service_code = request.service_code;
  c.operation_id = request.operation_id;
  co_await run(caller, c, request, sink);
}

asio::awaitable<void> GatewayService::refused(const Caller& caller, const std::string& service_code,
                                              const std::string& operation_id,
                                              const ApiError& error, CallSink& sink) {
  Call c;
  c.service_code = service_code;
  c.operation_id = operation_id;
  auto fail = [&error]() -> asio::awaitable<CallAnswer> { throw error; };
  auto record_entry = [this, &caller, &c, &sink](int status, const std::string& digest) {
    return record(caller, c, status, digest, sink);
  };
  co_await ledger::share_recorded<CallAnswer>(caller, c.purpose, sink, fail, record_entry);
}

// Under the rule of every share (ledger::share_recorded): no answer leaves without its entry.
asio::awaitable<void> GatewayService::run(const Caller& caller, Call& c, const CallRequest& request,
                                          CallSink& sink) {
  auto perform_call = [this, &caller, &c, &request]() { return perform(caller, c, request); };
  auto record_entry = [this, &caller, &c, &sink](int status, const std::string& digest) {
    return record(caller, c, status, digest, sink);
  };
  co_await ledger::share_recorded<CallAnswer>(caller, c.purpose, sink, perform_call, record_entry);
}

asio::awaitable<CallAnswer> GatewayService::perform(const Caller& caller, Call& c,
                                                    const CallRequest& request) {
  const Principal& me = caller.principal;
  auto service = definition(me, request.service_code);
  c.provider_code = service->provider_code;
  const Operation* op = service->operation(request.operation_id);
  if (!op) throw ApiError(ErrorCode::not_found, "the service has no such operation");

  sharing::Decision d;
  if (service->status == "published") {
    d = grants_.authorize_call(me, service->code, op->id, c.purpose.code);
  } else {
    d.reason = "the service is " + service->status + ": it is not called through the hub";
  }
  if (!d.allowed) {
    throw ApiError(d.purpose_mismatch ? ErrorCode::purpose_mismatch : ErrorCode::no_grant,
                   d.reason);
  }
  c.grant_id = d.grant_id;
  for (const auto& item : op->response_items) {
    if (d.covers(item.name)) c.items.push_back(item.name);
  }

  // Params are checked before the upstream hears of the call.
  UpstreamRequest up = upstream_request(service->upstream, *op, request);
  up.headers.emplace_back("X-Hub-Request-Id", caller.request_id);
  up.headers.emplace_back("X-Hub-Consumer", me.agency_code);
  up.headers.emplace_back("X-Hub-Purpose", encode_component(c.purpose.text));
  if (c.purpose.code) up.headers.emplace_back("X-Hub-Purpose-Code", *c.purpose.code);

  // A 2xx that is no JSON object or array of objects is a 502, and a failure for the breaker: the
  // client asks here, and the filtered answer is kept.
  std::optional<CallAnswer> shown;
  up.usable = [&shown, op, &d](const UpstreamAnswer& answer) {
    if (answer.status < 200 || answer.status >= 300) return true;
    shown = filtered(*op, d, answer.body);
    return shown.has_value();
  };
  Worker& worker = *caller.worker;
  const Upstream& upstream = service->upstream;
  const Breaker::State before = client_.breaker_state(upstream.key());
  const UpstreamAnswer a = co_await client_.call(worker, upstream, std::move(up));
  c.upstream_ms = to_ms(a.elapsed);
  if (a.failure == Failure::none) c.upstream_status = static_cast<int>(a.status);

  switch (a.failure) {
    case Failure::none:
      break;
    case Failure::breaker_open:
      c.upstream_ms = 0;
      throw ApiError(ErrorCode::unavailable,
                     "the provider's service is failing; the hub is not calling it for a while "
                     "(circuit breaker open), retry later");
    case Failure::timeout:
      outage(caller, *service, a, before);
      throw ApiError(ErrorCode::gateway_timeout, "the provider's service did not answer within " +
                                                     std::to_string(upstream.timeout.count()) +
                                                     " ms");
    default:
      outage(caller, *service, a, before);
      spdlog::warn("request {}: upstream {} failed ({}): {}", caller.request_id, upstream.key(),
                   failure_name(a.failure), a.detail);
      throw ApiError(ErrorCode::bad_gateway,
                     a.failure == Failure::too_large
                         ? "the provider's service answered more than the hub passes on"
                         : "the provider's service could not be reached");
  }
  if (a.status >= 200 && a.status < 300) {
    std::optional<CallAnswer>& answer = shown;
    if (!answer) {
      outage(caller, *service, a, before);
      throw ApiError(ErrorCode::bad_gateway,
                     "the provider's service answered with something other than a JSON object "
                     "or an array of objects");
    }
    std::vector<std::string> delivered;
    auto note = [&](const json& record) {
      for (const auto& [name, value] : record.items()) {
        if (std::find(delivered.begin(), delivered.end(), name) == delivered.end()) {
          delivered.push_back(name);
        }
      }
    };
    if (answer->body.is_object()) {
      note(answer->body);
    } else {
      for (const auto& r : answer->body) note(r);
    }
    // The entry lists what left, in the operation's order.
    std::vector<std::string> items;
    for (const auto& item : op->response_items) {
      if (std::find(delivered.begin(), delivered.end(), item.name) != delivered.end()) {
        items.push_back(item.name);
      }
    }
    c.items = std::move(items);
    c.record_count = answer->record_count;
    co_return std::move(*answer);
  }
  if (a.status == 404) {
    throw ApiError(ErrorCode::not_found, "the provider's service found nothing for these params");
  }
  if (a.status >= 400 && a.status < 500) {
    throw ApiError(ErrorCode::upstream_rejected, "the provider's service refused the call (HTTP " +
                                                     std::to_string(a.status) + ")");
  }
  if (a.status >= 500) outage(caller, *service, a, before);
  // 5xx, and 1xx or 3xx (redirects are never followed).
  throw ApiError(ErrorCode::bad_gateway,
                 "the provider's service answered HTTP " + std::to_string(a.status));
}

asio::awaitable<void> GatewayService::record(const Caller& caller, const Call& c, int status,
                                             const std::string& digest, CallSink& sink) {
  ledger::EntryDraft d;
  d.request_id = caller.request_id;
  d.operation = "call";
  d.consumer_code = caller.principal.agency_code;
  d.principal_id = caller.principal.id;
  d.provider_code = c.provider_code;
  d.resource_code = c.service_code;
  d.grant_id = c.grant_id;
  d.purpose = c.purpose.text;
  d.purpose_code = c.purpose.code;
  d.items = c.items;
  d.record_count = c.record_count;
  d.service_operation = c.operation_id;
  d.upstream_status = c.upstream_status;
  d.upstream_ms = c.upstream_ms;
  d.status = status;
  d.response_sha256 = digest;
  const ledger::Entry entry = co_await ledger_.append(std::move(d));
  sink.recorded(entry.index);
}

// When this call's failure opened the breaker, the outage is written down for the early warning
// (service_unavailable), in the background: the consumer's answer does not wait for it.
void GatewayService::outage(const Caller& caller, const ServiceDefinition& service,
                            const UpstreamAnswer& a, Breaker::State before) {
  if (client_.breaker_state(service.upstream.key()) != Breaker::State::open) return;
  // Opened by this call, not already open before it (one row per opening on this node; a race
  // of two threads writes two, which the alert's one-per-hour subject folds into one).
  if (before == Breaker::State::open) return;
  auto params = std::make_shared<pg::Params>(
      pg::Params()
          .add(service.code)
          .add(service.provider_code)
          .add(service.upstream.key())
          .add(static_cast<std::int64_t>(services_.config.services.breaker_failures))
          .add(std::string(a.failure == Failure::none ? "HTTP " + std::to_string(a.status)
                                                      : std::string(failure_name(a.failure)))));
  pg::Pool* pool = &caller.db();
  auto write = [pool, params]() -> asio::awaitable<void> {
    try {
      co_await pool->exec(kOutage, *params);
    } catch (const std::exception& e) {
      spdlog::warn("gateway: an outage was not written down: {}", e.what());
    }
  };
  asio::co_spawn(caller.worker->ioc(), write, asio::detached);
}

asio::awaitable<Health> GatewayService::health(const Caller& caller, const std::string& code) {
  const Principal& me = caller.principal;
  auto service = definition(me, code);
  const bool may =
      me.has(Role::hub_admin) || me.has(Role::coordinator) || me.of_agency(service->provider_code);
  if (!may) {
    throw ApiError(ErrorCode::forbidden,
                   "a service's health is for its provider, hub administrators and coordinators");
  }
  Health h;
  h.state = client_.breaker_state(service->upstream.key());
  const pg::Params params = pg::Params().add(code);
  auto r = co_await caller.db().exec(kHealth, params);
  h.calls_1h = r.get_int(0, 0);
  h.failures_1h = r.get_int(0, 1);
  if (!r.is_null(0, 2)) h.p50_ms = std::stod(std::string(r.get(0, 2)));
  if (!r.is_null(0, 3)) h.p99_ms = std::stod(std::string(r.get(0, 3)));
  co_return h;
}

}  // namespace hub::gateway
