#include "hub/exchange/service.hpp"

#include <charconv>
#include <cmath>
#include <map>

#include <spdlog/spdlog.h>

#include "hub/core/error.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/exchange/filter.hpp"
#include "hub/exchange/privacy.hpp"
#include "hub/ledger/recorded_share.hpp"
#include "hub/sharing/purpose.hpp"
#include "hub/store/pg.hpp"

namespace hub::exchange {

namespace asio = boost::asio;
using json = nlohmann::json;
using sharing::Operation;

namespace {

// One statement: the resource's next change number and the record, created at version 1 or
// its version raised (a tombstone comes back to life), in one implicit transaction.
constexpr pg::Query kPut{
    "exchange_put",
    "WITH s AS ("
    "  INSERT INTO record_sequences AS q (resource_code, next_seq) VALUES ($1, 2) "
    "  ON CONFLICT (resource_code) DO UPDATE SET next_seq = q.next_seq + 1 "
    "  RETURNING q.next_seq - 1 AS seq), "
    "live AS (SELECT 1 FROM records WHERE resource_code = $1 AND key = $2 AND NOT deleted), "
    "up AS ("
    "  INSERT INTO records AS r "
    "    (resource_code, key, version, data, deleted, updated_at, seq, broken, claims) "
    "  SELECT $1, $2, 1, $3::jsonb, false, now(), s.seq, $4::text[], $5::text[] FROM s "
    "  ON CONFLICT (resource_code, key) DO UPDATE SET version = r.version + 1, "
    "    data = EXCLUDED.data, deleted = false, updated_at = EXCLUDED.updated_at, "
    "    seq = EXCLUDED.seq, broken = EXCLUDED.broken, claims = EXCLUDED.claims "
    "  RETURNING r.version, r.broken) "
    "SELECT version, NOT EXISTS (SELECT 1 FROM live), broken::text FROM up"};

// The unique items whose values another live record holds (after a write the store refused
// for that): for the refusal's words.
constexpr pg::Query kHeldElsewhere{
    "exchange_held_elsewhere",
    "SELECT n FROM unnest($2::text[]) AS n WHERE jsonb_typeof($4::jsonb -> n) <> 'null' "
    "AND EXISTS (SELECT 1 FROM record_unique u WHERE u.resource_code = $1 "
    "AND u.claim = hub_claim(n, $4::jsonb -> n) AND u.key <> $3) ORDER BY 1"};

// A removal leaves a tombstone with the next change number, so followers of the feed see it.
constexpr pg::Query kDelete{
    "exchange_delete",
    "WITH target AS ("
    "  SELECT 1 FROM records WHERE resource_code = $1 AND key = $2 AND NOT deleted FOR UPDATE), "
    "s AS ("
    "  UPDATE record_sequences SET next_seq = next_seq + 1 "
    "  WHERE resource_code = $1 AND EXISTS (SELECT 1 FROM target) RETURNING next_seq - 1 AS seq), "
    "del AS ("
    "  UPDATE records r SET deleted = true, data = NULL, version = r.version + 1, "
    "    updated_at = now(), seq = s.seq, broken = NULL, claims = NULL FROM s "
    "  WHERE r.resource_code = $1 AND r.key = $2 RETURNING r.version) "
    "SELECT count(*) FROM del"};

constexpr pg::Query kRead{
    "exchange_read",
    "SELECT version, " HUB_SQL_TS("updated_at") ", data::text FROM records "
    "WHERE resource_code = $1 AND key = $2 AND NOT deleted"};

// A grant's verify answers that were not a full match, within the last hour, and when the
// oldest of them leaves the hour (seconds, for Retry-After).
constexpr pg::Query kVerifyMisses{
    "exchange_verify_misses",
    "SELECT coalesce(sum(misses), 0)::bigint, "
    "coalesce(extract(epoch FROM min(minute) + interval '61 minutes' - now()), 60)::bigint "
    "FROM verify_misses WHERE grant_id = $1 AND minute > now() - interval '1 hour'"};
// One more miss; the hour's count with it.
constexpr pg::Query kVerifyMiss{
    "exchange_verify_miss",
    "WITH up AS (INSERT INTO verify_misses AS v (grant_id, minute, misses) "
    "  VALUES ($1, date_trunc('minute', now()), 1) ON CONFLICT (grant_id, minute) "
    "  DO UPDATE SET misses = v.misses + 1 RETURNING 1) "
    "SELECT coalesce(sum(misses), 0)::bigint + (SELECT count(*) FROM up) FROM verify_misses "
    "WHERE grant_id = $1 AND minute > now() - interval '1 hour'"};

// The same words whether an item is outside the grant or inside it but masked: a consumer must
// not tell the two apart by the answer (API.md Part 2).
constexpr const char* kNotCovered =
    "no live grant of your agency covers this operation and these items in clear";

// Stored record data (jsonb text from PostgreSQL): numbers as stored, exactly.
json stored_data(std::string_view text) {
  JsonError error;
  JsonLimits limits;
  limits.exact_numbers = true;
  auto v = parse_json(text, error, limits);
  if (!v) throw std::runtime_error("a stored record is not JSON: " + error.message);
  return std::move(*v);
}

void add_unique(std::vector<std::string>& to, const std::string& name) {
  if (std::find(to.begin(), to.end(), name) == to.end()) to.push_back(name);
}

// An aggregate group's key in SQL: the group_by items' values as a JSON array's text, each item
// name a bound parameter.
std::string group_key_sql(const std::vector<std::string>& group_by, pg::Params& params) {
  std::string sql = "jsonb_build_array(";
  for (std::size_t i = 0; i < group_by.size(); ++i) {
    params.add(group_by[i]);
    sql += (i ? ", data->$" : "data->$") + std::to_string(params.size());
  }
  return sql + ")::text";
}

// What a query spends of its grant's budget for the city's day, refused (no row) when that would
// go over: one statement, so concurrent queries cannot overspend together.
constexpr pg::Query kSpendBudget{
    "exchange_spend_budget",
    "INSERT INTO privacy_budgets AS b (grant_id, day, spent) "
    "SELECT $1, hub_local_day(now()), $2::numeric WHERE $2::numeric <= $3::numeric "
    "ON CONFLICT (grant_id, day) DO UPDATE SET spent = b.spent + EXCLUDED.spent "
    "  WHERE b.spent + EXCLUDED.spent <= $3::numeric "
    "RETURNING spent::float8"};

std::string decimal(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string("0");
}

// The items a consumer names that must be seen in clear: what it filters on.
std::vector<std::string> filter_items(const std::vector<Condition>& where) {
  std::vector<std::string> items;
  for (const auto& c : where) add_unique(items, c.item);
  return items;
}

}  // namespace

// What one consumer sees of records under one decision (API.md Part 2): a ref always; the key as
// its item would be shown (clear, masked, or absent); the granted items, masked unless clear.
class ExchangeService::View {
 public:
  View(const RecordSchema& s, const sharing::Decision& d, const RecordRefs& refs,
       const std::string& consumer)
      : s_(s), d_(d), refs_(refs), consumer_(consumer) {}

