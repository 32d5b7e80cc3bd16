#include "hub/catalog/service.hpp"

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>

#include "hub/catalog/index.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/core/error.hpp"
#include "hub/core/worker.hpp"
#include "hub/store/pg.hpp"
#include "rows.hpp"

namespace hub::catalog {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// One statement: next code of the provider, the resource, its first version, the log entry.
constexpr pg::Query kCreate{
    "catalog_create",
    "WITH seq AS (SELECT hub_next_resource_code($1) AS code),"
    " r AS ("
    "  INSERT INTO resources (code, provider_code, name, summary, category, share_type, kind,"
    "                         document, item_count)"
    "  SELECT seq.code, $1, $2, $3, $4, $5, $6, $7::jsonb, $10::int FROM seq RETURNING *),"
    " v AS (INSERT INTO resource_versions (code, version, document, schema, created_by)"
    "       SELECT code, 1, document, $8::jsonb, $9 FROM r),"
    " l AS (INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, detail)"
    "       SELECT $9, 'create', 'resource', code, $1, jsonb_build_object('name', $2) FROM r)"
    " SELECT " HUB_RESOURCE_COLUMNS ", pg_notify('hub_directory', 'resource:' || r.code) FROM r"};

constexpr pg::Query kCurrent{
    "catalog_current",
    "SELECT r.provider_code, r.status, r.version, r.document::text, r.kind FROM resources r "
    "WHERE r.code = $1"};

// A new version, only if nobody else made one since we read it (optimistic concurrency).
constexpr pg::Query kUpdate{
    "catalog_update",
    "WITH r AS ("
    "  UPDATE resources SET version = version + 1, name = $3, summary = $4, category = $5,"
    "    share_type = $6, document = $7::jsonb, item_count = $11::int,"
    "    updated_at = now()"
    "  WHERE code = $1 AND version = $2 AND status <> 'retired' RETURNING *),"
    " v AS (INSERT INTO resource_versions (code, version, document, schema, breaking, created_by)"
    "       SELECT code, version, document, $8::jsonb, $9::jsonb, $10 FROM r),"
    " l AS (INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, detail)"
    "       SELECT $10, 'change', 'resource', code, provider_code,"
    "              jsonb_build_object('version', version, 'breaking', $9::jsonb) FROM r),"
    // A breaking change is reported to every holder of a live grant on the resource.
    " n AS (INSERT INTO sharing_events (actor_id, object_type, object_id, action, provider_code,"
    "                                   consumer_code, detail)"
    "       SELECT $10, 'grant', g.id, 'resource_changed', g.provider_code, g.consumer_code,"
    "              jsonb_build_object('resource_code', r.code, 'version', r.version,"
    "                                 'breaking', $9::jsonb, 'at', now())"
    "       FROM r JOIN grants g ON g.resource_code = r.code"
    "       WHERE $9::jsonb IS NOT NULL AND g.revoked_at IS NULL AND g.valid_until > now())"
    " SELECT " HUB_RESOURCE_COLUMNS ", pg_notify('hub_directory', 'resource:' || r.code) FROM r"};

// A version that makes items unique, in the transaction of kUpdate: the resource's writers are
// held off (its change counter's row, which every write takes first), then every live record
// claims its values (the records_claim trigger, 024_quality.sql). A record whose value another
// already holds is left unwritten in quality_mode reject (fewer rows come back than are live:
// the version is refused) and marked in flag mode.
constexpr pg::Query kBegin{"catalog_begin", "BEGIN"};
constexpr pg::Query kCommit{"catalog_commit", "COMMIT"};
constexpr pg::Query kRollback{"catalog_rollback", "ROLLBACK"};
constexpr pg::Query kClaimTimeout{"catalog_claim_timeout", "SET LOCAL statement_timeout = 8000"};
constexpr pg::Query kHoldWrites{"catalog_hold_writes",
                                "INSERT INTO record_sequences AS q (resource_code) VALUES ($1)"
                                " ON CONFLICT (resource_code) DO UPDATE SET next_seq = q.next_seq"};
constexpr pg::Query kClaimStored{
    "catalog_claim_stored",
    "WITH up AS (UPDATE records SET claims = $2::text[] WHERE resource_code = $1 AND NOT deleted"
    "  RETURNING 1)"
    " SELECT (SELECT count(*) FROM up),"
    " (SELECT count(*) FROM records WHERE resource_code = $1 AND NOT deleted)"};

// The items of a catalogue document that carry `unique` (not its key).
std::vector<std::string> unique_items_of(const json& doc) {
  std::vector<std::string> out;
  const std::string key = doc.value("key", "");
  for (const auto& item : doc.value("items", json::array())) {
    const std::string name = item.value("name", "");
    if (item.value("unique", false) && name != key) out.push_back(name);
  }
  return out;
}

constexpr pg::Query kTransition{
    "catalog_transition",
    "WITH r AS ("
    "  UPDATE resources SET status = $2, updated_at = now(),"
    "    published_at = CASE WHEN $2 = 'published' THEN now() ELSE published_at END,"
    "    retired_at = CASE WHEN $2 = 'retired' THEN now() ELSE retired_at END"
    "  WHERE code = $1 AND status = ANY (string_to_array($3, ',')) RETURNING *),"
    " l AS (INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, detail)"
    "       SELECT $4, $2, 'resource', code, provider_code, '{}'::jsonb FROM r),"
    // Retiring ends the resource's live grants (API.md Part 2), and every node hears of each.
    " e AS (UPDATE grants g SET ended_at = now() FROM r"
    "       WHERE r.status = 'retired' AND g.resource_code = r.code"
    "       AND g.ended_at IS NULL AND g.revoked_at IS NULL RETURNING g.id),"
    " n AS (SELECT count(pg_notify('hub_directory', 'grant:' || e.id)) AS c FROM e)"
    " SELECT " HUB_RESOURCE_COLUMNS
    ", pg_notify('hub_directory', 'resource:' || r.code), n.c"
    " FROM r, n"};

constexpr pg::Query kGet{"catalog_get", "SELECT " HUB_RESOURCE_COLUMNS
                                        ", r.provider_code FROM resources r "
                                        "WHERE r.code = $1"};

constexpr pg::Query kVersions{
    "catalog_versions",
    "SELECT version, " HUB_SQL_TS("created_at") ", created_by, breaking::text, "
    "document ->> 'name' FROM resource_versions WHERE code = $1 AND version < $2 "
    "ORDER BY version DESC LIMIT $3"};

constexpr pg::Query kVersion{
    "catalog_version",
    "SELECT document::text, schema::text, " HUB_SQL_TS("created_at") " FROM resource_versions "
    "WHERE code = $1 AND version = $2"};

// May this principal write the provider's catalog entries?
bool may_write(const Principal& p, const std::string& provider) {
  if (p.has(Role::hub_admin)) return true;
  return p.of_agency(provider) &&
         p.has_any(role_bit(Role::agency_cdo) | role_bit(Role::agency_data_officer));
}

// A resource's item_count: its items, or a service's distinct response items.
std::int64_t item_count(const json& document) {
  if (is_service(document)) {
    return static_cast<std::int64_t>(service_response_items(document).size());
  }
  auto it = document.find("items");
  return it != document.end() && it->is_array() ? static_cast<std::int64_t>(it->size()) : 0;
}

}  // namespace

