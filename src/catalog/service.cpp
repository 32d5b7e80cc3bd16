#include "hub/catalog/service.hpp"

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <set>

#include "hub/app/workbooks.hpp"
#include "hub/catalog/index.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/catalog/spreadsheet.hpp"
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
    "SELECT r.provider_code, r.status, r.version, r.document::text, r.kind, r.code"
    " FROM resources r WHERE r.code = $1"};

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

// kCreate's parameters for a validated document (`stored`, its kind set) of row kind `row_kind`.
pg::Params create_params(const Principal& me, const json& stored, const std::string& row_kind) {
  return pg::Params()
      .add(stored["provider_code"].get<std::string>())
      .add(stored["name"].get<std::string>())
      .add(stored["summary"].get<std::string>())
      .add(stored["category"].get<std::string>())
      .add(stored["share_type"].get<std::string>())
      .add(row_kind)
      .add(stored.dump())
      .add(record_schema(stored).dump())
      .add(me.id)
      .add(item_count(stored));
}

// kUpdate's parameters: `next` replaces version `version` of `code`.
pg::Params update_params(const Principal& me, const std::string& code, std::int64_t version,
                         const json& next, const json& breaking) {
  return pg::Params()
      .add(code)
      .add(version)
      .add(next["name"].get<std::string>())
      .add(next["summary"].get<std::string>())
      .add(next["category"].get<std::string>())
      .add(next["share_type"].get<std::string>())
      .add(next.dump())
      .add(record_schema(next).dump())
      .add(breaking.is_null() ? std::optional<std::string>() : std::optional(breaking.dump()))
      .add(me.id)
      .add(item_count(next));
}

// The unique items whose values the stored records must claim when `next` replaces `before`:
// those it makes unique, or all of them when it leaves quality_mode flag for reject (records
// flagged for sharing a value would otherwise stay beside its holder). Empty: nothing to claim.
std::vector<std::string> items_to_claim(const json& before, const json& next) {
  const auto unique_now = unique_items_of(next);
  const auto unique_before = unique_items_of(before);
  std::vector<std::string> added;
  for (const auto& n : unique_now) {
    if (std::find(unique_before.begin(), unique_before.end(), n) == unique_before.end()) {
      added.push_back(n);
    }
  }
  const bool now_rejecting = before.value("quality_mode", "reject") == "flag" &&
                             next.value("quality_mode", "reject") != "flag" && !unique_now.empty();
  if (added.empty() && now_rejecting) added = unique_now;
  return added;
}

// kClaimStored's parameters: every unique item of `next` (a text[] literal).
pg::Params claim_params(const std::string& code, const json& next) {
  std::string names = "{";
  for (const auto& n : unique_items_of(next)) names += (names.size() > 1 ? ",\"" : "\"") + n + "\"";
  names += "}";
  return pg::Params().add(code).add(names);
}

