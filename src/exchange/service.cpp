#include "hub/exchange/service.hpp"

#include <charconv>
#include <cmath>
#include <map>

#include "hub/api/pagination.hpp"
#include "hub/core/error.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/exchange/filter.hpp"
#include "hub/exchange/privacy.hpp"
#include "hub/http/dispatch.hpp"
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
    "  INSERT INTO records AS r (resource_code, key, version, data, deleted, updated_at, seq) "
    "  SELECT $1, $2, 1, $3::jsonb, false, now(), s.seq FROM s "
    "  ON CONFLICT (resource_code, key) DO UPDATE SET version = r.version + 1, "
    "    data = EXCLUDED.data, deleted = false, updated_at = EXCLUDED.updated_at, "
    "    seq = EXCLUDED.seq "
    "  RETURNING r.version) "
    "SELECT version, NOT EXISTS (SELECT 1 FROM live) FROM up"};

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
    "    updated_at = now(), seq = s.seq FROM s "
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

}  // namespace

// What one consumer sees of records under one decision (API.md Part 2): a ref always; the key as
// its item would be shown (clear, masked, or absent); the granted items, masked unless clear.
class ExchangeService::View {
 public:
  View(const RecordSchema& s, const sharing::Decision& d, const RecordRefs& refs,
       const std::string& consumer)
      : s_(s), d_(d), refs_(refs), consumer_(consumer) {}

