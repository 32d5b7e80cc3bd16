// The demo's month of ledger history (hubctl demo): realistic-looking traffic under the demo's
// grants, so that the console's charts and the report have something to show at first start.
// The offline part of the demo: written with the ledger's own appender (ledger::append_history),
// since the public API has no way to write the past.
#include <algorithm>
#include <map>
#include <ostream>
#include <random>
#include <tuple>

#include "command.hpp"
#include "hub/cli/demo_data.hpp"
#include "hub/core/text.hpp"
#include "hub/ledger/history.hpp"
#include "hub/ledger/merkle.hpp"
#include "hub/store/embedded_pg.hpp"
#include "hub/store/pg.hpp"

namespace hub::cli {

namespace {

constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kCityOffset = 8 * kHour;  // Asia/Shanghai

// How many records an answer of `operation` carries.
std::int64_t records_of(const std::string& operation, const HistoryGrant& g, std::mt19937_64& rng) {
  if (operation == "query") return std::uniform_int_distribution<std::int64_t>(10, 100)(rng);
  if (operation == "changes") return std::uniform_int_distribution<std::int64_t>(50, 500)(rng);
  if (operation == "aggregate") return g.resource_records;
  return 1;  // read, verify, licence_lookup
}

ledger::TimedDraft draft(const HistoryGrant& g, const std::string& operation, int status,
                         std::int64_t records, std::int64_t unix_seconds, std::mt19937_64& rng) {
  ledger::TimedDraft t;
  auto& d = t.draft;
  char id[40];
  std::snprintf(id, sizeof id, "hist-%016llx", static_cast<unsigned long long>(rng()));
  d.request_id = id;
  d.operation = operation;
  d.consumer_code = g.consumer_code;
  d.principal_id = g.principal_id;
  d.provider_code = g.provider_code;
  d.resource_code = g.resource_code;
  d.grant_id = status == 200 ? std::optional(g.grant_id) : std::nullopt;
  d.purpose = g.purpose;
  d.items = g.items;
  d.record_count = status == 200 ? records : 0;
  d.status = status;
  const auto hash = ledger::sha256(d.request_id);
  d.response_sha256 = to_hex(std::string_view(reinterpret_cast<const char*>(hash.data()), 32));
  t.unix_micros =
      unix_seconds * 1000000 + std::uniform_int_distribution<std::int64_t>(0, 999999)(rng);
  return t;
}

}  // namespace

std::vector<ledger::TimedDraft> demo_history(const std::vector<HistoryGrant>& grants,
                                             std::int64_t now_unix, int days) {
  std::vector<ledger::TimedDraft> out;
  if (grants.empty()) return out;
  std::mt19937_64 rng(static_cast<std::uint64_t>(now_unix / kDay));
  const std::int64_t end = now_unix - 10 * 60;                 // the history stops ten minutes ago
  const std::int64_t today = (now_unix + kCityOffset) / kDay;  // the city's day number
  // Hours of a working day, weighted: a morning and an afternoon peak.
  const std::vector<double> hour_weights = {0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8,
                                            2.0, 3.5,  4.0,  3.5,  1.5,  2.0, 3.5, 4.0,
                                            3.5, 2.5,  1.2,  0.6,  0.4,  0.3, 0.2, 0.1};
  std::discrete_distribution<int> working_hour(hour_weights.begin(), hour_weights.end());
  std::uniform_int_distribution<int> any_hour(0, 23);
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  for (int back = days; back >= 0; --back) {
    const std::int64_t day = today - back;
    const int weekday = static_cast<int>((day + 4) % 7);  // 1970-01-01 was a Thursday; 0 = Sunday
    const bool weekend = weekday == 0 || weekday == 6;
    const double growth = 1.0 + 0.4 * (days - back) / std::max(days, 1);
    for (std::size_t gi = 0; gi < grants.size(); ++gi) {
      const HistoryGrant& g = grants[gi];
      const double base = 40.0 + static_cast<double>((gi * 37) % 120);
      const int n =
          static_cast<int>(base * growth * (weekend ? 0.12 : 1.0) * (0.75 + 0.5 * unit(rng)));
      for (int i = 0; i < n; ++i) {
        const int hour = weekend ? any_hour(rng) : working_hour(rng);
        const std::int64_t at = day * kDay - kCityOffset + hour * kHour +
                                std::uniform_int_distribution<int>(0, 3599)(rng);
        if (at >= end) continue;
        const std::string& op = g.operations[static_cast<std::size_t>(
            std::uniform_int_distribution<int>(0, static_cast<int>(g.operations.size()) - 1)(rng))];
        const bool refused = unit(rng) < 0.02;
        out.push_back(draft(g, op, refused ? 403 : 200, records_of(op, g, rng), at, rng));
      }
    }
  }

  // A bulk pull in the small hours of the last night (02:00-03:00 city time), by the consumer of
  // the first grant that may query: early warning's off_hours_bulk.
  for (const auto& g : grants) {
    if (std::find(g.operations.begin(), g.operations.end(), "query") == g.operations.end()) {
      continue;
    }
    std::int64_t night = today * kDay - kCityOffset + 2 * kHour;
    if (night + kHour > end) night -= kDay;
    for (int i = 0; i < 40; ++i) {
      out.push_back(draft(g, "query", 200, 500, night + i * 80, rng));
    }
    break;
  }
  // A burst of refusals three hours ago: a consumer's system asking for items it was not
  // granted, over and over (early warning's denied_burst).
  const HistoryGrant& g = grants.back();
  const std::int64_t burst = (end - 3 * kHour) / kHour * kHour + 60;  // within one hour
  for (int i = 0; i < 72; ++i) {
    out.push_back(draft(g, g.operations.front(), 403, 0, burst + i * 40, rng));
  }
  return out;
}

// The month of ledger history behind the console's charts, written straight to the database
// (the API has, by design, no way to write the past): HUB_DATABASE_URL when set, else the
// embedded database of --data-dir. Only into an empty ledger, before the demo's own requests.
// Which grants are live, their consumers' systems and their resources' sizes are the hub's to
// say, so they come from the public API like everything else the demo reads; only the writing
// and the database's clock are offline.
void demo_ledger_history(const Options& o, Api& admin, std::ostream& out, std::ostream& err) {
  try {
    std::string conninfo = env_or("HUB_DATABASE_URL", "");
    if (conninfo.empty()) {
      pg::EmbeddedPostgres db(o.data_dir / "postgres", "");
      if (!db.running()) {
        err << "demo history: no embedded database running in " << o.data_dir.string()
            << " and no HUB_DATABASE_URL: the ledger gets no history\n";
        return;
      }
      conninfo = db.app_conninfo();
    }
    // Each agency's system (the first by name) makes its requests.
    std::map<std::string, std::pair<std::string, std::string>> systems;  // agency → (name, id)
    for (const auto& p : admin.all("/api/v1/principals")) {
      if (p["kind"] != "system" || p["agency_code"].is_null()) continue;
      auto [it, added] =
          systems.try_emplace(p["agency_code"].get<std::string>(), p["name"], p["id"]);
      if (!added && p["name"].get<std::string>() < it->second.first)
        it->second = {p["name"], p["id"]};
    }
    std::map<std::string, std::int64_t> records;  // resource code → record_count
    std::vector<cli::HistoryGrant> grants;
    for (const auto& g : admin.all("/api/v1/grants")) {
      const std::string consumer = g["consumer_code"];
      if (g["status"] != "active" || !systems.contains(consumer)) continue;
      cli::HistoryGrant h;
      h.grant_id = g["id"];
      h.consumer_code = consumer;
      h.provider_code = g["provider_code"];
      h.resource_code = g["resource_code"];
      h.operations = g["operations"].get<std::vector<std::string>>();
      h.items = g["items"].get<std::vector<std::string>>();
      h.purpose = g["purpose"];
      h.principal_id = systems[consumer].second;
      if (h.operations.empty()) continue;
      if (!records.contains(h.resource_code)) {
        records[h.resource_code] =
            admin
                .call(verb::get, "/api/v1/resources/" + url_encode(h.resource_code))["record_count"]
                .get<std::int64_t>();
      }
      h.resource_records = std::max<std::int64_t>(records[h.resource_code], 1);
      grants.push_back(std::move(h));
    }
    // An order that does not depend on when each grant was made, so a run is repeatable.
    std::sort(grants.begin(), grants.end(), [](const auto& a, const auto& b) {
      return std::tie(a.consumer_code, a.resource_code, a.grant_id) <
             std::tie(b.consumer_code, b.resource_code, b.grant_id);
    });
    auto conn = pg::connect_blocking(conninfo, 10);
    const std::int64_t now =
        pg::exec_blocking(conn.get(), "SELECT extract(epoch FROM now())::bigint", pg::Params())
            .get_int(0, 0);
    auto history = cli::demo_history(grants, now, 30);
    const std::size_t n = history.size();
    if (ledger::append_history(conn.get(), std::move(history))) {
      out << "ledger history: " << n << " data requests over the last 30 days, under "
          << grants.size() << " grants\n";
    } else {
      out << "ledger history: the ledger has entries already, so none was added\n";
    }
  } catch (const std::exception& e) {
    err << "demo history: " << e.what() << "\n";
  }
}

}  // namespace hub::cli
