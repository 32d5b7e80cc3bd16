#pragma once

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

// A timestamptz column as an RFC 3339 UTC string, the form API.md fixes, in SQL text.
#define HUB_SQL_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define HUB_SQL_TS_OPT(col) "CASE WHEN " col " IS NULL THEN NULL ELSE " HUB_SQL_TS(col) " END"

namespace hub::pg {

// A named SQL statement, prepared once per connection on first use. Keep them as constants next
// to the service that runs them, so a query can be found and timed by its name.
struct Query {
  std::string_view name;
  std::string_view sql;
  // Planned with its parameter values at every execution instead of prepared once: for
  // statements whose best plan depends on which optional filters are given (a generic plan of
  // "$1 IS NULL OR ..." is poor for all of them).
  bool plan_each_time = false;
};

// Parameters in text format; nullopt is SQL NULL.
class Params {
 public:
  Params& add(std::string_view v) {
    values_.emplace_back(std::string(v));
    return *this;
  }
  Params& add(const std::string& v) { return add(std::string_view(v)); }
  Params& add(const char* v) { return add(std::string_view(v)); }
  Params& add(std::int64_t v) {
    values_.emplace_back(std::to_string(v));
    return *this;
  }
  Params& add(int v) { return add(static_cast<std::int64_t>(v)); }
  Params& add(bool v) {
    values_.emplace_back(v ? "t" : "f");
    return *this;
  }
  Params& add_null() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  template <typename T>
  Params& add(const std::optional<T>& v) {
    return v ? add(*v) : add_null();
  }
  std::size_t size() const { return values_.size(); }
  const std::vector<std::optional<std::string>>& values() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// A statement the server refused (syntax, constraint, ...). sqlstate tells which.
class PgError : public std::runtime_error {
 public:
  PgError(std::string message, std::string sqlstate)
      : std::runtime_error(std::move(message)), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  bool is_unique_violation() const { return sqlstate_ == "23505"; }