  // {ref, key?, version, updated_at, data}
  json record(std::string_view key, std::int64_t version, std::string_view updated_at,
              std::string_view stored) {
    json out = json::object();
    name(out, key);
    out["version"] = version;
    out["updated_at"] = updated_at;
    out["data"] = data(stored_data(stored));
    ++records_;
    return out;
  }
  // ref, and key when the grant shows it.
  void name(json& out, std::string_view key) {
    out["ref"] = refs_.ref(consumer_, s_.code, key);
    const Item* item = s_.item(s_.key_item);
    if (!item || !d_.covers(item->name)) return;
    if (auto shown = shown_value(*item, json(std::string(key)), d_.clear(item->name))) {
      out["key"] = std::move(*shown);
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
  std::int64_t records() const { return records_; }

 private:
  const RecordSchema& s_;
  const sharing::Decision& d_;
  const RecordRefs& refs_;
  const std::string& consumer_;
  std::vector<std::string> delivered_;
  std::int64_t records_ = 0;
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
                                 sharing::GrantDirectory& grants)
    : services_(services), catalog_(catalog), grants_(grants) {}

std::shared_ptr<const RecordSchema> ExchangeService::schema(const Principal& me,
                                                            const std::string& code) {
  auto entry = catalog_.find(code);
  if (!entry ||
      (entry->status == "draft" && !me.of_agency(entry->provider_code) && !me.hub_level())) {
    throw ApiError(ErrorCode::not_found, "no such resource");
  }
  std::lock_guard lock(cache_mutex_);
  auto& slot = cache_[code];
  if (slot.first.get() != entry.get() || !slot.second) {
    slot = {entry, RecordSchema::from_resource(json::parse(entry->json))};
  }
  return slot.second;
}

bool ExchangeService::seen_in_clear(const RecordSchema& s, const sharing::Decision& d,
                                    const std::string& name) {
  const Item* item = s.item(name);
  return item && d.covers(name) && (!item->sensitive || d.clear(name));
}

sharing::Decision ExchangeService::authorize(http::Request& req, const RecordSchema& s,
                                             Operation op, const std::vector<std::string>& items,
                                             const std::vector<std::string>& in_clear) {
  std::vector<std::string> asked = items;
  for (const auto& n : in_clear) add_unique(asked, n);
  req.share.resource_code = s.code;
  req.share.provider_code = s.provider_code;
  req.share.items = asked;
  sharing::Decision d;
  if (s.status == "published") {
    d = grants_.authorize(*req.principal, s.code, op, asked, http::checked_purpose_code(req));
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
  req.share.grant_id = d.grant_id;
  return d;
}

asio::awaitable<ExchangeService::Written> ExchangeService::put(http::Request& req,
                                                               const std::string& code,
                                                               const std::string& key, json data) {
  const Principal& me = *req.principal;
  auto s = schema(me, code);
  if (!me.of_agency(s->provider_code)) {
    throw ApiError(ErrorCode::forbidden, "only the provider's systems and operators push records");
  }
  if (s->status == "retired") {
    throw ApiError(ErrorCode::conflict, "the resource is retired; it takes no more records");
  }
  check_key(key);
  auto errors = s->validate(data, key);
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "the record does not fit the resource's items",
                   std::move(errors), 422);
  }
  const pg::Params params = pg::Params().add(code).add(key).add(json_text(data));
  auto r = co_await req.worker->db().exec(kPut, params);
  co_return Written{key, static_cast<int>(r.get_int(0, 0)), r.get_bool(0, 1)};
}

asio::awaitable<void> ExchangeService::remove(http::Request& req, const std::string& code,
                                              const std::string& key) {
  const Principal& me = *req.principal;
  auto s = schema(me, code);
  if (!me.of_agency(s->provider_code)) {
    throw ApiError(ErrorCode::forbidden,
                   "only the provider's systems and operators remove records");
  }
  check_key(key);
  const pg::Params params = pg::Params().add(code).add(key);
  auto r = co_await req.worker->db().exec(kDelete, params);
  if (r.get_int(0, 0) == 0) throw ApiError(ErrorCode::not_found, "no such record");
}

asio::awaitable<std::string> ExchangeService::read(http::Request& req, const std::string& code,
                                                   const std::string& key) {
  auto s = schema(*req.principal, code);
  auto d = authorize(req, *s, Operation::read, {}, {});
  check_key(key);
  const pg::Params params = pg::Params().add(code).add(key);
  auto r = co_await req.worker->db().exec(kRead, params);
  req.share.items.clear();
  if (r.rows() == 0) throw ApiError(ErrorCode::not_found, "no such record");
  View view(*s, d, services_.record_refs, req.principal->agency_code);
  json out = view.record(key, r.get_int(0, 0), r.get(0, 1), r.get(0, 2));
  req.share.items = std::move(view.delivered());
  req.share.record_count = 1;
  co_return json_text(out);
}

asio::awaitable<std::string> ExchangeService::verify(http::Request& req, const std::string& code,
                                                     const json& body) {
  auto s = schema(*req.principal, code);
  std::vector<FieldError> errors;
  if (!body.is_object()) errors.push_back({"", "expected {key, claims}"});
  if (errors.empty() && (!body.contains("key") || !body["key"].is_string())) {
    errors.push_back({"key", "is required (a string)"});
  }
  if (errors.empty() && (!body.contains("claims") || !body["claims"].is_object() ||
                         body["claims"].empty() || body["claims"].size() > 100)) {
    errors.push_back({"claims", "is an object of 1 to 100 item: value pairs"});
  }
  if (errors.empty()) {
    for (const auto& [name, value] : body.items()) {
      if (name != "key" && name != "claims") errors.push_back({name, "is not a field of a verify"});
    }
    for (const auto& [name, value] : body["claims"].items()) {
      if (!s->item(name)) errors.push_back({"claims." + name, "is not an item of this resource"});
    }
  }
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "a verify is {key, claims:{item:value}}",
                   std::move(errors), 422);
  }
  // Claims may name any granted item, masked ones included: the answer is one bit, and the
  // misses are capped per grant (below).
  std::vector<std::string> items;
  for (const auto& [name, value] : body["claims"].items()) items.push_back(name);
  auto d = authorize(req, *s, Operation::verify, items, {});
  const std::string key = body["key"];
  check_key(key);
  const std::int64_t budget = services_.config.exchange.verify_misses_per_hour;
  const pg::Params grant = pg::Params().add(d.grant_id);
  const pg::Params record = pg::Params().add(code).add(key);
  auto lease = co_await req.worker->db().acquire();
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
  bool found = r.rows() > 0, match = false;
  if (found) {
    const json data = stored_data(r.get(0, 2));
    match = true;
    for (const auto& [name, value] : body["claims"].items()) {
      auto it = data.find(name);
      if (it == data.end() || !json_same_value(*it, value)) {
        match = false;
        break;
      }
    }
  }
  if (!found || !match) {
    auto used = co_await lease->exec(kVerifyMiss, grant);
    if (used.get_int(0, 0) > budget) throw over_budget(3600);
  }
  req.share.record_count = found ? 1 : 0;
  // Whether it matched, and nothing else: no value, no version, no time.
  co_return json_text(json{{"found", found}, {"match", match}});
}

