#include "hub/sharing/service.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <regex>
#include <set>

#include "hub/catalog/resource.hpp"
#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/exchange/schema.hpp"
#include "hub/members/credentials.hpp"
#include "hub/sharing/purpose.hpp"
#include "hub/store/guarded.hpp"
#include "hub/store/pg.hpp"

namespace hub::sharing {

namespace asio = boost::asio;
using nlohmann::json;
using Clock = std::chrono::system_clock;

namespace {

constexpr pg::Query kResource{
    "sharing_resource",
    "SELECT provider_code, status, share_type, version, document::text, kind FROM resources "
    "WHERE code = $1"};

#define HUB_APPLICATION_COLUMNS \
  "a.id, a.status, " HUB_SQL_TS_OPT("a.due_at") ", a.grant_id, a.consumer_code, a.provider_code, " \
  "a.resource_code, array_to_string(a.items, ','), array_to_string(a.clear_items, ','), "      \
  "array_to_string(a.operations, ','), a.purpose, a.legal_basis, " HUB_SQL_TS("a.valid_until")     \
  ", " HUB_SQL_TS("a.created_at") ", a.created_by, " HUB_SQL_TS_OPT("a.decided_at")                    \
  ", a.decided_by, a.opinion, (a.status = 'pending' AND a.due_at < now()), "                   \
  "a.resource_version, " HUB_SQL_TS_OPT("a.withdrawn_at") ", a.withdrawn_by, "              \
  "array_to_string(a.purpose_codes, ','), a.renews_grant_id, a.renewal_reason"

constexpr pg::Query kInsertApplication{
    "sharing_insert_application",
    "INSERT INTO applications AS a (id, consumer_code, provider_code, resource_code, "
    "resource_version,"
    " items, clear_items, operations, purpose, legal_basis, valid_until, status, due_at,"
    " created_by, decided_at, decided_by, grant_id, purpose_codes, renews_grant_id,"
    " renewal_reason)"
    " VALUES ($1, $2, $3, $4, $5, string_to_array($6, ','), string_to_array($7, ','),"
    " string_to_array($8, ','), $9, $10, $11::timestamptz, $12, $13::timestamptz, $14,"
    " CASE WHEN $12 = 'approved' THEN now() END, CASE WHEN $12 = 'approved' THEN 'auto' END, $15,"
    " string_to_array($16, ','), $17, $18)"
    " RETURNING " HUB_APPLICATION_COLUMNS};
// The application row references its grant and the grant its application: both in one
// statement, so neither exists without the other.
constexpr pg::Query kInsertGrant{
    "sharing_insert_grant",
    "INSERT INTO grants (id, application_id, resource_code, provider_code, consumer_code, items,"
    " clear_items, operations, purpose, legal_basis, valid_until, purpose_codes)"
    " VALUES ($1, $2, $3, $4, $5, string_to_array($6, ','), string_to_array($7, ','),"
    " string_to_array($8, ','), $9, $10, $11::timestamptz, string_to_array($12, ','))"};
constexpr pg::Query kApplication{"sharing_application", "SELECT " HUB_APPLICATION_COLUMNS
                                                        " FROM applications a WHERE a.id = $1"};
constexpr pg::Query kDecide{
    "sharing_decide",
    "UPDATE applications a SET status = $2, decided_at = now(), decided_by = $3, opinion = $4,"
    " grant_id = $5 WHERE a.id = $1 AND a.status = 'pending' RETURNING " HUB_APPLICATION_COLUMNS};
constexpr pg::Query kWithdraw{
    "sharing_withdraw",
    "UPDATE applications a SET status = 'withdrawn', withdrawn_at = now(), withdrawn_by = $2"
    " WHERE a.id = $1 AND a.status = 'pending' RETURNING " HUB_APPLICATION_COLUMNS};
// Lists (in id order): $1 the id of the last item of the previous page; $2 agency or NULL (all);
// $3 direction: incoming, outgoing or NULL (both); $4 status or NULL ('overdue' included).
constexpr pg::Query kApplications{
    "sharing_applications",
    "SELECT " HUB_APPLICATION_COLUMNS
    " FROM applications a"
    " WHERE a.id > $1"
    " AND ($2::text IS NULL OR ($3::text IS DISTINCT FROM 'outgoing' AND a.provider_code = $2)"
    "      OR ($3::text IS DISTINCT FROM 'incoming' AND a.consumer_code = $2))"
    " AND ($4::text IS NULL OR a.status = $4"
    "      OR ($4 = 'overdue' AND a.status = 'pending' AND a.due_at < now()))"
    " AND ($5::text IS NULL OR a.resource_code = $5)"
    " ORDER BY a.id LIMIT $6"};
constexpr pg::Query kEvent{
    "sharing_event",
    "INSERT INTO sharing_events (actor_id, object_type, object_id, action, provider_code,"
    " consumer_code, detail) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)"};
constexpr pg::Query kNotify{"sharing_notify", "SELECT pg_notify('hub_directory', $1)"};
// A state change and what follows from it (a grant, an event) commit together or not at all:
// pg::guarded (hub/store/guarded.hpp).

#define HUB_GRANT_COLUMNS \
  "g.id, g.resource_code, g.provider_code, g.consumer_code, array_to_string(g.items, ','), "   \
  "array_to_string(g.clear_items, ','), array_to_string(g.operations, ','), g.purpose, "       \
  HUB_SQL_TS("g.valid_until") ", CASE WHEN g.revoked_at IS NOT NULL THEN 'revoked' WHEN "          \
  "g.ended_at IS NOT NULL THEN 'ended' WHEN "                                                   \
  "g.valid_until <= now() THEN 'expired' ELSE 'active' END, g.application_id, g.legal_basis, " \
  HUB_SQL_TS("g.created_at") ", " HUB_SQL_TS_OPT("g.revoked_at") ", "                               \
  "(SELECT coalesce(jsonb_agg(e.detail ORDER BY e.id), '[]') FROM sharing_events e "            \
  "WHERE e.object_type = 'grant' AND e.object_id = g.id AND e.action = 'resource_changed')::text, " \
  "array_to_string(g.purpose_codes, ','), " HUB_SQL_TS_OPT("g.ended_at") ", g.revoked_reason, "      \
  "(SELECT r.id FROM applications r WHERE r.renews_grant_id = g.id AND r.status = 'pending' "     \
  "LIMIT 1), "                                                                                    \
  "(SELECT jsonb_build_object('epsilon_per_day', (p.v->>'epsilon_per_day')::float8, "             \
  "'epsilon_per_query', (p.v->>'epsilon_per_query')::float8, 'epsilon_spent_today', "             \
  "coalesce((SELECT b.spent::float8 FROM privacy_budgets b WHERE b.grant_id = g.id "              \
  "AND b.day = hub_local_day(now())), 0))::text FROM resources r, "                              \
  "LATERAL (SELECT r.document->'aggregate_policy' AS v) p WHERE r.code = g.resource_code "        \
  "AND 'aggregate' = ANY(g.operations) AND (p.v->>'epsilon_per_day') IS NOT NULL "             \
  "AND g.revoked_at IS NULL AND g.ended_at IS NULL AND g.valid_until > now())"
constexpr pg::Query kGrant{"sharing_grant",
                           "SELECT " HUB_GRANT_COLUMNS " FROM grants g WHERE g.id = $1"};
constexpr pg::Query kGrants{
    "sharing_grants", "SELECT " HUB_GRANT_COLUMNS
                      " FROM grants g WHERE g.id > $1"
                      " AND ($2::text IS NULL OR g.provider_code = $2 OR g.consumer_code = $2)"
                      " AND ($3::text IS NULL OR g.resource_code = $3)"
                      " AND ($4::text IS NULL OR g.consumer_code = $4)"
                      " AND ($5::text IS NULL OR g.provider_code = $5)"
                      " ORDER BY g.id LIMIT $6"};
constexpr pg::Query kRevoke{
    "sharing_revoke",
    "UPDATE grants SET revoked_at = now(), revoked_by = $2, revoked_reason = $3 WHERE id = $1"
    " AND revoked_at IS NULL AND ended_at IS NULL RETURNING id"};
// A renewal approved: the grant lasts until $2, with what the provider approved ($3 items, $4
// clear items, $5 operations). A revoked or ended grant is not revived; $6 true also requires it
// to be live now (a renewal at once; one decided later may revive a grant that expired while the
// provider considered it).
constexpr pg::Query kExtendGrant{
    "sharing_extend_grant",
    "UPDATE grants g SET valid_until = $2::timestamptz, items = string_to_array($3, ','),"
    " clear_items = string_to_array($4, ','), operations = string_to_array($5, ',')"
    " WHERE g.id = $1 AND g.revoked_at IS NULL AND g.ended_at IS NULL"
    " AND (NOT $6::boolean OR g.valid_until > now()) RETURNING " HUB_GRANT_COLUMNS};

#define HUB_OBJECTION_COLUMNS \
  "o.id, o.status, " HUB_SQL_TS("o.due_at") ", o.resource_code, o.provider_code, o.consumer_code, " \
  "o.record_key, array_to_string(o.items, ','), o.description, o.outcome, o.note, "            \
  HUB_SQL_TS("o.created_at") ", o.created_by, " HUB_SQL_TS_OPT("o.resolved_at") ", o.resolved_by, "    \
  "(o.status = 'open' AND o.due_at < now()), o.grant_id, o.record_ref, o.key_shown"
constexpr pg::Query kInsertObjection{
    "sharing_insert_objection",
    "INSERT INTO objections AS o (id, resource_code, provider_code, consumer_code, grant_id,"
    " record_key, items, description, status, due_at, created_by, record_ref, key_shown,"
    " record_digest)"
    " VALUES ($1, $2, $3, $4, $5, $6, string_to_array($7, ','), $8, 'open', $9::timestamptz, $10,"
    " $11, $12, (SELECT hub_items_digest(data, string_to_array($7, ',')) FROM records"
    "  WHERE resource_code = $2 AND key = $6 AND NOT deleted))"
    " RETURNING " HUB_OBJECTION_COLUMNS};
constexpr pg::Query kLiveRecord{
    "sharing_live_record",
    "SELECT 1 FROM records WHERE resource_code = $1 AND key = $2 AND NOT deleted"};
constexpr pg::Query kObjection{
    "sharing_objection", "SELECT " HUB_OBJECTION_COLUMNS " FROM objections o WHERE o.id = $1"};
constexpr pg::Query kResolve{
    "sharing_resolve",
    "UPDATE objections o SET status = 'resolved', outcome = $2, note = $3, resolved_at = now(),"
    " resolved_by = $4 WHERE o.id = $1 AND o.status = 'open'"
    // Corrected: the objected items hold other values now, or the record was removed.
    " AND ($2 <> 'corrected' OR o.record_digest IS NULL OR EXISTS (SELECT 1 FROM records r"
    "  WHERE r.resource_code = o.resource_code AND r.key = o.record_key AND (r.deleted"
    "  OR hub_items_digest(r.data, o.items) <> o.record_digest)))"
    " RETURNING " HUB_OBJECTION_COLUMNS};
constexpr pg::Query kObjections{
    "sharing_objections",
    "SELECT " HUB_OBJECTION_COLUMNS
    " FROM objections o WHERE o.id > $1"
    " AND ($2::text IS NULL OR ($3::text IS DISTINCT FROM 'outgoing' AND o.provider_code = $2)"
    "      OR ($3::text IS DISTINCT FROM 'incoming' AND o.consumer_code = $2))"
    " AND ($4::text IS NULL OR o.status = $4"
    "      OR ($4 = 'overdue' AND o.status = 'open' AND o.due_at < now()))"
    " ORDER BY o.id LIMIT $5"};

Application application_of(const pg::Result& r, int row) {
  Application a;
  a.id = r.get(row, 0);
  a.status = r.get(row, 1);
  a.due_at = r.get_text(row, 2);
  a.grant_id = r.get_text(row, 3);
  a.consumer_code = r.get(row, 4);
  a.provider_code = r.get(row, 5);
  a.resource_code = r.get(row, 6);
  a.items = split_csv(r.get(row, 7));
  a.clear_items = split_csv(r.get(row, 8));
  a.operations = split_csv(r.get(row, 9));
  a.purpose = r.get(row, 10);
  a.legal_basis = r.get_text(row, 11);
  a.valid_until = r.get(row, 12);
  a.created_at = r.get(row, 13);
  a.created_by = r.get(row, 14);
  a.decided_at = r.get_text(row, 15);
  a.decided_by = r.get_text(row, 16);
  a.opinion = r.get_text(row, 17);
  a.overdue = r.get_bool(row, 18);
  a.resource_version = r.get_int(row, 19);
  a.withdrawn_at = r.get_text(row, 20);
  a.withdrawn_by = r.get_text(row, 21);
  a.purpose_codes = split_csv(r.get(row, 22));
  a.renews_grant_id = r.get_text(row, 23);
  a.renewal_reason = r.get_text(row, 24);
  return a;
}

GrantRecord grant_of(const pg::Result& r, int row) {
  GrantRecord g;
  g.id = r.get(row, 0);
  g.resource_code = r.get(row, 1);
  g.provider_code = r.get(row, 2);
  g.consumer_code = r.get(row, 3);
  g.items = split_csv(r.get(row, 4));
  g.clear_items = split_csv(r.get(row, 5));
  g.operations = split_csv(r.get(row, 6));
  g.purpose = r.get(row, 7);
  g.valid_until = r.get(row, 8);
  g.status = r.get(row, 9);
  g.application_id = r.get(row, 10);
  g.legal_basis = r.get_text(row, 11);
  g.created_at = r.get(row, 12);
  g.revoked_at = r.get_text(row, 13);
  g.resource_changes = json::parse(r.get(row, 14));
  g.purpose_codes = split_csv(r.get(row, 15));
  g.ended_at = r.get_text(row, 16);
  g.revoked_reason = r.get_text(row, 17);
  g.renewal_application_id = r.get_text(row, 18);
  if (auto privacy = r.get_text(row, 19)) {
    // The grant's differential-privacy budget today (docs/privacy.md): what is left and how
    // many more queries that buys, so a consumer can plan before it is refused.
    auto p = json::parse(*privacy);
    const double per_day = p["epsilon_per_day"].get<double>();
    const double per_query = p["epsilon_per_query"].get<double>();
    const double remaining = std::max(0.0, per_day - p["epsilon_spent_today"].get<double>());
    p["epsilon_remaining"] = remaining;
    // The same comparison the spending statement makes, with a little slack for decimals.
    p["queries_remaining_today"] =
        per_query > 0 ? static_cast<std::int64_t>(std::floor(remaining / per_query + 1e-9)) : 0;
    g.privacy = std::move(p);
  }
  return g;
}

// An objection as `viewer` may see it (see Objection).
Objection objection_of(const pg::Result& r, int row, const Principal& viewer) {
  Objection o;
  o.id = r.get(row, 0);
  o.status = r.get(row, 1);
  o.due_at = r.get(row, 2);
  o.resource_code = r.get(row, 3);
  o.provider_code = r.get(row, 4);
  o.consumer_code = r.get(row, 5);
  o.items = split_csv(r.get(row, 7));
  o.description = r.get(row, 8);
  o.outcome = r.get_text(row, 9);
  o.note = r.get_text(row, 10);
  o.created_at = r.get(row, 11);
  o.created_by = r.get(row, 12);
  o.resolved_at = r.get_text(row, 13);
  o.resolved_by = r.get_text(row, 14);
  o.overdue = r.get_bool(row, 15);
  o.grant_id = r.get(row, 16);
  if (viewer.of_agency(o.provider_code)) {
    o.key = r.get(row, 6);
  } else {
    o.key = r.get_text(row, 18);
  }
  if (viewer.of_agency(o.consumer_code)) o.ref = r.get_text(row, 17);
  return o;
}

constexpr RoleSet kOfficers = role_bit(Role::agency_cdo) | role_bit(Role::agency_data_officer);

[[noreturn]] void not_found(const char* what) {
  throw ApiError(ErrorCode::not_found, std::string(what) + " not found");
}

// Whose objects a list shows: an agency principal its own agency's; hub_admin and coordinator
// every agency's, or the one the filter names.
std::optional<std::string> list_agency(const Principal& me, const WorkflowFilter& filter) {
  if (me.hub_level()) return filter.agency;
  return me.agency_code.empty() ? std::string("-") : me.agency_code;  // no agency: nothing
}

}  // namespace

asio::awaitable<Application> SharingService::apply(const Caller& caller,
                                                   const ApplicationRequest& request) {
  const Principal& me = caller.principal;
  const auto* resource_code = &request.resource_code;
  const auto* items = &request.items;
  const auto* operations = &request.operations;
  const auto* purpose = &request.purpose;
  const auto& legal = request.legal_basis;
  std::vector<std::string> codes = request.purpose_codes;
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());

