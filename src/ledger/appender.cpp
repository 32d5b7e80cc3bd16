#include "hub/ledger/appender.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <tuple>

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
  // Where this node's last batch left the head; guess: claim there without the lock first.
  std::int64_t next_index = -1;
  std::int64_t last_micros = 0;
  bool guess = false;
};

namespace {

// The batch in one statement: the head moves by n under its row lock, but only if it is where
// this node last left it (next index $1, time not after $3), and the rows go in with it, each
// array a column. When another node appended meanwhile, the UPDATE matches no row and nothing is
// inserted: the batch is tried again under the lock (kLockHead). The row lock is held until
// commit, so batches of every node commit in index order and the log has no gap.
constexpr const char* kAppend =
    "WITH claim AS (UPDATE ledger_head SET next_index = next_index + $2, last_time = $3 "
    "WHERE next_index = $1 AND last_time <= $3 RETURNING 1) "
    "INSERT INTO ledger_entries (idx, time, request_id, operation, consumer_code, provider_code, "
    "resource_code, status, record_count, leaf, leaf_hash, upstream_status, upstream_ms, "
    "subjects, purpose_code) "
    "SELECT $1 + u.n - 1, $3, u.request_id, u.operation, u.consumer_code, u.provider_code, "
    "u.resource_code, u.status, u.record_count, u.leaf, u.leaf_hash, u.upstream_status, "
    "u.upstream_ms, u.subjects, u.purpose_code "
    "FROM claim, unnest($4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
    "WITH ORDINALITY AS u(request_id, operation, consumer_code, provider_code, resource_code, "
    "status, record_count, leaf, leaf_hash, upstream_status, upstream_ms, subjects, purpose_code, "
    "n)";
constexpr const char* kAppendName = "ledger_append";
// Parameter types (pg_type OIDs): int8, int8, timestamptz, then the columns' arrays.
constexpr Oid kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25, kBytea = 17;
constexpr Oid kTimestamptz = 1184, kTextArray = 1009, kInt2Array = 1005, kInt4Array = 1007,
              kInt8Array = 1016, kByteaArray = 1001;
constexpr Oid kAppendTypes[] = {kInt8,      kInt8,      kTimestamptz, kTextArray,
                                kTextArray, kTextArray, kTextArray,   kTextArray,
                                kInt2Array, kInt8Array, kByteaArray,  kByteaArray,
                                kInt2Array, kInt4Array, kByteaArray,  kTextArray};
constexpr int kAppendParams = 16;

// Where the head is, under its row lock (held to the end of the transaction): the slow path, for
// the first batch of a connection and after another node appended.
constexpr const char* kLockHead =
    "SELECT next_index, (extract(epoch FROM last_time) * 1000000)::bigint "
    "FROM ledger_head FOR UPDATE";
constexpr const char* kLockHeadName = "ledger_lock_head";

// Parameters go in PostgreSQL's binary formats: integers in network byte order, timestamptz as
// microseconds since 2000-01-01, arrays as array_send writes them. No escaping, no hex: a leaf
// goes in as its bytes.
constexpr std::int64_t kPostgresEpochMicros = 946684800000000;  // 2000-01-01 in Unix micros

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}
std::string int8_param(std::int64_t v) {
  std::string out;
  put_be(out, static_cast<std::uint64_t>(v), 8);
  return out;
}

