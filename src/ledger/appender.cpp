#include "hub/ledger/appender.hpp"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/store/pg.hpp"

namespace hub::ledger {

namespace asio = boost::asio;

struct Appender::Slot {
  explicit Slot(asio::any_io_executor ex)
      : executor(ex), timer(ex, asio::steady_timer::time_point::max()) {}
  asio::any_io_executor executor;
  asio::steady_timer timer;  // cancelled when the entry's batch is done
  EntryDraft draft;
  Entry entry;
  std::string error;  // set when the batch failed
};

struct Appender::Conn {
  pg::BlockingConnection conn;
};

namespace {

// The rows, and COMMIT as soon as they are in: one simple query of two statements, so that the
// server commits on the end of the COPY data without another round trip (a COPY that fails skips
// the COMMIT and leaves the transaction aborted).
constexpr const char* kCopyThenCommit =
    "COPY ledger_entries (idx, time, request_id, operation, consumer_code, provider_code, "
    "resource_code, status, record_count, leaf, leaf_hash, upstream_status, upstream_ms, "
    "subjects, purpose_code) "
    "FROM STDIN (FORMAT binary); COMMIT";

// Takes the batch's indexes and time under the head's row lock: batches of all nodes commit in
// index order. The time never goes backwards, whatever the clocks of the nodes.
constexpr const char* kClaim =
    "UPDATE ledger_head SET next_index = next_index + $1::bigint, "
    "last_time = greatest(last_time, clock_timestamp()) "
    "RETURNING next_index - $1::bigint, (extract(epoch FROM last_time) * 1000000)::bigint";
constexpr const char* kClaimName = "ledger_claim";

// PostgreSQL's binary COPY format: a header, then per row a field count and length-prefixed
// values in network byte order, then -1. No escaping and no hex: the leaf goes in as its bytes.
constexpr std::int64_t kPostgresEpochMicros = 946684800000000;  // 2000-01-01 in Unix micros

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}
void put_int64(std::string& out, std::int64_t v) {
  put_be(out, 8, 4);
  put_be(out, static_cast<std::uint64_t>(v), 8);
}
void put_bytes(std::string& out, std::string_view v) {
  put_be(out, v.size(), 4);
  out.append(v);
}
void put_optional(std::string& out, const std::optional<std::string>& v) {
  if (v) {
    put_bytes(out, *v);
  } else {
    put_be(out, 0xffffffffu, 4);  // NULL
  }
}

// Several statements in one blocking round trip (libpq pipeline mode).
// Each step is a statement's text, or with `prepared` the name of one prepared on the connection.
struct PipelineStep {
  const char* sql;
  pg::Params params;
  bool prepared = false;
};

std::vector<pg::Result> pipelined(PGconn* c, const std::vector<PipelineStep>& steps) {
  if (PQenterPipelineMode(c) != 1) throw DbUnavailable(PQerrorMessage(c));
  for (const auto& step : steps) {
    std::vector<const char*> values;
    for (const auto& v : step.params.values()) values.push_back(v ? v->c_str() : nullptr);
    const int n = static_cast<int>(values.size());
    const int sent =
        step.prepared
            ? PQsendQueryPrepared(c, step.sql, n, values.data(), nullptr, nullptr, 0)
            : PQsendQueryParams(c, step.sql, n, nullptr, values.data(), nullptr, nullptr, 0);
    if (sent != 1) throw DbUnavailable(PQerrorMessage(c));
  }
  if (PQpipelineSync(c) != 1) throw DbUnavailable(PQerrorMessage(c));
  std::vector<pg::Result> results;
  std::string error;
  while (true) {
    PGresult* r = PQgetResult(c);
    if (!r) {
      if (PQstatus(c) != CONNECTION_OK) throw DbUnavailable(PQerrorMessage(c));
      continue;  // the end of one statement's results
    }
    const auto status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    if (status == PGRES_FATAL_ERROR && error.empty()) error = PQresultErrorMessage(r);
    results.emplace_back(r);
  }
  PQexitPipelineMode(c);
  if (!error.empty()) throw std::runtime_error(error);
  return results;
}

std::string first_line(const char* message) {
  std::string s = message ? message : "";
  s = s.substr(0, s.find('\n'));
  return s;
}

// COMMIT was sent (or may have been) and no answer came back: the batch may or may not be durable.
struct CommitOutcomeUnknown : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Waits for the head's row lock, so that a batch of this server still committing is decided first,
// then looks for the batch's first entry. On a new primary the lock is free at once.
constexpr const char* kLookUp =
    "SELECT (SELECT leaf_hash FROM ledger_entries WHERE idx = $1::bigint) = decode($2, 'hex') "
    "FROM (SELECT 1 FROM ledger_head FOR UPDATE) h";

bool batch_committed(PGconn* c, std::int64_t first, std::string_view leaf_hash) {
  pg::exec_blocking(c, "BEGIN; SET LOCAL lock_timeout = '2s'");
  try {
    auto r = pg::exec_blocking(c, kLookUp, pg::Params().add(first).add(hub::to_hex(leaf_hash)));
    const bool found = r.rows() == 1 && !r.is_null(0, 0) && r.get_bool(0, 0);
    pg::exec_blocking(c, "ROLLBACK");
    return found;
  } catch (...) {
    try {
      pg::exec_blocking(c, "ROLLBACK");
    } catch (...) {
    }
    throw;
  }
}

}  // namespace