ServiceRules CatalogService::service_rules() const {
  return {services_.upstream_policy.get(), services_.config.services.allow_http, true};
}

asio::awaitable<json> CatalogService::create(const Caller& caller, const json& document,
                                             const std::string& kind) {
  const Principal& me = caller.principal;
  const std::string provider = document["provider_code"];
  if (!may_write(me, provider)) {
    throw ApiError(ErrorCode::forbidden,
                   "only the provider's agency_cdo or agency_data_officer registers its resources");
  }
  // The row's kind: a service document says so itself; a dataset is the caller's (dataset, or
  // licence for the licence template).
  const bool service = is_service(document);
  if (!service && kind == "service") {
    throw ApiError(ErrorCode::validation_failed, "a service needs upstream and operations",
                   {{"kind", "must be service"}}, 422);
  }
  const std::string row_kind = service ? std::string("service") : kind;
  json stored = document;
  stored["kind"] = service ? "service" : "dataset";
  const pg::Params params = pg::Params()
                                .add(provider)
                                .add(document["name"].get<std::string>())
                                .add(document["summary"].get<std::string>())
                                .add(document["category"].get<std::string>())
                                .add(document["share_type"].get<std::string>())
                                .add(row_kind)
                                .add(stored.dump())
                                .add(record_schema(stored).dump())
                                .add(me.id)
                                .add(item_count(stored));
  pg::Result r;
  try {
    r = co_await caller.db().exec(kCreate, params);
  } catch (const pg::PgError& e) {
    if (e.sqlstate() == "23503") {
      throw ApiError(ErrorCode::validation_failed, "the provider agency does not exist",
                     {{"provider_code", "no agency has this code"}}, 422);
    }
    throw;
  }
  json out = resource_json(r, 0);
  index_.put(out["code"], CatalogIndex::entry_of(out));
  co_return out;
}

