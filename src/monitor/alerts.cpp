// The alert routes of API.md: GET /api/v1/alerts, POST /api/v1/alerts/{id}/ack.
#include "hub/core/error.hpp"
#include "hub/core/worker.hpp"
#include "hub/monitor/monitor.hpp"
#include "hub/store/pg.hpp"

namespace hub::monitor {

namespace {

using json = nlohmann::json;

#define HUB_ALERT_COLUMNS                                                     \
  "x.seq, x.id, x.rule, x.severity, x.agency_code, a.name, x.resource_code, " \
  "x.detail::text, " HUB_SQL_TS("x.opened_at") ", x.status, " HUB_SQL_TS_OPT( \
      "x.acknowledged_at") ", x.acknowledged_by, x.note"

// Newest first. $1 after seq, $2 status, $3 rule, $4 agency, $5 limit.
constexpr pg::Query kList{
    "alerts_list",
    "SELECT " HUB_ALERT_COLUMNS
    " FROM alerts x LEFT JOIN agencies a ON a.code = x.agency_code"
    " WHERE ($1::bigint IS NULL OR x.seq < $1::bigint) AND ($2::text IS NULL OR x.status = $2)"
    " AND ($3::text IS NULL OR x.rule = $3) AND ($4::text IS NULL OR x.agency_code = $4)"
    " ORDER BY x.seq DESC LIMIT $5",
    true};

constexpr pg::Query kAck{
    "alerts_ack",
    "WITH x AS (UPDATE alerts SET status = 'acknowledged', acknowledged_at = now(),"
    " acknowledged_by = $2, note = $3 WHERE id = $1 AND status = 'open' RETURNING *)"
    " SELECT " HUB_ALERT_COLUMNS " FROM x LEFT JOIN agencies a ON a.code = x.agency_code"};

constexpr pg::Query kOne{"alerts_one",
                         "SELECT " HUB_ALERT_COLUMNS
                         " FROM alerts x LEFT JOIN agencies a ON a.code = x.agency_code"
                         " WHERE x.id = $1"};

json alert_json(const pg::Result& r, int i) {
  json detail = json::parse(r.get(i, 7), nullptr, false);
  if (detail.is_discarded()) detail = json::object();
  return {{"id", r.get(i, 1)},
          {"rule", r.get(i, 2)},
          {"severity", r.get(i, 3)},
          {"agency_code", r.is_null(i, 4) ? json(nullptr) : json(r.get(i, 4))},
          {"agency_name", r.is_null(i, 5) ? json(nullptr) : json(r.get(i, 5))},
          {"resource_code", r.is_null(i, 6) ? json(nullptr) : json(r.get(i, 6))},
          {"detail", std::move(detail)},
          {"opened_at", r.get(i, 8)},
          {"status", r.get(i, 9)},
          {"acknowledged_at", r.is_null(i, 10) ? json(nullptr) : json(r.get(i, 10))},
          {"acknowledged_by", r.is_null(i, 11) ? json(nullptr) : json(r.get(i, 11))},
          {"note", r.is_null(i, 12) ? json(nullptr) : json(r.get(i, 12))}};
}

std::optional<std::string> one_of(const std::optional<std::string>& v, const char* name,
                                  std::initializer_list<std::string_view> allowed) {
  if (!v) return std::nullopt;
  for (auto a : allowed) {
    if (*v == a) return v;
  }
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  bad_query_param(name, "must be one of " + list);
}

}  // namespace

boost::asio::awaitable<Page> AlertService::list(const Caller& caller, const AlertFilter& filter,
                                                const PageRequest& page) {
  const std::optional<std::int64_t> after = page.after_number();
  std::optional<std::string> rule;
  if (const auto& v = filter.rule) {
    bool known = false;
    for (const auto& r : rules()) known = known || *v == r.name;
    if (!known) bad_query_param("rule", "is not a rule of the hub");
    rule = v;
  }
  // The hub's staff see every agency's alerts (or the one asked for); an agency's CDO its own
  // agency's, whatever it asks for.
  const Principal& me = caller.principal;
  const std::optional<std::string> agency =
      me.hub_level() ? filter.agency
                     : std::optional(me.agency_code.empty() ? std::string("-") : me.agency_code);
  const pg::Params params = pg::Params()
                                .add(after)
                                .add(one_of(filter.status, "status", {"open", "acknowledged"}))
                                .add(rule)
                                .add(agency)
                                .add(static_cast<std::int64_t>(page.limit));
  auto r = co_await caller.db().exec(kList, params);
  Page out;
  for (int i = 0; i < r.rows(); ++i) out.items.push_back(alert_json(r, i));
  if (r.rows() > 0) out.continue_after(r.get_int(r.rows() - 1, 0), page.limit);
  co_return out;
}

boost::asio::awaitable<json> AlertService::acknowledge(const Caller& caller, const std::string& id,
                                                       const std::optional<std::string>& note) {
  const pg::Params params = pg::Params().add(id).add(caller.principal.id).add(note);
  auto r = co_await caller.db().exec(kAck, params);
  if (r.rows() == 1) co_return alert_json(r, 0);
  const pg::Params by_id = pg::Params().add(id);
  auto existing = co_await caller.db().exec(kOne, by_id);
  if (existing.rows() == 0) throw ApiError(ErrorCode::not_found, "alert not found");
  throw ApiError(ErrorCode::conflict, "the alert is already acknowledged");
}

}  // namespace hub::monitor