  const pg::Params key = pg::Params().add(*resource_code);
  auto res = co_await caller.db().exec(kResource, key);
  if (res.rows() == 0) not_found("resource");
  const std::string provider(res.get(0, 0));
  const std::string status(res.get(0, 1));
  const std::string share_type(res.get(0, 2));
  if (status == "draft" && !me.of_agency(provider) && !me.hub_level()) not_found("resource");
  if (status != "published") {
    throw ApiError(ErrorCode::validation_failed, "only published resources can be applied for",
                   {{"resource_code", "the resource is " + status}}, 422);
  }
  if (share_type == "none") {
    throw ApiError(ErrorCode::not_shareable,
                   "this resource is not shared (不予共享): its legal basis forbids it");
  }
  if (me.of_agency(provider)) {
    throw ApiError(ErrorCode::validation_failed, "an agency does not apply for its own resource",
                   {{"resource_code", "is your own agency's"}}, 422);
  }
  const json document = json::parse(res.get(0, 4));
  // A service's items are its response items (over all its operations), and its operations are
  // its operation ids (API.md Part 2).
  const bool service = res.get(0, 5) == "service";
  // A computation's items are its outputs, its one operation `compute` (API.md Part 2).
  const bool computation = res.get(0, 5) == "computation";
  std::set<std::string> known, sensitive, service_operations;
  const json resource_items =
      service ? catalog::service_response_items(document) : document.value("items", json::array());
  for (const auto& item : resource_items) {
    known.insert(item["name"]);
    if (item["sensitivity"] == "sensitive") sensitive.insert(item["name"]);
  }
  if (service) {
    for (const auto& op : document.value("operations", json::array())) {
      service_operations.insert(op.value("id", ""));
    }
  }
  std::vector<FieldError> errors;
  // A purpose says something: white space alone (U+3000 among it) is none.
  if (visible_characters(*purpose) == 0) {
    errors.push_back({"purpose", "must say what the data is for, not only white space"});
  }
  if (items->empty()) errors.push_back({"items", "must name at least one item"});
  std::set<std::string> asked;
  for (std::size_t i = 0; i < items->size(); ++i) {
    if (!known.contains((*items)[i])) {
      errors.push_back(
          {"items[" + std::to_string(i) + "]",
           service ? "is not a response item of the service" : "is not an item of the resource"});
    }
    asked.insert((*items)[i]);
  }
  const std::vector<std::string>& clear_items = request.clear_items;
  for (std::size_t i = 0; i < clear_items.size(); ++i) {
    if (!asked.contains(clear_items[i])) {
      errors.push_back(
          {"clear_items[" + std::to_string(i) + "]", "must be one of the items asked"});
    } else if (!sensitive.contains(clear_items[i])) {
      errors.push_back({"clear_items[" + std::to_string(i) + "]",
                        "only sensitive items are masked, so only they may be asked in clear"});
    }
  }
  std::set<std::string> ops;
  if (operations->empty()) errors.push_back({"operations", "must name at least one operation"});
  for (std::size_t i = 0; i < operations->size(); ++i) {
    const std::string& op = (*operations)[i];
    if (service && !service_operations.contains(op)) {
      errors.push_back({"operations[" + std::to_string(i) + "]",
                        "'" + op + "' is not an operation of the service"});
    } else if (computation && op != "compute") {
      errors.push_back({"operations[" + std::to_string(i) + "]",
                        "a computation is applied for with the operation compute only"});
    } else if (!service && !computation && (!parse_operation(op) || op == "compute")) {
      errors.push_back(
          {"operations", "'" + op + "' is not read, query, changes, verify or aggregate"});
    } else if (me.external && op != "verify" && op != "aggregate" && op != "compute") {
      // An external member (a bank, a credit bureau) never sees records (API.md Part 2).
      errors.push_back({"operations[" + std::to_string(i) + "]",
                        "an external member may hold only verify, aggregate and compute grants"});
    }
    ops.insert(op);
  }
  const auto now = Clock::now();
  auto until = parse_until(request.valid_until, calendar_);
  const auto max_until = now + std::chrono::days{services_.config.sharing.max_valid_days};
  if (!until) {
    errors.push_back({"valid_until", "must be a date YYYY-MM-DD or an RFC 3339 time"});
  } else if (*until <= now) {
    errors.push_back({"valid_until", "must be in the future"});
  } else if (*until > max_until) {
    errors.push_back({"valid_until", "must be at most " +
                                         std::to_string(services_.config.sharing.max_valid_days) +
                                         " days ahead"});
  }
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "the application has errors", errors, 422);
  }

  const bool automatic = share_type == "unconditional";
  const std::string id = random_uuid();
  const std::string grant_id = automatic ? random_uuid() : std::string();
  const std::vector<std::string> op_list(ops.begin(), ops.end());
  const std::string until_s = format_time(*until);
  const std::optional<std::string> due =
      automatic ? std::nullopt
                : std::optional(format_time(calendar_.due(
                      now, static_cast<int>(services_.config.sharing.reply_working_days))));
  const json detail = {{"resource_code", *resource_code}, {"automatic", automatic}};
  auto steps = pg::batch(
      pg::step(kInsertApplication, pg::Params()
                                       .add(id)
                                       .add(me.agency_code)
                                       .add(provider)
                                       .add(*resource_code)
                                       .add(res.get_int(0, 3))
                                       .add(join_csv(*items))
                                       .add(join_csv(clear_items))
                                       .add(join_csv(op_list))
                                       .add(*purpose)
                                       .add(legal)
                                       .add(until_s)
                                       .add(automatic ? "approved" : "pending")
                                       .add(due)
                                       .add(me.id)
                                       .add(automatic ? std::optional(grant_id) : std::nullopt)
                                       .add(join_csv(codes))
                                       .add_null()
                                       .add_null()),
      pg::step(kEvent,
               pg::Params()
                   .add(me.id)
                   .add("application")
                   .add(id)
                   .add(automatic ? "approved" : "submitted")
                   .add(provider)
                   .add(me.agency_code)
                   .add(detail.dump())));
  if (automatic) {
    steps.push_back(pg::step(kInsertGrant, pg::Params()
                                               .add(grant_id)
                                               .add(id)
                                               .add(*resource_code)
                                               .add(provider)
                                               .add(me.agency_code)
                                               .add(join_csv(*items))
                                               .add(join_csv(clear_items))
                                               .add(join_csv(op_list))
                                               .add(*purpose)
                                               .add(legal)
                                               .add(until_s)
                                               .add(join_csv(codes))));
    steps.push_back(pg::step(kNotify, pg::Params().add("grant:" + grant_id)));
  }
  auto lease = co_await caller.db().acquire();
  std::vector<pg::Result> results;
  try {
    results = co_await lease->pipeline(steps);
  } catch (const pg::PgError& e) {
    if (e.is_unique_violation()) {
      throw ApiError(ErrorCode::conflict,
                     "your agency already has a pending application for this resource");
    }
    throw;
  }
  if (automatic) {
    Grant g{grant_id, *resource_code, provider, me.agency_code, *items, clear_items,
            0,        *purpose,       codes,    *until,         {}};
    g.set_operations(op_list);
    grants_.put(grant_id, std::move(g));
  }
  co_return application_of(results[0], 0);
}

