#include "hub/ledger/appender.hpp"

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

constexpr const char* kCopy =
    "COPY ledger_entries (idx, time, request_id, operation, consumer_code, principal_id, "
    "provider_code, resource_code, grant_id, purpose, items, record_count, status, "
    "response_sha256, leaf, leaf_hash) FROM STDIN";

// Takes the batch's indexes and time under the head's row lock: batches of all nodes commit in
// index order. The time never goes backwards, whatever the clocks of the nodes.
constexpr const char* kClaim =
    "UPDATE ledger_head SET next_index = next_index + $1::bigint, "
    "last_time = greatest(last_time, clock_timestamp()) "
    "RETURNING next_index - $1::bigint, (extract(epoch FROM last_time) * 1000000)::bigint";

void append_optional(std::string& out, const std::optional<std::string>& v) {
  if (v) {
    append_copy_text(out, *v);
  } else {
    out += "\\N";
  }
}

void append_bytea(std::string& out, std::string_view bytes) {
  out += "\\\\x";  // COPY text: the backslash itself is escaped
  out += hub::to_hex(bytes);
}

}  // namespace

void append_copy_text(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
}

std::string array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
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
    asio::post(slot->executor, [slot] { slot->timer.cancel(); });
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
      write_batch(batch);
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
    for (auto& slot : batch) asio::post(slot->executor, [slot] { slot->timer.cancel(); });
  }
}

void Appender::write_batch(std::deque<std::shared_ptr<Slot>>& batch) {
  if (!conn_) {
    if (std::chrono::steady_clock::now() < down_until_) {
      throw DbUnavailable("the database was unreachable a moment ago");
    }
    try {
      auto c = pg::connect_blocking(
          options_.conninfo,
          static_cast<int>(std::max<long long>(
              1,
              std::chrono::duration_cast<std::chrono::seconds>(options_.connect_timeout).count())));
      pg::exec_blocking(
          c.get(), "SET synchronous_commit = on; SET application_name = 'hub-ledger-appender'");
      conn_ = std::make_unique<Conn>(Conn{std::move(c)});
    } catch (const DbUnavailable&) {
      down_until_ = std::chrono::steady_clock::now() + options_.retry_backoff;
      throw;
    }
  }
  PGconn* c = conn_->conn.get();
  pg::exec_blocking(c, "BEGIN");
  try {
    auto claim =
        pg::exec_blocking(c, kClaim, pg::Params().add(static_cast<std::int64_t>(batch.size())));
    const std::int64_t first = claim.get_int(0, 0);
    const std::string time = format_time_micros(claim.get_int(0, 1));

    std::string rows;
    rows.reserve(batch.size() * 1024);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Slot& s = *batch[i];
      s.entry = make_entry(std::move(s.draft), first + static_cast<std::int64_t>(i), time);
      const EntryDraft& d = s.entry.draft;
      rows += std::to_string(s.entry.index);
      rows += '\t';
      rows += time;
      rows += '\t';
      append_copy_text(rows, d.request_id);
      rows += '\t';
      append_copy_text(rows, d.operation);
      rows += '\t';
      append_copy_text(rows, d.consumer_code);
      rows += '\t';
      append_copy_text(rows, d.principal_id);
      rows += '\t';
      append_optional(rows, d.provider_code);
      rows += '\t';
      append_copy_text(rows, d.resource_code);
      rows += '\t';
      append_optional(rows, d.grant_id);
      rows += '\t';
      append_copy_text(rows, d.purpose);
      rows += '\t';
      append_copy_text(rows, array_literal(d.items));
      rows += '\t';
      rows += std::to_string(d.record_count);
      rows += '\t';
      rows += std::to_string(d.status);
      rows += '\t';
      append_copy_text(rows, d.response_sha256);
      rows += '\t';
      append_bytea(rows, s.entry.leaf);
      rows += '\t';
      append_bytea(rows, std::string_view(reinterpret_cast<const char*>(s.entry.leaf_hash.data()),
                                          s.entry.leaf_hash.size()));
      rows += '\n';
    }

    pg::Result start(PQexec(c, kCopy));
    if (PQresultStatus(start.raw()) != PGRES_COPY_IN) {
      throw std::runtime_error(std::string("COPY refused: ") + PQerrorMessage(c));
    }
    if (PQputCopyData(c, rows.data(), static_cast<int>(rows.size())) != 1 ||
        PQputCopyEnd(c, nullptr) != 1) {
      throw DbUnavailable(std::string("COPY failed: ") + PQerrorMessage(c));
    }
    pg::Result done(PQgetResult(c));
    if (PQresultStatus(done.raw()) != PGRES_COMMAND_OK) {
      throw std::runtime_error(std::string("COPY failed: ") + PQerrorMessage(c));
    }
    while (PGresult* extra = PQgetResult(c)) PQclear(extra);
  } catch (...) {
    try {
      pg::exec_blocking(c, "ROLLBACK");
    } catch (...) {
    }
    throw;
  }
  pg::exec_blocking(c, "COMMIT");
}

}  // namespace hub::ledger
