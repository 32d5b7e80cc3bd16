#include "hub/coordination/escalations.hpp"

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

#define HUB_ESCALATION_COLUMNS                                                                  \
  "e.id, e.status, e.application_id, e.consumer_code, e.provider_code, e.resource_code, "       \
  "e.reason, e.outcome, e.note, " HUB_SQL_TS("e.created_at") ", e.created_by, " HUB_SQL_TS_OPT( \
      "e.ruled_at") ", e.ruled_by"

constexpr pg::Query kApplication{
    "escalation_application",
    "SELECT consumer_code, provider_code, resource_code, status,"
    " (status = 'pending' AND due_at < now()) FROM applications WHERE id = $1"};
constexpr pg::Query kInsert{
    "escalation_insert",
    "INSERT INTO escalations AS e (id, application_id, consumer_code, provider_code,"
    " resource_code, reason, status, created_by) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)"
    " RETURNING " HUB_ESCALATION_COLUMNS};
constexpr pg::Query kOne{"escalation_one",
                         "SELECT " HUB_ESCALATION_COLUMNS " FROM escalations e WHERE e.id = $1"};
constexpr pg::Query kRule{
    "escalation_rule",
    "UPDATE escalations e SET status = 'ruled', outcome = $2, note = $3, ruled_at = now(),"
    " ruled_by = $4 WHERE e.id = $1 AND e.status = 'open' RETURNING " HUB_ESCALATION_COLUMNS};
// Reopened for its provider: pending again, with a fresh deadline; the earlier decision stays
// in the sharing history.
constexpr pg::Query kReopen{
    "escalation_reopen",
    "UPDATE applications SET status = 'pending', due_at = $2::timestamptz, decided_at = NULL,"
    " decided_by = NULL WHERE id = $1 AND status IN ('pending', 'rejected')"};
// Another pending application of the consumer for the resource (one at a time).
constexpr pg::Query kOtherPending{
    "escalation_other_pending",
    "SELECT 1 FROM applications a JOIN applications b ON b.consumer_code = a.consumer_code"
    " AND b.resource_code = a.resource_code AND b.id <> a.id AND b.status = 'pending'"
    " WHERE a.id = $1"};
constexpr pg::Query kList{"escalation_list",
                          "SELECT " HUB_ESCALATION_COLUMNS
                          " FROM escalations e WHERE e.id > $1"
                          " AND ($2::text IS NULL OR e.provider_code = $2 OR e.consumer_code = $2)"
                          " AND ($3::text IS NULL OR e.status = $3) ORDER BY e.id LIMIT $4"};
constexpr auto& kEvent = kSharingEvent;

Escalation escalation_of(const pg::Result& r, int row) {
  Escalation e;
  e.id = r.get(row, 0);
  e.status = r.get(row, 1);
  e.application_id = r.get(row, 2);
  e.consumer_code = r.get(row, 3);
  e.provider_code = r.get(row, 4);
  e.resource_code = r.get(row, 5);
  e.reason = r.get(row, 6);
  e.outcome = r.get_text(row, 7);
  e.note = r.get_text(row, 8);
  e.created_at = r.get(row, 9);
  e.created_by = r.get(row, 10);
  e.ruled_at = r.get_text(row, 11);
  e.ruled_by = r.get_text(row, 12);
  return e;
}

constexpr RoleSet kOfficers = role_bit(Role::agency_cdo) | role_bit(Role::agency_data_officer);

pg::Params event(const std::string& actor, const char* type, const std::string& id,
                 const char* action, const Escalation& e, const json& detail) {
  return pg::Params()
      .add(actor)
      .add(type)
      .add(id)
      .add(action)
      .add(e.provider_code)
      .add(e.consumer_code)
      .add(detail.dump());
}

}  // namespace

