#include "hub/exchange/service.hpp"

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/store/pg.hpp"

namespace hub::exchange {

namespace asio = boost::asio;
using json = nlohmann::json;
using sharing::Operation;

namespace {

// One statement: the resource's next change number, the record (created at version 1 or its
// version raised), and its change in the feed, all in one implicit transaction.
constexpr pg::Query kPut{
    "exchange_put",
    "WITH s AS ("
    "  INSERT INTO record_sequences AS q (resource_code, next_seq) VALUES ($1, 2) "
    "  ON CONFLICT (resource_code) DO UPDATE SET next_seq = q.next_seq + 1 "
    "  RETURNING q.next_seq - 1 AS seq), "
    "up AS ("
    "  INSERT INTO records AS r (resource_code, key, version, data, updated_at, seq) "
    "  SELECT $1, $2, 1, $3::jsonb, now(), s.seq FROM s "
    "  ON CONFLICT (resource_code, key) DO UPDATE SET version = r.version + 1, "
    "    data = EXCLUDED.data, updated_at = EXCLUDED.updated_at, seq = EXCLUDED.seq "
    "  RETURNING r.version, r.seq, (r.xmax = 0) AS created), "
    "ch AS ("
    "  INSERT INTO record_changes (resource_code, seq, op, key, version, data) "
    "  SELECT $1, up.seq, 'upsert', $2, up.version, $3::jsonb FROM up) "
    "SELECT version, created FROM up"};

constexpr pg::Query kDelete{
    "exchange_delete",
    "WITH del AS ("
    "  DELETE FROM records WHERE resource_code = $1 AND key = $2 RETURNING version), "
    "s AS ("
    "  UPDATE record_sequences SET next_seq = next_seq + 1 "
    "  WHERE resource_code = $1 AND EXISTS (SELECT 1 FROM del) RETURNING next_seq - 1 AS seq), "
    "ch AS ("
    "  INSERT INTO record_changes (resource_code, seq, op, key, version) "
    "  SELECT $1, s.seq, 'delete', $2, del.version + 1 FROM s, del) "
    "SELECT count(*) FROM del"};

constexpr pg::Query kRead{
    "exchange_read",
    "SELECT version, " HUB_SQL_TS("updated_at") ", data::text FROM records "
    "WHERE resource_code = $1 AND key = $2"};

bool hub_level(const Principal& p) { return p.has(Role::hub_admin) || p.has(Role::coordinator); }

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
      (entry->status == "draft" && !me.of_agency(entry->provider_code) && !hub_level(me))) {
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

}  // namespace hub::exchange
