#include "hub/members/service.hpp"

#include <spdlog/spdlog.h>

#include <limits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "hub/core/error.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/members/credentials.hpp"
#include "hub/store/pg.hpp"

namespace hub::members {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

#define HUB_AGENCY_COLUMNS \
  "code, name, level, parent_code, " HUB_SQL_TS("created_at") ", CASE WHEN disabled_at " \
  "IS NULL THEN 'active' ELSE 'disabled' END, " HUB_SQL_TS_OPT("disabled_at") ", successor_code, " \
  "can_record_consent, can_register_computations"
constexpr pg::Query kInsertAgency{
    "members_insert_agency",
    "INSERT INTO agencies (code, name, level, parent_code) VALUES ($1, $2, $3, $4) "
    "RETURNING " HUB_AGENCY_COLUMNS};
constexpr pg::Query kAgencyColumns{"members_agency",
                                   "SELECT " HUB_AGENCY_COLUMNS " FROM agencies WHERE code = $1"};
constexpr pg::Query kListAgencies{
    "members_list_agencies", "SELECT " HUB_AGENCY_COLUMNS
                             " FROM agencies "
                             "WHERE code > $1 AND ($2::text IS NULL OR level = $2) "
                             "AND ($3::text IS NULL OR parent_code = $3) ORDER BY code LIMIT $4"};
// $2 name or NULL; $3 whether the parent changes, $4 the new parent (NULL: none); $5 status or
// NULL; $6, $7 the flags of joint computation or NULL.
constexpr pg::Query kUpdateAgency{
    "members_update_agency",
    "UPDATE agencies SET name = coalesce($2, name),"
    " parent_code = CASE WHEN $3::boolean THEN $4 ELSE parent_code END,"
    " disabled_at = CASE WHEN $5::text IS NULL THEN disabled_at WHEN $5 = 'disabled'"
    " THEN coalesce(disabled_at, now()) ELSE NULL END,"
    " can_record_consent = coalesce($6, can_record_consent),"
    " can_register_computations = coalesce($7, can_register_computations), updated_at = now()"
    " WHERE code = $1 RETURNING " HUB_AGENCY_COLUMNS};
// Whether `$2` is `$1` or one of its ancestors' descendants: making $1 its parent would close a
// loop.
constexpr pg::Query kWouldLoop{
    "members_agency_loop",
    "WITH RECURSIVE up(code, parent_code, depth) AS ("
    " SELECT code, parent_code, 0 FROM agencies WHERE code = $1"
    " UNION ALL SELECT a.code, a.parent_code, up.depth + 1 FROM agencies a"
    " JOIN up ON a.code = up.parent_code WHERE up.depth < 64)"
    " SELECT 1 FROM up WHERE code = $2"};
constexpr pg::Query kAgencyPrincipals{"members_agency_principals",
                                      "SELECT id FROM principals WHERE agency_code = $1"};
constexpr pg::Query kAdminLog{
    "members_admin_log",
    "INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, detail) "
    "VALUES ($1, $2, $3, $4, $5, $6::jsonb)"};
constexpr pg::Query kNotify{"members_notify", "SELECT pg_notify('hub_directory', $1)"};
constexpr pg::Query kSucceed{
    "members_succeed_agency",
    "SELECT outcome, resources, grants, applications, demands, escalations, objections"
    " FROM hub_succeed_agency($1, $2, $3)"};

#define HUB_PRINCIPAL_COLUMNS \
  "id, agency_code, name, kind, array_to_string(roles, ','), cert_sha256, " HUB_SQL_TS( \
      "created_at") ", disabled_at IS NOT NULL, "                                    \
  "coalesce((SELECT level = 'external' FROM agencies WHERE code = agency_code), false)"
constexpr pg::Query kInsertPrincipal{
    "members_insert_principal",
    "INSERT INTO principals (agency_code, name, kind, roles, password_hash, cert_sha256, "
    "created_by, id) VALUES ($1, $2, $3, string_to_array($4, ','), $5, $6, $7, $8) "
    "RETURNING " HUB_PRINCIPAL_COLUMNS};
constexpr pg::Query kPrincipal{"members_principal",
                               "SELECT " HUB_PRINCIPAL_COLUMNS " FROM principals WHERE id = $1"};
constexpr pg::Query kListPrincipals{
    "members_list_principals", "SELECT " HUB_PRINCIPAL_COLUMNS
                               " FROM principals "
                               "WHERE id > $1 AND ($2::text IS NULL OR agency_code = $2)"
                               " AND ($4::text IS NULL OR $4 = ANY (roles)) ORDER BY id LIMIT $3"};
constexpr pg::Query kUpdatePrincipal{
    "members_update_principal",
    "UPDATE principals SET "
    "roles = coalesce(string_to_array($2, ','), roles), "
    "password_hash = coalesce($3, password_hash), "
    "cert_sha256 = CASE WHEN $4::text IS NULL THEN cert_sha256 WHEN $4 = '' THEN NULL ELSE $4 END, "
    "disabled_at = CASE WHEN $5::bool IS NULL THEN disabled_at WHEN $5 THEN "
    "coalesce(disabled_at, now()) ELSE NULL END, updated_at = now() "
    "WHERE id = $1 RETURNING " HUB_PRINCIPAL_COLUMNS};
constexpr pg::Query kPrincipalByName{"members_principal_by_name",
                                     "SELECT p.id, p.password_hash FROM principals p "
                                     "LEFT JOIN agencies a ON a.code = p.agency_code "
                                     "WHERE p.name = $1 AND p.kind = 'user' "
                                     "AND p.disabled_at IS NULL AND a.disabled_at IS NULL"};
constexpr pg::Query kInsertToken{
    "members_insert_token",
    "INSERT INTO tokens (principal_id, prefix, hash, kind, created_by, expires_at, id) "
    "VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6::int), $7) "
    "RETURNING id, " HUB_SQL_TS("expires_at") ", (extract(epoch FROM expires_at) * 1000)::bigint"};
constexpr pg::Query kTokenOwner{
    "members_token_owner",
    "SELECT t.id, t.prefix, t.principal_id, p.agency_code, t.revoked_at IS NOT NULL, "
    "p.roles && ARRAY['hub_admin', 'coordinator'] "
    "FROM tokens t JOIN principals p ON p.id = t.principal_id WHERE t.id = $1"};
// A principal's sign-in sessions end (its password changed, it was disabled, it lost a role):
// each token is refused on this node at once and on the others when they hear of it.
constexpr pg::Query kEndSessions{
    "members_end_sessions",
    "WITH ended AS (UPDATE tokens SET revoked_at = now(), revoked_by = $2 "
    "  WHERE principal_id = $1 AND kind = 'session' AND revoked_at IS NULL RETURNING prefix) "
    "SELECT prefix, pg_notify('hub_directory', 'token:' || prefix) FROM ended"};
constexpr pg::Query kOwnPassword{"members_own_password",
                                 "SELECT password_hash FROM principals "
                                 "WHERE id = $1 AND kind = 'user' AND disabled_at IS NULL"};
// A person's own new password, in one statement: set only while the principal is enabled, and
// only then logged and its other sessions ended (all but the one in use, $5; null when it came
// otherwise). One row per ended session's prefix, or one with a null prefix; n = 0 when nothing
// was changed.
constexpr pg::Query kSetOwnPassword{
    "members_set_own_password",
    "WITH changed AS (UPDATE principals SET password_hash = $2 "
    "  WHERE id = $1 AND disabled_at IS NULL RETURNING id), "
    "logged AS (INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, "
    "  detail) SELECT id, 'change', 'principal', id::text, $3, $4::jsonb FROM changed), "
    "ended AS (UPDATE tokens SET revoked_at = now(), revoked_by = $1 "
    "  WHERE principal_id IN (SELECT id FROM changed) AND kind = 'session' "
    "  AND revoked_at IS NULL AND ($5::text IS NULL OR id::text <> $5) RETURNING prefix), "
    "notified AS (SELECT prefix, pg_notify('hub_directory', 'token:' || prefix) FROM ended) "
    "SELECT c.n, x.prefix FROM (SELECT count(*) AS n FROM changed) c "
    "LEFT JOIN notified x ON true"};
constexpr pg::Query kRevokeToken{
    "members_revoke_token",
    "UPDATE tokens SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL"};
constexpr pg::Query kListTokens{
    "members_list_tokens",
    "SELECT id, prefix, kind, " HUB_SQL_TS("created_at") ", " HUB_SQL_TS("expires_at") ", "
    "CASE WHEN revoked_at IS NULL THEN NULL ELSE " HUB_SQL_TS("revoked_at") " END "
    "FROM tokens WHERE principal_id = $1 AND id > $2 ORDER BY id LIMIT $3"};
constexpr pg::Query kListAdminLog{
    "members_list_admin_log",
    "SELECT id, " HUB_SQL_TS("at") ", actor_id, action, object_type, object_id, agency_code, "
    "detail::text FROM admin_log WHERE id < $1 AND ($2::text IS NULL OR agency_code = $2) "
    "AND ($3::text IS NULL OR object_type = $3) ORDER BY id DESC LIMIT $4"};

// Verified against when the name is unknown, so that the answer takes as long as for a wrong
// password. Made once, on the CPU pool, with the same parameters as real hashes.
const std::string& dummy_hash() {
  static const std::string hash = hash_password(random_bytes(16));
  return hash;
}

Agency agency_of(const pg::Result& r, int row) {
  return {std::string(r.get(row, 0)), std::string(r.get(row, 1)), std::string(r.get(row, 2)),
          r.get_text(row, 3),         std::string(r.get(row, 4)), std::string(r.get(row, 5)),
          r.get_text(row, 6),         r.get_text(row, 7),         r.get_bool(row, 8),
          r.get_bool(row, 9)};
}

RoleSet parse_roles(std::string_view csv) {
  RoleSet roles = 0;
  for (const auto& name : split_csv(csv)) {
    if (auto role = parse_role(name)) roles |= role_bit(*role);
  }
  return roles;
}

std::string roles_csv(RoleSet roles) { return join_csv(role_names(roles)); }

PrincipalRecord principal_of(const pg::Result& r, int row) {
  PrincipalRecord p;
  p.id = r.get(row, 0);
  p.agency_code = r.get_text(row, 1);
  p.name = r.get(row, 2);
  p.kind = r.get(row, 3);
  p.roles = parse_roles(r.get(row, 4));
  p.cert_sha256 = r.get_text(row, 5);
  p.created_at = r.get(row, 6);
  p.disabled = r.get_bool(row, 7);
  p.external = r.get_bool(row, 8);
  return p;
}

PrincipalEntry entry_of(const PrincipalRecord& p) {
  PrincipalEntry e;
  e.principal.id = p.id;
  e.principal.name = p.name;
  e.principal.agency_code = p.agency_code.value_or("");
  e.principal.kind = p.kind;
  e.principal.roles = p.roles;
  e.principal.external = p.external;
  e.cert_sha256 = p.cert_sha256.value_or("");
  return e;
}

[[noreturn]] void not_found(std::string what) {
  throw ApiError(ErrorCode::not_found, std::move(what) + " not found");
}

pg::Params log_params(const Caller& caller, const char* action, const char* type,
                      const std::string& id, const std::optional<std::string>& agency,
                      const json& detail) {
  return pg::Params()
      .add(caller.principal.id.empty() ? std::nullopt : std::optional(caller.principal.id))
      .add(action)
      .add(type)
      .add(id)
      .add(agency)
      .add(detail.dump());
}

}  // namespace