asio::awaitable<pg::Result> CatalogService::writable(const Caller& caller,
                                                     const std::string& code) {
  const Principal& me = caller.principal;
  const pg::Params key = pg::Params().add(code);
  auto current = co_await caller.db().exec(kCurrent, key);
  if (current.rows() == 0) throw ApiError(ErrorCode::not_found, "resource not found");
  const std::string provider(current.get(0, 0));
  if (current.get(0, 1) == "draft" && !me.hub_level() && !me.of_agency(provider)) {
    throw ApiError(ErrorCode::not_found, "resource not found");
  }
  if (!may_write(me, provider)) {
    throw ApiError(ErrorCode::forbidden, "only the provider's data officers change its resources");
  }
  co_return current;
}

asio::awaitable<json> CatalogService::update(const Caller& caller, const std::string& code,
                                             const json& document) {
  const Principal& me = caller.principal;
  auto current = co_await writable(caller, code);
  if (current.get(0, 4) == "computation") {
    // Its catalog entry follows its review (docs/computations.md): published while active.
    throw ApiError(ErrorCode::conflict,
                   "this resource is a joint computation: change it at "
                   "/api/v1/computations/" +
                       code);
  }
  const std::string provider(current.get(0, 0));
  const std::string status(current.get(0, 1));
  if (document["provider_code"] != provider) {
    throw ApiError(ErrorCode::validation_failed, "a resource cannot change its provider",
                   {{"provider_code", "must stay " + provider}}, 422);
  }
  if (status == "retired") throw ApiError(ErrorCode::conflict, "a retired resource is final");
  const json before = json::parse(current.get(0, 3));
  // A resource keeps its kind: a dataset does not become a service or the other way round (the
  // row's kind decides; documents stored before services had no kind and are datasets).
  const bool was_service = current.get(0, 4) == "service";
  if (was_service != is_service(document)) {
    throw ApiError(ErrorCode::validation_failed, "a resource cannot change its kind",
                   {{"kind", was_service ? "must stay service" : "must stay dataset"}}, 422);
  }
  json next = document;
  next["kind"] = was_service ? "service" : "dataset";
  // A licence resource keeps its licence type: it is not part of what a client sends.
  if (before.contains("licence")) next["licence"] = before["licence"];
  // Removing or retyping an item is allowed only as a new version (every PUT is one); on a
  // published resource the change is recorded so that grant holders can be told.
  const json breaking = status == "published" ? breaking_changes(before, next) : json();
  const pg::Params params =
      pg::Params()
          .add(code)
          .add(current.get_int(0, 2))
          .add(document["name"].get<std::string>())
          .add(document["summary"].get<std::string>())
          .add(document["category"].get<std::string>())
          .add(document["share_type"].get<std::string>())
          .add(next.dump())
          .add(record_schema(next).dump())
          .add(breaking.is_null() ? std::optional<std::string>() : std::optional(breaking.dump()))
          .add(me.id)
          .add(item_count(next));
  // Items made unique by this version: the stored records claim their values in the same
  // transaction, or the version is refused.
  const auto unique_now = unique_items_of(next);
  const auto unique_before = unique_items_of(before);
  std::vector<std::string> added;
  for (const auto& n : unique_now) {
    if (std::find(unique_before.begin(), unique_before.end(), n) == unique_before.end()) {
      added.push_back(n);
    }
  }
  // Leaving quality_mode flag for reject with unique items: records flagged for sharing a value
  // would stay beside its holder, so the stored values are claimed again (and the version
  // refused while two records share one).
  const bool now_rejecting = before.value("quality_mode", "reject") == "flag" &&
                             next.value("quality_mode", "reject") != "flag" && !unique_now.empty();
  if (added.empty() && now_rejecting) added = unique_now;
  pg::Result r;
  if (added.empty() || was_service) {
    r = co_await caller.db().exec(kUpdate, params);
  } else {
    std::string names = "{";
    for (const auto& n : unique_now) names += (names.size() > 1 ? ",\"" : "\"") + n + "\"";
    names += "}";
    const pg::Params claim = pg::Params().add(code).add(names);
    const pg::Params hold = pg::Params().add(code);
    // Bounded on the server too: a resource too large to claim in time is refused (503), its
    // writers held off no longer than this.
    const auto steps =
        pg::batch(pg::step(kBegin), pg::step(kClaimTimeout), pg::step(kHoldWrites, hold),
                  pg::step(kUpdate, params), pg::step(kClaimStored, claim));
    auto lease = co_await caller.db().acquire();
    auto results = co_await lease->pipeline(steps);
    const bool refused =
        results[3].rows() > 0 && results[4].get_int(0, 0) < results[4].get_int(0, 1);
    if (results[3].rows() == 0 || refused) {
      const auto rollback = pg::batch(pg::step(kRollback));
      co_await lease->pipeline(rollback);
      if (refused) {
        std::string list;
        for (const auto& n : added) list += (list.empty() ? "" : ", ") + n;
        const auto& items = next["items"];
        std::size_t index = 0;
        while (index < items.size() && items[index].value("name", "") != added.front()) ++index;
        throw ApiError(
            ErrorCode::validation_failed,
            "stored records share values of " + list +
                ": make the values unique first, or register the rule with "
                "quality_mode flag to mark the records that share one",
            {{"items[" + std::to_string(index) + "].unique", "stored records share a value"}}, 422);
      }
    } else {
      const auto commit = pg::batch(pg::step(kCommit));
      co_await lease->pipeline(commit);
    }
    r = std::move(results[3]);
  }
  if (r.rows() == 0) {
    throw ApiError(ErrorCode::conflict, "the resource changed meanwhile; read it and retry");
  }
  json out = resource_json(r, 0);
  index_.put(code, CatalogIndex::entry_of(out));
  if (!breaking.is_null()) out["breaking_changes"] = breaking;
  co_return out;
}