asio::awaitable<Application> SharingService::application(const Caller& caller,
                                                         const std::string& id) {
  const pg::Params key = pg::Params().add(id);
  auto r = co_await caller.db().exec(kApplication, key);
  if (r.rows() == 0) not_found("application");
  const Principal& me = caller.principal;
  if (!me.hub_level() && !me.of_agency(r.get(0, 4)) && !me.of_agency(r.get(0, 5))) {
    not_found("application");  // another agency's application does not exist for this caller
  }
  co_return application_of(r, 0);
}

asio::awaitable<Application> SharingService::decide(const Caller& caller, const std::string& id,
                                                    const DecisionRequest& request) {
  const Principal& me = caller.principal;
  const Application current = co_await application(caller, id);
  const std::string& provider = current.provider_code;
  const bool may = me.has(Role::hub_admin) || (me.of_agency(provider) && me.has_any(kOfficers));
  if (!may) {
    // The consumer sees its application but cannot decide it; anyone else does not see it.
    if (me.of_agency(current.consumer_code) || me.hub_level()) {
      throw ApiError(ErrorCode::forbidden, "only the provider's data officers decide");
    }
    not_found("application");
  }
  const auto& opinion = request.opinion;
  std::vector<FieldError> errors;
  const auto& asked_items = current.items;
  const auto& asked_ops = current.operations;
  auto subset = [&](const std::optional<std::vector<std::string>>& chosen,
                    const std::vector<std::string>& asked, const char* field) {
    if (!chosen) return asked;
    if (chosen->empty()) errors.push_back({field, "approve at least one, or reject"});
    for (const auto& c : *chosen) {
      if (std::find(asked.begin(), asked.end(), c) == asked.end()) {
        errors.push_back({field, "'" + c + "' was not asked for"});
      }
    }
    return *chosen;
  };
  const auto grant_items = subset(request.items, asked_items, "items");
  const auto grant_ops = subset(request.operations, asked_ops, "operations");
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "the decision has errors", errors, 422);
  }
  if (current.status != "pending") {
    throw ApiError(ErrorCode::conflict, "the application is " + current.status + ", not pending");
  }
  const bool approve = request.approve;
  if (approve) {
    // The world may have moved since the application: the grant must still make sense.
    const std::string& code = current.resource_code;
    const pg::Params rkey = pg::Params().add(code);
    auto res = co_await caller.db().exec(kResource, rkey);
    if (res.rows() == 0 || res.get(0, 1) != "published" || res.get(0, 2) == "none") {
      throw ApiError(ErrorCode::conflict, "the resource is no longer published and shareable");
    }
    if (*parse_until(current.valid_until, calendar_) <= Clock::now()) {
      throw ApiError(ErrorCode::conflict, "the period asked for has already ended; reject it");
    }
    if (current.renews_grant_id) {
      const pg::Params gkey = pg::Params().add(*current.renews_grant_id);
      auto renewed = co_await caller.db().exec(kGrant, gkey);
      if (renewed.rows() == 0 || !renewed.is_null(0, 13) || !renewed.is_null(0, 16)) {
        throw ApiError(ErrorCode::conflict,
                       "the grant this application renews was revoked or ended; reject it");
      }
    }
  }
  // A renewal extends the grant it renews; any other approval makes a grant.
  const std::string grant_id =
      !approve ? std::string() : current.renews_grant_id.value_or(random_uuid());
  std::vector<std::string> clear;
  for (const auto& c : current.clear_items) {
    if (std::find(grant_items.begin(), grant_items.end(), c) != grant_items.end())
      clear.push_back(c);
  }
  const json detail = {{"decision", approve ? "approve" : "reject"},
                       {"items", grant_items},
                       {"operations", grant_ops}};
  const std::string& consumer = current.consumer_code;
  const auto change = pg::step(kDecide, pg::Params()
                                            .add(id)
                                            .add(approve ? "approved" : "rejected")
                                            .add(me.id)
                                            .add(opinion)
                                            .add(approve ? std::optional(grant_id) : std::nullopt));
  auto then = pg::batch(pg::step(kEvent, pg::Params()
                                             .add(me.id)
                                             .add("application")
                                             .add(id)
                                             .add(approve ? "approved" : "rejected")
                                             .add(provider)
                                             .add(consumer)
                                             .add(detail.dump())));
  if (approve && current.renews_grant_id) {
    then.push_back(pg::step(kExtendGrant, pg::Params()
                                              .add(grant_id)
                                              .add(current.valid_until)
                                              .add(join_csv(grant_items))
                                              .add(join_csv(clear))
                                              .add(join_csv(grant_ops))
                                              .add(false)));
    then.push_back(pg::step(
        kEvent,
        pg::Params()
            .add(me.id)
            .add("grant")
            .add(grant_id)
            .add("renewed")
            .add(provider)
            .add(consumer)
            .add(json({{"application_id", id}, {"valid_until", current.valid_until}}).dump())));
    then.push_back(pg::step(kNotify, pg::Params().add("grant:" + grant_id)));
  } else if (approve) {
    then.push_back(pg::step(kInsertGrant, pg::Params()
                                              .add(grant_id)
                                              .add(id)
                                              .add(current.resource_code)
                                              .add(provider)
                                              .add(consumer)
                                              .add(join_csv(grant_items))
                                              .add(join_csv(clear))
                                              .add(join_csv(grant_ops))
                                              .add(current.purpose)
                                              .add(current.legal_basis)
                                              .add(current.valid_until)
                                              .add(join_csv(current.purpose_codes))));
    then.push_back(pg::step(kNotify, pg::Params().add("grant:" + grant_id)));
  }
  auto lease = co_await caller.db().acquire();
  auto decided = co_await pg::guarded(lease, change, then);
  if (decided.rows() == 0) {
    throw ApiError(ErrorCode::conflict, "the application was decided meanwhile");
  }
  if (approve) {
    Grant g{grant_id,
            current.resource_code,
            provider,
            consumer,
            grant_items,
            clear,
            0,
            current.purpose,
            current.purpose_codes,
            *parse_until(current.valid_until, calendar_),
            {}};
    g.set_operations(grant_ops);
    grants_.put(grant_id, std::move(g));
  }
  co_return application_of(decided, 0);
}