asio::awaitable<Agency> MembersService::create_agency(const Caller& caller, const NewAgency& a) {
  auto lease = co_await caller.db().acquire();
  std::vector<pg::Result> results;
  try {
    const json detail = {{"name", a.name}, {"level", a.level}};
    auto steps = pg::batch(
        pg::step(kInsertAgency,
                 pg::Params().add(a.code).add(a.name).add(a.level).add(a.parent_code)),
        pg::step(kAdminLog, log_params(caller, "create", "agency", a.code, a.code, detail)));
    results = co_await lease->pipeline(steps);
  } catch (const pg::PgError& e) {
    if (e.is_unique_violation()) {
      throw ApiError(ErrorCode::conflict, "an agency with code " + a.code + " already exists");
    }
    if (e.sqlstate() == "23503") {
      throw ApiError(ErrorCode::validation_failed, "the parent agency does not exist",
                     {{"parent_code", "no agency has this code"}}, 422);
    }
    throw;
  }
  co_return agency_of(results[0], 0);
}

asio::awaitable<Agency> MembersService::get_agency(const Caller& caller, const std::string& code) {
  const pg::Params params = pg::Params().add(code);
  auto r = co_await caller.db().exec(kAgencyColumns, params);
  if (r.rows() == 0) not_found("agency");
  co_return agency_of(r, 0);
}