  RecordView record(std::string_view key, std::int64_t version, std::string_view updated_at,
                    std::string_view stored) {
    RecordView out;
    name(out.ref, out.key, key);
    out.version = version;
    out.updated_at = std::string(updated_at);
    out.data = data(stored_data(stored));
    return out;
  }
  // The ref, and the key when the grant shows it.
  void name(std::string& ref, std::optional<json>& shown_key, std::string_view key) {
    ref = refs_.ref(consumer_, s_.code, key);
    const Item* item = s_.item(s_.key_item);
    if (!item || !d_.covers(item->name)) return;
    if (auto shown = shown_value(*item, json(std::string(key)), d_.clear(item->name))) {
      shown_key = std::move(*shown);
    }
  }
  json data(const json& stored) {
    json out = json::object();
    for (const auto& name : d_.items) {
      auto it = stored.find(name);
      const Item* item = s_.item(name);
      if (it == stored.end() || !item) continue;
      if (auto v = shown_value(*item, *it, d_.clear(name))) {
        out[name] = std::move(*v);
        add_unique(delivered_, name);
      }
    }
    return out;
  }
  std::vector<std::string>& delivered() { return delivered_; }

 private:
  const RecordSchema& s_;
  const sharing::Decision& d_;
  const RecordRefs& refs_;
  const std::string& consumer_;
  std::vector<std::string> delivered_;
};

// What a data request's ledger entry records, as the operation learns it.
struct ExchangeService::Share {
  Share(std::string op, std::string code)
      : operation(std::move(op)), resource_code(std::move(code)) {}
  std::string operation;
  std::string resource_code;
  std::optional<std::string> provider_code;
  std::optional<std::string> grant_id;
  std::vector<std::string> items;  // delivered (or asked for, when refused)
  std::int64_t record_count = 0;
  std::optional<double> epsilon_spent;
  sharing::CheckedPurpose purpose;
  // The subject log: the record keys (or, for a licence lookup, the holder) the answer named.
  std::vector<std::string> subjects;
  // An external member's verify: the subject's authorisation it rests on.
  std::optional<std::string> authorization_id;
};

void check_key(std::string_view key) {
  bool ok = !key.empty() && key.size() <= 512;
  for (std::size_t i = 0; ok && i < key.size();) {
    const std::size_t len = utf8_sequence_length(key, i);
    ok = len != 0 && !(len == 1 && (static_cast<unsigned char>(key[i]) < 0x20 || key[i] == 0x7f));
    i += len == 0 ? 1 : len;
  }
  if (!ok) {
    throw ApiError(ErrorCode::validation_failed, "bad record key",
                   {{"key", "1 to 512 bytes of UTF-8 without control characters"}}, 422);
  }
}

ExchangeService::ExchangeService(Services& services, catalog::CatalogIndex& catalog,
                                 sharing::GrantDirectory& grants, sharing::ConsentService& consents,
                                 ledger::Appender& ledger)
    : services_(services),
      catalog_(catalog),
      grants_(grants),
      consents_(consents),
      ledger_(ledger) {}

std::shared_ptr<const RecordSchema> ExchangeService::schema(const Principal& me,
                                                            const std::string& code) {
  auto entry = catalog_.find(code);
  if (!entry ||
      (entry->status == "draft" && !me.of_agency(entry->provider_code) && !me.hub_level())) {
    throw ApiError(ErrorCode::not_found, "no such resource");
  }
  if (entry->kind == "computation") {
    // A computation has no records: it is run (API.md Part 2).
    throw ApiError(ErrorCode::not_found,
                   "this resource is a computation: it has no records; run "
                   "it at /api/v1/computations/" +
                       code + "/run");
  }
  if (entry->kind == "service") {
    // An interface service keeps its data at home: it has no records here (API.md Part 2).
    throw ApiError(ErrorCode::not_found,
                   "this resource is an interface service: it has no records in the hub; call "
                   "its operations at /api/v1/services/" +
                       code + "/call/{operation_id}");
  }
  {
    std::lock_guard lock(cache_mutex_);
    const auto& slot = cache_[code];
    if (slot.first.get() == entry.get() && slot.second) return slot.second;
  }
  // Built outside the lock: a version's schema compiles its items' patterns, and no other
  // resource's requests should wait for that.
  auto fresh = RecordSchema::from_resource(json::parse(entry->json));
  std::lock_guard lock(cache_mutex_);
  auto& slot = cache_[code];
  if (slot.first.get() != entry.get() || !slot.second) slot = {entry, std::move(fresh)};
  return slot.second;
}

bool ExchangeService::seen_in_clear(const RecordSchema& s, const sharing::Decision& d,
                                    const std::string& name) {
  const Item* item = s.item(name);
  return item && d.covers(name) && (!item->sensitive || d.clear(name));
}

// --- the share: answer, record, return ---------------------------------------------------------

asio::awaitable<void> ExchangeService::record(const Caller& caller, const Share& share, int status,
                                              const std::string& digest, ShareSink& sink) {
  ledger::EntryDraft d;
  d.request_id = caller.request_id;
  d.operation = share.operation;
  d.consumer_code = caller.principal.agency_code;
  d.principal_id = caller.principal.id;
  d.provider_code = share.provider_code;
  d.resource_code = share.resource_code;
  d.grant_id = share.grant_id;
  d.purpose = share.purpose.text;
  d.purpose_code = share.purpose.code;
  d.items = share.items;
  d.record_count = share.record_count;
  d.epsilon_spent = share.epsilon_spent;
  d.authorization_id = share.authorization_id;
  d.status = status;
  d.response_sha256 = digest;
  d.subjects = services_.subjects.hashes(share.subjects);
  const ledger::Entry entry = co_await ledger_.append(std::move(d));
  sink.recorded(entry.index);
}

// Runs a data request under the rule of every share (ledger::share_recorded): the answer or the
// refusal goes to the sink, and its entry to the ledger, before this returns.
template <typename Operation>
asio::awaitable<void> ExchangeService::share(const Caller& caller, Share& share, ShareSink& sink,
                                             Operation operation) {
  auto record_entry = [this, &caller, &share, &sink](int status, const std::string& digest) {
    return record(caller, share, status, digest, sink);
  };
  co_await ledger::share_recorded<ShareAnswer>(caller, share.purpose, sink, operation,
                                               record_entry);
}

asio::awaitable<void> ExchangeService::refused(const Caller& caller, const std::string& operation,
                                               const std::string& resource_code,
                                               const ApiError& error, ShareSink& sink) {
  Share s(operation, resource_code);
  auto fail = [error]() -> asio::awaitable<ShareAnswer> { throw error; };
  co_await share(caller, s, sink, fail);
}

sharing::Decision ExchangeService::authorize(const Caller& caller, Share& share,
                                             const RecordSchema& s, Operation op,
                                             const std::vector<std::string>& items,
                                             const std::vector<std::string>& in_clear) {
  std::vector<std::string> asked = items;
  for (const auto& n : in_clear) add_unique(asked, n);
  share.resource_code = s.code;
  share.provider_code = s.provider_code;
  share.items = asked;
  sharing::Decision d;
  if (caller.principal.external && op != Operation::verify && op != Operation::aggregate) {
    // An external member sees no records, whatever grant it might hold (API.md Part 2).
    d.reason = "an external member may only verify, aggregate and compute";
  } else if (s.status == "published") {
    d = grants_.authorize(caller.principal, s.code, op, asked, share.purpose.code);
  } else {
    // A retired resource's grants ended with it (a draft never had any).
    d.reason = "the resource is " + s.status + ": nothing is shared from it";
  }
  if (!d.allowed) {
    throw ApiError(d.purpose_mismatch ? ErrorCode::purpose_mismatch : ErrorCode::no_grant,
                   d.purpose_mismatch ? d.reason : std::string(kNotCovered));
  }
  // What a request filters, selects or groups by must be seen in clear: a masked item would
  // otherwise be learnt by probing (eq "刘晓东", then "刘晓西"…).
  for (const auto& n : in_clear) {
    if (!seen_in_clear(s, d, n)) throw ApiError(ErrorCode::no_grant, kNotCovered);
  }
  share.grant_id = d.grant_id;
  return d;
}

// --- pushes --------------------------------------------------------------------------------------

asio::awaitable<Written> ExchangeService::put(const Caller& caller, const std::string& code,
                                              const std::string& key, json data) {
  const Principal& me = caller.principal;
  auto s = schema(me, code);
  if (!me.of_agency(s->provider_code)) {
    throw ApiError(ErrorCode::forbidden, "only the provider's systems and operators push records");
  }
  if (s->status == "retired") {
    throw ApiError(ErrorCode::conflict, "the resource is retired; it takes no more records");
  }
  check_key(key);
  auto errors = s->validate(data, key);
  // quality_mode flag: a broken rule marks the record instead of refusing it.
  const auto broken = s->quality_flag ? take_broken_rules(errors) : std::nullopt;
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "the record does not fit the resource's items",
                   std::move(errors), 422);
  }
  const std::string text = json_text(data);
  const pg::Params params =
      pg::Params().add(code).add(key).add(text).add(broken).add(s->unique_names);
  auto r = co_await caller.db().exec(kPut, params);
  if (r.rows() == 0) {
    // The store refused the row: a value of a unique item is another record's (quality_mode
    // reject). The provider pushed both records: naming the item tells it nothing new.
    std::vector<FieldError> held;
    const pg::Params which =
        pg::Params().add(code).add(s->unique_names.value_or("{}")).add(key).add(text);
    auto h = co_await caller.db().exec(kHeldElsewhere, which);
    for (int i = 0; i < h.rows(); ++i) {
      held.push_back({std::string(h.get(i, 0)), "rule unique: another record holds this value"});
    }
    if (held.empty()) held.push_back({"", "rule unique: another record holds one of its values"});
    throw ApiError(ErrorCode::validation_failed, "the record does not fit the resource's items",
                   std::move(held), 422);
  }
  Written w{key, static_cast<int>(r.get_int(0, 0)), r.get_bool(0, 1), {}};
  if (!r.is_null(0, 2)) w.flagged = array_elements(r.get(0, 2));
  co_return w;
}