// Wakes the request waiting on `slot`. The reference moves into the posted handler, so the slot
// (and its timer) is destroyed on its own executor's thread, never on the writer thread, where
// it could outlive the io_context it belongs to.
void Appender::wake(std::shared_ptr<Slot> slot) {
  auto executor = slot->executor;
  // Expired rather than cancelled: a wait begun after this (append_all waits on its slots one
  // by one) completes at once instead of waiting forever.
  asio::post(executor,
             [s = std::move(slot)] { s->timer.expires_at(asio::steady_timer::time_point::min()); });
}

Appender::Appender(AppenderOptions options) : options_(std::move(options)) {}

Appender::~Appender() { stop(); }

void Appender::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Appender::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::deque<std::shared_ptr<Slot>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(queue_);
  }
  for (auto& slot : left) {
    slot->error = "the hub is stopping";
    wake(std::move(slot));
  }
}

asio::awaitable<Entry> Appender::append(EntryDraft draft) {
  auto slot = std::make_shared<Slot>(co_await asio::this_coro::executor);
  slot->draft = std::move(draft);
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !thread_.joinable()) throw DbUnavailable("the ledger is not running");
    queue_.push_back(slot);
    stats_.queued.fetch_add(1, std::memory_order_relaxed);
  }
  wake_.notify_one();
  // Completion is posted to this executor, so it cannot run before this wait is in place.
  co_await slot->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!slot->error.empty()) throw DbUnavailable("ledger append failed: " + slot->error);
  co_return std::move(slot->entry);
}

asio::awaitable<std::vector<Entry>> Appender::append_all(std::vector<EntryDraft> drafts) {
  const auto executor = co_await asio::this_coro::executor;
  std::vector<std::shared_ptr<Slot>> slots;
  slots.reserve(drafts.size());
  for (auto& d : drafts) {
    slots.push_back(std::make_shared<Slot>(executor));
    slots.back()->draft = std::move(d);
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !thread_.joinable()) throw DbUnavailable("the ledger is not running");
    for (const auto& s : slots) queue_.push_back(s);
    stats_.queued.fetch_add(static_cast<std::int64_t>(slots.size()), std::memory_order_relaxed);
  }
  wake_.notify_one();
  std::vector<Entry> out;
  out.reserve(slots.size());
  std::string error;
  for (const auto& s : slots) {
    co_await s->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!s->error.empty()) {
      if (error.empty()) error = s->error;
    } else {
      out.push_back(std::move(s->entry));
    }
  }
  if (!error.empty()) throw DbUnavailable("ledger append failed: " + error);
  co_return out;
}

void Appender::run() {
  while (true) {
    std::deque<std::shared_ptr<Slot>> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stats_.queued.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_relaxed);
    }
    try {
      try {
        write_batch(batch);
      } catch (const CommitOutcomeUnknown& e) {
        // The connection died with COMMIT in flight: ask the database (the new primary after a
        // failover) what became of the batch, holding its requests meanwhile.
        conn_.reset();
        spdlog::warn("ledger: the outcome of a batch of {} entries is unknown ({}); resolving",
                     batch.size(), e.what());
        const Unknown unknown{
            batch.front()->entry.index,
            std::string(reinterpret_cast<const char*>(batch.front()->entry.leaf_hash.data()),
                        batch.front()->entry.leaf_hash.size()),
            batch.size()};
        switch (resolve(unknown, std::chrono::steady_clock::now() + options_.resolve_timeout)) {
          case Outcome::committed:
            stats_.resolved_committed.fetch_add(1, std::memory_order_relaxed);
            spdlog::info("ledger: the batch from index {} is committed", unknown.first);
            break;
          case Outcome::not_committed:
            stats_.resolved_not_committed.fetch_add(1, std::memory_order_relaxed);
            throw std::runtime_error("the batch did not commit (" + std::string(e.what()) + ")");
          case Outcome::unknown:
            stats_.unresolved.fetch_add(1, std::memory_order_relaxed);
            unresolved_.push_back(unknown);
            throw std::runtime_error("the outcome of the batch could not be learnt in time (" +
                                     std::string(e.what()) + ")");
        }
      }
      stats_.entries.fetch_add(batch.size(), std::memory_order_relaxed);
      stats_.batches.fetch_add(1, std::memory_order_relaxed);
      std::uint64_t largest = stats_.largest_batch.load(std::memory_order_relaxed);
      while (batch.size() > largest &&
             !stats_.largest_batch.compare_exchange_weak(largest, batch.size())) {
      }
    } catch (const std::exception& e) {
      // Nothing of the batch is durable (the transaction did not commit, or its outcome is
      // unknown): every waiter hears so, and the connection is made again for the next batch.
      spdlog::error("ledger: a batch of {} entries was not written: {}", batch.size(), e.what());
      stats_.failed_entries.fetch_add(batch.size(), std::memory_order_relaxed);
      conn_.reset();
      for (auto& slot : batch) slot->error = e.what();
    }
    for (auto& slot : batch) wake(std::move(slot));
  }
}

