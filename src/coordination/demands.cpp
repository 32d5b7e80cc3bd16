#include "hub/coordination/demands.hpp"

#include <nlohmann/json.hpp>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/store/guarded.hpp"
#include "hub/store/pg.hpp"
#include "rows.hpp"

namespace hub::coordination {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

#define HUB_DEMAND_COLUMNS \
  "d.id, d.status, d.consumer_code, d.title, d.description, to_jsonb(d.items_wanted)::text, "      \
  "d.purpose, d.legal_basis, d.suggested_provider_code, d.provider_code, " HUB_SQL_TS_OPT(          \
      "d.assigned_at") ", " HUB_SQL_TS_OPT("d.due_at") ", d.outcome, d.resource_code, d.reason, " \
                       HUB_SQL_TS_OPT("d.answered_at") ", d.accepted, d.acceptance_note, "         \
                       HUB_SQL_TS_OPT("d.closed_at") ", " HUB_SQL_TS("d.created_at")               \
      ", d.created_by, (d.status = 'assigned' AND d.due_at < now())"

constexpr pg::Query kInsert{
    "demand_insert",
    "INSERT INTO demands AS d (id, consumer_code, title, description, items_wanted, purpose,"
    " legal_basis, suggested_provider_code, status, created_by)"
    " VALUES ($1, $2, $3, $4, ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), $6, $7, $8,"
    " 'open', $9) RETURNING " HUB_DEMAND_COLUMNS};
constexpr pg::Query kOne{"demand_one",
                         "SELECT " HUB_DEMAND_COLUMNS " FROM demands d WHERE d.id = $1"};
// Assigned (again): from open, disputed or assigned-and-unanswered; what an earlier provider
// answered is cleared, its history stays in the events.
constexpr pg::Query kAssign{
    "demand_assign",
    "UPDATE demands d SET status = 'assigned', provider_code = $2, assigned_at = now(),"
    " assigned_by = $3, due_at = $4::timestamptz, outcome = NULL, resource_code = NULL,"
    " reason = NULL, answered_at = NULL, answered_by = NULL, accepted = NULL,"
    " acceptance_note = NULL WHERE d.id = $1 AND d.status IN ('open', 'assigned', 'disputed')"
    " RETURNING " HUB_DEMAND_COLUMNS};
constexpr pg::Query kAnswer{
    "demand_answer",
    "UPDATE demands d SET status = 'answered', outcome = $3, resource_code = $4, reason = $5,"
    " answered_at = now(), answered_by = $6 WHERE d.id = $1 AND d.status = 'assigned'"
    " AND d.provider_code = $2 RETURNING " HUB_DEMAND_COLUMNS};
constexpr pg::Query kAccept{
    "demand_accept",
    "UPDATE demands d SET status = CASE WHEN $2::boolean THEN 'closed' ELSE 'disputed' END,"
    " accepted = $2::boolean, acceptance_note = $3,"
    " closed_at = CASE WHEN $2::boolean THEN now() END"
    " WHERE d.id = $1 AND d.status = 'answered' RETURNING " HUB_DEMAND_COLUMNS};
// Lists in id order: $1 after id; $2 agency or NULL (all); $3 direction or NULL (both); $4 status
// or 'overdue' or NULL; $5 limit.
constexpr pg::Query kList{
    "demand_list",
    "SELECT " HUB_DEMAND_COLUMNS
    " FROM demands d WHERE d.id > $1"
    " AND ($2::text IS NULL OR ($3::text IS DISTINCT FROM 'outgoing' AND d.provider_code = $2)"
    "      OR ($3::text IS DISTINCT FROM 'incoming' AND d.consumer_code = $2))"
    " AND ($4::text IS NULL OR d.status = $4"
    "      OR ($4 = 'overdue' AND d.status = 'assigned' AND d.due_at < now()))"
    " ORDER BY d.id LIMIT $5"};
constexpr pg::Query kAgency{"demand_agency", "SELECT 1 FROM agencies WHERE code = $1"};
constexpr pg::Query kResource{"demand_resource",
                              "SELECT provider_code, status FROM resources WHERE code = $1"};
constexpr auto& kEvent = kSharingEvent;

Demand demand_of(const pg::Result& r, int row) {
  Demand d;
  d.id = r.get(row, 0);
  d.status = r.get(row, 1);
  d.consumer_code = r.get(row, 2);
  d.title = r.get(row, 3);
  d.description = r.get(row, 4);
  d.items_wanted = json::parse(r.get(row, 5)).get<std::vector<std::string>>();
  d.purpose = r.get(row, 6);
  d.legal_basis = r.get_text(row, 7);
  d.suggested_provider_code = r.get_text(row, 8);
  d.provider_code = r.get_text(row, 9);
  d.assigned_at = r.get_text(row, 10);
  d.due_at = r.get_text(row, 11);
  d.outcome = r.get_text(row, 12);
  d.resource_code = r.get_text(row, 13);
  d.reason = r.get_text(row, 14);
  d.answered_at = r.get_text(row, 15);
  if (!r.is_null(row, 16)) d.accepted = r.get_bool(row, 16);
  d.acceptance_note = r.get_text(row, 17);
  d.closed_at = r.get_text(row, 18);
  d.created_at = r.get(row, 19);
  d.created_by = r.get(row, 20);
  d.overdue = r.get_bool(row, 21);
  return d;
}

constexpr RoleSet kOfficers = role_bit(Role::agency_cdo) | role_bit(Role::agency_data_officer);

[[noreturn]] void not_found() { throw ApiError(ErrorCode::not_found, "demand not found"); }

[[noreturn]] void invalid(std::string field, std::string message) {
  throw ApiError(ErrorCode::validation_failed, "the request has errors",
                 {{std::move(field), std::move(message)}}, 422);
}

// The change and its event in one transaction (pg::guarded): the event is written only when the
// guarded UPDATE changed a row (a step lost to another officer's changes nothing).
asio::awaitable<pg::Result> changed(const Caller& caller, const pg::Query& change,
                                    const pg::Params& params, const pg::Params& event) {
  auto lease = co_await caller.db().acquire();
  const auto step = pg::step(change, params);
  const auto then = pg::batch(pg::step(kEvent, event));
  co_return co_await pg::guarded(lease, step, then);
}

}  // namespace