asio::awaitable<void> ExchangeService::remove(const Caller& caller, const std::string& code,
                                              const std::string& key) {
  const Principal& me = caller.principal;
  auto s = schema(me, code);
  if (!me.of_agency(s->provider_code)) {
    throw ApiError(ErrorCode::forbidden,
                   "only the provider's systems and operators remove records");
  }
  check_key(key);
  const pg::Params params = pg::Params().add(code).add(key);
  auto r = co_await caller.db().exec(kDelete, params);
  if (r.get_int(0, 0) == 0) throw ApiError(ErrorCode::not_found, "no such record");
}

// --- data requests -------------------------------------------------------------------------------

asio::awaitable<void> ExchangeService::read(const Caller& caller, const ReadRequest& request,
                                            ShareSink& sink) {
  Share s("read", request.resource_code);
  auto op = [&]() { return do_read(caller, request, s); };
  co_await share(caller, s, sink, op);
}

asio::awaitable<void> ExchangeService::query(const Caller& caller, const QueryRequest& request,
                                             ShareSink& sink) {
  Share s("query", request.resource_code);
  auto op = [&]() { return do_query(caller, request, s); };
  co_await share(caller, s, sink, op);
}

asio::awaitable<void> ExchangeService::changes(const Caller& caller, const ChangesRequest& request,
                                               ShareSink& sink) {
  Share s("changes", request.resource_code);
  auto op = [&]() { return do_changes(caller, request, s); };
  co_await share(caller, s, sink, op);
}