// One column of a batch: a one-dimensional array (dimensions, a has-null flag, the element type,
// then each element length-prefixed, -1 for NULL).
class ArrayParam {
 public:
  ArrayParam(Oid element, std::size_t n) {
    put_be(data_, 1, 4);  // dimensions
    put_be(data_, 0, 4);  // has nulls: set when one is added
    put_be(data_, element, 4);
    put_be(data_, n, 4);  // length
    put_be(data_, 1, 4);  // lower bound
  }
  void add(std::string_view v) {
    put_be(data_, v.size(), 4);
    data_.append(v);
  }
  void add_optional(const std::optional<std::string>& v) { v ? add(*v) : add_null(); }
  void add_int(std::uint64_t v, int bytes) {
    put_be(data_, static_cast<std::uint64_t>(bytes), 4);
    put_be(data_, v, bytes);
  }
  void add_null() {
    data_[7] = 1;
    put_be(data_, 0xffffffffu, 4);
  }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

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
  for (int ends = 0;;) {
    PGresult* r = PQgetResult(c);
    if (!r) {
      // The end of one statement's results; a second in a row means nothing more is coming.
      if (PQstatus(c) != CONNECTION_OK || ++ends == 2) throw DbUnavailable(PQerrorMessage(c));
      continue;
    }
    ends = 0;
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

// Waits for the head's row lock, so that a batch of this server still committing is decided first
// (on a new primary the lock is free at once). A statement of its own: READ COMMITTED gives each
// statement the snapshot of its start, so a lookup in the statement that waited would not see
// the rows of the transaction it waited for.
constexpr const char* kLockForLookUp = "SELECT 1 FROM ledger_head FOR UPDATE";
constexpr const char* kLookUp =
    "SELECT leaf_hash = decode($2, 'hex') FROM ledger_entries WHERE idx = $1::bigint";
// A batch found absent must stay so: its statement may not have reached the server's executor
// yet (bytes of a cut connection still on their way, a session the server has not noticed is
// orphaned). The head's time moves past the batch's, so that its claim (which needs last_time
// not after its own time) can never match later, wherever the head's index then is.
constexpr const char* kFence =
    "UPDATE ledger_head SET last_time = greatest(last_time, $1::timestamptz + interval '1 "
    "microsecond')";

}  // namespace

bool batch_committed(PGconn* c, std::int64_t first, std::string_view leaf_hash,
                     const std::string& time) {
  pg::exec_blocking(c, "BEGIN; SET LOCAL lock_timeout = '2s'");
  try {
    pg::exec_blocking(c, kLockForLookUp);
    auto r = pg::exec_blocking(c, kLookUp, pg::Params().add(first).add(hub::to_hex(leaf_hash)));
    const bool found = r.rows() == 1 && !r.is_null(0, 0) && r.get_bool(0, 0);
    if (found) {
      pg::exec_blocking(c, "ROLLBACK");
    } else {
      pg::exec_blocking(c, kFence, pg::Params().add(time));
      pg::exec_blocking(c, "COMMIT");
    }
    return found;
  } catch (...) {
    try {
      pg::exec_blocking(c, "ROLLBACK");
    } catch (...) {
    }
    throw;
  }
}

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
            batch.size(), batch.front()->entry.time};
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
  const auto n = static_cast<std::int64_t>(batch.size());
  for (bool retried = false;; retried = true) {
    // The fast path guesses where the head is (where this node's last batch left it) and
    // claims, inserts and commits in one round trip. The slow path takes the head's lock first:
    // the first batch of a connection, after a missed guess, and while the lock shows that
    // another node appended since this node's last batch (a cluster under load).
    const bool locked = !conn_->guess;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    std::int64_t first = conn_->next_index;
    std::int64_t micros = std::max(now, conn_->last_micros);
    if (locked) {
      auto head = pipelined(c, {{"BEGIN", pg::Params()}, {kLockHeadName, pg::Params(), true}});
      first = head.at(1).get_int(0, 0);
      micros = std::max(now, head.at(1).get_int(0, 1));
      stats_.locked_batches.fetch_add(1, std::memory_order_relaxed);
    }
    // The entry's time never goes backwards, whatever this node's clock does.
    const std::string time = format_time_micros(micros);

    ArrayParam request_id(kText, batch.size()), operation(kText, batch.size()),
        consumer(kText, batch.size()), provider(kText, batch.size()), resource(kText, batch.size()),
        status(kInt2, batch.size()), record_count(kInt8, batch.size()), leaf(kBytea, batch.size()),
        leaf_hash(kBytea, batch.size()), upstream_status(kInt2, batch.size()),
        upstream_ms(kInt4, batch.size()), subjects(kBytea, batch.size()),
        purpose_code(kText, batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Slot& s = *batch[i];
      // A retried batch builds its leaves again, with the indexes and time it now has.
      s.entry = make_entry(retried ? std::move(s.entry.draft) : std::move(s.draft),
                           first + static_cast<std::int64_t>(i), time);
      const EntryDraft& d = s.entry.draft;
      request_id.add(d.request_id);
      operation.add(d.operation);
      consumer.add(d.consumer_code);
      provider.add_optional(d.provider_code);
      resource.add(d.resource_code);
      status.add_int(static_cast<std::uint16_t>(d.status), 2);
      record_count.add_int(static_cast<std::uint64_t>(d.record_count), 8);
      leaf.add(s.entry.leaf);
      leaf_hash.add(std::string_view(reinterpret_cast<const char*>(s.entry.leaf_hash.data()),
                                     s.entry.leaf_hash.size()));
      if (d.upstream_status) {
        upstream_status.add_int(static_cast<std::uint16_t>(*d.upstream_status), 2);
      } else {
        upstream_status.add_null();
      }
      if (d.upstream_ms) {
        upstream_ms.add_int(
            static_cast<std::uint32_t>(std::clamp<std::int64_t>(*d.upstream_ms, 0, 1 << 30)), 4);
      } else {
        upstream_ms.add_null();
      }
      if (d.subjects.empty()) {
        subjects.add_null();
      } else {
        subjects.add(d.subjects);
      }
      purpose_code.add_optional(d.purpose_code);
    }
    const std::string first_param = int8_param(first), count_param = int8_param(n),
                      time_param = int8_param(micros - kPostgresEpochMicros);
    const std::string* params[kAppendParams] = {&first_param,
                                                &count_param,
                                                &time_param,
                                                &request_id.data(),
                                                &operation.data(),
                                                &consumer.data(),
                                                &provider.data(),
                                                &resource.data(),
                                                &status.data(),
                                                &record_count.data(),
                                                &leaf.data(),
                                                &leaf_hash.data(),
                                                &upstream_status.data(),
                                                &upstream_ms.data(),
                                                &subjects.data(),
                                                &purpose_code.data()};
    const char* values[kAppendParams];
    int lengths[kAppendParams];
    int formats[kAppendParams];
    for (int i = 0; i < kAppendParams; ++i) {
      values[i] = params[i]->data();
      lengths[i] = static_cast<int>(params[i]->size());
      formats[i] = 1;
    }

    // Nothing commits before the pipeline's sync (the fast path's implicit transaction) or the
    // COMMIT sent with it: a failure before those leaves nothing durable.
    if (PQenterPipelineMode(c) != 1 ||
        PQsendQueryPrepared(c, kAppendName, kAppendParams, values, lengths, formats, 0) != 1) {
      throw DbUnavailable(std::string("the batch could not be sent: ") + PQerrorMessage(c));
    }
    // From here on a failure may come after the server committed: the outcome is unknown unless
    // the server answered.
    if (options_.commit_fault) options_.commit_fault(c, false);
    if ((locked && PQsendQueryParams(c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) ||
        PQpipelineSync(c) != 1) {
      throw CommitOutcomeUnknown(first_line(PQerrorMessage(c)));
    }
    if (options_.commit_fault) options_.commit_fault(c, true);
    std::vector<pg::Result> answers;
    bool synced = false;
    for (int ends = 0;;) {
      PGresult* r = PQgetResult(c);
      if (!r) {
        // The end of one statement's results; a second in a row means nothing more is coming
        // (a read failed: libpq reported it and went idle, the connection not marked bad).
        if (PQstatus(c) != CONNECTION_OK || ++ends == 2) break;
        continue;
      }
      ends = 0;
      if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        synced = true;
        break;
      }
      answers.emplace_back(r);
    }
    const bool connected = PQstatus(c) == CONNECTION_OK;
    const auto ok = [](const pg::Result& a) { return PQresultStatus(a.raw()) == PGRES_COMMAND_OK; };
    if (synced && connected && answers.size() == (locked ? 2u : 1u) &&
        std::all_of(answers.begin(), answers.end(), ok)) {
      PQexitPipelineMode(c);
      const std::int64_t inserted = std::atoll(PQcmdTuples(answers[0].raw()));
      if (inserted == n) {
        // Guess next time, unless the lock showed that another node appended between this
        // node's last batch and this one (it may well again).
        conn_->guess = !locked || conn_->next_index < 0 || first == conn_->next_index;
        conn_->next_index = first + n;
        conn_->last_micros = micros;
        return;
      }
      if (inserted == 0 && !locked && !retried) {
        // Another node appended (or a batch of this one failed): the head is elsewhere. Nothing
        // was written; the same batch goes again under the lock.
        stats_.missed_guesses.fetch_add(1, std::memory_order_relaxed);
        conn_->guess = false;
        continue;
      }
      throw std::runtime_error("the ledger head moved under its lock (" + std::to_string(inserted) +
                               " of " + std::to_string(n) + " entries)");
    }
    // An error the server gave with the connection intact (a row refused, a deferred check)
    // means it rolled back; anything else (no answer, the connection gone, a shutdown in the
    // middle of waiting for the standby) leaves the outcome open.
    const pg::Result* failed = nullptr;
    for (const auto& a : answers) {
      if (!ok(a)) {
        failed = &a;
        break;
      }
    }
    if (failed && synced && connected && PQresultStatus(failed->raw()) == PGRES_FATAL_ERROR) {
      const char* state = PQresultErrorField(failed->raw(), PG_DIAG_SQLSTATE);
      const std::string_view sqlstate = state ? state : "";
      // An error libpq made up itself (a failed read) has no SQLSTATE: that one is unknown too.
      if (!sqlstate.empty() && !sqlstate.starts_with("57") && !sqlstate.starts_with("08") &&
          !sqlstate.starts_with("XX")) {
        throw std::runtime_error(std::string("the batch was refused: ") +
                                 first_line(PQresultErrorMessage(failed->raw())));
      }
    }
    throw CommitOutcomeUnknown(std::string("COMMIT got no answer: ") +
                               first_line(PQerrorMessage(c)));
  }
}

void Appender::connect() {
  if (std::chrono::steady_clock::now() < down_until_) {
    throw DbUnavailable("the database was unreachable a moment ago");
  }
  try {
    auto c = pg::connect_blocking(options_.conninfo, options_.connect_timeout);
    pg::exec_blocking(c.get(),
                      "SET synchronous_commit = on; SET application_name = 'hub-ledger-appender'");
    // Each batch's statements: parsed and planned once a connection, not each time.
    for (const auto& [name, sql, n, types] :
         {std::tuple{kAppendName, kAppend, kAppendParams, kAppendTypes},
          std::tuple{kLockHeadName, kLockHead, 0, static_cast<const Oid*>(nullptr)}}) {
      pg::Result prepared(PQprepare(c.get(), name, sql, n, types));
      if (PQresultStatus(prepared.raw()) != PGRES_COMMAND_OK) {
        throw DbUnavailable(std::string("preparing the ledger's statements failed: ") +
                            PQerrorMessage(c.get()));
      }
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
      return batch_committed(c.get(), batch.first, batch.leaf_hash, batch.time)
                 ? Outcome::committed
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
    if (batch_committed(conn_->conn.get(), batch.first, batch.leaf_hash, batch.time)) {
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