asio::awaitable<Demand> DemandService::post(const Caller& caller, const DemandRequest& request) {
  const Principal& me = caller.principal;
  if (me.agency_code.empty() || !me.has_any(kOfficers)) {
    throw ApiError(ErrorCode::forbidden, "an agency's data officers post its demands");
  }
  if (request.items_wanted.empty()) invalid("items_wanted", "must name at least one item");
  if (const auto& s = request.suggested_provider_code) {
    if (*s == me.agency_code) {
      invalid("suggested_provider_code", "is your own agency: a demand is for another's data");
    }
    const pg::Params key = pg::Params().add(*s);
    const pg::Result found = co_await caller.db().exec(kAgency, key);
    if (found.rows() == 0) invalid("suggested_provider_code", "is not a member agency");
  }
  const std::string id = random_uuid();
  const json items = request.items_wanted;
  const json detail = {{"title", request.title}};
  // One pipeline: one implicit transaction, the demand and its event together.
  const auto steps = pg::batch(pg::step(kInsert, pg::Params()
                                                     .add(id)
                                                     .add(me.agency_code)
                                                     .add(request.title)
                                                     .add(request.description)
                                                     .add(items.dump())
                                                     .add(request.purpose)
                                                     .add(request.legal_basis)
                                                     .add(request.suggested_provider_code)
                                                     .add(me.id)),
                               pg::step(kEvent, pg::Params()
                                                    .add(me.id)
                                                    .add("demand")
                                                    .add(id)
                                                    .add("posted")
                                                    .add_null()
                                                    .add(me.agency_code)
                                                    .add(detail.dump())));
  auto lease = co_await caller.db().acquire();
  auto results = co_await lease->pipeline(steps);
  co_return demand_of(results[0], 0);
}

asio::awaitable<Demand> DemandService::demand(const Caller& caller, const std::string& id) {
  const pg::Params key = pg::Params().add(id);
  auto r = co_await caller.db().exec(kOne, key);
  if (r.rows() == 0) not_found();
  Demand d = demand_of(r, 0);
  const Principal& me = caller.principal;
  // Another agency's demand does not exist for the caller: the asker's and the agency it is
  // assigned to see it, and the hub's staff.
  if (!me.hub_level() && !me.of_agency(d.consumer_code) &&
      !(d.provider_code && me.of_agency(*d.provider_code))) {
    not_found();
  }
  co_return d;
}

asio::awaitable<Demand> DemandService::assign(const Caller& caller, const std::string& id,
                                              const std::string& provider_code) {
  const Principal& me = caller.principal;
  if (!me.has(Role::coordinator) && !me.has(Role::hub_admin)) {
    throw ApiError(ErrorCode::forbidden, "the coordination group assigns demands");
  }
  const Demand current = co_await demand(caller, id);
  if (provider_code == current.consumer_code) {
    invalid("provider_code", "is the asking agency");
  }
  const pg::Params key = pg::Params().add(provider_code);
  const pg::Result found = co_await caller.db().exec(kAgency, key);
  if (found.rows() == 0) invalid("provider_code", "is not a member agency");
  if (current.status == "answered" || current.status == "closed") {
    throw ApiError(ErrorCode::conflict,
                   "the demand is " + current.status +
                       ": it is assigned again only while open, assigned or disputed");
  }
  const std::string due = sharing::format_time(
      calendar_.due(std::chrono::system_clock::now(),
                    static_cast<int>(services_.config.sharing.demand_working_days)));
  const pg::Params params = pg::Params().add(id).add(provider_code).add(me.id).add(due);
  const pg::Params event =
      pg::Params()
          .add(me.id)
          .add("demand")
          .add(id)
          .add(current.provider_code ? "reassigned" : "assigned")
          .add(provider_code)
          .add(current.consumer_code)
          .add(json({{"provider_code", provider_code}, {"due_at", due}}).dump());
  auto r = co_await changed(caller, kAssign, params, event);
  if (r.rows() == 0) throw ApiError(ErrorCode::conflict, "the demand was answered meanwhile");
  co_return demand_of(r, 0);
}