asio::awaitable<void> ExchangeService::verify(const Caller& caller, const VerifyRequest& request,
                                              ShareSink& sink) {
  Share s("verify", request.resource_code);
  auto op = [&]() { return do_verify(caller, request, s); };
  co_await share(caller, s, sink, op);
}

asio::awaitable<void> ExchangeService::aggregate(const Caller& caller,
                                                 const AggregateRequest& request, ShareSink& sink) {
  Share s("aggregate", request.resource_code);
  auto op = [&]() { return do_aggregate(caller, request, s); };
  co_await share(caller, s, sink, op);
}

asio::awaitable<void> ExchangeService::licences(const Caller& caller, const LicenceRequest& request,
                                                ShareSink& sink) {
  Share s("licence_lookup", "");
  auto op = [&]() { return do_licences(caller, request, s); };
  co_await share(caller, s, sink, op);
}

asio::awaitable<ShareAnswer> ExchangeService::do_read(const Caller& caller,
                                                      const ReadRequest& request, Share& share) {
  auto s = schema(caller.principal, request.resource_code);
  auto d = authorize(caller, share, *s, Operation::read, {}, {});
  check_key(request.key);
  // Looked up, found or not: the subject log shows who asked after this key.
  share.subjects = {request.key};
  const pg::Params params = pg::Params().add(request.resource_code).add(request.key);
  auto r = co_await caller.db().exec(kRead, params);
  share.items.clear();
  if (r.rows() == 0) throw ApiError(ErrorCode::not_found, "no such record");
  View view(*s, d, services_.record_refs, caller.principal.agency_code);
  RecordView out = view.record(request.key, r.get_int(0, 0), r.get(0, 1), r.get(0, 2));
  share.items = std::move(view.delivered());
  share.record_count = 1;
  co_return ShareAnswer(std::move(out));
}

