#include "hub/ledger/sealer.hpp"

#include <spdlog/spdlog.h>

#include "hub/core/config.hpp"
#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/store/leader.hpp"

namespace hub::ledger {

namespace {

// pg_advisory_lock key of the sealer ("hubseal").
constexpr std::int64_t kLockKey = 6878436279101516;

// The sealed range [$1, $2) grouped once by hour, consumer, provider, resource, operation and
// outcome, then added to the daily rollups, the hourly one and each agency's day (as provider
// and as consumer). A range's days are the city's (Asia/Shanghai, whole hours from UTC). Records
// shared are records that left the hub: a verify or an aggregate answers without any. Refused
// are requests the access rules turned away (401, 403); a 404 for an unknown key is neither
// served nor refused. An indicator's reported value (report_value) is in the ledger but is no
// share: it is left out of the sharing rollups (the report counts indicators on its own).
constexpr const char* kRollups =
    "WITH e AS MATERIALIZED ("
    " SELECT date_trunc('hour', time) AS hour, consumer_code, coalesce(provider_code, '') AS"
    " provider_code, resource_code, operation, status BETWEEN 200 AND 299 AS allowed,"
    " status IN (401, 403) AS refused, count(*) AS requests, sum(record_count) AS records,"
    " count(upstream_ms) AS tried,"
    " count(*) FILTER (WHERE upstream_ms IS NOT NULL AND coalesce(upstream_status, 599) >= 500)"
    " AS failed, coalesce(purpose_code, '') AS purpose_code"
    " FROM ledger_entries WHERE idx >= $1 AND idx < $2 AND operation <> 'report_value'"
    " GROUP BY 1, 2, 3, 4, 5, 6, 7, 12),"
    " s AS (INSERT INTO ledger_subjects (subject, idx)"
    " SELECT substring(n.subjects FROM i * 32 + 1 FOR 32), n.idx FROM ledger_entries n,"
    " generate_series(0, length(n.subjects) / 32 - 1) AS i"
    " WHERE n.idx >= $1 AND n.idx < $2 AND n.subjects IS NOT NULL ON CONFLICT DO NOTHING),"
    " p AS (INSERT INTO purpose_daily AS p (day, consumer_code, purpose_code, requests, refused)"
    " SELECT hub_local_day(hour), consumer_code, purpose_code,"
    " coalesce(sum(requests) FILTER (WHERE allowed), 0),"
    " coalesce(sum(requests) FILTER (WHERE refused), 0) FROM e GROUP BY 1, 2, 3"
    " ON CONFLICT (day, consumer_code, purpose_code) DO UPDATE SET"
    " requests = p.requests + EXCLUDED.requests, refused = p.refused + EXCLUDED.refused),"
    " d AS (INSERT INTO ledger_daily AS d (day, consumer_code, provider_code, resource_code,"
    " operation, allowed, requests, records)"
    " SELECT hub_local_day(hour), consumer_code, provider_code, resource_code, operation, allowed,"
    " sum(requests), sum(records) FROM e GROUP BY 1, 2, 3, 4, 5, 6"
    " ON CONFLICT (day, consumer_code, provider_code, resource_code, operation, allowed)"
    " DO UPDATE SET requests = d.requests + EXCLUDED.requests,"
    " records = d.records + EXCLUDED.records),"
    " h AS (INSERT INTO ledger_hourly AS h (hour, consumer_code, requests, records, refused)"
    " SELECT hour, consumer_code, coalesce(sum(requests) FILTER (WHERE allowed), 0),"
    " coalesce(sum(records) FILTER (WHERE allowed), 0),"
    " coalesce(sum(requests) FILTER (WHERE refused), 0) FROM e GROUP BY 1, 2"
    " ON CONFLICT (hour, consumer_code) DO UPDATE SET requests = h.requests + EXCLUDED.requests,"
    " records = h.records + EXCLUDED.records, refused = h.refused + EXCLUDED.refused)"
    " INSERT INTO agency_daily AS a (day, agency_code, requests_served, records_shared,"
    " requests_made, denied_requests, service_calls_served, upstream_calls, upstream_failures)"
    " SELECT day, agency, sum(served), sum(shared), sum(made), sum(denied), sum(calls),"
    " sum(tried), sum(failed) FROM ("
    "  SELECT hub_local_day(hour) AS day, provider_code AS agency,"
    "  CASE WHEN allowed THEN requests ELSE 0 END AS served,"
    "  CASE WHEN allowed AND operation NOT IN ('verify', 'aggregate') THEN records ELSE 0 END"
    "  AS shared, 0 AS made, 0 AS denied,"
    "  CASE WHEN allowed AND operation = 'call' THEN requests ELSE 0 END AS calls, tried, failed"
    "  FROM e WHERE provider_code <> ''"
    "  UNION ALL"
    "  SELECT hub_local_day(hour), consumer_code, 0, 0, CASE WHEN allowed THEN requests ELSE 0 END,"
    "  CASE WHEN refused THEN requests ELSE 0 END, 0, 0, 0 FROM e) s"
    " GROUP BY 1, 2"
    " ON CONFLICT (day, agency_code) DO UPDATE SET"
    " requests_served = a.requests_served + EXCLUDED.requests_served,"
    " records_shared = a.records_shared + EXCLUDED.records_shared,"
    " requests_made = a.requests_made + EXCLUDED.requests_made,"
    " denied_requests = a.denied_requests + EXCLUDED.denied_requests,"
    " service_calls_served = a.service_calls_served + EXCLUDED.service_calls_served,"
    " upstream_calls = a.upstream_calls + EXCLUDED.upstream_calls,"
    " upstream_failures = a.upstream_failures + EXCLUDED.upstream_failures";

std::string hash_bytes(const Hash& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace

void check_signing_key(PGconn* conn, const std::string& origin, const SigningKey& key,
                       const std::string& previous_key_id) {
  const std::string ours = key_id_hex(key_id(origin, key.public_key()));
  auto latest = pg::exec_blocking(
      conn, "SELECT key_id FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1", pg::Params());
  if (latest.rows() == 0) return;
  const std::string theirs(latest.get(0, 0));
  if (theirs == ours) return;
  if (!previous_key_id.empty() && theirs == previous_key_id) {
    spdlog::warn(
        "ledger: the latest checkpoint is signed by key {}, the one being rotated out; "
        "this node signs with {} from now on",
        theirs, ours);
    return;
  }
  throw ConfigError("ledger.key_file: this node's ledger key (key id " + ours + ", origin " +
                    origin + ") is not the key the ledger is signed with (key id " + theirs +
                    "): give every node of the hub the same key file and origin "
                    "(docs/operations.md)");
}

struct Sealer::State {
  explicit State(const SealerOptions& o)
      : session({o.conninfo, o.connect_timeout,
                 "SET synchronous_commit = on; SET application_name = 'hub-ledger-sealer'",
                 kLockKey, "ledger sealer: this node seals the ledger now"}) {}
  pg::LeaderSession session;
  bool loaded = false;
  bool has_checkpoint = false;
  TreeEdge edge;
};

Sealer::Sealer(SealerOptions options, SigningKey key)
    : options_(std::move(options)),
      key_(std::move(key)),
      // A round that sealed something goes on at once: the log may be catching up.
      loop_(
          options_.interval, [this] { return round(); },
          [this](const std::exception& e, bool first) {
            if (first) spdlog::warn("ledger sealer: {}", e.what());
            stats_.failures.fetch_add(1, std::memory_order_relaxed);
            state_.reset();  // a new connection, and the state read again from the database
            stats_.leader.store(false);
          }) {}

Sealer::~Sealer() { stop(); }

void Sealer::start() { loop_.start(); }

void Sealer::stop() {
  loop_.stop();
  state_.reset();
  stats_.leader.store(false);
}

void Sealer::take_over() {
  PGconn* c = state_->session.conn();
  auto latest = pg::exec_blocking(
      c, "SELECT tree_size, root_hash FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1",
      pg::Params());
  if (latest.rows() == 0) {
    state_->edge = TreeEdge();
    state_->has_checkpoint = false;
    state_->loaded = true;
    return;
  }
  const auto size = static_cast<std::uint64_t>(latest.get_int(0, 0));
  const std::string root = pg::bytea_from_text(latest.get(0, 1));
  std::set<TileKey> keys;
  for (const auto& ref : edge_tiles(size)) keys.insert({ref.level, ref.index});
  auto rows = pg::exec_blocking(
      c,
      "SELECT t.level, t.hashes FROM ledger_tiles t JOIN unnest($1::smallint[], $2::bigint[]) "
      "AS w(level, idx) ON t.level = w.level AND t.idx = w.idx",
      tile_params(keys));
  std::map<unsigned, std::string> tiles;
  for (int i = 0; i < rows.rows(); ++i) {
    tiles[static_cast<unsigned>(rows.get_int(i, 0))] = pg::bytea_from_text(rows.get(i, 1));
  }
  TreeEdge edge = TreeEdge::from_tiles(size, tiles);
  if (hash_bytes(edge.root()) != root) {
    // The stored tiles do not give the signed root: someone changed them. Sealing on would
    // sign a tree nobody can check against the past, so this node stops sealing and says so.
    throw std::runtime_error("the stored tree does not match the latest signed checkpoint (size " +
                             std::to_string(size) + "); refusing to seal until it is repaired");
  }
  state_->edge = std::move(edge);
  state_->has_checkpoint = true;
  state_->loaded = true;
}

bool Sealer::round() {
  if (!state_) state_ = std::make_unique<State>(options_);
  if (!state_->session.lead()) return false;  // another node seals
  stats_.leader.store(true);
  PGconn* c = state_->session.conn();
  if (!state_->loaded) take_over();

  const auto now = std::chrono::steady_clock::now();
  if (now >= next_partition_check_) {
    pg::exec_blocking(c, "SELECT ledger_ensure_partitions(2)", pg::Params());
    next_partition_check_ = now + std::chrono::hours(1);
  }

  auto head = pg::exec_blocking(c, "SELECT next_index FROM ledger_head", pg::Params());
  const auto next = static_cast<std::uint64_t>(head.get_int(0, 0));
  TreeEdge& edge = state_->edge;
  const std::uint64_t from = edge.size();
  if (next < from) throw std::runtime_error("the ledger head is behind the sealed tree");
  if (next == from && state_->has_checkpoint) return false;

  const std::uint64_t to = std::min(next, from + options_.max_per_round);
  if (to > from) {
    // Binary results: the leaves come as their bytes, not as hex text.
    const std::string lo = std::to_string(from), hi = std::to_string(to);
    const char* values[] = {lo.c_str(), hi.c_str()};
    pg::Result rows(PQexecParams(
        c, "SELECT idx, leaf FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx", 2,
        nullptr, values, nullptr, nullptr, 1));
    if (PQresultStatus(rows.raw()) != PGRES_TUPLES_OK) {
      throw std::runtime_error(std::string("reading entries: ") + PQerrorMessage(c));
    }
    for (int i = 0; i < rows.rows(); ++i) {
      std::uint64_t idx = 0;
      for (unsigned char b : rows.get(i, 0)) idx = (idx << 8) | b;
      if (idx != edge.size()) {
        // Entries commit in index order, so a gap is a row removed behind the ledger's back.
        throw std::runtime_error("ledger entry " + std::to_string(edge.size()) +
                                 " is missing; refusing to seal past it");
      }
      edge.append(leaf_hash(rows.get(i, 1)));
    }
    if (edge.size() != to) {
      throw std::runtime_error("ledger entry " + std::to_string(edge.size()) +
                               " is missing; refusing to seal past it");
    }
  }

  const Hash root = edge.root();
  const std::string note =
      sign_note(checkpoint_body(options_.origin, edge.size(), root), options_.origin, key_);
  const std::string key_id = key_id_hex(ledger::key_id(options_.origin, key_.public_key()));
  pg::transaction_blocking(c, [&] {
    for (auto& w : edge.take_writes()) {
      pg::exec_blocking(c,
                        "INSERT INTO ledger_tiles (level, idx, hashes) VALUES ($1, $2, $3) "
                        "ON CONFLICT (level, idx) DO UPDATE SET hashes = EXCLUDED.hashes",
                        pg::Params()
                            .add(static_cast<std::int64_t>(w.level))
                            .add(static_cast<std::int64_t>(w.index))
                            .add(pg::bytea_to_text(w.hashes)));
    }
    if (edge.size() > from) {
      // The rollups the report and the early-warning rules read (009_reports.sql), and the
      // subject log's index (020_subject_log.sql), for exactly the entries this checkpoint
      // seals: one scan of the sealed range for the rollups, one for the subjects.
      pg::exec_blocking(c, kRollups,
                        pg::Params()
                            .add(static_cast<std::int64_t>(from))
                            .add(static_cast<std::int64_t>(edge.size())));
    }
    pg::exec_blocking(c,
                      "INSERT INTO ledger_checkpoints (tree_size, root_hash, note, key_id) "
                      "VALUES ($1, $2, $3, $4)",
                      pg::Params()
                          .add(static_cast<std::int64_t>(edge.size()))
                          .add(pg::bytea_to_text(hash_bytes(root)))
                          .add(note)
                          .add(key_id));
  });
  state_->has_checkpoint = true;
  stats_.tree_size.store(edge.size());
  stats_.checkpoints.fetch_add(1, std::memory_order_relaxed);
  return to < next;
}

}  // namespace hub::ledger
