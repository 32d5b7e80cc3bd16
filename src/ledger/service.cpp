#include "hub/ledger/service.hpp"

#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include "hub/core/dates.hpp"
#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/ledger/tiles.hpp"
#include "hub/store/pg.hpp"

namespace hub::ledger {

namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

constexpr pg::Query kEntries{
    "ledger_entries",
    "SELECT idx, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
    "request_id, operation, consumer_code, provider_code, resource_code, status, record_count, "
    "leaf, leaf_hash, subjects, c.tree_size, c.root_hash, "
    "to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
    "FROM ledger_entries LEFT JOIN LATERAL (SELECT k.tree_size, k.root_hash, k.created_at "
    "FROM ledger_checkpoints k WHERE k.tree_size > idx ORDER BY k.tree_size LIMIT 1) c ON true "
    "WHERE ($1::bigint IS NULL OR idx > $1) "
    "AND ($2::text IS NULL OR consumer_code = $2 OR (provider_code = $2 AND $11::boolean)) "
    "AND ($3::text IS NULL OR consumer_code = $3 OR provider_code = $3) "
    "AND ($4::text IS NULL OR request_id = $4) "
    "AND ($5::text IS NULL OR resource_code = $5) "
    "AND ($9::text IS NULL OR provider_code = $9) "
    "AND ($6::timestamptz IS NULL OR time >= $6) "
    "AND ($7::timestamptz IS NULL OR time < $7) "
    "AND ($10::text IS NULL OR idx IN "
    "(SELECT s.idx FROM ledger_subjects s WHERE s.subject = decode($10, 'hex') "
    "UNION ALL SELECT u.idx FROM ledger_entries u "
    "WHERE u.idx >= (SELECT coalesce(max(k.tree_size), 0) FROM ledger_checkpoints k) "
    "AND u.subjects IS NOT NULL AND hub_names_subject(u.subjects, decode($10, 'hex')))) "
    "ORDER BY idx LIMIT $8",
    true};

constexpr pg::Query kLatest{
    "ledger_latest_checkpoint",
    "SELECT tree_size, note FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1"};

constexpr pg::Query kTiles{"ledger_tiles",
                           "SELECT t.level, t.idx, t.hashes FROM ledger_tiles t "
                           "JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) "
                           "ON t.level = w.level AND t.idx = w.idx"};

// A date (YYYY-MM-DD: the start of that UTC day, or with `end_of_day` the start of the next) or
// an RFC 3339 time, checked here so that the database never sees a value it would refuse.
std::optional<std::string> time_param(const std::optional<std::string>& v, const char* name,
                                      bool end_of_day) {
  if (!v) return std::nullopt;
  const bool date_only = is_date(*v);
  if (!date_only && !is_date_time(*v, true)) {
    bad_query_param(name, "must be a date (YYYY-MM-DD) or an RFC 3339 time");
  }
  const int year = std::stoi(v->substr(0, 4)), month = std::stoi(v->substr(5, 2)),
            day = std::stoi(v->substr(8, 2));
  if (year < 1970) bad_query_param(name, "is before 1970");
  if (!date_only) return *v;
  if (!end_of_day) return *v + "T00:00:00Z";
  std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                  std::chrono::day(day)};
  const std::chrono::year_month_day next{std::chrono::sys_days(ymd) + std::chrono::days(1)};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT00:00:00Z", static_cast<int>(next.year()),
                static_cast<unsigned>(next.month()), static_cast<unsigned>(next.day()));
  return std::string(buf);
}

json hashes_json(const std::vector<Hash>& hashes) {
  json out = json::array();
  for (const auto& h : hashes) out.push_back(to_hex(h));
  return out;
}