asio::awaitable<ShareAnswer> ExchangeService::do_verify(const Caller& caller,
                                                        const VerifyRequest& request,
                                                        Share& share) {
  auto s = schema(caller.principal, request.resource_code);
  std::vector<FieldError> errors;
  if (request.claims.empty() || request.claims.size() > 100) {
    errors.push_back({"claims", "is an object of 1 to 100 item: value pairs"});
  }
  for (const auto& [name, value] : request.claims.items()) {
    if (!s->item(name)) errors.push_back({"claims." + name, "is not an item of this resource"});
  }
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "a verify is {key, claims:{item:value}}",
                   std::move(errors), 422);
  }
  // Claims may name any granted item, masked ones included: the answer is one bit, and the
  // misses are capped per grant (below).
  std::vector<std::string> items;
  for (const auto& [name, value] : request.claims.items()) items.push_back(name);
  auto d = authorize(caller, share, *s, Operation::verify, items, {});
  check_key(request.key);
  // An external member asks about a subject only under the subject's authorisation.
  if (caller.principal.external) {
    share.authorization_id = co_await consents_.check(caller, request.key, s->code, false);
  }
  share.subjects = {request.key};
  const std::int64_t budget = services_.config.exchange.verify_misses_per_hour;
  const pg::Params grant = pg::Params().add(d.grant_id);
  const pg::Params record = pg::Params().add(request.resource_code).add(request.key);
  auto lease = co_await caller.db().acquire();
  auto steps = pg::batch(pg::step(kVerifyMisses, grant), pg::step(kRead, record));
  auto results = co_await lease->pipeline(steps);
  auto over_budget = [&](std::int64_t retry_after) {
    return ApiError(ErrorCode::rate_limited,
                    "this grant's verify answers that are not a match are used up for the hour "
                    "(exchange.verify_misses_per_hour)")
        .with_header("Retry-After", std::to_string(std::max<std::int64_t>(1, retry_after)));
  };
  if (results[0].get_int(0, 0) >= budget) throw over_budget(results[0].get_int(0, 1));
  const pg::Result& r = results[1];
  VerifyResult out;
  out.found = r.rows() > 0;
  if (out.found) {
    const json data = stored_data(r.get(0, 2));
    out.match = true;
    for (const auto& [name, value] : request.claims.items()) {
      auto it = data.find(name);
      if (it == data.end() || !json_same_value(*it, value)) {
        out.match = false;
        break;
      }
    }
  }
  if (!out.found || !out.match) {
    auto used = co_await lease->exec(kVerifyMiss, grant);
    if (used.get_int(0, 0) > budget) throw over_budget(3600);
  }
  share.record_count = out.found ? 1 : 0;
  // Whether it matched, and nothing else: no value, no version, no time.
  co_return ShareAnswer(out);
}

asio::awaitable<ShareAnswer> ExchangeService::do_query(const Caller& caller,
                                                       const QueryRequest& request, Share& share) {
  auto s = schema(caller.principal, request.resource_code);
  std::vector<Condition> where;
  if (request.filter) where = parse_filter(*request.filter, *s);
  if (request.fields.size() > 500) bad_query_param("fields", "names at most 500 items");
  for (const auto& name : request.fields) {
    if (!s->item(name)) {
      throw ApiError(ErrorCode::validation_failed, "fields: '" + name + "' is not an item",
                     {{"fields", "'" + name + "' is not an item of this resource"}}, 400);
    }
  }
  // Filtered on and selected: both must be seen in clear, else each is an oracle.
  std::vector<std::string> in_clear = filter_items(where);
  for (const auto& f : request.fields) add_unique(in_clear, f);
  auto d = authorize(caller, share, *s, Operation::query, {}, in_clear);
  if (!request.fields.empty()) d.items = request.fields;
  // Pages follow the change number: an order that says nothing of a key or an item.
  const std::int64_t after = request.page.after_number().value_or(0);
  pg::Params params = pg::Params().add(request.resource_code).add(after);
  std::string sql = "SELECT key, version, " HUB_SQL_TS("updated_at") ", data::text, seq "
                    "FROM records WHERE resource_code = $1 AND seq > $2 AND NOT deleted";
  append_conditions(sql, params, where, *s);
  params.add(static_cast<std::int64_t>(request.page.limit));
  sql += " ORDER BY seq LIMIT $" + std::to_string(params.size());
  const pg::Query q{"exchange_query", sql, true};
  auto r = co_await caller.db().exec(q, params);
  View view(*s, d, services_.record_refs, caller.principal.agency_code);
  RecordPage page;
  page.items.reserve(static_cast<std::size_t>(r.rows()));
  share.subjects.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    page.items.push_back(view.record(r.get(i, 0), r.get_int(i, 1), r.get(i, 2), r.get(i, 3)));
    share.subjects.emplace_back(r.get(i, 0));
  }
  share.items = view.delivered().empty() ? in_clear : view.delivered();
  share.record_count = r.rows();
  if (static_cast<std::size_t>(r.rows()) == request.page.limit) {
    page.next = r.get_int(r.rows() - 1, 4);
  }
  co_return ShareAnswer(std::move(page));
}

