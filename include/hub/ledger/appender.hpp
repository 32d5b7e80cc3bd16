#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "hub/ledger/entry.hpp"

typedef struct pg_conn PGconn;

namespace hub::ledger {

struct AppenderOptions {
  std::string conninfo;
  std::size_t max_batch = 10000;
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds retry_backoff{500};  // after a failed connect, fail fast this long
  // How long a batch whose COMMIT outcome is unknown (the connection died during COMMIT, as at a
  // failover) may take to be resolved on the database (the new primary) before its requests are
  // answered 503. Its requests wait meanwhile: keep it under the 15 s API.md allows.
  std::chrono::milliseconds resolve_timeout{14000};
  std::chrono::milliseconds resolve_retry{200};
  // Fault injection for tests only: called on the batch's connection just before COMMIT is sent
  // (sent=false) and just after (sent=true), e.g. to cut the connection there.
  std::function<void(void* pgconn, bool sent)> commit_fault;
};

// Gauges and counters for /metrics, read from other threads.
struct AppenderStats {
  std::atomic<std::uint64_t> entries{0};
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> failed_entries{0};
  std::atomic<std::int64_t> queued{0};
  std::atomic<std::uint64_t> largest_batch{0};
  // Batches that took the head's row lock before inserting (the first of a connection, and while
  // other nodes append), and guesses of the head's place that missed (another node had moved it).
  std::atomic<std::uint64_t> locked_batches{0};
  std::atomic<std::uint64_t> missed_guesses{0};
  // Batches whose COMMIT outcome was unknown, by how they were resolved on the database.
  std::atomic<std::uint64_t> resolved_committed{0};
  std::atomic<std::uint64_t> resolved_not_committed{0};
  // Not resolved within resolve_timeout (answered 503), and found committed later: entries
  // whose requests were answered 503 although the ledger holds them with their status.
  std::atomic<std::uint64_t> unresolved{0};
  std::atomic<std::uint64_t> late_committed_entries{0};
};

// Group commit. Requests on any I/O thread queue their entry and wait; one writer thread takes
// everything queued, gives it consecutive indexes under the row lock of ledger_head, inserts it
// and commits (synchronous_commit on), then wakes every waiter of the batch. While one batch
// commits the next one gathers, so under load a commit carries many entries and no request waits
// for more than the commit in progress and its own. A batch is one round trip when the head is
// where this node's last batch left it (one statement moves it, only if so, and inserts the
// rows); otherwise, and first on each connection, the writer takes the head's lock to learn where
// it is (two round trips).
//
// A COMMIT whose outcome is unknown (the connection died while it was in flight: the primary
// failed) is resolved, not guessed: the writer connects again (to the new primary, with a
// multi-host conninfo), waits for the head's row lock (so that a transaction still finishing on
// the same server is decided first), and looks for the batch's first entry by index and leaf
// hash. Found: the batch committed and its requests are answered; absent: it did not, and they
// are answered 503. See docs/ledger.md, "When the database fails over".
class Appender {
 public:
  explicit Appender(AppenderOptions options);
  ~Appender();
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  void start();
  void stop();  // fails what is still queued with DbUnavailable

  // Completes when the entry is committed, with its index, time and leaf. Throws DbUnavailable
  // when it could not be (the database down, the batch refused). Call it from a coroutine whose
  // executor runs on one thread (an I/O worker's io_context), as the hub's handlers do.
  boost::asio::awaitable<Entry> append(EntryDraft draft);
  // Several entries of one request (a joint computation's run: each input's and the run's),
  // queued together so that they usually share one commit; completes when all are committed,
  // in order. Throws DbUnavailable when any could not be (some may be committed then).
  boost::asio::awaitable<std::vector<Entry>> append_all(std::vector<EntryDraft> drafts);

  const AppenderStats& stats() const { return stats_; }

 private:
  struct Slot;
  static void wake(std::shared_ptr<Slot> slot);
  void run();
  void write_batch(std::deque<std::shared_ptr<Slot>>& batch);
  void connect();
  // A batch whose outcome is unknown: its first index and leaf hash identify it.
  struct Unknown {
    std::int64_t first = 0;
    std::string leaf_hash;  // bytes
    std::size_t count = 0;
    std::string time;  // the batch's entries' time, as stored
  };
  enum class Outcome { committed, not_committed, unknown };
  Outcome resolve(const Unknown& batch, std::chrono::steady_clock::time_point deadline);
  void check_unresolved();

  AppenderOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Slot>> queue_;
  bool stopping_ = false;
  std::thread thread_;
  AppenderStats stats_;
  // Writer thread only:
  struct Conn;
  std::unique_ptr<Conn> conn_;
  std::chrono::steady_clock::time_point down_until_{};
  std::vector<Unknown> unresolved_;  // answered 503 unresolved: looked up again on reconnect
};

// Whether the batch whose first entry is `first` with `leaf_hash` (bytes) committed, asked on `c`
// under the head's lock once any transaction holding it has finished. Absent, it stays absent:
// the head's time moves past the batch's `time` (as stored), so its claim can never match later.
bool batch_committed(PGconn* c, std::int64_t first, std::string_view leaf_hash,
                     const std::string& time);

}  // namespace hub::ledger