asio::awaitable<Agency> MembersService::change_agency(const Caller& caller, const std::string& code,
                                                      const AgencyChange& change) {
  if (!caller.principal.has(Role::hub_admin)) {
    throw ApiError(ErrorCode::forbidden, "hub administrators change agencies");
  }
  const Agency before = co_await get_agency(caller, code);
  if (change.parent_code && *change.parent_code) {
    const std::string& parent = **change.parent_code;
    const pg::Params exists = pg::Params().add(parent);
    const pg::Result found = co_await caller.db().exec(kAgencyColumns, exists);
    if (found.rows() == 0) {
      throw ApiError(ErrorCode::validation_failed, "the parent agency does not exist",
                     {{"parent_code", "no agency has this code"}}, 422);
    }
    const pg::Params loop = pg::Params().add(parent).add(code);
    const pg::Result looped = co_await caller.db().exec(kWouldLoop, loop);
    if (looped.rows() > 0) {
      throw ApiError(ErrorCode::validation_failed, "agencies would be their own ancestors",
                     {{"parent_code", "is this agency or one under it"}}, 422);
    }
  }
  if (before.successor_code && change.status == "active") {
    throw ApiError(ErrorCode::conflict, "this agency was succeeded by " + *before.successor_code +
                                            ", which holds its resources now: it stays disabled");
  }
  json detail = json::object();
  if (change.name) detail["name"] = *change.name;
  if (change.parent_code) detail["parent_code"] = change.parent_code->value_or("");
  if (change.status) detail["status"] = *change.status;
  if (change.can_record_consent) detail["can_record_consent"] = *change.can_record_consent;
  if (change.can_register_computations) {
    detail["can_register_computations"] = *change.can_register_computations;
  }
  const bool status_changes = change.status && *change.status != before.status;
  auto steps = pg::batch(
      pg::step(kUpdateAgency, pg::Params()
                                  .add(code)
                                  .add(change.name)
                                  .add(change.parent_code.has_value())
                                  .add(change.parent_code ? *change.parent_code : std::nullopt)
                                  .add(change.status)
                                  .add(change.can_record_consent)
                                  .add(change.can_register_computations)),
      pg::step(kAdminLog, log_params(caller, "change", "agency", code, code, detail)),
      pg::step(kAgencyPrincipals, pg::Params().add(code)));
  // Every node reloads its directory: a disabled agency's principals are refused, an enabled
  // one's admitted again.
  if (status_changes) steps.push_back(pg::step(kNotify, pg::Params().add("all")));
  auto lease = co_await caller.db().acquire();
  const auto results = co_await lease->pipeline(steps);
  const Agency out = agency_of(results[0], 0);
  if (status_changes && out.status == "disabled") {
    // Refused from the next request on this node, before the answer leaves.
    const pg::Result& ids = results[2];
    for (int i = 0; i < ids.rows(); ++i) {
      services_.directory.put_principal(std::string(ids.get(i, 0)), std::nullopt);
    }
  }
  co_return out;
}