 private:
  std::string sqlstate_;
};

class Result {
 public:
  Result() = default;
  explicit Result(PGresult* r) : r_(r) {}
  Result(Result&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  Result& operator=(Result&& o) noexcept {
    if (this != &o) {
      if (r_) PQclear(r_);
      r_ = std::exchange(o.r_, nullptr);
    }
    return *this;
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result() {
    if (r_) PQclear(r_);
  }

  int rows() const { return r_ ? PQntuples(r_) : 0; }
  int columns() const { return r_ ? PQnfields(r_) : 0; }
  bool is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string_view get(int row, int col) const {
    return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
  }
  // A copy of the value, nullopt for NULL: for rows made into structs that outlive the result.
  std::optional<std::string> get_text(int row, int col) const {
    if (is_null(row, col)) return std::nullopt;
    return std::string(get(row, col));
  }
  std::int64_t get_int(int row, int col) const;
  bool get_bool(int row, int col) const { return get(row, col) == "t"; }
  std::int64_t affected() const;
  PGresult* raw() const { return r_; }

 private:
  PGresult* r_ = nullptr;
};

struct ConnectionOptions {
  std::string conninfo;
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds query_timeout{10000};
};

// One PostgreSQL connection driven by an io_context: libpq in non-blocking mode, its socket
// watched by Asio, always in pipeline mode so that prepare + execute (or several statements)
// cost one round trip. One statement batch at a time; the pool serialises users.
class Connection {
 public:
  Connection(boost::asio::io_context& ioc, ConnectionOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Throws DbUnavailable when the server cannot be reached in time.
  boost::asio::awaitable<void> connect();

  boost::asio::awaitable<Result> exec(const Query& query, const Params& params = {});

  // Several statements in one round trip (pipeline mode, one sync). They run in one implicit
  // transaction unless a statement opens an explicit one. Results come back in order; the first
  // failure throws PgError and the rest are not run.
  struct Step {
    const Query* query;
    Params params;
  };
  boost::asio::awaitable<std::vector<Result>> pipeline(const std::vector<Step>& steps);

  // `sql`, a COPY ... FROM STDIN, fed `data`: whole rows in COPY's text format. libpq allows no
  // COPY in pipeline mode, so the connection leaves it for the COPY and enters it again after.
  // Runs in the connection's transaction when one is open (pipeline BEGIN first). Returns the
  // rows copied; throws PgError when the server refuses a row, the connection then in step.
  boost::asio::awaitable<std::int64_t> copy_in(std::string_view sql, std::string_view data);

  // A connection that failed at the socket level (or timed out) must not be reused.
  bool usable() const;
  // Usable, outside any transaction, with nothing in flight: fit to lend again.
  bool idle() const;
  // Cheap liveness check before reuse: reads what the server may have sent meanwhile (a
  // termination notice when it shut down).
  bool still_alive();

 private:
  boost::asio::awaitable<std::vector<Result>> run_pipeline(const std::vector<Step>& steps);
  boost::asio::awaitable<std::int64_t> run_copy_in(std::string_view sql, std::string_view data);
  [[noreturn]] void raise(const PgError& error);
  boost::asio::awaitable<void> wait(bool for_write);
  boost::asio::awaitable<void> flush();
  boost::asio::awaitable<PGresult*> next_result();
  void arm_deadline(std::chrono::milliseconds timeout);
  void disarm_deadline();
  [[noreturn]] void fail(const std::string& what);
  void close();

  boost::asio::io_context& ioc_;
  ConnectionOptions options_;
  PGconn* conn_ = nullptr;
  std::unique_ptr<boost::asio::posix::stream_descriptor> socket_;
  boost::asio::steady_timer deadline_;
  bool timed_out_ = false;
  bool broken_ = false;
  std::uint64_t deadline_generation_ = 0;
  std::shared_ptr<bool> life_ = std::make_shared<bool>(true);  // guards the deadline handler
  std::unordered_set<std::string_view> prepared_;
};

struct PoolOptions {
  ConnectionOptions connection;
  unsigned max_size = 8;
  std::chrono::milliseconds acquire_timeout{2000};
  std::chrono::milliseconds retry_backoff{500};
};

// Gauges of one pool, read by /metrics from another thread.
struct PoolStats {
  std::atomic<std::int64_t> open{0};
  std::atomic<std::int64_t> idle{0};
  std::atomic<std::int64_t> waiting{0};
  std::atomic<std::uint64_t> connect_failures{0};
  std::atomic<std::uint64_t> unavailable{0};
};

class Pool;

// A connection borrowed from a pool; given back when the lease ends.
class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
  Lease(Lease&& o) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  Connection* operator->() { return conn_.get(); }
  Connection& operator*() { return *conn_; }

 private:
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

// The connections of one I/O thread. Used from that thread only, so it needs no locks.
class Pool {
 public:
  Pool(boost::asio::io_context& ioc, PoolOptions options);
  ~Pool();

  // A live connection, or DbUnavailable at once when the database is known to be down, or after
  // acquire_timeout when every connection stays busy.
  boost::asio::awaitable<Lease> acquire();

  // Runs one statement on a pooled connection.
  boost::asio::awaitable<Result> exec(const Query& query, const Params& params = {});

  const PoolStats& stats() const { return stats_; }
  void close_all();

 private:
  friend class Lease;
  struct Waiter {
    boost::asio::steady_timer timer;
    std::unique_ptr<Connection> conn;  // handed over by release()
  };
  void release(std::unique_ptr<Connection> conn);
  bool wake_one(std::unique_ptr<Connection>& conn);

  boost::asio::io_context& ioc_;
  PoolOptions options_;
  std::vector<std::unique_ptr<Connection>> idle_;
  unsigned open_ = 0;
  std::deque<Waiter*> waiters_;
  std::chrono::steady_clock::time_point down_until_{};
  bool closed_ = false;
  PoolStats stats_;
};

// Builds the steps of a pipeline. (GCC 12 miscompiles braced lists of steps inside co_await
// expressions, so pipelines are built with these instead.)
inline Connection::Step step(const Query& query, Params params = {}) {
  return Connection::Step{&query, std::move(params)};
}
template <typename... Steps>
std::vector<Connection::Step> batch(Steps&&... steps) {
  std::vector<Connection::Step> out;
  out.reserve(sizeof...(steps));
  (out.push_back(std::forward<Steps>(steps)), ...);
  return out;
}

// bytea in text form ("\\x" and hex), as results give it and text parameters take it.
std::string bytea_from_text(std::string_view text);  // throws std::runtime_error when malformed
std::string bytea_to_text(std::string_view bytes);

// Blocking helpers for start-up work outside the I/O threads (migrations, embedded set-up).
struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using BlockingConnection = std::unique_ptr<PGconn, PgConnDeleter>;
BlockingConnection connect_blocking(const std::string& conninfo, int timeout_seconds);
// The same with a configured timeout (at least a second: libpq counts in whole seconds).
BlockingConnection connect_blocking(const std::string& conninfo, std::chrono::milliseconds timeout);
// Runs a simple-protocol script (several statements allowed). Throws PgError.
void exec_blocking(PGconn* conn, const std::string& sql);
Result exec_blocking(PGconn* conn, const std::string& sql, const Params& params);
// Runs `body` between BEGIN and COMMIT on a blocking connection. When it throws, the transaction
// is rolled back (an error of the rollback itself is dropped: the connection is gone then) and
// the exception goes on.
void transaction_blocking(PGconn* conn, const std::function<void()>& body);

}  // namespace hub::pg