namespace {

// The items a consumer asks to see with ?fields=a,b (all granted items when absent).
std::vector<std::string> requested_fields(const http::Request& req, const RecordSchema& s) {
  std::vector<std::string> fields;
  if (auto f = req.query_filter("fields")) {
    fields = split_csv(*f);
    if (fields.size() > 500) bad_query_param("fields", "names at most 500 items");
    for (const auto& name : fields) {
      if (!s.item(name)) {
        throw ApiError(ErrorCode::validation_failed, "fields: '" + name + "' is not an item",
                       {{"fields", "'" + name + "' is not an item of this resource"}}, 400);
      }
    }
  }
  return fields;
}

std::vector<std::string> filter_items(const std::vector<Condition>& where) {
  std::vector<std::string> items;
  for (const auto& c : where) add_unique(items, c.item);
  return items;
}

}  // namespace

asio::awaitable<std::string> ExchangeService::query(http::Request& req, const std::string& code) {
  auto s = schema(*req.principal, code);
  std::vector<Condition> where;
  if (auto f = req.query_filter("filter")) where = parse_filter(*f, *s);
  auto fields = requested_fields(req, *s);
  // Filtered on and selected: both must be seen in clear, else each is an oracle.
  std::vector<std::string> in_clear = filter_items(where);
  for (const auto& f : fields) add_unique(in_clear, f);
  auto d = authorize(req, *s, Operation::query, {}, in_clear);
  if (!fields.empty()) d.items = fields;
  // Pages follow the change number: an order that says nothing of a key or an item.
  auto page = api::page_request(req, services_.cursors, "records:" + code);
  const std::int64_t after = page.after_number().value_or(0);
  pg::Params params = pg::Params().add(code).add(after);
  std::string sql = "SELECT key, version, " HUB_SQL_TS("updated_at") ", data::text, seq "
                    "FROM records WHERE resource_code = $1 AND seq > $2 AND NOT deleted";
  append_conditions(sql, params, where, *s);
  params.add(static_cast<std::int64_t>(page.limit));
  sql += " ORDER BY seq LIMIT $" + std::to_string(params.size());
  const pg::Query q{"exchange_query", sql, true};
  auto r = co_await req.worker->db().exec(q, params);
  View view(*s, d, services_.record_refs, req.principal->agency_code);
  json items = json::array();
  for (int i = 0; i < r.rows(); ++i) {
    items.push_back(view.record(r.get(i, 0), r.get_int(i, 1), r.get(i, 2), r.get(i, 3)));
  }
  req.share.items = view.delivered().empty() ? in_clear : view.delivered();
  req.share.record_count = r.rows();
  std::optional<json> next;
  if (static_cast<std::size_t>(r.rows()) == page.limit) next = r.get_int(r.rows() - 1, 4);
  co_return api::list_body(items, next, services_.cursors, "records:" + code);
}

asio::awaitable<std::string> ExchangeService::changes(http::Request& req, const std::string& code) {
  auto s = schema(*req.principal, code);
  auto d = authorize(req, *s, Operation::changes, {}, {});
  auto page = api::page_request(req, services_.cursors, "changes:" + code);
  std::int64_t after = page.after_number().value_or(0);
  static constexpr pg::Query kChanges{
      "exchange_changes",
      "SELECT seq, deleted, key, version, data::text FROM records "
      "WHERE resource_code = $1 AND seq > $2 ORDER BY seq LIMIT $3"};
  const pg::Params params =
      pg::Params().add(code).add(after).add(static_cast<std::int64_t>(page.limit));
  auto r = co_await req.worker->db().exec(kChanges, params);
  View view(*s, d, services_.record_refs, req.principal->agency_code);
  json items = json::array();
  for (int i = 0; i < r.rows(); ++i) {
    json change = json::object();
    change["seq"] = r.get_int(i, 0);
    change["op"] = r.get_bool(i, 1) ? "delete" : "upsert";
    view.name(change, r.get(i, 2));
    change["version"] = r.get_int(i, 3);
    // A change shows the record as it is now, through the grant: the consumer learns that it
    // changed, never what changed in items it does not see.
    if (!r.get_bool(i, 1)) change["data"] = view.data(stored_data(r.get(i, 4)));
    after = r.get_int(i, 0);
    items.push_back(std::move(change));
  }
  req.share.items = view.delivered();
  req.share.record_count = r.rows();
  // A feed always gives a cursor: where to ask from next time, full page or not.
  json body = {{"items", std::move(items)},
               {"next_cursor", services_.cursors.encode("changes:" + code, json(after))}};
  co_return json_text(body);
}