asio::awaitable<Demand> DemandService::answer(const Caller& caller, const std::string& id,
                                              const DemandAnswer& answer) {
  const Principal& me = caller.principal;
  const Demand current = co_await demand(caller, id);
  const bool provider = current.provider_code && me.of_agency(*current.provider_code);
  if (!provider || !me.has_any(kOfficers)) {
    throw ApiError(ErrorCode::forbidden,
                   "the data officers of the agency the demand is assigned to answer it");
  }
  if (answer.outcome == "catalogued") {
    if (!answer.resource_code) invalid("resource_code", "name the resource that meets the demand");
    const pg::Params key = pg::Params().add(*answer.resource_code);
    auto res = co_await caller.db().exec(kResource, key);
    if (res.rows() == 0 || res.get(0, 0) != *current.provider_code ||
        res.get(0, 1) != "published") {
      invalid("resource_code", "is not a published resource of your agency");
    }
  } else if (answer.resource_code) {
    invalid("resource_code", "only a catalogued answer names a resource");
  }
  if (current.status != "assigned") {
    throw ApiError(ErrorCode::conflict, "the demand is " + current.status + ", not assigned");
  }
  const json detail = {
      {"outcome", answer.outcome},
      {"resource_code", answer.resource_code ? json(*answer.resource_code) : json(nullptr)},
      {"reason", answer.reason ? json(*answer.reason) : json(nullptr)}};
  const pg::Params params = pg::Params()
                                .add(id)
                                .add(*current.provider_code)
                                .add(answer.outcome)
                                .add(answer.resource_code)
                                .add(answer.reason)
                                .add(me.id);
  const pg::Params event = pg::Params()
                               .add(me.id)
                               .add("demand")
                               .add(id)
                               .add("answered")
                               .add(*current.provider_code)
                               .add(current.consumer_code)
                               .add(detail.dump());
  auto r = co_await changed(caller, kAnswer, params, event);
  if (r.rows() == 0) throw ApiError(ErrorCode::conflict, "the demand was reassigned meanwhile");
  co_return demand_of(r, 0);
}

asio::awaitable<Demand> DemandService::accept(const Caller& caller, const std::string& id,
                                              bool accepted,
                                              const std::optional<std::string>& note) {
  const Principal& me = caller.principal;
  const Demand current = co_await demand(caller, id);
  if (!me.of_agency(current.consumer_code) || !me.has_any(kOfficers)) {
    throw ApiError(ErrorCode::forbidden, "the asking agency's data officers accept the answer");
  }
  if (!accepted && (!note || note->empty())) {
    invalid("note", "say why the answer does not meet the demand");
  }
  if (current.status != "answered") {
    throw ApiError(ErrorCode::conflict, "the demand is " + current.status + ", not answered");
  }
  const json detail = {{"accepted", accepted}, {"note", note ? json(*note) : json(nullptr)}};
  const pg::Params params = pg::Params().add(id).add(accepted).add(note);
  const pg::Params event = pg::Params()
                               .add(me.id)
                               .add("demand")
                               .add(id)
                               .add(accepted ? "accepted" : "disputed")
                               .add(*current.provider_code)
                               .add(current.consumer_code)
                               .add(detail.dump());
  auto r = co_await changed(caller, kAccept, params, event);
  if (r.rows() == 0) throw ApiError(ErrorCode::conflict, "the demand changed meanwhile");
  co_return demand_of(r, 0);
}

asio::awaitable<ListPage<Demand>> DemandService::demands(const Caller& caller,
                                                         const DemandFilter& filter,
                                                         const PageRequest& page) {
  const std::optional<std::string> agency = listed_agency(caller.principal, filter.agency);
  const pg::Params params = pg::Params()
                                .add(page.after_id())
                                .add(agency)
                                .add(filter.direction)
                                .add(filter.status)
                                .add(static_cast<std::int64_t>(page.limit));
  auto r = co_await caller.db().exec(kList, params);
  co_return ListPage<Demand>::of_rows(
      r.rows(), page.limit, [&](int i) { return demand_of(r, i); },
      [](const Demand& d) { return d.id; });
}

}  // namespace hub::coordination
