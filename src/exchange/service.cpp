#include "hub/exchange/service.hpp"

#include "hub/api/pagination.hpp"
#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/exchange/filter.hpp"
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

// The record as a consumer sees it: the grant's items only, masked unless clear.
json visible(const RecordSchema& s, const sharing::Decision& d, const json& data,
             std::vector<std::string>& delivered) {
  json out = json::object();
  for (const auto& name : d.items) {
    auto it = data.find(name);
    const Item* item = s.item(name);
    if (it == data.end() || !item) continue;
    const bool clear =
        std::find(d.clear_items.begin(), d.clear_items.end(), name) != d.clear_items.end();
    if (auto v = shown_value(*item, *it, clear)) {
      out[name] = std::move(*v);
      delivered.push_back(name);
    }
  }
  return out;
}

}  // namespace

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

sharing::Decision ExchangeService::authorize(http::Request& req, const RecordSchema& s,
                                             Operation op, const std::vector<std::string>& items) {
  req.share.resource_code = s.code;
  req.share.provider_code = s.provider_code;
  req.share.items = items;
  auto d = grants_.authorize(*req.principal, s.code, op, items);
  if (!d.allowed) throw ApiError(ErrorCode::no_grant, d.reason);
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
  const pg::Params params = pg::Params().add(code).add(key).add(
      data.dump(-1, ' ', false, json::error_handler_t::replace));
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
  auto d = authorize(req, *s, Operation::read, {});
  check_key(key);
  const pg::Params params = pg::Params().add(code).add(key);
  auto r = co_await req.worker->db().exec(kRead, params);
  req.share.items.clear();
  if (r.rows() == 0) throw ApiError(ErrorCode::not_found, "no such record");
  std::vector<std::string> delivered;
  json out = {{"key", key},
              {"version", r.get_int(0, 0)},
              {"updated_at", r.get(0, 1)},
              {"data", visible(*s, d, json::parse(r.get(0, 2)), delivered)}};
  req.share.items = std::move(delivered);
  req.share.record_count = 1;
  co_return out.dump(-1, ' ', false, json::error_handler_t::replace);
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
  std::vector<std::string> items;
  for (const auto& [name, value] : body["claims"].items()) items.push_back(name);
  authorize(req, *s, Operation::verify, items);
  const std::string key = body["key"];
  check_key(key);
  const pg::Params params = pg::Params().add(code).add(key);
  auto r = co_await req.worker->db().exec(kRead, params);
  bool found = r.rows() > 0, match = false;
  if (found) {
    const json data = json::parse(r.get(0, 2));
    match = true;
    for (const auto& [name, value] : body["claims"].items()) {
      auto it = data.find(name);
      if (it == data.end() || *it != value) {
        match = false;
        break;
      }
    }
  }
  req.share.record_count = found ? 1 : 0;
  // Whether it matched, and nothing else: no value, no version, no time.
  co_return json{{"found", found}, {"match", match}}.dump();
}