asio::awaitable<std::string> ExchangeService::aggregate(http::Request& req, const std::string& code,
                                                        const json& body) {
  auto s = schema(*req.principal, code);
  std::vector<FieldError> errors;
  std::vector<std::string> group_by;
  std::vector<std::pair<std::string, std::string>> metrics;  // op, item
  std::vector<Condition> where;
  for (const auto& [name, value] : body.items()) {
    if (name != "group_by" && name != "filter" && name != "metrics") {
      errors.push_back({name, "is not a field of an aggregate"});
    }
  }
  if (body.contains("group_by")) {
    if (!body["group_by"].is_array() || body["group_by"].size() > 5) {
      errors.push_back({"group_by", "is a list of at most 5 items"});
    } else {
      for (const auto& g : body["group_by"]) {
        if (!g.is_string() || !s->item(g.get<std::string>())) {
          errors.push_back({"group_by", "names items of this resource"});
        } else {
          add_unique(group_by, g.get<std::string>());
        }
      }
    }
  }
  if (!body.contains("metrics") || !body["metrics"].is_array() || body["metrics"].empty() ||
      body["metrics"].size() > 10) {
    errors.push_back({"metrics", "is a list of 1 to 10 {op, item?}"});
  } else {
    for (const auto& m : body["metrics"]) {
      const std::string op = m.is_object() && m.contains("op") && m["op"].is_string()
                                 ? m["op"].get<std::string>()
                                 : "";
      const std::string item = m.is_object() && m.contains("item") && m["item"].is_string()
                                   ? m["item"].get<std::string>()
                                   : "";
      if (op == "count" && item.empty()) {
        continue;  // the count is always given
      }
      const Item* it = s->item(item);
      if ((op != "sum" && op != "avg") || !it) {
        errors.push_back({"metrics", "each is {op:\"count\"} or {op:\"sum\"|\"avg\", item}"});
      } else if (it->type != ItemType::integer && it->type != ItemType::number) {
        errors.push_back({"metrics", "'" + item + "' is not a number item"});
      } else if (std::find(metrics.begin(), metrics.end(), std::pair(op, item)) == metrics.end()) {
        metrics.emplace_back(op, item);
      }
    }
  }
  if (body.contains("filter") && !body["filter"].is_null()) {
    if (!body["filter"].is_string()) {
      errors.push_back({"filter", "is a filter string"});
    } else {
      where = parse_filter(body["filter"].get<std::string>(), *s);
    }
  }
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "an aggregate is {group_by, filter?, metrics}",
                   std::move(errors), 422);
  }
  // Everything named is seen in clear: a group's key shows its values, a filter or a sum on a
  // masked item would let it be learnt.
  std::vector<std::string> in_clear = group_by;
  for (const auto& n : filter_items(where)) add_unique(in_clear, n);
  for (const auto& [op, item] : metrics) add_unique(in_clear, item);
  // Counting by key, or by a filter on it, is counting one record (API.md Part 2).
  const bool names_key =
      std::find(group_by.begin(), group_by.end(), s->key_item) != group_by.end() ||
      std::any_of(where.begin(), where.end(),
                  [&](const Condition& c) { return c.item == s->key_item; });
  if (names_key) {
    authorize(req, *s, Operation::aggregate, {}, in_clear);  // the grant's refusal first
    throw ApiError(ErrorCode::no_grant, "an aggregate neither groups nor filters by the key item");
  }
  auto d = authorize(req, *s, Operation::aggregate, {}, in_clear);
  if (s->aggregate.private_release()) {
    co_return co_await private_aggregate(req, *s, d, group_by, metrics, where);
  }

  pg::Params params = pg::Params().add(code);
  std::string select = "SELECT " + group_key_sql(group_by, params) + " AS k, count(*) AS n";
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    params.add(metrics[m].second);
    select += std::string(", ") + (metrics[m].first == "sum" ? "sum" : "avg") + "((data->>$" +
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
  auto r = co_await req.worker->db().exec(q, params);
  if (r.rows() > 10000) {
    throw ApiError(ErrorCode::validation_failed, "more than 10,000 groups: group by fewer items",
                   {{"group_by", "gives more than 10,000 groups"}}, 422);
  }
  json groups = json::array();
  std::int64_t suppressed = 0, counted = 0;
  const int n_col = 1, suppressed_col = 2 + static_cast<int>(metrics.size());
  for (int i = 0; i < r.rows(); ++i) {
    suppressed = r.get_int(i, suppressed_col);
    if (r.is_null(i, 0)) continue;  // no group large enough: the count of the others only
    json key_values = json::parse(r.get(i, 0));
    json key = json::object();
    for (std::size_t g = 0; g < group_by.size(); ++g) key[group_by[g]] = key_values[g];
    json group = {{"key", std::move(key)}, {"count", r.get_int(i, n_col)}};
    counted += r.get_int(i, n_col);
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const int col = 2 + static_cast<int>(m);
      group[metrics[m].first + "_" + metrics[m].second] =
          r.is_null(i, col) ? json(nullptr) : json(std::stod(std::string(r.get(i, col))));
    }
    groups.push_back(std::move(group));
  }
  req.share.record_count = counted;
  co_return json_text(json{{"groups", std::move(groups)}, {"suppressed_groups", suppressed}});
}