asio::awaitable<Escalation> EscalationService::escalate(const Caller& caller,
                                                        const std::string& application_id,
                                                        const std::string& reason) {
  const Principal& me = caller.principal;
  const pg::Params key = pg::Params().add(application_id);
  const pg::Result app = co_await caller.db().exec(kApplication, key);
  // Another agency's application does not exist for the caller.
  if (app.rows() == 0 ||
      (!me.hub_level() && !me.of_agency(app.get(0, 0)) && !me.of_agency(app.get(0, 1)))) {
    throw ApiError(ErrorCode::not_found, "application not found");
  }
  if (!me.of_agency(app.get(0, 0)) || !me.has_any(kOfficers)) {
    throw ApiError(ErrorCode::forbidden,
                   "the applicant's data officers bring an application to the coordination group");
  }
  const std::string status(app.get(0, 3));
  if (status != "rejected" && !app.get_bool(0, 4)) {
    throw ApiError(ErrorCode::conflict,
                   "only a rejected application, or one past its deadline undecided, is "
                   "escalated; this one is " +
                       status);
  }
  const std::string id = random_uuid();
  Escalation e;
  e.consumer_code = app.get(0, 0);
  e.provider_code = app.get(0, 1);
  const auto steps = pg::batch(
      pg::step(kInsert, pg::Params()
                            .add(id)
                            .add(application_id)
                            .add(e.consumer_code)
                            .add(e.provider_code)
                            .add(app.get(0, 2))
                            .add(reason)
                            .add(me.id)),
      pg::step(kEvent, event(me.id, "escalation", id, "opened", e,
                             {{"application_id", application_id}, {"application_status", status}})),
      pg::step(kEvent, event(me.id, "application", application_id, "escalated", e,
                             {{"escalation_id", id}})));
  auto lease = co_await caller.db().acquire();
  std::vector<pg::Result> results;
  try {
    results = co_await lease->pipeline(steps);
  } catch (const pg::PgError& err) {
    if (err.is_unique_violation()) {
      throw ApiError(ErrorCode::conflict,
                     "the application is already before the coordination group");
    }
    throw;
  }
  co_return escalation_of(results[0], 0);
}

asio::awaitable<Escalation> EscalationService::escalation(const Caller& caller,
                                                          const std::string& id) {
  const pg::Params key = pg::Params().add(id);
  const pg::Result r = co_await caller.db().exec(kOne, key);
  const Principal& me = caller.principal;
  if (r.rows() == 0 ||
      (!me.hub_level() && !me.of_agency(r.get(0, 3)) && !me.of_agency(r.get(0, 4)))) {
    throw ApiError(ErrorCode::not_found, "escalation not found");
  }
  co_return escalation_of(r, 0);
}

asio::awaitable<Escalation> EscalationService::rule(const Caller& caller, const std::string& id,
                                                    const std::string& outcome,
                                                    const std::string& note) {
  const Principal& me = caller.principal;
  if (!me.has(Role::coordinator)) {
    throw ApiError(ErrorCode::forbidden, "the coordination group rules on escalations");
  }
  const Escalation current = co_await escalation(caller, id);
  if (current.status != "open") {
    throw ApiError(ErrorCode::conflict, "the escalation is already ruled on");
  }
  const bool reconsider = outcome == "reconsider";
  std::string due;
  std::vector<pg::Connection::Step> then;
  then.push_back(pg::step(kEvent, event(me.id, "escalation", id, "ruled", current,
                                        {{"outcome", outcome}, {"note", note}})));
  if (reconsider) {
    const pg::Params key = pg::Params().add(current.application_id);
    const pg::Result other = co_await caller.db().exec(kOtherPending, key);
    if (other.rows() > 0) {
      throw ApiError(ErrorCode::conflict,
                     "the consumer has another pending application for this resource; the "
                     "application cannot be reopened beside it");
    }
    due = sharing::format_time(
        calendar_.due(std::chrono::system_clock::now(),
                      static_cast<int>(services_.config.sharing.reply_working_days)));
    then.push_back(pg::step(kReopen, pg::Params().add(current.application_id).add(due)));
    then.push_back(pg::step(kEvent, event(me.id, "application", current.application_id, "reopened",
                                          current, {{"escalation_id", id}, {"due_at", due}})));
  }
  auto lease = co_await caller.db().acquire();
  const auto change = pg::step(kRule, pg::Params().add(id).add(outcome).add(note).add(me.id));
  const pg::Result ruled = co_await pg::guarded(lease, change, then);
  if (ruled.rows() == 0) throw ApiError(ErrorCode::conflict, "the escalation was ruled meanwhile");
  co_return escalation_of(ruled, 0);
}

asio::awaitable<ListPage<Escalation>> EscalationService::escalations(const Caller& caller,
                                                                     const EscalationFilter& filter,
                                                                     const PageRequest& page) {
  const std::optional<std::string> agency = listed_agency(caller.principal, filter.agency);
  const pg::Params params = pg::Params()
                                .add(page.after_id())
                                .add(agency)
                                .add(filter.status)
                                .add(static_cast<std::int64_t>(page.limit));
  const pg::Result r = co_await caller.db().exec(kList, params);
  co_return ListPage<Escalation>::of_rows(
      r.rows(), page.limit, [&](int i) { return escalation_of(r, i); },
      [](const Escalation& e) { return e.id; });
}

}  // namespace hub::coordination