// The index of item `name` in a document's items (its size when absent).
std::size_t item_index(const json& doc, const std::string& name) {
  const auto& items = doc["items"];
  std::size_t index = 0;
  while (index < items.size() && items[index].value("name", "") != name) ++index;
  return index;
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
  const pg::Params params = create_params(me, stored, row_kind);
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
  const pg::Params params = update_params(me, code, current.get_int(0, 2), next, breaking);
  // Items made unique by this version: the stored records claim their values in the same
  // transaction, or the version is refused.
  const auto added = items_to_claim(before, next);
  pg::Result r;
  if (added.empty() || was_service) {
    r = co_await caller.db().exec(kUpdate, params);
  } else {
    const pg::Params claim = claim_params(code, next);
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
        const std::size_t index = item_index(next, added.front());
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

// Registration by spreadsheet (docs/catalog.md): a resource of a workbook and what it will do.
namespace {

// The columns of kCurrent, for a provider's live resource of a name.
constexpr pg::Query kSheetByName{
    "catalog_sheet_by_name",
    "SELECT provider_code, status, version, document::text, kind, code FROM resources"
    " WHERE provider_code = $1 AND name = $2 AND status <> 'retired' ORDER BY code LIMIT 2"};
constexpr pg::Query kAgencyExists{"catalog_agency_exists",
                                  "SELECT 1 FROM agencies WHERE code = $1"};
constexpr std::string_view kNotFound = "resource not found";
constexpr pg::Query kRegistrationLock{"catalog_registration_lock",
                                      "SELECT pg_advisory_xact_lock(hashtext('hub.registration'))"};
constexpr pg::Query kNamesTaken{"catalog_names_taken",
                                "SELECT count(*) FROM resources r"
                                " JOIN jsonb_to_recordset($1::jsonb) AS w(p text, n text)"
                                "   ON r.provider_code = w.p AND r.name = w.n"
                                " WHERE r.status <> 'retired'"};

enum class SheetAction { create, update, unchanged };

struct SheetPlan {
  const SheetResource* source = nullptr;
  SheetAction action = SheetAction::create;
  std::string code;  // an update's
  std::int64_t version = 0;
  json document;                   // what is stored (kind set)
  json breaking;                   // an update's breaking changes on a published resource
  std::vector<std::string> claim;  // items whose stored values are claimed (an update's)
  std::vector<std::string> changed;
};

// Two registrations at once per node: reading a 20 MiB workbook is CPU, writing it one
// transaction.
struct RegistrationSlot {
  std::atomic<int>& running;
  explicit RegistrationSlot(std::atomic<int>& r) : running(r) {
    if (running.fetch_add(1) >= 2) {
      running.fetch_sub(1);
      throw ApiError(ErrorCode::rate_limited,
                     "two registration imports are running on this node: retry shortly")
          .with_header("Retry-After", "5");
    }
  }
  ~RegistrationSlot() { running.fetch_sub(1); }
  RegistrationSlot(const RegistrationSlot&) = delete;
  RegistrationSlot& operator=(const RegistrationSlot&) = delete;
};

}  // namespace

asio::awaitable<std::string> CatalogService::registration_template() {
  {
    std::lock_guard lock(template_mutex_);
    if (!template_.empty()) co_return template_;
  }
  const std::function<std::string(const std::string&)> make = resource_template_xlsx;
  std::string made = co_await workbook_off_thread(services_, make);
  std::lock_guard lock(template_mutex_);
  if (template_.empty()) template_ = std::move(made);
  co_return template_;
}

asio::awaitable<RegistrationOutcome> CatalogService::import_registration(const Caller& caller,
                                                                         const std::string& bytes,
                                                                         SheetFormat format,
                                                                         bool dry_run) {
  const RegistrationSlot slot(registrations_running_);
  const Principal& me = caller.principal;
  auto read = [&bytes, format] {
    return format == SheetFormat::xlsx ? read_registration_xlsx(bytes)
                                       : read_registration_csv(bytes);
  };
  const SheetRegistration sheet = co_await off_thread(services_, read);
  RegistrationOutcome out;
  out.errors = sheet.errors;
  if (!out.errors.empty()) co_return out;

  const ServiceRules rules = service_rules();
  std::vector<SheetPlan> plans;
  std::set<std::pair<std::string, std::string>> seen;  // provider, name
  std::set<std::string> agencies_known;
  std::map<std::string, int> targeted;  // a registered resource's code → the row that changes it
  for (const SheetResource& r : sheet.resources) {
    if (out.errors.size() >= kMaxSheetErrors) break;
    const std::size_t errors_before = out.errors.size();
    auto error = [&](const std::string& field, std::string message) {
      out.errors.push_back({r.sheet, r.row, field, std::move(message)});
    };
    auto text_of = [&r](const char* field) {
      auto it = r.fields.find(field);
      return it != r.fields.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string provider = text_of("provider_code");
    const std::string name = text_of("name");
    SheetPlan plan;
    plan.source = &r;
    // Which registered resource it is: its code, else its provider and name.
    pg::Result current;
    if (!r.code.empty()) {
      const pg::Params key = pg::Params().add(r.code);
      current = co_await caller.db().exec(kCurrent, key);
      // Another agency's draft is not there for the caller (as GET /resources/{code}).
      if (current.rows() == 1 && current.get(0, 1) == "draft" && !me.hub_level() &&
          !me.of_agency(std::string(current.get(0, 0)))) {
        current = pg::Result();
      }
      if (current.rows() == 0) {
        error("code", std::string(kNotFound));
        continue;
      }
    } else if (!provider.empty() && !may_write(me, provider)) {
      // Asked before looking the name up, in the same words whether or not the provider has a
      // resource of this name: another agency's drafts are not there for the caller.
      error("provider_code",
            "only the provider's agency_cdo or agency_data_officer registers its resources");
      continue;
    } else if (!provider.empty() && !name.empty()) {
      const pg::Params key = pg::Params().add(provider).add(name);
      current = co_await caller.db().exec(kSheetByName, key);
      if (current.rows() > 1) {
        error("name",
              "two resources of this provider have this name: give the one meant by its code");
        continue;
      }
    }
    json base = json::object();
    json before;
    if (current.rows() == 1) {
      const std::string owner(current.get(0, 0));
      const std::string status(current.get(0, 1));
      const std::string kind(current.get(0, 4));
      plan.code = std::string(current.get(0, 5));
      plan.version = current.get_int(0, 2);
      if (!may_write(me, owner)) {
        error(r.code.empty() ? "name" : "code",
              "only the provider's data officers change its resources");
        continue;
      }
      if (kind == "service" || kind == "computation") {
        error("code",
              "is " +
                  std::string(kind == "service" ? "an interface service" : "a joint computation") +
                  ": change it through the API, not a workbook");
        continue;
      }
      if (status == "retired") {
        error("code", "a retired resource is final");
        continue;
      }
      before = json::parse(current.get(0, 3));
      base = before;
      base.erase("licence");
      if (!provider.empty() && provider != owner) {
        error("provider_code", "a resource cannot change its provider (it is " + owner + ")");
      }
    } else if (!provider.empty() && !agencies_known.contains(provider)) {
      const pg::Params key = pg::Params().add(provider);
      auto found = co_await caller.db().exec(kAgencyExists, key);
      if (found.rows() == 0) {
        error("provider_code", "no agency has this code");
      } else {
        agencies_known.insert(provider);
      }
    }
    // The workbook's columns over what is stored (an empty cell clears its field); its items,
    // when it lists any, replace the stored ones.
    for (const auto& [field, value] : r.fields.items()) {
      if (value.is_null()) {
        base.erase(field);
      } else {
        base[field] = value;
      }
    }
    if (!r.items.empty()) {
      base["items"] = r.items;
    } else if (current.rows() == 0) {
      error("items", "no row of sheet " + std::string(kItemSheet) + " lists this resource's items");
    }
    if (out.errors.size() > errors_before) continue;
    std::vector<FieldError> field_errors;
    auto doc = validate_resource(base, field_errors, rules);
    if (!doc) {
      for (const auto& e : field_errors)
        out.errors.push_back(sheet_error_of(r, e.field, e.message));
      continue;
    }
    if (!seen.emplace((*doc)["provider_code"].get<std::string>(), (*doc)["name"].get<std::string>())
             .second) {
      error("name", "the workbook lists this provider's resource of this name twice");
      continue;
    }
    if (!plan.code.empty() && !targeted.emplace(plan.code, r.row).second) {
      error(r.code.empty() ? "name" : "code", "the resource " + plan.code +
                                                  " is already listed on row " +
                                                  std::to_string(targeted[plan.code]));
      continue;
    }
    json next = *doc;
    next["kind"] = "dataset";
    if (current.rows() == 0) {
      plan.action = SheetAction::create;
    } else {
      if (before.contains("licence")) next["licence"] = before["licence"];
      plan.changed = changed_fields(before, next);
      if (plan.changed.empty()) {
        plan.action = SheetAction::unchanged;
      } else {
        plan.action = SheetAction::update;
        if (current.get(0, 1) == "published") plan.breaking = breaking_changes(before, next);
        plan.claim = items_to_claim(before, next);
      }
    }
    plan.document = std::move(next);
    plans.push_back(std::move(plan));
  }

  auto describe = [&out, &plans] {
    out.resources = json::array();
    for (const auto& p : plans) {
      const char* action = p.action == SheetAction::create   ? "create"
                           : p.action == SheetAction::update ? "update"
                                                             : "unchanged";
      out.resources.push_back({{"sheet", p.source->sheet},
                               {"row", p.source->row},
                               {"name", p.document.value("name", "")},
                               {"code", p.code.empty() ? json() : json(p.code)},
                               {"action", action},
                               {"fields", p.changed}});
      (p.action == SheetAction::create   ? out.created
       : p.action == SheetAction::update ? out.updated
                                         : out.unchanged)++;
    }
  };
  cap_errors(out.errors);
  describe();
  if (!out.errors.empty() || dry_run) co_return out;
  if (out.created + out.updated == 0) co_return out;

  // One transaction for the whole workbook, bounded on the server: all of it, or nothing.
  // Registration imports write one at a time (a lock of the transaction), and the names they
  // create must still be free once it is theirs: the same workbook sent twice at once (a
  // double click, a retry after a timeout) registers its resources once, and the second is 409.
  json creating = json::array();
  for (const auto& p : plans) {
    if (p.action == SheetAction::create) {
      creating.push_back({{"p", p.document["provider_code"]}, {"n", p.document["name"]}});
    }
  }
  std::vector<pg::Connection::Step> steps;
  steps.push_back(pg::step(kBegin));
  steps.push_back(pg::step(kClaimTimeout));
  steps.push_back(pg::step(kRegistrationLock));
  const std::size_t taken_slot = steps.size();
  steps.push_back(pg::step(kNamesTaken, pg::Params().add(creating.dump())));
  struct Slots {
    std::size_t write = 0;
    std::size_t claim = 0;  // 0: none
  };
  std::vector<Slots> slots(plans.size());
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const SheetPlan& p = plans[i];
    if (p.action == SheetAction::create) {
      slots[i].write = steps.size();
      steps.push_back(pg::step(kCreate, create_params(me, p.document, "dataset")));
    } else if (p.action == SheetAction::update) {
      if (!p.claim.empty()) steps.push_back(pg::step(kHoldWrites, pg::Params().add(p.code)));
      slots[i].write = steps.size();
      steps.push_back(
          pg::step(kUpdate, update_params(me, p.code, p.version, p.document, p.breaking)));
      if (!p.claim.empty()) {
        slots[i].claim = steps.size();
        steps.push_back(pg::step(kClaimStored, claim_params(p.code, p.document)));
      }
    }
  }
  auto lease = co_await caller.db().acquire();
  auto results = co_await lease->pipeline(steps);
  bool conflict = results[taken_slot].get_int(0, 0) > 0;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const SheetPlan& p = plans[i];
    if (p.action == SheetAction::unchanged) continue;
    if (results[slots[i].write].rows() == 0) {
      conflict = true;
      continue;
    }
    if (slots[i].claim != 0 &&
        results[slots[i].claim].get_int(0, 0) < results[slots[i].claim].get_int(0, 1)) {
      const std::size_t index = item_index(p.document, p.claim.front());
      out.errors.push_back(sheet_error_of(
          *p.source, "items[" + std::to_string(index) + "].unique",
          "stored records share values of this item: make them unique first, or use quality "
          "mode flag to mark the records that share one"));
    }
  }
  if (conflict || !out.errors.empty()) {
    const auto rollback = pg::batch(pg::step(kRollback));
    co_await lease->pipeline(rollback);
    if (conflict) {
      throw ApiError(ErrorCode::conflict,
                     "a resource of the workbook changed meanwhile: import the workbook again");
    }
    co_return out;
  }
  const auto commit = pg::batch(pg::step(kCommit));
  co_await lease->pipeline(commit);
  out.resources = json::array();
  for (std::size_t i = 0; i < plans.size(); ++i) {
    if (plans[i].action == SheetAction::unchanged) continue;
    json stored = resource_json(results[slots[i].write], 0);
    plans[i].code = stored["code"].get<std::string>();
    index_.put(plans[i].code, CatalogIndex::entry_of(stored));
  }
  out.created = out.updated = out.unchanged = 0;
  describe();
  co_return out;
}

}  // namespace hub::catalog
