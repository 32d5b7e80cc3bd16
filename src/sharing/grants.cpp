#include "hub/sharing/grants.hpp"

#include <algorithm>
#include <array>

#include "hub/core/text.hpp"
#include "hub/store/pg.hpp"

namespace hub::sharing {

namespace {
constexpr std::array<std::string_view, 6> kOperations = {"read",   "query",     "changes",
                                                         "verify", "aggregate", "compute"};

constexpr const char* kLiveGrants =
    "SELECT id, resource_code, provider_code, consumer_code, array_to_string(items, ','), "
    "array_to_string(clear_items, ','), array_to_string(operations, ','), purpose, "
    "(extract(epoch FROM valid_until) * 1000)::bigint, array_to_string(purpose_codes, ',') "
    "FROM grants WHERE revoked_at IS NULL AND ended_at IS NULL AND valid_until > now()";

Grant grant_of(const pg::Result& r, int row) {
  Grant g;
  g.id = r.get(row, 0);
  g.resource_code = r.get(row, 1);
  g.provider_code = r.get(row, 2);
  g.consumer_code = r.get(row, 3);
  g.items = split_csv(r.get(row, 4));
  g.clear_items = split_csv(r.get(row, 5));
  g.set_operations(split_csv(r.get(row, 6)));
  g.purpose = r.get(row, 7);
  g.valid_until =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(r.get_int(row, 8)));
  g.purpose_codes = split_csv(r.get(row, 9));
  return g;
}
}  // namespace

std::optional<Operation> parse_operation(std::string_view name) {
  for (std::size_t i = 0; i < kOperations.size(); ++i) {
    if (kOperations[i] == name) return static_cast<Operation>(i);
  }
  return std::nullopt;
}

std::string_view operation_name(Operation op) { return kOperations[static_cast<std::size_t>(op)]; }

void Grant::set_operations(const std::vector<std::string>& names) {
  operations = 0;
  call_operations.clear();
  for (const auto& name : names) {
    if (auto o = parse_operation(name)) {
      operations |= operation_bit(*o);
    } else if (std::find(call_operations.begin(), call_operations.end(), name) ==
               call_operations.end()) {
      call_operations.push_back(name);
    }
  }
}

GrantDirectory::GrantDirectory() : current_(std::make_shared<const Snapshot>()) {}

void GrantDirectory::index(Snapshot& s, Grant g) {
  s.by_pair[g.consumer_code + "|" + g.resource_code].push_back(g.id);
  s.by_id.emplace(g.id, std::move(g));
}

Decision GrantDirectory::authorize(const Principal& principal, const std::string& resource,
                                   Operation operation, const std::vector<std::string>& items,
                                   const std::optional<std::string>& purpose_code) const {
  return decide(principal, resource, operation, items, purpose_code, true);
}

Decision GrantDirectory::holds(const Principal& principal, const std::string& resource,
                               Operation operation, const std::vector<std::string>& items) const {
  return decide(principal, resource, operation, items, std::nullopt, false);
}

Decision GrantDirectory::authorize_call(const Principal& principal, const std::string& resource,
                                        const std::string& operation_id,
                                        const std::optional<std::string>& purpose_code) const {
  return decide_with(principal, resource, purpose_code, true,
                     "no live grant of your agency covers this operation of the service",
                     [&](const Grant& g) {
                       return std::find(g.call_operations.begin(), g.call_operations.end(),
                                        operation_id) != g.call_operations.end();
                     });
}

Decision GrantDirectory::decide(const Principal& principal, const std::string& resource,
                                Operation operation, const std::vector<std::string>& items,
                                const std::optional<std::string>& purpose_code,
                                bool check_purpose) const {
  return decide_with(principal, resource, purpose_code, check_purpose,
                     "no live grant of your agency covers this operation and these items",
                     [&](const Grant& g) {
                       if ((g.operations & operation_bit(operation)) == 0) return false;
                       return std::all_of(items.begin(), items.end(), [&](const std::string& i) {
                         return std::find(g.items.begin(), g.items.end(), i) != g.items.end();
                       });
                     });
}

template <typename Covers>
Decision GrantDirectory::decide_with(const Principal& principal, const std::string& resource,
                                     const std::optional<std::string>& purpose_code,
                                     bool check_purpose, const char* refusal, Covers covers) const {
  Decision d;
  if (principal.agency_code.empty()) {
    d.reason = "only member agencies hold grants";
    return d;
  }
  auto snap = current_.load();
  auto it = snap->by_pair.find(principal.agency_code + "|" + resource);
  if (it == snap->by_pair.end()) {
    d.reason = "your agency holds no grant on this resource";
    return d;
  }
  const auto now = std::chrono::system_clock::now();
  d.reason = refusal;
  for (const auto& id : it->second) {
    const Grant& g = snap->by_id.at(id);
    if (g.valid_until <= now || !covers(g)) continue;
    if (check_purpose && !g.purpose_codes.empty() &&
        (!purpose_code || std::find(g.purpose_codes.begin(), g.purpose_codes.end(),
                                    *purpose_code) == g.purpose_codes.end())) {
      d.purpose_mismatch = true;
      d.reason = "your agency's grant is for the purpose codes " + join_csv(g.purpose_codes) +
                 ": send one of them as X-Purpose-Code";
      continue;
    }
    d.allowed = true;
    d.purpose_mismatch = false;
    d.grant_id = g.id;
    d.items = g.items;
    d.clear_items = g.clear_items;
    d.reason.clear();
    return d;
  }
  return d;
}

void GrantDirectory::put(const std::string& id, std::optional<Grant> grant) {
  std::lock_guard lock(write_mutex_);
  puts_.record(id, grant);
  auto next = std::make_shared<Snapshot>();
  for (const auto& [gid, g] : current_.load()->by_id) {
    if (gid != id) index(*next, g);
  }
  if (grant) index(*next, std::move(*grant));
  current_.store(std::move(next));
}

void GrantDirectory::load_all(PGconn* conn) {
  {
    std::lock_guard lock(write_mutex_);
    puts_.begin();
  }
  auto r = pg::exec_blocking(conn, kLiveGrants, pg::Params());
  std::unordered_map<std::string, Grant> loaded;
  for (int i = 0; i < r.rows(); ++i) {
    Grant g = grant_of(r, i);
    loaded.emplace(g.id, std::move(g));
  }
  std::lock_guard lock(write_mutex_);
  puts_.finish([&](const std::string& id, const std::optional<Grant>& g) {
    loaded.erase(id);
    if (g) loaded.emplace(id, *g);
  });
  auto next = std::make_shared<Snapshot>();
  for (auto& [id, g] : loaded) index(*next, std::move(g));
  current_.store(std::move(next));
  loaded_.store(true);
}

bool GrantDirectory::handle(PGconn* conn, const std::string& payload) {
  if (!payload.starts_with("grant:")) return false;
  const std::string id = payload.substr(6);
  auto r = pg::exec_blocking(conn, std::string(kLiveGrants) + " AND id = $1", pg::Params().add(id));
  put(id, r.rows() ? std::optional(grant_of(r, 0)) : std::nullopt);
  return true;
}

}  // namespace hub::sharing