asio::awaitable<MembersService::Succession> MembersService::succeed_agency(
    const Caller& caller, const std::string& code, const std::string& successor_code) {
  if (!caller.principal.has(Role::hub_admin)) {
    throw ApiError(ErrorCode::forbidden, "hub administrators decide successions");
  }
  auto steps = pg::batch(pg::step(kSucceed, pg::Params()
                                                .add(code)
                                                .add(successor_code)
                                                .add(caller.principal.id.empty()
                                                         ? std::nullopt
                                                         : std::optional(caller.principal.id))),
                         pg::step(kAgencyColumns, pg::Params().add(code)),
                         pg::step(kAgencyPrincipals, pg::Params().add(code)));
  auto lease = co_await caller.db().acquire();
  auto results = co_await lease->pipeline(steps);
  const pg::Result& moved = results[0];
  const std::string_view outcome = moved.get(0, 0);
  if (outcome == "no_predecessor") throw ApiError(ErrorCode::not_found, "no such agency");
  if (outcome == "no_successor" || outcome == "same") {
    throw ApiError(ErrorCode::validation_failed, "the successor must be another agency",
                   {{"successor_code",
                     outcome == "same" ? "is the agency itself" : "no agency has this code"}},
                   422);
  }
  if (outcome == "predecessor_disabled" || outcome == "successor_disabled") {
    throw ApiError(ErrorCode::conflict, outcome == "predecessor_disabled"
                                            ? "the agency is disabled already"
                                            : "the successor is disabled");
  }
  Succession out;
  out.predecessor = agency_of(results[1], 0);
  out.resources = moved.get_int(0, 1);
  out.grants = moved.get_int(0, 2);
  out.applications = moved.get_int(0, 3);
  out.demands = moved.get_int(0, 4);
  out.escalations = moved.get_int(0, 5);
  out.objections = moved.get_int(0, 6);
  // The function logged it and told every node to reload what it keeps (principals, resources,
  // grants). The predecessor's people and systems are refused from the next request on this
  // node, before the answer leaves.
  const pg::Result& ids = results[2];
  for (int i = 0; i < ids.rows(); ++i) {
    services_.directory.put_principal(std::string(ids.get(i, 0)), std::nullopt);
  }
  co_return out;
}

asio::awaitable<ListPage<Agency>> MembersService::list_agencies(const Caller& caller,
                                                                const AgencyFilter& filter,
                                                                const PageRequest& page) {
  const pg::Params params = pg::Params()
                                .add(page.after_id())
                                .add(filter.level)
                                .add(filter.parent)
                                .add(static_cast<std::int64_t>(page.limit));
  auto r = co_await caller.db().exec(kListAgencies, params);
  co_return ListPage<Agency>::of_rows(
      r.rows(), page.limit, [&](int i) { return agency_of(r, i); },
      [](const Agency& a) { return a.code; });
}