asio::awaitable<json> CatalogService::transition(const Caller& caller, const std::string& code,
                                                 const std::string& to) {
  const Principal& me = caller.principal;
  auto current = co_await writable(caller, code);
  if (current.get(0, 4) == "computation") {
    // Its catalog entry follows its review (docs/computations.md): published while active.
    throw ApiError(ErrorCode::conflict,
                   "this resource is a joint computation: change it at "
                   "/api/v1/computations/" +
                       code);
  }
  const std::string provider(current.get(0, 0));
  const std::string status(current.get(0, 1));
  // draft → published → retired; a draft may be retired (withdrawn) too.
  const std::string from = to == "published" ? "draft" : "draft,published";
  const pg::Params params = pg::Params().add(code).add(to).add(from).add(me.id);
  auto r = co_await caller.db().exec(kTransition, params);
  if (r.rows() == 0) {
    throw ApiError(ErrorCode::conflict, "a " + status + " resource cannot become " + to);
  }
  json out = resource_json(r, 0);
  index_.put(code, CatalogIndex::entry_of(out));
  co_return out;
}

asio::awaitable<json> CatalogService::get(const Caller& caller, const std::string& code) {
  const pg::Params key = pg::Params().add(code);
  auto r = co_await caller.db().exec(kGet, key);
  if (r.rows() == 0) throw ApiError(ErrorCode::not_found, "resource not found");
  const Principal& me = caller.principal;
  if (r.get(0, 1) == "draft" && !me.hub_level() && !me.of_agency(r.get(0, 10))) {
    throw ApiError(ErrorCode::not_found, "resource not found");
  }
  co_return resource_json(r, 0);
}

