#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "hub/ledger/entry.hpp"

namespace hub::ledger {

struct AppenderOptions {
  std::string conninfo;
  std::size_t max_batch = 10000;
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds retry_backoff{500};  // after a failed connect, fail fast this long
};

// Gauges and counters for /metrics, read from other threads.
struct AppenderStats {
  std::atomic<std::uint64_t> entries{0};
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> failed_entries{0};
  std::atomic<std::int64_t> queued{0};
  std::atomic<std::uint64_t> largest_batch{0};
};

// Group commit. Requests on any I/O thread queue their entry and wait; one writer thread takes
// everything queued, gives it consecutive indexes under the row lock of ledger_head, COPYs it in
// and commits (synchronous_commit on), then wakes every waiter of the batch. While one batch
// commits the next one gathers, so under load a commit carries many entries and no request waits
// for more than the commit in progress and its own.
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

  const AppenderStats& stats() const { return stats_; }

 private:
  struct Slot;
  static void wake(std::shared_ptr<Slot> slot);
  void run();
  void write_batch(std::deque<std::shared_ptr<Slot>>& batch);

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
};

}  // namespace hub::ledger