asio::awaitable<ShareAnswer> ExchangeService::do_changes(const Caller& caller,
                                                         const ChangesRequest& request,
                                                         Share& share) {
  auto s = schema(caller.principal, request.resource_code);
  auto d = authorize(caller, share, *s, Operation::changes, {}, {});
  std::int64_t after = request.page.after_number().value_or(0);
  static constexpr pg::Query kChanges{
      "exchange_changes",
      "SELECT seq, deleted, key, version, data::text FROM records "
      "WHERE resource_code = $1 AND seq > $2 ORDER BY seq LIMIT $3"};
  const pg::Params params = pg::Params()
                                .add(request.resource_code)
                                .add(after)
                                .add(static_cast<std::int64_t>(request.page.limit));
  auto r = co_await caller.db().exec(kChanges, params);
  View view(*s, d, services_.record_refs, caller.principal.agency_code);
  ChangePage page;
  for (int i = 0; i < r.rows(); ++i) {
    ChangeView change;
    change.seq = r.get_int(i, 0);
    change.deleted = r.get_bool(i, 1);
    view.name(change.ref, change.key, r.get(i, 2));
    share.subjects.emplace_back(r.get(i, 2));
    change.version = r.get_int(i, 3);
    // A change shows the record as it is now, through the grant: the consumer learns that it
    // changed, never what changed in items it does not see.
    if (!change.deleted) change.data = view.data(stored_data(r.get(i, 4)));
    after = change.seq;
    page.items.push_back(std::move(change));
  }
  share.items = view.delivered();
  share.record_count = r.rows();
  // A feed always gives a cursor: where to ask from next time, full page or not.
  page.next = after;
  co_return ShareAnswer(std::move(page));
}

asio::awaitable<ShareAnswer> ExchangeService::do_aggregate(const Caller& caller,
                                                           const AggregateRequest& request,
                                                           Share& share) {
  auto s = schema(caller.principal, request.resource_code);
  std::vector<FieldError> errors;
  std::vector<std::string> group_by;
  std::vector<Metric> metrics;
  std::vector<Condition> where;
  if (request.group_by.size() > 5) errors.push_back({"group_by", "is a list of at most 5 items"});
  for (const auto& g : request.group_by) {
    if (!s->item(g)) {
      errors.push_back({"group_by", "names items of this resource"});
    } else {
      add_unique(group_by, g);
    }
  }
  if (request.metrics.empty() || request.metrics.size() > 10) {
    errors.push_back({"metrics", "is a list of 1 to 10 {op, item?}"});
  }
  for (const auto& m : request.metrics) {
    if (m.op == "count" && m.item.empty()) continue;  // the count is always given
    const Item* it = s->item(m.item);
    if ((m.op != "sum" && m.op != "avg") || !it) {
      errors.push_back({"metrics", "each is {op:\"count\"} or {op:\"sum\"|\"avg\", item}"});
    } else if (it->type != ItemType::integer && it->type != ItemType::number) {
      errors.push_back({"metrics", "'" + m.item + "' is not a number item"});
    } else if (std::none_of(metrics.begin(), metrics.end(),
                            [&](const Metric& x) { return x.op == m.op && x.item == m.item; })) {
      metrics.push_back(m);
    }
  }
  if (request.filter) where = parse_filter(*request.filter, *s);
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "an aggregate is {group_by, filter?, metrics}",
                   std::move(errors), 422);
  }
  // Everything named is seen in clear: a group's key shows its values, a filter or a sum on a
  // masked item would let it be learnt.
  std::vector<std::string> in_clear = group_by;
  for (const auto& n : filter_items(where)) add_unique(in_clear, n);
  for (const auto& m : metrics) add_unique(in_clear, m.item);
  // Counting by key, or by a filter on it, is counting one record (API.md Part 2).
  const bool names_key =
      std::find(group_by.begin(), group_by.end(), s->key_item) != group_by.end() ||
      std::any_of(where.begin(), where.end(),
                  [&](const Condition& c) { return c.item == s->key_item; });
  auto d = authorize(caller, share, *s, Operation::aggregate, {}, in_clear);
  if (names_key) {
    throw ApiError(ErrorCode::no_grant, "an aggregate neither groups nor filters by the key item");
  }
  if (s->aggregate.private_release()) {
    co_return co_await private_aggregate(caller, share, *s, d, group_by, metrics, where);
  }

  pg::Params params = pg::Params().add(request.resource_code);
  std::string select = "SELECT " + group_key_sql(group_by, params) + " AS k, count(*) AS n";
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    params.add(metrics[m].item);
    select += std::string(", ") + (metrics[m].op == "sum" ? "sum" : "avg") + "((data->>$" +
              std::to_string(params.size()) + ")::numeric)::float8 AS m" + std::to_string(m);
  }
  std::string from = " FROM records WHERE resource_code = $1 AND NOT deleted";
  append_conditions(from, params, where, *s);
  params.add(static_cast<std::int64_t>(s->min_group_size));
  const std::string k = "$" + std::to_string(params.size());
  // One row per group of at least k records, each with the number of smaller groups; and one
  // row with that number alone when no group is large enough.
  const std::string sql = "WITH g AS (" + select + from + " GROUP BY 1), " +
                          "s AS (SELECT count(*) AS suppressed FROM g WHERE n < " + k + ") " +
                          "SELECT g.*, s.suppressed FROM s LEFT JOIN g ON g.n >= " + k +
                          " ORDER BY g.k LIMIT 10001";
  const pg::Query q{"exchange_aggregate", sql, true};
  auto r = co_await caller.db().exec(q, params);
  if (r.rows() > 10000) {
    throw ApiError(ErrorCode::validation_failed, "more than 10,000 groups: group by fewer items",
                   {{"group_by", "gives more than 10,000 groups"}}, 422);
  }
  AggregateResult out;
  std::int64_t counted = 0;
  const int n_col = 1, suppressed_col = 2 + static_cast<int>(metrics.size());
  for (int i = 0; i < r.rows(); ++i) {
    out.suppressed_groups = r.get_int(i, suppressed_col);
    if (r.is_null(i, 0)) continue;  // no group large enough: the count of the others only
    const json key_values = json::parse(r.get(i, 0));
    AggregateGroup group;
    for (std::size_t g = 0; g < group_by.size(); ++g) group.key[group_by[g]] = key_values[g];
    group.count = r.get_int(i, n_col);
    counted += group.count;
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const int col = 2 + static_cast<int>(m);
      group.metrics.emplace_back(
          metrics[m].op + "_" + metrics[m].item,
          r.is_null(i, col) ? std::optional<double>() : std::stod(std::string(r.get(i, col))));
    }
    out.groups.push_back(std::move(group));
  }
  share.record_count = counted;
  co_return ShareAnswer(std::move(out));
}