namespace {

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

}  // namespace

asio::awaitable<std::string> ExchangeService::private_aggregate(
    http::Request& req, const RecordSchema& s, const sharing::Decision& d,
    const std::vector<std::string>& group_by,
    const std::vector<std::pair<std::string, std::string>>& metrics,
    const std::vector<Condition>& where) {
  const AggregatePolicy& policy = s.aggregate;
  // Each summed item is clamped to its bounds: one record moves a sum by at most the larger
  // bound's magnitude, which is what the noise must hide.
  std::vector<std::string> summed;
  for (const auto& [op, item] : metrics) {
    if (!policy.bounds.contains(item)) {
      throw ApiError(
          ErrorCode::validation_failed,
          "a sum or average of '" + item + "' needs bounds in the resource's aggregate_policy",
          {{"metrics", "'" + item + "' has no bounds in aggregate_policy"}}, 422);
    }
    add_unique(summed, item);
  }
  const pg::Params spend = pg::Params()
                               .add(d.grant_id)
                               .add(decimal(policy.epsilon_per_query))
                               .add(decimal(policy.epsilon_per_day));
  auto spent = co_await req.worker->db().exec(kSpendBudget, spend);
  if (spent.rows() == 0) {
    throw ApiError(ErrorCode::budget_exhausted,
                   "this grant's privacy budget for today is spent (aggregate_policy."
                   "epsilon_per_day); it renews at midnight, city time");
  }
  const double remaining =
      std::max(0.0, policy.epsilon_per_day - std::stod(std::string(spent.get(0, 0))));
  req.share.epsilon_spent = policy.epsilon_per_query;

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
  auto r = co_await req.worker->db().exec(q, params);
  if (r.rows() > 10000) {
    throw ApiError(ErrorCode::validation_failed, "more than 10,000 groups: group by fewer items",
                   {{"group_by", "gives more than 10,000 groups"}}, 422);
  }
  // The query's ε: a quarter for the number of groups left out, the rest shared by each
  // group's count and sums (groups are disjoint: each record is in one, parallel composition).
  const double epsilon = policy.epsilon_per_query;
  const double per_statistic = epsilon * 0.75 / static_cast<double>(1 + summed.size());
  json groups = json::array();
  std::int64_t released = 0, small = 0;
  for (int i = 0; i < r.rows(); ++i) {
    const double count =
        std::round(static_cast<double>(r.get_int(i, 1)) + laplace_noise(1.0 / per_statistic));
    // Left out on the noisy count: an exact threshold would itself tell a group's size.
    if (count < s.min_group_size) {
      ++small;
      continue;
    }
    json key_values = json::parse(r.get(i, 0));
    json key = json::object();
    for (std::size_t g = 0; g < group_by.size(); ++g) key[group_by[g]] = key_values[g];
    json group = {{"key", std::move(key)}, {"count", static_cast<std::int64_t>(count)}};
    released += static_cast<std::int64_t>(count);
    std::map<std::string, double> sums;
    for (std::size_t m = 0; m < summed.size(); ++m) {
      const auto [lo, hi] = policy.bounds.at(summed[m]);
      const double sensitivity = std::max(std::abs(lo), std::abs(hi));
      sums[summed[m]] = std::stod(std::string(r.get(i, 2 + static_cast<int>(m)))) +
                        laplace_noise(sensitivity / per_statistic);
    }
    for (const auto& [op, item] : metrics) {
      group[op + "_" + item] = op == "sum" ? sums[item] : sums[item] / std::max(count, 1.0);
    }
    groups.push_back(std::move(group));
  }
  const double left_out =
      std::max(0.0, std::round(static_cast<double>(small) + laplace_noise(1.0 / (epsilon * 0.25))));
  // The ledger's count is what was released, not the true one: a consumer reads its own entries.
  req.share.record_count = released;
  co_return json_text(json{
      {"groups", std::move(groups)},
      {"suppressed_groups", static_cast<std::int64_t>(left_out)},
      {"privacy",
       {{"mechanism", "laplace"}, {"epsilon_spent", epsilon}, {"epsilon_remaining", remaining}}}});
}