asio::awaitable<PrincipalRecord> MembersService::create_principal(const Caller& caller,
                                                                  const NewPrincipal& p) {
  const Principal& me = caller.principal;
  if (!me.has(Role::hub_admin)) {
    // An agency's CDO registers its own agency's people and systems, with agency roles only.
    if (!me.of_agency(p.agency_code)) {
      throw ApiError(ErrorCode::forbidden, "you may create principals of your own agency only");
    }
    if ((p.roles & ~kAgencyRoles) != 0) {
      throw ApiError(ErrorCode::forbidden, "you may grant agency_* roles only");
    }
  }
  std::optional<std::string> hash;
  if (p.password) {
    const auto work = [pw = *p.password] { return hash_password(pw); };
    hash = co_await off_thread(services_, work);
  }
  const std::string id = random_uuid();
  const std::optional<std::string> agency =
      p.agency_code.empty() ? std::nullopt : std::optional(p.agency_code);
  if (agency) {
    // A disabled (or succeeded) agency's principals would be refused at once: say so instead.
    const pg::Params of_agency = pg::Params().add(*agency);
    const pg::Result found = co_await caller.db().exec(kAgencyColumns, of_agency);
    if (found.rows() > 0 && agency_of(found, 0).status == "disabled") {
      throw ApiError(ErrorCode::conflict,
                     "the agency is disabled: its principals would be refused");
    }
  }
  const json detail = {{"name", p.name},
                       {"kind", p.kind},
                       {"roles", role_names(p.roles)},
                       {"password_set", p.password.has_value()},
                       {"cert_sha256", nullable(p.cert_sha256)}};
  auto lease = co_await caller.db().acquire();
  std::vector<pg::Result> results;
  try {
    auto steps = pg::batch(
        pg::step(kInsertPrincipal, pg::Params()
                                       .add(agency)
                                       .add(p.name)
                                       .add(p.kind)
                                       .add(roles_csv(p.roles))
                                       .add(hash)
                                       .add(p.cert_sha256)
                                       .add(me.id)
                                       .add(id)),
        pg::step(kAdminLog, log_params(caller, "create", "principal", id, agency, detail)),
        pg::step(kNotify, pg::Params().add("principal:" + id)));
    results = co_await lease->pipeline(steps);
  } catch (const pg::PgError& e) {
    if (e.is_unique_violation()) {
      bool cert = std::string(e.what()).find("cert_sha256") != std::string::npos;
      throw ApiError(ErrorCode::conflict, cert ? "this certificate is bound to another principal"
                                               : "a principal with this name already exists");
    }
    if (e.sqlstate() == "23503") {
      throw ApiError(ErrorCode::validation_failed, "the agency does not exist",
                     {{"agency_code", "no agency has this code"}}, 422);
    }
    throw;
  }
  PrincipalRecord out = principal_of(results[0], 0);
  services_.directory.put_principal(id, entry_of(out));
  co_return out;
}

asio::awaitable<PrincipalRecord> MembersService::visible_principal(const Caller& caller,
                                                                   const std::string& id,
                                                                   bool for_change) {
  const pg::Params params = pg::Params().add(id);
  auto r = co_await caller.db().exec(kPrincipal, params);
  if (r.rows() == 0) not_found("principal");
  PrincipalRecord p = principal_of(r, 0);
  const Principal& me = caller.principal;
  if (me.has(Role::hub_admin)) co_return p;
  const bool same_agency = p.agency_code && me.of_agency(*p.agency_code);
  // A CDO manages its agency's agency_* principals, never one holding a hub role.
  const bool hub_role = (p.roles & kHubRoles) != 0;
  if (same_agency && me.has(Role::agency_cdo) && !(for_change && hub_role)) co_return p;
  if (!for_change && me.id == id) co_return p;
  // Another agency's principal (or one this caller may not manage) does not exist for it.
  not_found("principal");
}

asio::awaitable<PrincipalRecord> MembersService::get_principal(const Caller& caller,
                                                               const std::string& id) {
  co_return co_await visible_principal(caller, id, false);
}

asio::awaitable<ListPage<PrincipalRecord>> MembersService::list_principals(
    const Caller& caller, std::optional<std::string> agency, std::optional<Role> role,
    const PageRequest& page) {
  const Principal& me = caller.principal;
  if (!me.has(Role::hub_admin) && !me.has(Role::coordinator)) {
    if (agency && !me.of_agency(*agency)) {
      throw ApiError(ErrorCode::forbidden, "you may list your own agency's principals only");
    }
    agency = me.agency_code;
  }
  const pg::Params params =
      pg::Params()
          .add(page.after_id())
          .add(agency)
          .add(static_cast<std::int64_t>(page.limit))
          .add(role ? std::optional(std::string(role_name(*role))) : std::nullopt);
  auto r = co_await caller.db().exec(kListPrincipals, params);
  co_return ListPage<PrincipalRecord>::of_rows(
      r.rows(), page.limit, [&](int i) { return principal_of(r, i); },
      [](const PrincipalRecord& p) { return p.id; });
}