void Appender::write_batch(std::deque<std::shared_ptr<Slot>>& batch) {
  if (!conn_) connect();
  PGconn* c = conn_->conn.get();
  try {
    auto claimed = pipelined(
        c, {{"BEGIN", pg::Params()},
            {kClaimName, pg::Params().add(static_cast<std::int64_t>(batch.size())), true}});
    const pg::Result& claim = claimed.at(1);
    const std::int64_t first = claim.get_int(0, 0);
    const std::int64_t micros = claim.get_int(0, 1);
    const std::string time = format_time_micros(micros);

    if (PQsendQuery(c, kCopyThenCommit) != 1) {
      throw DbUnavailable(std::string("COPY failed: ") + PQerrorMessage(c));
    }
    pg::Result start(PQgetResult(c));
    if (PQresultStatus(start.raw()) != PGRES_COPY_IN) {
      throw std::runtime_error(std::string("COPY refused: ") + PQerrorMessage(c));
    }
    // Rows go out in chunks while the next ones are built, so the server parses as we write.
    std::string rows("PGCOPY\n\xff\r\n\0", 11);
    put_be(rows, 0, 4);  // flags
    put_be(rows, 0, 4);  // header extension length
    auto send = [&](bool last) {
      if (last) put_be(rows, 0xffff, 2);  // the trailer: a field count of -1
      if (PQputCopyData(c, rows.data(), static_cast<int>(rows.size())) != 1) {
        throw DbUnavailable(std::string("COPY failed: ") + PQerrorMessage(c));
      }
      rows.clear();
    };
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Slot& s = *batch[i];
      s.entry = make_entry(std::move(s.draft), first + static_cast<std::int64_t>(i), time);
      const EntryDraft& d = s.entry.draft;
      put_be(rows, 15, 2);  // fields
      put_int64(rows, s.entry.index);
      put_int64(rows, micros - kPostgresEpochMicros);
      put_bytes(rows, d.request_id);
      put_bytes(rows, d.operation);
      put_bytes(rows, d.consumer_code);
      put_optional(rows, d.provider_code);
      put_bytes(rows, d.resource_code);
      put_be(rows, 2, 4);
      put_be(rows, static_cast<std::uint16_t>(d.status), 2);
      put_int64(rows, d.record_count);
      put_bytes(rows, s.entry.leaf);
      put_bytes(rows, std::string_view(reinterpret_cast<const char*>(s.entry.leaf_hash.data()),
                                       s.entry.leaf_hash.size()));
      if (d.upstream_status) {
        put_be(rows, 2, 4);
        put_be(rows, static_cast<std::uint16_t>(*d.upstream_status), 2);
      } else {
        put_be(rows, 0xffffffffu, 4);
      }
      if (d.upstream_ms) {
        put_be(rows, 4, 4);
        put_be(rows,
               static_cast<std::uint32_t>(std::clamp<std::int64_t>(*d.upstream_ms, 0, 1 << 30)), 4);
      } else {
        put_be(rows, 0xffffffffu, 4);
      }
      if (d.subjects.empty()) {
        put_be(rows, 0xffffffffu, 4);
      } else {
        put_bytes(rows, d.subjects);
      }
      put_optional(rows, d.purpose_code);
      if (rows.size() >= 64 * 1024) send(false);
    }
    send(true);
  } catch (...) {
    try {
      // Out of the COPY (its data ends with an error, so the server aborts the transaction and
      // skips the COMMIT), and the transaction rolled back; the connection is dropped afterwards.
      if (PQpipelineStatus(c) != PQ_PIPELINE_OFF) PQexitPipelineMode(c);
      PQputCopyEnd(c, "the batch was abandoned");
      while (PGresult* r = PQgetResult(c)) PQclear(r);
      pg::exec_blocking(c, "ROLLBACK");
    } catch (...) {
    }
    throw;
  }
  // The end of the COPY data is what commits: from here on a failure may come after the server
  // committed, and the outcome is unknown unless the server answered.
  if (options_.commit_fault) options_.commit_fault(c, false);
  if (PQputCopyEnd(c, nullptr) != 1) throw CommitOutcomeUnknown(first_line(PQerrorMessage(c)));
  if (options_.commit_fault) options_.commit_fault(c, true);
  // The COPY's answer, then the COMMIT's.
  std::vector<pg::Result> answers;
  while (PGresult* r = PQgetResult(c)) answers.emplace_back(r);
  const bool connected = PQstatus(c) == CONNECTION_OK;
  if (connected && answers.size() == 2 && PQresultStatus(answers[0].raw()) == PGRES_COMMAND_OK &&
      PQresultStatus(answers[1].raw()) == PGRES_COMMAND_OK) {
    return;
  }
  // An error the server gave with the connection intact (a COPY row refused, a deferred check)
  // means it rolled back; anything else (no answer, the connection gone, a shutdown in the middle
  // of waiting for the standby) leaves the outcome open.
  const pg::Result* failed = nullptr;
  for (const auto& a : answers) {
    if (PQresultStatus(a.raw()) != PGRES_COMMAND_OK) {
      failed = &a;
      break;
    }
  }
  if (failed && PQresultStatus(failed->raw()) == PGRES_FATAL_ERROR && connected) {
    const char* state = PQresultErrorField(failed->raw(), PG_DIAG_SQLSTATE);
    const std::string_view sqlstate = state ? state : "";
    // An error libpq made up itself (a failed read) has no SQLSTATE: that one is unknown too.
    if (!sqlstate.empty() && !sqlstate.starts_with("57") && !sqlstate.starts_with("08") &&
        !sqlstate.starts_with("XX")) {
      const std::string message = first_line(PQresultErrorMessage(failed->raw()));
      try {
        pg::exec_blocking(c, "ROLLBACK");
      } catch (...) {
      }
      throw std::runtime_error(std::string("the batch was refused: ") + message);
    }
  }
  throw CommitOutcomeUnknown(std::string("COMMIT got no answer: ") + first_line(PQerrorMessage(c)));
}