asio::awaitable<std::string> ExchangeService::licences(http::Request& req) {
  const Principal& me = *req.principal;
  auto holder = req.query_param("holder_code");
  if (!holder || holder->empty() || holder->size() > 64) {
    throw ApiError(ErrorCode::validation_failed, "holder_code is required",
                   {{"holder_code", "is required (1-64 characters)"}}, 400);
  }
  const auto holder_type = req.query_filter("holder_type");
  const auto type_code = req.query_filter("type_code");
  if (holder_type && holder_type->size() > 16) bad_query_param("holder_type", "is a code");
  if (type_code && type_code->size() > 64) bad_query_param("type_code", "is a code");
  // The lookup filters by holder: what it filters by must be seen in clear.
  std::vector<std::string> asked = {"holder_code"};
  if (holder_type) asked.push_back("holder_code_type");
  const auto purpose_code = http::checked_purpose_code(req);
  // The licence resources this consumer may query for these items (of the type asked).
  struct Source {
    std::shared_ptr<const RecordSchema> schema;
    sharing::Decision decision;
  };
  std::vector<Source> sources;
  bool purpose_mismatch = false;
  for (const auto& code : catalog_.licence_codes()) {
    auto licence = schema(me, code);
    if (type_code && licence->licence_type_code != *type_code) continue;
    if (licence->status != "published") continue;
    auto d = grants_.authorize(me, code, Operation::query, asked, purpose_code);
    purpose_mismatch = purpose_mismatch || d.purpose_mismatch;
    const bool clear = std::all_of(asked.begin(), asked.end(), [&](const std::string& n) {
      return seen_in_clear(*licence, d, n);
    });
    if (d.allowed && clear) sources.push_back({std::move(licence), std::move(d)});
  }
  req.share.items = asked;
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
  req.share.resource_code = sources[0].schema->code;
  req.share.provider_code = sources[0].schema->provider_code;
  req.share.grant_id = sources[0].decision.grant_id;
  static constexpr pg::Query kHolder{
      "exchange_licences",
      "SELECT key, version, " HUB_SQL_TS("updated_at") ", data::text FROM records "
      "WHERE data ? 'holder_code' AND data->>'holder_code' = $2 AND resource_code = $1 "
      "AND NOT deleted AND ($3::text IS NULL OR data->>'holder_code_type' = $3) "
      "ORDER BY seq LIMIT 1000"};
  json items = json::array();
  std::vector<std::string> delivered;
  bool matched = false;
  for (const auto& src : sources) {
    const pg::Params params = pg::Params().add(src.schema->code).add(*holder).add(holder_type);
    auto r = co_await req.worker->db().exec(kHolder, params);
    if (r.rows() > 0 && !matched) {
      matched = true;
      req.share.resource_code = src.schema->code;
      req.share.provider_code = src.schema->provider_code;
      req.share.grant_id = src.decision.grant_id;
    }
    View view(*src.schema, src.decision, services_.record_refs, me.agency_code);
    for (int i = 0; i < r.rows(); ++i) {
      json item = view.record(r.get(i, 0), r.get_int(i, 1), r.get(i, 2), r.get(i, 3));
      item["resource_code"] = src.schema->code;
      items.push_back(std::move(item));
    }
    for (auto& n : view.delivered()) add_unique(delivered, n);
  }
  if (!delivered.empty()) req.share.items = delivered;
  req.share.record_count = static_cast<std::int64_t>(items.size());
  co_return json_text(json{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

asio::awaitable<std::optional<std::string>> ExchangeService::existing_key(
    http::Request& req, const std::string& code, const std::optional<std::string>& key,
    const std::optional<std::string>& ref) {
  std::optional<std::string> wanted = key;
  if (ref) wanted = services_.record_refs.key_of(req.principal->agency_code, code, *ref);
  if (!wanted) co_return std::nullopt;
  if (wanted->empty() || wanted->size() > 512) co_return std::nullopt;
  const pg::Params params = pg::Params().add(code).add(*wanted);
  auto r = co_await req.worker->db().exec(kRead, params);
  if (r.rows() == 0) co_return std::nullopt;
  co_return wanted;
}

}  // namespace hub::exchange