asio::awaitable<Application> SharingService::withdraw(const Caller& caller, const std::string& id) {
  const Principal& me = caller.principal;
  const Application current = co_await application(caller, id);
  const std::string& consumer = current.consumer_code;
  if (!me.of_agency(consumer) || !me.has_any(kOfficers)) {
    throw ApiError(ErrorCode::forbidden, "only the applicant's data officers withdraw it");
  }
  if (current.status != "pending") {
    throw ApiError(ErrorCode::conflict, "only a pending application can be withdrawn");
  }
  const auto change = pg::step(kWithdraw, pg::Params().add(id).add(me.id));
  const auto then = pg::batch(pg::step(kEvent, pg::Params()
                                                   .add(me.id)
                                                   .add("application")
                                                   .add(id)
                                                   .add("withdrawn")
                                                   .add(current.provider_code)
                                                   .add(consumer)
                                                   .add("{}")));
  auto lease = co_await caller.db().acquire();
  auto withdrawn = co_await pg::guarded(lease, change, then);
  if (withdrawn.rows() == 0) throw ApiError(ErrorCode::conflict, "the application was decided");
  co_return application_of(withdrawn, 0);
}

asio::awaitable<ListPage<Application>> SharingService::applications(const Caller& caller,
                                                                    const WorkflowFilter& filter,
                                                                    const PageRequest& page) {
  const pg::Params params = pg::Params()
                                .add(page.after_id())
                                .add(list_agency(caller.principal, filter))
                                .add(filter.direction)
                                .add(filter.status)
                                .add(filter.resource_code)
                                .add(static_cast<std::int64_t>(page.limit));
  auto r = co_await caller.db().exec(kApplications, params);
  co_return ListPage<Application>::of_rows(
      r.rows(), page.limit, [&](int i) { return application_of(r, i); },
      [](const Application& a) { return a.id; });
}