void Appender::connect() {
  if (std::chrono::steady_clock::now() < down_until_) {
    throw DbUnavailable("the database was unreachable a moment ago");
  }
  try {
    auto c = pg::connect_blocking(options_.conninfo, options_.connect_timeout);
    pg::exec_blocking(c.get(),
                      "SET synchronous_commit = on; SET application_name = 'hub-ledger-appender'");
    // The claim runs once a batch: parsed and planned once a connection, not each time.
    pg::Result prepared(PQprepare(c.get(), kClaimName, kClaim, 1, nullptr));
    if (PQresultStatus(prepared.raw()) != PGRES_COMMAND_OK) {
      throw DbUnavailable(std::string("preparing the ledger claim failed: ") +
                          PQerrorMessage(c.get()));
    }
    conn_ = std::make_unique<Conn>(Conn{std::move(c)});
  } catch (const DbUnavailable&) {
    down_until_ = std::chrono::steady_clock::now() + options_.retry_backoff;
    throw;
  }
  check_unresolved();
}

Appender::Outcome Appender::resolve(const Unknown& batch,
                                    std::chrono::steady_clock::time_point deadline) {
  std::string last_error;
  while (true) {
    try {
      auto c = pg::connect_blocking(options_.conninfo, options_.connect_timeout);
      return batch_committed(c.get(), batch.first, batch.leaf_hash) ? Outcome::committed
                                                                    : Outcome::not_committed;
    } catch (const std::exception& e) {
      last_error = e.what();
    }
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_until(
              lock, std::min(deadline, std::chrono::steady_clock::now() + options_.resolve_retry),
              [this] { return stopping_; })) {
        break;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  spdlog::error("ledger: could not learn whether the batch from index {} committed: {}",
                batch.first, last_error);
  return Outcome::unknown;
}

// Batches answered 503 without a resolution: looked up as soon as the database answers again. One
// found committed is a ledger entry (with its 2xx status) of a request whose client heard 503:
// said loudly, and counted, since nothing can take an entry back.
void Appender::check_unresolved() {
  while (!unresolved_.empty()) {
    const Unknown& batch = unresolved_.back();
    if (batch_committed(conn_->conn.get(), batch.first, batch.leaf_hash)) {
      stats_.late_committed_entries.fetch_add(batch.count, std::memory_order_relaxed);
      spdlog::critical(
          "ledger: the batch of {} entries from index {} committed although its requests were "
          "answered 503 (its outcome could not be learnt within the resolve timeout)",
          batch.count, batch.first);
    } else {
      spdlog::info("ledger: the unresolved batch from index {} did not commit", batch.first);
    }
    unresolved_.pop_back();
  }
}

}  // namespace hub::ledger
