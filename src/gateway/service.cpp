#include "hub/gateway/service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <cmath>

#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/ledger/recorded_share.hpp"
#include "hub/sharing/purpose.hpp"
#include "hub/store/pg.hpp"

namespace hub::gateway {

namespace asio = boost::asio;
using json = nlohmann::json;

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

std::int64_t to_ms(std::chrono::microseconds us) {
  return static_cast<std::int64_t>(std::llround(static_cast<double>(us.count()) / 1000.0));
}

}  // namespace

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
  std::vector<std::string> subjects;  // the subject_param's value, once the call is sent
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
  if (me.external) {
    // An external member only verifies, aggregates and computes (API.md Part 2).
    d.reason = "an external member may only verify, aggregate and compute";
  } else if (service->status == "published") {
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
  // Asked about, whatever the upstream answers: the subject log shows who asked after whom.
  if (auto subject = subject_of(*op, request)) c.subjects.push_back(std::move(*subject));
  up.headers.emplace_back("X-Hub-Request-Id", caller.request_id);
  up.headers.emplace_back("X-Hub-Consumer", me.agency_code);
  up.headers.emplace_back("X-Hub-Purpose", encode_component(c.purpose.text));
  if (c.purpose.code) up.headers.emplace_back("X-Hub-Purpose-Code", *c.purpose.code);

  // A 2xx that is no JSON object or array of objects is a 502, and a failure for the breaker: the
  // client asks here, and the filtered answer is kept.
  std::optional<CallAnswer> shown;
  up.usable = [&shown, op, &d](const UpstreamAnswer& answer) {
    if (answer.status < 200 || answer.status >= 300) return true;
    shown = shown_answer(*op, d, answer.body);
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
  d.subjects = services_.subjects.hashes(c.subjects);
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