namespace {

// The items a consumer asks to see with ?fields=a,b (all granted items when absent); an item
// outside the grant is 403 no_grant, so that fields cannot probe what the grant hides.
std::vector<std::string> requested_fields(const http::Request& req, const RecordSchema& s) {
  std::vector<std::string> fields;
  if (auto f = req.query_filter("fields")) {
    fields = split_csv(*f);
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
  for (const auto& c : where) {
    if (std::find(items.begin(), items.end(), c.item) == items.end()) items.push_back(c.item);
  }
  return items;
}

}  // namespace

asio::awaitable<std::string> ExchangeService::query(http::Request& req, const std::string& code) {
  auto s = schema(*req.principal, code);
  std::vector<Condition> where;
  if (auto f = req.query_filter("filter")) where = parse_filter(*f, *s);
  auto fields = requested_fields(req, *s);
  // The grant must cover what is filtered on as well as what is shown: else the filter is an
  // oracle for the items the grant withholds.
  std::vector<std::string> asked = filter_items(where);
  for (const auto& f : fields) {
    if (std::find(asked.begin(), asked.end(), f) == asked.end()) asked.push_back(f);
  }
  auto d = authorize(req, *s, Operation::query, asked);
  if (!fields.empty()) d.items = fields;
  auto page = api::page_request(req, services_.cursors, "records:" + code);
  pg::Params params = pg::Params().add(code);
  std::string sql = "SELECT key, version, " HUB_SQL_TS("updated_at") ", data::text FROM records "
                    "WHERE resource_code = $1 AND NOT deleted";
  if (page.after) {
    if (!page.after->is_string()) throw ApiError(ErrorCode::validation_failed, "bad cursor");
    params.add(page.after->get<std::string>());
    sql += " AND key > $" + std::to_string(params.size());
  }
  append_conditions(sql, params, where, *s);
  params.add(static_cast<std::int64_t>(page.limit));
  sql += " ORDER BY key LIMIT $" + std::to_string(params.size());
  const pg::Query q{"exchange_query", sql, true};
  auto r = co_await req.worker->db().exec(q, params);
  json items = json::array();
  std::vector<std::string> delivered;
  for (int i = 0; i < r.rows(); ++i) {
    std::vector<std::string> shown;
    items.push_back(json{{"key", r.get(i, 0)},
                         {"version", r.get_int(i, 1)},
                         {"updated_at", r.get(i, 2)},
                         {"data", visible(*s, d, json::parse(r.get(i, 3)), shown)}});
    for (auto& n : shown) {
      if (std::find(delivered.begin(), delivered.end(), n) == delivered.end())
        delivered.push_back(n);
    }
  }
  req.share.items = delivered.empty() ? asked : delivered;
  req.share.record_count = r.rows();
  std::optional<json> next;
  if (static_cast<std::size_t>(r.rows()) == page.limit) next = items.back()["key"];
  co_return api::list_body(items, next, services_.cursors, "records:" + code);
}

asio::awaitable<std::string> ExchangeService::changes(http::Request& req, const std::string& code) {
  auto s = schema(*req.principal, code);
  auto d = authorize(req, *s, Operation::changes, {});
  auto page = api::page_request(req, services_.cursors, "changes:" + code);
  std::int64_t after = page.after_number().value_or(0);
  static constexpr pg::Query kChanges{
      "exchange_changes",
      "SELECT seq, deleted, key, version, data::text FROM records "
      "WHERE resource_code = $1 AND seq > $2 ORDER BY seq LIMIT $3"};
  const pg::Params params =
      pg::Params().add(code).add(after).add(static_cast<std::int64_t>(page.limit));
  auto r = co_await req.worker->db().exec(kChanges, params);
  json items = json::array();
  std::vector<std::string> delivered;
  for (int i = 0; i < r.rows(); ++i) {
    json change = {{"seq", r.get_int(i, 0)},
                   {"op", r.get_bool(i, 1) ? "delete" : "upsert"},
                   {"key", r.get(i, 2)},
                   {"version", r.get_int(i, 3)}};
    if (!r.get_bool(i, 1)) {
      std::vector<std::string> shown;
      change["data"] = visible(*s, d, json::parse(r.get(i, 4)), shown);
      for (auto& n : shown) {
        if (std::find(delivered.begin(), delivered.end(), n) == delivered.end())
          delivered.push_back(n);
      }
    }
    after = r.get_int(i, 0);
    items.push_back(std::move(change));
  }
  req.share.items = delivered;
  req.share.record_count = r.rows();
  // A feed always gives a cursor: where to ask from next time, full page or not.
  json body = {{"items", std::move(items)},
               {"next_cursor", services_.cursors.encode("changes:" + code, json(after))}};
  co_return body.dump(-1, ' ', false, json::error_handler_t::replace);
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
          group_by.push_back(g.get<std::string>());
        }
      }
    }
  }
  if (!body.contains("metrics") || !body["metrics"].is_array() || body["metrics"].empty() ||
      body["metrics"].size() > 10) {
    errors.push_back({"metrics", "is a list of 1 to 10 {op, item?}"});
  } else {
    for (const auto& m : body["metrics"]) {
      const std::string op = m.is_object() ? m.value("op", "") : "";
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
      } else {
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
  std::vector<std::string> asked = group_by;
  for (const auto& n : filter_items(where)) {
    if (std::find(asked.begin(), asked.end(), n) == asked.end()) asked.push_back(n);
  }
  for (const auto& [op, item] : metrics) {
    if (std::find(asked.begin(), asked.end(), item) == asked.end()) asked.push_back(item);
  }
  auto d = authorize(req, *s, Operation::aggregate, asked);
  // A group's key shows its values: grouping by a sensitive item would show them unmasked.
  for (const auto& g : group_by) {
    const bool clear =
        std::find(d.clear_items.begin(), d.clear_items.end(), g) != d.clear_items.end();
    if (s->item(g)->sensitive && !clear) {
      throw ApiError(ErrorCode::no_grant, "grouping by the sensitive item '" + g +
                                              "' needs it among the grant's clear items");
    }
  }
  pg::Params params = pg::Params().add(code);
  std::string key_sql = "jsonb_build_array(";
  for (std::size_t i = 0; i < group_by.size(); ++i) {
    params.add(group_by[i]);
    key_sql += (i ? ", data->$" : "data->$") + std::to_string(params.size());
  }
  key_sql += ")::text";
  std::string select = "SELECT " + key_sql + " AS k, count(*) AS n";
  for (const auto& [op, item] : metrics) {
    params.add(item);
    select += std::string(", ") + (op == "sum" ? "sum" : "avg") + "((data->>$" +
              std::to_string(params.size()) + ")::numeric)::float8";
  }
  std::string from = " FROM records WHERE resource_code = $1 AND NOT deleted";
  append_conditions(from, params, where, *s);
  params.add(static_cast<std::int64_t>(s->min_group_size));
  const std::string k = "$" + std::to_string(params.size());
  const std::string sql = "WITH g AS (" + select + from + " GROUP BY 1) " +
                          "SELECT *, (SELECT count(*) FROM g WHERE n < " + k + ") " +
                          "FROM g WHERE n >= " + k + " ORDER BY 1 LIMIT 10001";
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
    suppressed = r.get_int(i, suppressed_col);
    groups.push_back(std::move(group));
  }
  if (r.rows() == 0) {
    // Every group was under the minimum (or there were none): count them alone.
    const std::string count_sql = "SELECT count(*) FROM (SELECT 1" + from + " GROUP BY " + key_sql +
                                  " HAVING count(*) < " + k + ") t";
    const pg::Query cq{"exchange_aggregate_suppressed", count_sql, true};
    auto c = co_await req.worker->db().exec(cq, params);
    suppressed = c.get_int(0, 0);
  }
  req.share.record_count = counted;
  co_return json{{"groups", std::move(groups)}, {"suppressed_groups", suppressed}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
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
  std::vector<std::string> asked = {"holder_code"};
  if (holder_type) asked.push_back("holder_code_type");
  // The licence resources this consumer may query for these items (of the type asked).
  struct Source {
    std::shared_ptr<const RecordSchema> schema;
    sharing::Decision decision;
  };
  std::vector<Source> sources;
  for (const auto& code : catalog_.licence_codes()) {
    auto licence = schema(me, code);
    if (type_code && licence->licence_type_code != *type_code) continue;
    auto d = grants_.authorize(me, code, Operation::query, asked);
    if (d.allowed) sources.push_back({std::move(licence), std::move(d)});
  }
  req.share.items = asked;
  if (sources.empty()) {
    throw ApiError(ErrorCode::no_grant,
                   "your agency holds no query grant on a licence resource of this type");
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
      "ORDER BY key LIMIT 1000"};
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
    for (int i = 0; i < r.rows(); ++i) {
      std::vector<std::string> shown;
      items.push_back(
          json{{"resource_code", src.schema->code},
               {"key", r.get(i, 0)},
               {"version", r.get_int(i, 1)},
               {"updated_at", r.get(i, 2)},
               {"data", visible(*src.schema, src.decision, json::parse(r.get(i, 3)), shown)}});
      for (auto& n : shown) {
        if (std::find(delivered.begin(), delivered.end(), n) == delivered.end())
          delivered.push_back(n);
      }
    }
  }
  if (!delivered.empty()) req.share.items = delivered;
  req.share.record_count = static_cast<std::int64_t>(items.size());
  co_return json{{"items", std::move(items)}, {"next_cursor", nullptr}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace hub::exchange