asio::awaitable<PrincipalRecord> MembersService::change_principal(const Caller& caller,
                                                                  const std::string& id,
                                                                  const PrincipalChange& change) {
  const PrincipalRecord before = co_await visible_principal(caller, id, true);
  const Principal& me = caller.principal;
  if (!me.has(Role::hub_admin)) {
    if (change.roles && (*change.roles & ~kAgencyRoles) != 0) {
      throw ApiError(ErrorCode::forbidden, "you may grant agency_* roles only");
    }
  }
  if (change.password && before.kind != "user") {
    throw ApiError(ErrorCode::validation_failed, "only people sign in with a password",
                   {{"password", "systems use tokens or certificates"}}, 422);
  }
  if (change.cert_sha256 && !change.cert_sha256->empty() && before.kind != "system") {
    throw ApiError(ErrorCode::validation_failed, "only systems are bound to certificates",
                   {{"cert_sha256", "people sign in with a password"}}, 422);
  }
  std::optional<std::string> hash;
  if (change.password) {
    const auto work = [pw = *change.password] { return hash_password(pw); };
    hash = co_await off_thread(services_, work);
  }
  const std::optional<std::string>& agency = before.agency_code;
  const RoleSet before_roles = before.roles;
  // Whoever signed in as this principal before the change must sign in again.
  const bool end_sessions = change.password || (change.disabled && *change.disabled) ||
                            (change.roles && (before_roles & ~*change.roles) != 0);
  json detail = json::object();
  if (change.roles) detail["roles"] = role_names(*change.roles);
  if (end_sessions) detail["sessions_ended"] = true;
  if (change.disabled) detail["disabled"] = *change.disabled;
  if (change.password) detail["password_changed"] = true;
  if (change.cert_sha256) detail["cert_sha256"] = *change.cert_sha256;
  auto lease = co_await caller.db().acquire();
  std::vector<pg::Result> results;
  try {
    auto steps = pg::batch(
        pg::step(kUpdatePrincipal,
                 pg::Params()
                     .add(id)
                     .add(change.roles ? std::optional(roles_csv(*change.roles)) : std::nullopt)
                     .add(hash)
                     .add(change.cert_sha256)
                     .add(change.disabled)),
        pg::step(kAdminLog, log_params(caller, "change", "principal", id, agency, detail)),
        pg::step(kNotify, pg::Params().add("principal:" + id)));
    if (end_sessions) steps.push_back(pg::step(kEndSessions, pg::Params().add(id).add(me.id)));
    results = co_await lease->pipeline(steps);
  } catch (const pg::PgError& e) {
    if (e.is_unique_violation()) {
      throw ApiError(ErrorCode::conflict, "this certificate is bound to another principal");
    }
    if (e.sqlstate() == "23514") {
      throw ApiError(ErrorCode::validation_failed, "agency roles need an agency",
                     {{"roles", "this principal has no agency"}}, 422);
    }
    throw;
  }
  PrincipalRecord out = principal_of(results[0], 0);
  services_.directory.put_principal(id, out.disabled ? std::nullopt : std::optional(entry_of(out)));
  if (end_sessions) {
    const pg::Result& ended = results[3];
    for (int i = 0; i < ended.rows(); ++i) {
      services_.directory.put_token(std::string(ended.get(i, 0)), std::nullopt);
    }
  }
  co_return out;
}

asio::awaitable<IssuedToken> MembersService::issue_token(const Caller& caller,
                                                         const std::string& principal_id,
                                                         unsigned ttl_days) {
  const PrincipalRecord p = co_await visible_principal(caller, principal_id, true);
  if (p.disabled) {
    throw ApiError(ErrorCode::conflict, "the principal is disabled");
  }
  NewToken token = generate_token();
  const std::string id = random_uuid();
  const std::optional<std::string>& agency = p.agency_code;
  auto lease = co_await caller.db().acquire();
  const json detail = {
      {"principal_id", principal_id}, {"prefix", token.prefix}, {"ttl_days", ttl_days}};
  auto steps =
      pg::batch(pg::step(kInsertToken, pg::Params()
                                           .add(principal_id)
                                           .add(token.prefix)
                                           .add(token.hash)
                                           .add("api")
                                           .add(caller.principal.id)
                                           .add(static_cast<std::int64_t>(ttl_days) * 24 * 60)
                                           .add(id)),
                pg::step(kAdminLog, log_params(caller, "issue", "token", id, agency, detail)),
                pg::step(kNotify, pg::Params().add("token:" + token.prefix)));
  auto results = co_await lease->pipeline(steps);
  services_.directory.put_token(
      token.prefix, TokenEntry{id, principal_id, token.hash,
                               std::chrono::system_clock::time_point(
                                   std::chrono::milliseconds(results[0].get_int(0, 2)))});
  co_return IssuedToken{id, token.token, token.prefix, principal_id,
                        std::string(results[0].get(0, 1))};
}

asio::awaitable<ListPage<TokenInfo>> MembersService::list_tokens(const Caller& caller,
                                                                 const std::string& principal_id,
                                                                 const PageRequest& page) {
  // One's own tokens, or those of a principal one manages (a CDO's agency_* principals, never
  // one holding a hub role: those answer 404).
  if (caller.principal.id != principal_id) co_await visible_principal(caller, principal_id, true);
  const pg::Params params = pg::Params()
                                .add(principal_id)
                                .add(page.after_id())
                                .add(static_cast<std::int64_t>(page.limit));
  auto r = co_await caller.db().exec(kListTokens, params);
  co_return ListPage<TokenInfo>::of_rows(
      r.rows(), page.limit,
      [&](int i) {
        return TokenInfo{std::string(r.get(i, 0)), std::string(r.get(i, 1)),
                         std::string(r.get(i, 2)), std::string(r.get(i, 3)),
                         std::string(r.get(i, 4)), r.get_text(i, 5)};
      },
      [](const TokenInfo& t) { return t.id; });
}