asio::awaitable<ShareAnswer> ExchangeService::private_aggregate(
    const Caller& caller, Share& share, const RecordSchema& s, const sharing::Decision& d,
    const std::vector<std::string>& group_by, const std::vector<Metric>& metrics,
    const std::vector<Condition>& where) {
  const AggregatePolicy& policy = s.aggregate;
  // Each summed item is clamped to its bounds: one record moves a sum by at most the larger
  // bound's magnitude, which is what the noise must hide.
  std::vector<std::string> summed;
  for (const auto& m : metrics) {
    if (!policy.bounds.contains(m.item)) {
      throw ApiError(
          ErrorCode::validation_failed,
          "a sum or average of '" + m.item + "' needs bounds in the resource's aggregate_policy",
          {{"metrics", "'" + m.item + "' has no bounds in aggregate_policy"}}, 422);
    }
    add_unique(summed, m.item);
  }
  const pg::Params spend = pg::Params()
                               .add(d.grant_id)
                               .add(decimal(policy.epsilon_per_query))
                               .add(decimal(policy.epsilon_per_day));
  auto spent = co_await caller.db().exec(kSpendBudget, spend);
  if (spent.rows() == 0) {
    throw ApiError(ErrorCode::budget_exhausted,
                   "this grant's privacy budget for today is spent (aggregate_policy."
                   "epsilon_per_day); it renews at midnight, city time");
  }
  const double remaining =
      std::max(0.0, policy.epsilon_per_day - std::stod(std::string(spent.get(0, 0))));
  share.epsilon_spent = policy.epsilon_per_query;

  pg::Params params = pg::Params().add(s.code);
  std::string select = "SELECT " + group_key_sql(group_by, params) + " AS k, count(*) AS n";
  for (const auto& item : summed) {
    const auto [lo, hi] = policy.bounds.at(item);
    params.add(item).add(decimal(lo)).add(decimal(hi));
    const std::string n = std::to_string(params.size());
    const std::string name = std::to_string(params.size() - 2);
    const std::string low = std::to_string(params.size() - 1);
    select += ", coalesce(sum(least(greatest((data->>$" + name + ")::numeric, $" + low +
              "::numeric), $" + n + "::numeric)), 0)::float8";
  }
  std::string from = " FROM records WHERE resource_code = $1 AND NOT deleted";
  append_conditions(from, params, where, s);
  const std::string sql = select + from + " GROUP BY 1 ORDER BY 1 LIMIT 10001";
  const pg::Query q{"exchange_aggregate_private", sql, true};
  auto r = co_await caller.db().exec(q, params);
  if (r.rows() > 10000) {
    throw ApiError(ErrorCode::validation_failed, "more than 10,000 groups: group by fewer items",
                   {{"group_by", "gives more than 10,000 groups"}}, 422);
  }
  // The query's ε: a quarter for the number of groups left out, the rest shared by each
  // group's count and sums (groups are disjoint: each record is in one, parallel composition).
  const double epsilon = policy.epsilon_per_query;
  const double per_statistic = epsilon * 0.75 / static_cast<double>(1 + summed.size());
  AggregateResult out;
  std::int64_t released = 0, small = 0;
  for (int i = 0; i < r.rows(); ++i) {
    const std::int64_t count = r.get_int(i, 1) + discrete_laplace(1.0 / per_statistic);
    // Left out on the noisy count: an exact threshold would itself tell a group's size.
    if (count < s.min_group_size) {
      ++small;
      continue;
    }
    const json key_values = json::parse(r.get(i, 0));
    AggregateGroup group;
    for (std::size_t g = 0; g < group_by.size(); ++g) group.key[group_by[g]] = key_values[g];
    group.count = count;
    released += group.count;
    std::map<std::string, double> sums;
    for (std::size_t m = 0; m < summed.size(); ++m) {
      const auto [lo, hi] = policy.bounds.at(summed[m]);
      const double sensitivity = std::max(std::abs(lo), std::abs(hi));
      sums[summed[m]] = private_sum(std::stod(std::string(r.get(i, 2 + static_cast<int>(m)))),
                                    sensitivity, per_statistic);
    }
    for (const auto& m : metrics) {
      group.metrics.emplace_back(
          m.op + "_" + m.item,
          m.op == "sum" ? sums[m.item]
                        : sums[m.item] / static_cast<double>(std::max<std::int64_t>(count, 1)));
    }
    out.groups.push_back(std::move(group));
  }
  out.suppressed_groups =
      std::max<std::int64_t>(0, small + discrete_laplace(1.0 / (epsilon * 0.25)));
  out.privacy = PrivacyRelease{"discrete_laplace", epsilon, remaining};
  // The ledger's count is what was released, not the true one: a consumer reads its own entries.
  share.record_count = released;
  co_return ShareAnswer(std::move(out));
}