asio::awaitable<GrantRecord> SharingService::grant(const Caller& caller, const std::string& id) {
  const pg::Params key = pg::Params().add(id);
  auto r = co_await caller.db().exec(kGrant, key);
  if (r.rows() == 0) not_found("grant");
  const Principal& me = caller.principal;
  if (!me.hub_level() && !me.of_agency(r.get(0, 2)) && !me.of_agency(r.get(0, 3))) {
    not_found("grant");
  }
  co_return grant_of(r, 0);
}

asio::awaitable<ListPage<GrantRecord>> SharingService::grants(const Caller& caller,
                                                              const GrantFilter& filter,
                                                              const PageRequest& page) {
  const Principal& me = caller.principal;
  std::optional<std::string> agency =
      me.hub_level() ? std::nullopt : std::optional(me.agency_code.empty() ? "-" : me.agency_code);
  const pg::Params params = pg::Params()
                                .add(page.after_id())
                                .add(agency)
                                .add(filter.resource_code)
                                .add(filter.consumer)
                                .add(filter.provider)
                                .add(static_cast<std::int64_t>(page.limit));
  auto r = co_await caller.db().exec(kGrants, params);
  co_return ListPage<GrantRecord>::of_rows(
      r.rows(), page.limit, [&](int i) { return grant_of(r, i); },
      [](const GrantRecord& g) { return g.id; });
}