asio::awaitable<void> MembersService::revoke_token(const Caller& caller,
                                                   const std::string& token_id) {
  const pg::Params params = pg::Params().add(token_id);
  auto owner = co_await caller.db().exec(kTokenOwner, params);
  if (owner.rows() == 0) not_found("token");
  const Principal& me = caller.principal;
  const std::string principal_id(owner.get(0, 2));
  const auto agency = owner.get_text(0, 3);
  const bool hub_role = owner.get_bool(0, 5);
  const bool allowed = me.has(Role::hub_admin) || me.id == principal_id ||
                       (agency && !hub_role && me.has(Role::agency_cdo) && me.of_agency(*agency));
  if (!allowed) not_found("token");
  const std::string prefix(owner.get(0, 1));
  if (!owner.get_bool(0, 4)) {
    auto lease = co_await caller.db().acquire();
    const json detail = {{"principal_id", principal_id}, {"prefix", prefix}};
    auto steps = pg::batch(
        pg::step(kRevokeToken, pg::Params().add(token_id).add(me.id)),
        pg::step(kAdminLog, log_params(caller, "revoke", "token", token_id, agency, detail)),
        pg::step(kNotify, pg::Params().add("token:" + prefix)));
    co_await lease->pipeline(steps);
  }
  // Refused from the next request on this node; other nodes follow the notification.
  services_.directory.put_token(prefix, std::nullopt);
}

asio::awaitable<Session> MembersService::sign_in(const Caller& caller, const std::string& name,
                                                 const std::string& password) {
  auto& throttle = services_.login_throttle;
  if (auto wait = throttle.blocked(name, caller.remote_address)) {
    throw ApiError(ErrorCode::rate_limited, "too many failed sign-ins; wait and retry")
        .with_header("Retry-After", std::to_string(*wait));
  }
  const pg::Params params = pg::Params().add(name);
  // Counted as a failure before the hashing, so that concurrent guesses cannot all slip in
  // under the limit; a success clears it.
  throttle.failed(name, caller.remote_address);
  auto r = co_await caller.db().exec(kPrincipalByName, params);
  const bool known = r.rows() == 1 && !r.is_null(0, 1);
  // An unknown name costs the same hashing as a wrong password, so timing tells nothing.
  const std::string encoded = known ? std::string(r.get(0, 1)) : std::string();
  const auto work = [encoded, password] {
    return verify_password(encoded.empty() ? dummy_hash() : encoded, password);
  };
  const bool ok = co_await off_thread(services_, work);
  if (!known || !ok) throw ApiError(ErrorCode::unauthenticated, "wrong name or password");
  throttle.succeeded(name, caller.remote_address);
  const std::string principal_id(r.get(0, 0));
  NewToken token = generate_token();
  auto lease = co_await caller.db().acquire();
  auto steps = pg::batch(
      pg::step(kInsertToken,
               pg::Params()
                   .add(principal_id)
                   .add(token.prefix)
                   .add(token.hash)
                   .add("session")
                   .add(principal_id)
                   .add(static_cast<std::int64_t>(services_.config.auth.session_ttl_minutes))
                   .add(random_uuid())),
      pg::step(kNotify, pg::Params().add("token:" + token.prefix)));
  auto results = co_await lease->pipeline(steps);
  services_.directory.put_token(
      token.prefix, TokenEntry{std::string(results[0].get(0, 0)), principal_id, token.hash,
                               std::chrono::system_clock::time_point(
                                   std::chrono::milliseconds(results[0].get_int(0, 2)))});
  co_return Session{token.token, std::string(results[0].get(0, 1))};
}