asio::awaitable<ShareAnswer> ExchangeService::do_licences(const Caller& caller,
                                                          const LicenceRequest& request,
                                                          Share& share) {
  const Principal& me = caller.principal;
  if (me.external) {
    throw ApiError(ErrorCode::no_grant,
                   "an external member may only verify, aggregate and compute; a licence lookup "
                   "is a query");
  }
  if (request.holder_code.empty() || request.holder_code.size() > 64) {
    throw ApiError(ErrorCode::validation_failed, "holder_code is required",
                   {{"holder_code", "is required (1-64 characters)"}}, 400);
  }
  if (request.holder_type && request.holder_type->size() > 16) {
    bad_query_param("holder_type", "is a code");
  }
  if (request.type_code && request.type_code->size() > 64) {
    bad_query_param("type_code", "is a code");
  }
  // The lookup filters by holder: what it filters by must be seen in clear.
  std::vector<std::string> asked = {"holder_code"};
  if (request.holder_type) asked.push_back("holder_code_type");
  // The licence resources this consumer may query for these items (of the type asked).
  struct Source {
    std::shared_ptr<const RecordSchema> schema;
    sharing::Decision decision;
  };
  std::vector<Source> sources;
  bool purpose_mismatch = false;
  for (const auto& code : catalog_.licence_codes()) {
    auto licence = schema(me, code);
    if (request.type_code && licence->licence_type_code != *request.type_code) continue;
    if (licence->status != "published") continue;
    auto d = grants_.authorize(me, code, Operation::query, asked, share.purpose.code);
    purpose_mismatch = purpose_mismatch || d.purpose_mismatch;
    const bool clear = std::all_of(asked.begin(), asked.end(), [&](const std::string& n) {
      return seen_in_clear(*licence, d, n);
    });
    if (d.allowed && clear) sources.push_back({std::move(licence), std::move(d)});
  }
  share.items = asked;
  if (sources.empty()) {
    if (purpose_mismatch) {
      throw ApiError(ErrorCode::purpose_mismatch,
                     "your agency's licence grants are for other purpose codes: send one of "
                     "them as X-Purpose-Code");
    }
    throw ApiError(ErrorCode::no_grant,
                   "your agency holds no query grant on a licence resource of this type that "
                   "shows the holder in clear");
  }
  // The entry names the resource searched (the first one with a match when there are several).
  share.resource_code = sources[0].schema->code;
  share.provider_code = sources[0].schema->provider_code;
  share.grant_id = sources[0].decision.grant_id;
  static constexpr pg::Query kHolder{
      "exchange_licences",
      "SELECT key, version, " HUB_SQL_TS("updated_at") ", data::text FROM records "
      "WHERE data ? 'holder_code' AND data->>'holder_code' = $2 AND resource_code = $1 "
      "AND NOT deleted AND ($3::text IS NULL OR data->>'holder_code_type' = $3) "
      "ORDER BY seq LIMIT 1000"};
  RecordPage page;
  std::vector<std::string> delivered;
  bool matched = false;
  // The holder looked up is the subject, whatever its licences' keys.
  share.subjects = {request.holder_code};
  for (const auto& src : sources) {
    const pg::Params params =
        pg::Params().add(src.schema->code).add(request.holder_code).add(request.holder_type);
    auto r = co_await caller.db().exec(kHolder, params);
    if (r.rows() > 0 && !matched) {
      matched = true;
      share.resource_code = src.schema->code;
      share.provider_code = src.schema->provider_code;
      share.grant_id = src.decision.grant_id;
    }
    View view(*src.schema, src.decision, services_.record_refs, me.agency_code);
    for (int i = 0; i < r.rows(); ++i) {
      RecordView item = view.record(r.get(i, 0), r.get_int(i, 1), r.get(i, 2), r.get(i, 3));
      item.resource_code = src.schema->code;
      page.items.push_back(std::move(item));
    }
    for (auto& n : view.delivered()) add_unique(delivered, n);
  }
  if (!delivered.empty()) share.items = delivered;
  share.record_count = static_cast<std::int64_t>(page.items.size());
  co_return ShareAnswer(std::move(page));
}

}  // namespace hub::exchange