// Reads the tiles a proof needs: a dry run names them, one query fetches them all.
asio::awaitable<void> load_tiles(const Caller& caller, TileSet& tiles,
                                 const std::function<void()>& dry_run) {
  dry_run();
  if (tiles.missing().empty()) co_return;
  const pg::Params params = tile_params(tiles.missing());
  auto r = co_await caller.db().exec(kTiles, params);
  for (int i = 0; i < r.rows(); ++i) {
    tiles.add(static_cast<unsigned>(r.get_int(i, 0)), static_cast<std::uint64_t>(r.get_int(i, 1)),
              pg::bytea_from_text(r.get(i, 2)));
  }
}

}  // namespace

LedgerService::LedgerService(Services& services, const catalog::CatalogIndex& catalog,
                             std::string origin, const SigningKey& key)
    : services_(services), catalog_(catalog), origin_(std::move(origin)) {
  public_key_ = {{"origin", origin_},
                 {"algorithm", "ed25519"},
                 {"key_id", key_id_hex(key_id(origin_, key.public_key()))},
                 {"public_key_pem", key.public_key_pem()},
                 {"vkey", make_vkey(origin_, key.public_key())}};
}

// A resource's entries are found through its provider's index (resource_code has none of its
// own: every index costs every append); the provider comes from the in-memory catalog.
std::optional<std::string> LedgerService::provider_of(
    const std::optional<std::string>& code) const {
  if (!code) return std::nullopt;
  auto entry = catalog_.find(*code);
  if (!entry) return std::nullopt;
  return entry->provider_code;
}

asio::awaitable<Page> LedgerService::entries(const Caller& caller, const EntryFilter& filter,
                                             const PageRequest& page) {
  const Principal& me = caller.principal;
  std::optional<std::string> scope;
  if (!me.hub_level()) scope = me.agency_code.empty() ? "-" : me.agency_code;
  // By subject (API.md Part 2): a provider's entries for its data officers only; a consumer's
  // for any of its principals, as every entry of theirs is.
  std::optional<std::string> subject;
  if (filter.subject) {
    if (filter.subject->empty() || filter.subject->size() > 512) {
      bad_query_param("subject", "is a record key of 1 to 512 bytes");
    }
    subject = hub::to_hex(services_.subjects.hash(*filter.subject));
  }
  const bool provider_side =
      !subject || me.has(Role::agency_cdo) || me.has(Role::agency_data_officer);
  const std::optional<std::int64_t> after = page.after_number();
  const pg::Params params = pg::Params()
                                .add(after)
                                .add(scope)
                                .add(filter.agency)
                                .add(filter.request_id)
                                .add(filter.resource_code)
                                .add(time_param(filter.from, "from", false))
                                .add(time_param(filter.to, "to", true))
                                .add(static_cast<std::int64_t>(page.limit))
                                .add(provider_of(filter.resource_code))
                                .add(subject)
                                .add(provider_side);
  auto r = co_await caller.db().exec(kEntries, params);
  Page out;
  for (int i = 0; i < r.rows(); ++i) {
    // The entry is its leaf's fields, with the columns the hub filters and counts on laid over
    // them: a column changed behind the ledger's back then differs from the leaf, which is what
    // an audit of the export checks.
    const std::string leaf = pg::bytea_from_text(r.get(i, 9));
    json entry = json::parse(leaf, nullptr, false);
    if (!entry.is_object()) entry = json::object();
    entry["index"] = r.get_int(i, 0);
    entry["time"] = r.get(i, 1);
    entry["request_id"] = r.get(i, 2);
    entry["operation"] = r.get(i, 3);
    entry["consumer_code"] = r.get(i, 4);
    entry["provider_code"] = r.is_null(i, 5) ? json(nullptr) : json(r.get(i, 5));
    entry["resource_code"] = r.get(i, 6);
    entry["status"] = r.get_int(i, 7);
    entry["record_count"] = r.get_int(i, 8);
    entry["leaf"] = base64_encode(leaf);
    entry["leaf_hash"] = hub::to_hex(pg::bytea_from_text(r.get(i, 10)));
    // The keyed hashes of the record keys its answer named, which the leaf's subjects_sha256
    // commits to (absent when it named none).
    if (!r.is_null(i, 11)) entry["subjects"] = subjects_hex(pg::bytea_from_text(r.get(i, 11)));
    // The first signed checkpoint whose tree holds the entry: from then on, the log cannot drop
    // or change it unseen (null until the sealer has signed one).
    entry["checkpoint"] = r.is_null(i, 12)
                              ? json(nullptr)
                              : json{{"tree_size", r.get_int(i, 12)},
                                     {"root_hash", hub::to_hex(pg::bytea_from_text(r.get(i, 13)))},
                                     {"signed_at", r.get(i, 14)}};
    out.items.push_back(std::move(entry));
  }
  if (!out.items.empty()) out.continue_after(out.items.back()["index"], page.limit);
  co_return out;
}