asio::awaitable<std::int64_t> MembersService::change_own_password(const Caller& caller,
                                                                  const std::string& current,
                                                                  const std::string& next) {
  const Principal& me = caller.principal;
  if (me.kind != "user") {
    throw ApiError(ErrorCode::validation_failed, "only people sign in with a password",
                   {{"current_password", "systems use tokens or certificates"}}, 422);
  }
  auto& throttle = services_.login_throttle;
  if (auto wait = throttle.blocked(me.name, caller.remote_address)) {
    throw ApiError(ErrorCode::rate_limited, "too many wrong passwords; wait and retry")
        .with_header("Retry-After", std::to_string(*wait));
  }
  // Counted before the hashing, as a sign-in is, and cleared when it was right.
  throttle.failed(me.name, caller.remote_address);
  const pg::Params who = pg::Params().add(me.id);
  auto r = co_await caller.db().exec(kOwnPassword, who);
  const std::string encoded =
      r.rows() == 1 && !r.is_null(0, 0) ? std::string(r.get(0, 0)) : std::string();
  const auto check = [encoded, current] {
    return verify_password(encoded.empty() ? dummy_hash() : encoded, current);
  };
  const bool ok = co_await off_thread(services_, check);
  if (encoded.empty() || !ok) {
    throw ApiError(ErrorCode::validation_failed, "the current password is wrong",
                   {{"current_password", "is not your password"}}, 422);
  }
  throttle.succeeded(me.name, caller.remote_address);
  if (next == current) {
    throw ApiError(ErrorCode::validation_failed, "the new password is the current one",
                   {{"new_password", "must differ from the current password"}}, 422);
  }
  const auto work = [next] { return hash_password(next); };
  const std::string hash = co_await off_thread(services_, work);
  const std::optional<std::string> session =
      me.token_id.empty() ? std::nullopt : std::optional(me.token_id);
  const std::optional<std::string> agency =
      me.agency_code.empty() ? std::nullopt : std::optional(me.agency_code);
  const json detail = {{"password_changed", true}, {"own", true}, {"other_sessions_ended", true}};
  const pg::Params change =
      pg::Params().add(me.id).add(hash).add(agency).add(detail.dump()).add(session);
  auto done = co_await caller.db().exec(kSetOwnPassword, change);
  // Disabled since the request was let in: nothing changed, nothing logged.
  if (done.rows() == 0 || done.get_int(0, 0) == 0) {
    throw ApiError(ErrorCode::unauthenticated, "this principal is disabled");
  }
  std::int64_t ended = 0;
  for (int i = 0; i < done.rows(); ++i) {
    if (done.is_null(i, 1)) continue;
    services_.directory.put_token(std::string(done.get(i, 1)), std::nullopt);
    ++ended;
  }
  co_return ended;
}

asio::awaitable<ListPage<AdminLogEntry>> MembersService::admin_log(
    const Caller& caller, std::optional<std::string> agency,
    const std::optional<std::string>& object_type, const PageRequest& page) {
  const Principal& me = caller.principal;
  if (!me.has(Role::hub_admin)) {
    if (agency && !me.of_agency(*agency)) {
      throw ApiError(ErrorCode::forbidden, "you may read your own agency's entries only");
    }
    agency = me.agency_code;
  }
  const pg::Params params =
      pg::Params()
          .add(page.after_number().value_or(std::numeric_limits<std::int64_t>::max()))
          .add(agency)
          .add(object_type)
          .add(static_cast<std::int64_t>(page.limit));
  auto r = co_await caller.db().exec(kListAdminLog, params);
  co_return ListPage<AdminLogEntry>::of_rows(
      r.rows(), page.limit,
      [&](int i) {
        return AdminLogEntry{r.get_int(i, 0),          std::string(r.get(i, 1)),
                             r.get_text(i, 2),         std::string(r.get(i, 3)),
                             std::string(r.get(i, 4)), std::string(r.get(i, 5)),
                             r.get_text(i, 6),         json::parse(r.get(i, 7))};
      },
      [](const AdminLogEntry& e) { return e.id; });
}

bool bootstrap_admin(PGconn* conn, const std::string& token, unsigned ttl_days) {
  pg::exec_blocking(conn, "BEGIN");
  try {
    pg::exec_blocking(conn, "LOCK TABLE principals IN SHARE ROW EXCLUSIVE MODE");
    auto admins = pg::exec_blocking(
        conn, "SELECT 1 FROM principals WHERE 'hub_admin' = ANY (roles) AND disabled_at IS NULL",
        pg::Params());
    if (admins.rows() > 0) {
      pg::exec_blocking(conn, "COMMIT");
      return false;
    }
    auto p = pg::exec_blocking(
        conn,
        "INSERT INTO principals (name, kind, roles, created_by) "
        "VALUES ('admin', 'user', ARRAY['hub_admin'], 'bootstrap') "
        "ON CONFLICT (name) DO UPDATE SET roles = ARRAY['hub_admin'], disabled_at = NULL "
        "RETURNING id",
        pg::Params());
    const std::string id(p.get(0, 0));
    const auto prefix = *token_prefix(token);
    pg::exec_blocking(
        conn,
        "INSERT INTO tokens (principal_id, prefix, hash, kind, created_by, expires_at) "
        "VALUES ($1, $2, $3, 'bootstrap', 'bootstrap', "
        "now() + make_interval(days => $4::int))",
        pg::Params()
            .add(id)
            .add(prefix)
            .add(token_hash(token))
            .add(static_cast<std::int64_t>(ttl_days)));
    pg::exec_blocking(conn,
                      "INSERT INTO admin_log (actor_id, action, object_type, object_id, detail) "
                      "VALUES (NULL, 'bootstrap', 'principal', $1, '{\"name\":\"admin\"}')",
                      pg::Params().add(id));
    pg::exec_blocking(conn, "SELECT pg_notify('hub_directory', 'all')", pg::Params());
    pg::exec_blocking(conn, "COMMIT");
    return true;
  } catch (...) {
    pg::exec_blocking(conn, "ROLLBACK");
    throw;
  }
}

}  // namespace hub::members