asio::awaitable<void> SharingService::revoke(const Caller& caller, const std::string& id,
                                             const std::optional<std::string>& reason) {
  const Principal& me = caller.principal;
  const GrantRecord g = co_await grant(caller, id);
  const std::string& provider = g.provider_code;
  if (!me.has(Role::hub_admin) && !(me.of_agency(provider) && me.has_any(kOfficers))) {
    throw ApiError(ErrorCode::forbidden, "only the provider's data officers revoke a grant");
  }
  if (g.status != "revoked") {
    const json detail = reason ? json{{"reason", *reason}} : json::object();
    const auto change = pg::step(kRevoke, pg::Params().add(id).add(me.id).add(reason));
    const auto then = pg::batch(pg::step(kEvent, pg::Params()
                                                     .add(me.id)
                                                     .add("grant")
                                                     .add(id)
                                                     .add("revoked")
                                                     .add(provider)
                                                     .add(g.consumer_code)
                                                     .add(detail.dump())),
                                pg::step(kNotify, pg::Params().add("grant:" + id)));
    auto lease = co_await caller.db().acquire();
    co_await pg::guarded(lease, change, then);  // no row: revoked meanwhile, which is as good
  }
  // Refused from the next request on this node; other nodes follow the notification.
  grants_.put(id, std::nullopt);
}