asio::awaitable<ResourcePage> CatalogService::search(const Caller& caller,
                                                     const SearchFilter& filter) {
  if (!index_.loaded()) throw DbUnavailable("the catalog is not loaded yet");
  ResourcePage page;
  std::string last;
  page.documents = index_.search(caller.principal, filter, last);
  if (page.documents.size() == filter.limit) page.next = last;
  co_return page;
}

asio::awaitable<Page> CatalogService::versions(const Caller& caller, const std::string& code,
                                               const PageRequest& page) {
  json current = co_await get(caller, code);  // 404 rules as for the resource
  const std::int64_t below =
      page.after ? page.after_number().value() : current["version"].get<std::int64_t>() + 1;
  const pg::Params params =
      pg::Params().add(code).add(below).add(static_cast<std::int64_t>(page.limit));
  auto r = co_await caller.db().exec(kVersions, params);
  Page out;
  for (int i = 0; i < r.rows(); ++i) {
    out.items.push_back(
        {{"version", r.get_int(i, 0)},
         {"created_at", r.get(i, 1)},
         {"created_by", r.is_null(i, 2) ? json(nullptr) : json(r.get(i, 2))},
         {"breaking_changes", r.is_null(i, 3) ? json(nullptr) : json::parse(r.get(i, 3))},
         {"name", r.get(i, 4)}});
  }
  if (!out.items.empty()) out.continue_after(out.items.back()["version"], page.limit);
  co_return out;
}

asio::awaitable<pg::Result> CatalogService::version_row(const Caller& caller,
                                                        const std::string& code, int& version) {
  json current = co_await get(caller, code);  // 404 rules as for the resource
  if (version == 0) version = static_cast<int>(current["version"].get<std::int64_t>());
  const pg::Params params = pg::Params().add(code).add(version);
  auto r = co_await caller.db().exec(kVersion, params);
  if (r.rows() == 0) throw ApiError(ErrorCode::not_found, "no such version");
  co_return r;
}

asio::awaitable<json> CatalogService::version(const Caller& caller, const std::string& code,
                                              int version) {
  auto r = co_await version_row(caller, code, version);
  json doc = json::parse(r.get(0, 0));
  doc["code"] = code;
  doc["version"] = version;
  doc["created_at"] = r.get(0, 2);
  co_return doc;
}

asio::awaitable<RecordSchema> CatalogService::schema(const Caller& caller, const std::string& code,
                                                     int version) {
  auto r = co_await version_row(caller, code, version);
  co_return RecordSchema{version, json::parse(r.get(0, 1))};
}

}  // namespace hub::catalog