asio::awaitable<std::string> LedgerService::checkpoint(const Caller& caller) {
  auto r = co_await caller.db().exec(kLatest);
  if (r.rows() == 0) {
    throw ApiError(ErrorCode::unavailable,
                   "the ledger has no signed checkpoint yet; retry shortly");
  }
  co_return std::string(r.get(0, 1));
}

json LedgerService::public_key() const { return public_key_; }

asio::awaitable<std::uint64_t> LedgerService::sealed_size(const Caller& caller) {
  auto r = co_await caller.db().exec(kLatest);
  if (r.rows() == 0) {
    throw ApiError(ErrorCode::unavailable,
                   "the ledger has no signed checkpoint yet; retry shortly");
  }
  co_return static_cast<std::uint64_t>(r.get_int(0, 0));
}

asio::awaitable<json> LedgerService::inclusion(const Caller& caller, const std::uint64_t& index_,
                                               const std::optional<std::uint64_t>& tree_size) {
  const std::uint64_t* index = &index_;
  const std::uint64_t sealed = co_await sealed_size(caller);
  const std::uint64_t size = tree_size.value_or(sealed);
  if (size > sealed) {
    bad_query_param("tree_size",
                    "is larger than the latest checkpoint (" + std::to_string(sealed) + ")");
  }
  if (*index >= size) bad_query_param("index", "must be less than tree_size");
  TileSet tiles;
  std::vector<Hash> proof;
  Hash leaf{};
  auto run = [&] {
    leaf = tiles.node(0, *index);
    proof = inclusion_proof(*index, size, tiles.range_hash());
  };
  co_await load_tiles(caller, tiles, run);
  if (!tiles.missing().empty()) {
    spdlog::error("ledger: tiles missing for an inclusion proof at size {}", size);
    throw std::runtime_error("ledger tiles missing");
  }
  run();
  co_return json{{"index", *index},
                 {"tree_size", size},
                 {"leaf_hash", to_hex(leaf)},
                 {"hashes", hashes_json(proof)}};
}

asio::awaitable<json> LedgerService::consistency(const Caller& caller, const std::uint64_t& first_,
                                                 const std::optional<std::uint64_t>& second) {
  const std::uint64_t* first = &first_;
  const std::uint64_t sealed = co_await sealed_size(caller);
  const std::uint64_t to = second.value_or(sealed);
  if (to > sealed) {
    bad_query_param("second",
                    "is larger than the latest checkpoint (" + std::to_string(sealed) + ")");
  }
  if (*first > to) bad_query_param("first", "must not exceed second");
  TileSet tiles;
  std::vector<Hash> proof;
  auto run = [&] {
    if (*first > 0 && *first < to) proof = consistency_proof(*first, to, tiles.range_hash());
  };
  co_await load_tiles(caller, tiles, run);
  if (!tiles.missing().empty()) {
    spdlog::error("ledger: tiles missing for a consistency proof {}..{}", *first, to);
    throw std::runtime_error("ledger tiles missing");
  }
  run();
  co_return json{{"first", *first}, {"second", to}, {"hashes", hashes_json(proof)}};
}

}  // namespace hub::ledger