asio::awaitable<Renewal> SharingService::renew(const Caller& caller, const std::string& id,
                                               const RenewalRequest& request) {
  const Principal& me = caller.principal;
  const GrantRecord g = co_await grant(caller, id);  // 404 for third agencies
  if (!me.of_agency(g.consumer_code) || !me.has_any(kOfficers)) {
    throw ApiError(ErrorCode::forbidden, "only the consumer's data officers renew a grant");
  }
  std::vector<FieldError> errors;
  const auto now = Clock::now();
  const auto until = parse_until(request.valid_until, calendar_);
  const auto current_end = parse_until(g.valid_until, calendar_);
  const auto max_until = now + std::chrono::days{services_.config.sharing.max_valid_days};
  if (!until) {
    errors.push_back({"valid_until", "must be a date YYYY-MM-DD or an RFC 3339 time"});
  } else if (current_end && *until <= *current_end) {
    errors.push_back(
        {"valid_until", "must be after the grant's current end (" + g.valid_until + ")"});
  } else if (*until > max_until) {
    errors.push_back({"valid_until", "must be at most " +
                                         std::to_string(services_.config.sharing.max_valid_days) +
                                         " days ahead"});
  }
  if (request.reason.empty()) errors.push_back({"reason", "must say why the grant is renewed"});
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "the renewal has errors", errors, 422);
  }
  if (g.status != "active") {
    throw ApiError(ErrorCode::conflict,
                   "the grant is " + g.status + ": only a live grant is renewed; apply anew");
  }
  if (g.renewal_application_id) {
    throw ApiError(ErrorCode::conflict,
                   "a renewal of this grant is already waiting for the provider (application " +
                       *g.renewal_application_id + ")");
  }
  const pg::Params rkey = pg::Params().add(g.resource_code);
  auto res = co_await caller.db().exec(kResource, rkey);
  if (res.rows() == 0 || res.get(0, 1) != "published" || res.get(0, 2) == "none") {
    throw ApiError(ErrorCode::conflict, "the resource is no longer published and shareable");
  }
  const std::string until_s = format_time(*until);
  const std::string& provider = g.provider_code;
  const std::string& consumer = g.consumer_code;
  Renewal out;

  if (res.get(0, 2) == "unconditional") {
    // Approved at once, as the grant was: the same grant lasts longer.
    const auto change = pg::step(kExtendGrant, pg::Params()
                                                   .add(id)
                                                   .add(until_s)
                                                   .add(join_csv(g.items))
                                                   .add(join_csv(g.clear_items))
                                                   .add(join_csv(g.operations))
                                                   .add(true));
    const json detail = {{"valid_until_before", g.valid_until},
                         {"valid_until", until_s},
                         {"reason", request.reason},
                         {"automatic", true}};
    const auto then = pg::batch(pg::step(kEvent, pg::Params()
                                                     .add(me.id)
                                                     .add("grant")
                                                     .add(id)
                                                     .add("renewed")
                                                     .add(provider)
                                                     .add(consumer)
                                                     .add(detail.dump())),
                                pg::step(kNotify, pg::Params().add("grant:" + id)));
    auto lease = co_await caller.db().acquire();
    auto extended = co_await pg::guarded(lease, change, then);
    if (extended.rows() == 0) {
      throw ApiError(ErrorCode::conflict, "the grant was revoked, ended or expired meanwhile");
    }
    out.status = "approved";
    out.grant = grant_of(extended, 0);
    Grant live{id, g.resource_code, provider,        consumer, g.items, g.clear_items,
               0,  g.purpose,       g.purpose_codes, *until,   {}};
    live.set_operations(g.operations);
    grants_.put(id, std::move(live));
    co_return out;
  }

  // Conditional: an application for the same grant until the new end, which the provider decides
  // within the usual working days; the grant stays as it is meanwhile.
  const std::string app_id = random_uuid();
  const std::string due = format_time(
      calendar_.due(now, static_cast<int>(services_.config.sharing.reply_working_days)));
  const json detail = {
      {"resource_code", g.resource_code}, {"automatic", false}, {"renews_grant_id", id}};
  auto steps =
      pg::batch(pg::step(kInsertApplication, pg::Params()
                                                 .add(app_id)
                                                 .add(consumer)
                                                 .add(provider)
                                                 .add(g.resource_code)
                                                 .add(res.get_int(0, 3))
                                                 .add(join_csv(g.items))
                                                 .add(join_csv(g.clear_items))
                                                 .add(join_csv(g.operations))
                                                 .add(g.purpose)
                                                 .add(g.legal_basis)
                                                 .add(until_s)
                                                 .add("pending")
                                                 .add(due)
                                                 .add(me.id)
                                                 .add_null()
                                                 .add(join_csv(g.purpose_codes))
                                                 .add(id)
                                                 .add(request.reason)),
                pg::step(kEvent,
                         pg::Params()
                             .add(me.id)
                             .add("application")
                             .add(app_id)
                             .add("submitted")
                             .add(provider)
                             .add(consumer)
                             .add(detail.dump())),
                pg::step(kEvent,
                         pg::Params()
                             .add(me.id)
                             .add("grant")
                             .add(id)
                             .add("renewal_requested")
                             .add(provider)
                             .add(consumer)
                             .add(json({{"application_id", app_id},
                                        {"valid_until", until_s},
                                        {"reason", request.reason}})
                                      .dump())));
  auto lease = co_await caller.db().acquire();
  std::vector<pg::Result> results;
  try {
    results = co_await lease->pipeline(steps);
  } catch (const pg::PgError& e) {
    if (e.is_unique_violation()) {
      throw ApiError(ErrorCode::conflict,
                     "your agency already has a pending application for this resource");
    }
    throw;
  }
  out.status = "pending";
  out.application = application_of(results[0], 0);
  out.grant = co_await grant(caller, id);
  co_return out;
}

asio::awaitable<Objection> SharingService::object(const Caller& caller, const std::string& resource,
                                                  const ObjectionRequest& request) {
  const Principal& me = caller.principal;
  // The record: by its key, or by the caller's ref (a consumer whose grant masks the key names
  // the record by its ref).
  std::optional<std::string> key = request.key;
  const std::optional<std::string>& ref = request.ref;
  const auto* items = &request.items;
  const auto* description = &request.description;
  if (key && (key->empty() || key->size() > 512)) {
    throw ApiError(ErrorCode::validation_failed, "bad record key", {{"key", "1-512 bytes"}}, 422);
  }
  const pg::Params rkey = pg::Params().add(resource);
  auto res = co_await caller.db().exec(kResource, rkey);
  if (res.rows() == 0 || (res.get(0, 1) == "draft" && !me.of_agency(res.get(0, 0)))) {
    not_found("resource");
  }
  const std::string provider(res.get(0, 0));
  // Only a holder of a grant that let it see records (read, query, changes) covering the items
  // objects; anyone else is refused whether the record exists or not, so an objection is no way
  // to learn which keys exist. A retired resource's grants have ended.
  Decision d;
  if (res.get(0, 1) == "published") {
    for (auto op : {Operation::read, Operation::query, Operation::changes}) {
      d = grants_.holds(me, resource, op, *items);
      if (d.allowed) break;
    }
  }
  if (!d.allowed) {
    throw ApiError(ErrorCode::no_grant,
                   "objections come from holders of a read, query or changes grant covering the "
                   "items");
  }
  if (ref) key = services_.record_refs.key_of(me.agency_code, resource, *ref);
  if (!key) not_found("record");
  const pg::Params record = pg::Params().add(resource).add(*key);
  auto live = co_await caller.db().exec(kLiveRecord, record);
  if (live.rows() == 0) not_found("record");
  // What the consumer may see of the key, kept with the objection: its lists show that.
  // Only the key item is read (not the whole schema, whose items' patterns would be compiled).
  const json document = json::parse(res.get(0, 4));
  std::optional<exchange::Item> key_item;
  for (const auto& it : document.value("items", json::array())) {
    if (it.value("name", "") == document.value("key", "")) key_item = exchange::item_of(it);
  }
  std::optional<std::string> key_shown;
  if (const exchange::Item* item = key_item ? &*key_item : nullptr; item && d.covers(item->name)) {
    if (auto v = exchange::shown_value(*item, json(*key), d.clear(item->name))) {
      key_shown = v->is_string() ? v->get<std::string>() : v->dump();
    }
  }
  const std::string record_ref = services_.record_refs.ref(me.agency_code, resource, *key);
  const std::string id = random_uuid();
  const std::string due = format_time(calendar_.due(
      Clock::now(), static_cast<int>(services_.config.sharing.objection_working_days)));
  const json detail = {{"resource_code", resource}, {"ref", record_ref}};
  auto steps = pg::batch(pg::step(kInsertObjection, pg::Params()
                                                        .add(id)
                                                        .add(resource)
                                                        .add(provider)
                                                        .add(me.agency_code)
                                                        .add(d.grant_id)
                                                        .add(*key)
                                                        .add(join_csv(*items))
                                                        .add(*description)
                                                        .add(due)
                                                        .add(me.id)
                                                        .add(record_ref)
                                                        .add(key_shown)),
                         pg::step(kEvent, pg::Params()
                                              .add(me.id)
                                              .add("objection")
                                              .add(id)
                                              .add("opened")
                                              .add(provider)
                                              .add(me.agency_code)
                                              .add(detail.dump())));
  auto lease = co_await caller.db().acquire();
  auto results = co_await lease->pipeline(steps);
  co_return objection_of(results[0], 0, me);
}

asio::awaitable<Objection> SharingService::objection(const Caller& caller, const std::string& id) {
  const pg::Params key = pg::Params().add(id);
  auto r = co_await caller.db().exec(kObjection, key);
  if (r.rows() == 0) not_found("objection");
  const Principal& me = caller.principal;
  if (!me.hub_level() && !me.of_agency(r.get(0, 4)) && !me.of_agency(r.get(0, 5))) {
    not_found("objection");
  }
  co_return objection_of(r, 0, me);
}

asio::awaitable<Objection> SharingService::resolve(const Caller& caller, const std::string& id,
                                                   const ResolutionRequest& request) {
  const Principal& me = caller.principal;
  const Objection current = co_await objection(caller, id);
  const std::string& provider = current.provider_code;
  const RoleSet resolvers = kOfficers | role_bit(Role::agency_operator);
  if (!me.of_agency(provider) || !me.has_any(resolvers)) {
    throw ApiError(ErrorCode::forbidden, "the provider answers objections");
  }
  const std::string outcome = request.corrected ? "corrected" : "rejected";
  if (current.status != "open") throw ApiError(ErrorCode::conflict, "already resolved");
  const json detail = {{"outcome", outcome}};
  const auto change =
      pg::step(kResolve, pg::Params().add(id).add(outcome).add(request.note).add(me.id));
  const auto then = pg::batch(pg::step(kEvent, pg::Params()
                                                   .add(me.id)
                                                   .add("objection")
                                                   .add(id)
                                                   .add("resolved")
                                                   .add(provider)
                                                   .add(current.consumer_code)
                                                   .add(detail.dump())));
  pg::Result resolved;
  {
    auto lease = co_await caller.db().acquire();
    resolved = co_await pg::guarded(lease, change, then);
  }
  if (resolved.rows() == 0) {
    if (request.corrected) {
      const Objection now = co_await objection(caller, id);
      if (now.status == "open") {
        throw ApiError(ErrorCode::conflict,
                       "the objected items hold the values they held when the objection was "
                       "raised: push the corrected record first, or resolve the objection as "
                       "rejected");
      }
    }
    throw ApiError(ErrorCode::conflict, "already resolved");
  }
  co_return objection_of(resolved, 0, me);
}

asio::awaitable<ListPage<Objection>> SharingService::objections(const Caller& caller,
                                                                const WorkflowFilter& filter,
                                                                const PageRequest& page) {
  const pg::Params params = pg::Params()
                                .add(page.after_id())
                                .add(list_agency(caller.principal, filter))
                                .add(filter.direction)
                                .add(filter.status)
                                .add(static_cast<std::int64_t>(page.limit));
  auto r = co_await caller.db().exec(kObjections, params);
  co_return ListPage<Objection>::of_rows(
      r.rows(), page.limit, [&](int i) { return objection_of(r, i, caller.principal); },
      [](const Objection& o) { return o.id; });
}

}  // namespace hub::sharing
