#include "hub/store/pg.hpp"

#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <charconv>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"

namespace hub::pg {

namespace asio = boost::asio;
using asio::use_awaitable;

std::int64_t Result::get_int(int row, int col) const {
  auto text = get(row, col);
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

std::int64_t Result::affected() const {
  if (!r_) return 0;
  const char* n = PQcmdTuples(r_);
  if (n == nullptr || *n == '\0') return 0;
  std::int64_t v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

namespace {

// The first line only: the DETAIL and CONTEXT lines that follow may quote row values.
std::string first_line(const char* message) {
  std::string s = message ? message : "";
  s = s.substr(0, s.find('\n'));
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// A failed connection attempt: libpq writes one line per host it tried (a multi-host URL after
// a failover names the dead primary first), each followed by hint lines indented by a tab. Every
// host's line is kept, so the log says why each one was refused; the hints are dropped.
std::string connect_error(const char* message) {
  std::string out;
  std::string_view rest = message ? message : "";
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '\t' || line.front() == ' ') continue;
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

PgError error_of(const PGresult* r) {
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  const char* constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
  std::string message = primary ? primary : first_line(PQresultErrorMessage(r));
  if (constraint) message += std::string(" (constraint ") + constraint + ")";
  return PgError(message, state ? state : "");
}

// libpq takes the URL (or key=value string) as "dbname" with expand_dbname, so that we can add
// our own settings beside whatever the operator configured.
PGconn* start_connect(const std::string& conninfo, std::chrono::milliseconds timeout,
                      bool blocking) {
  const std::string seconds =
      std::to_string(std::max<long long>(1, (timeout.count() + 999) / 1000));
  // Before dbname, so the operator's URL overrides them: a primary whose machine dies without a
  // word (no RST: power, network) is noticed by keep-alives after about 11 s idle, and a request
  // or COMMIT it never acknowledges fails after 10 s (tcp_user_timeout), instead of the kernel's
  // two hours; the ledger then resolves the batch on the new primary (docs/ledger.md).
  const char* keys[] = {"keepalives",       "keepalives_idle",  "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout", "dbname",
                        "connect_timeout",  "application_name", nullptr};
  const char* values[] = {"1",    "5",    "2", "3", "10000", conninfo.c_str(), seconds.c_str(),
                          "hubd", nullptr};
  return blocking ? PQconnectdbParams(keys, values, 1) : PQconnectStartParams(keys, values, 1);
}

}  // namespace

Connection::Connection(asio::io_context& ioc, ConnectionOptions options)
    : ioc_(ioc), options_(std::move(options)), deadline_(ioc) {}

Connection::~Connection() { close(); }

void Connection::close() {
  deadline_.cancel();
  if (socket_) {
    // libpq owns the descriptor: take it back from Asio before PQfinish closes it.
    socket_->release();
    socket_.reset();
  }
  if (conn_) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  broken_ = true;
}

bool Connection::usable() const {
  return conn_ != nullptr && !broken_ && PQstatus(conn_) == CONNECTION_OK;
}

bool Connection::idle() const {
  return usable() && PQtransactionStatus(conn_) == PQTRANS_IDLE && !PQisBusy(conn_);
}

bool Connection::still_alive() {
  if (!usable()) return false;
  // An idle connection has nothing to read. End of stream, or bytes (the server's termination
  // notice before it closes), mean it is gone or going.
  char byte;
  const ssize_t n = ::recv(PQsocket(conn_), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || n > 0) return false;
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

void Connection::fail(const std::string& what) {
  std::string message = timed_out_ ? "database operation timed out" : what;
  broken_ = true;
  disarm_deadline();
  throw DbUnavailable(message);
}

void Connection::arm_deadline(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  const auto generation = ++deadline_generation_;
  deadline_.expires_after(timeout);
  deadline_.async_wait(
      [this, generation, life = std::weak_ptr<bool>(life_)](boost::system::error_code ec) {
        // Cancelled when the operation finished in time; `life` is gone when the connection was
        // destroyed while this handler was already queued; another generation means the handler
        // fired for an operation that finished, after the next one began.
        if (ec || life.expired() || generation != deadline_generation_) return;
        timed_out_ = true;
        if (socket_) socket_->cancel();
      });
}

void Connection::disarm_deadline() {
  ++deadline_generation_;
  deadline_.cancel();
}

asio::awaitable<void> Connection::wait(bool for_write) {
  if (!socket_) fail("no socket");
  auto [ec] = co_await socket_->async_wait(for_write ? asio::posix::descriptor_base::wait_write
                                                     : asio::posix::descriptor_base::wait_read,
                                           asio::as_tuple(use_awaitable));
  if (ec || timed_out_) fail("database socket: " + ec.message());
}

asio::awaitable<void> Connection::connect() {
  conn_ = start_connect(options_.conninfo, options_.connect_timeout, false);
  if (conn_ == nullptr) throw DbUnavailable("out of memory");
  if (PQstatus(conn_) == CONNECTION_BAD) fail(connect_error(PQerrorMessage(conn_)));
  arm_deadline(options_.connect_timeout);
  PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
  while (true) {
    // libpq may open a new socket while it tries the next address: follow it.
    // libpq may close the socket and open another, often under the same number, while it
    // tries the next host or address: register it afresh every round.
    int fd = PQsocket(conn_);
    if (fd < 0) fail(first_line(PQerrorMessage(conn_)));
    if (socket_) socket_->release();
    socket_ = std::make_unique<asio::posix::stream_descriptor>(ioc_, fd);
    co_await wait(poll == PGRES_POLLING_WRITING);
    poll = PQconnectPoll(conn_);
    if (poll == PGRES_POLLING_OK) break;
    if (poll == PGRES_POLLING_FAILED) fail(connect_error(PQerrorMessage(conn_)));
  }
  disarm_deadline();
  if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
    fail(first_line(PQerrorMessage(conn_)));
  }
  broken_ = false;
}

asio::awaitable<void> Connection::flush() {
  while (true) {
    int r = PQflush(conn_);
    if (r == 0) co_return;
    if (r < 0) fail(first_line(PQerrorMessage(conn_)));
    // The server may be blocked writing results to us while we write to it: read what has
    // arrived (libpq buffers it), then wait until the socket takes more. (The pipelines sent
    // here are a few statements; a bulk COPY would need to wait for both directions at once.)
    if (PQconsumeInput(conn_) == 0) fail(first_line(PQerrorMessage(conn_)));
    co_await wait(true);
  }
}

asio::awaitable<PGresult*> Connection::next_result() {
  while (PQisBusy(conn_)) {
    co_await wait(false);
    if (PQconsumeInput(conn_) == 0) fail(first_line(PQerrorMessage(conn_)));
  }
  co_return PQgetResult(conn_);
}

asio::awaitable<Result> Connection::exec(const Query& query, const Params& params) {
  std::vector<Step> steps;
  steps.push_back(Step{&query, params});
  auto results = co_await pipeline(steps);
  co_return std::move(results.front());
}

asio::awaitable<std::vector<Result>> Connection::pipeline(const std::vector<Step>& steps) {
  // A failure other than the server refusing a statement leaves the connection somewhere in the
  // middle of the protocol: it must never be reused.
  try {
    co_return co_await run_pipeline(steps);
  } catch (const PgError&) {
    throw;  // read through to the Sync: the connection is in step
  } catch (...) {
    broken_ = true;
    disarm_deadline();
    throw;
  }
}

asio::awaitable<std::vector<Result>> Connection::run_pipeline(const std::vector<Step>& steps) {
  if (!usable()) fail("connection is not usable");
  arm_deadline(options_.query_timeout);

  // Each command sent is either a Prepare (step index -1 - i) or an execution of step i.
  std::vector<long> commands;
  std::vector<std::string_view> preparing;
  std::vector<const char*> values;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Query& q = *steps[i].query;
    const std::string name(q.name);
    if (q.plan_each_time) {
      values.clear();
      for (const auto& v : steps[i].params.values()) values.push_back(v ? v->c_str() : nullptr);
      const std::string sql(q.sql);
      if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0) != 1) {
        fail(first_line(PQerrorMessage(conn_)));
      }
      commands.push_back(static_cast<long>(i));
      continue;
    }
    if (!prepared_.contains(q.name) &&
        std::find(preparing.begin(), preparing.end(), q.name) == preparing.end()) {
      const std::string sql(q.sql);
      if (PQsendPrepare(conn_, name.c_str(), sql.c_str(), 0, nullptr) != 1) {
        fail(first_line(PQerrorMessage(conn_)));
      }
      commands.push_back(-1);
      preparing.push_back(q.name);
    }
    values.clear();
    for (const auto& v : steps[i].params.values()) values.push_back(v ? v->c_str() : nullptr);
    if (PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                            nullptr, nullptr, 0) != 1) {
      fail(first_line(PQerrorMessage(conn_)));
    }
    commands.push_back(static_cast<long>(i));
  }
  if (PQpipelineSync(conn_) != 1) fail(first_line(PQerrorMessage(conn_)));
  co_await flush();

  std::vector<Result> results(steps.size());
  std::optional<PgError> error;
  std::size_t command = 0;
  std::size_t prepare = 0;  // index into `preparing` of the next Prepare command
  while (true) {
    PGresult* r = co_await next_result();
    if (r == nullptr) {
      ++command;  // the end of one command's results
      continue;
    }
    const auto status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    const bool is_prepare = command < commands.size() && commands[command] < 0;
    if (status == PGRES_FATAL_ERROR) {
      if (!error) error = error_of(r);
      PQclear(r);
    } else if (is_prepare) {
      // Only a Prepare the server ran counts: after an error the rest of the pipeline is
      // skipped (PGRES_PIPELINE_ABORTED), Prepares included.
      if (status == PGRES_COMMAND_OK && prepare < preparing.size()) {
        prepared_.insert(preparing[prepare]);
      }
      PQclear(r);
    } else if (status == PGRES_PIPELINE_ABORTED || command >= commands.size()) {
      PQclear(r);
    } else {
      results[static_cast<std::size_t>(commands[command])] = Result(r);
    }
    if (is_prepare) ++prepare;
  }
  disarm_deadline();
  if (error) raise(*error);
  co_return results;
}

void Connection::raise(const PgError& error) {
  // A server that is no primary any more (a failover demoted it: read-only), or is shutting
  // down, is no place for this connection: dropped, and the request told the database is
  // unavailable (503), so that the next connection finds the new primary.
  const std::string& state = error.sqlstate();
  if (state == "25006" || state.starts_with("57P") || state.starts_with("08")) {
    broken_ = true;
    throw DbUnavailable(error.what());
  }
  throw error;
}

asio::awaitable<std::int64_t> Connection::copy_in(std::string_view sql, std::string_view data) {
  try {
    co_return co_await run_copy_in(sql, data);
  } catch (const PgError&) {
    throw;  // read through to the end of the command and back in pipeline mode: in step
  } catch (...) {
    broken_ = true;
    disarm_deadline();
    throw;
  }
}

asio::awaitable<std::int64_t> Connection::run_copy_in(std::string_view sql, std::string_view data) {
  if (!usable()) fail("connection is not usable");
  arm_deadline(options_.query_timeout);
  if (PQexitPipelineMode(conn_) != 1) fail(first_line(PQerrorMessage(conn_)));
  const std::string command(sql);
  if (PQsendQuery(conn_, command.c_str()) != 1) fail(first_line(PQerrorMessage(conn_)));
  co_await flush();
  PGresult* r = co_await next_result();
  if (r != nullptr && PQresultStatus(r) == PGRES_COPY_IN) {
    PQclear(r);
    // A row the server refuses ends the COPY on its side: it answers with the error and drops
    // whatever data follows (simple query protocol), so the rest is sent regardless and the
    // error read after the end.
    constexpr std::size_t kChunk = 256 * 1024;
    for (std::size_t at = 0; at < data.size();) {
      const std::size_t n = std::min(kChunk, data.size() - at);
      const int put = PQputCopyData(conn_, data.data() + at, static_cast<int>(n));
      if (put < 0) fail(first_line(PQerrorMessage(conn_)));  // the connection, not the server
      if (put == 1) at += n;
      co_await flush();
    }
    while (true) {
      const int end = PQputCopyEnd(conn_, nullptr);
      if (end < 0) fail(first_line(PQerrorMessage(conn_)));
      co_await flush();
      if (end == 1) break;
    }
    r = co_await next_result();
  }
  std::optional<PgError> error;
  std::int64_t copied = 0;
  for (; r != nullptr; r = co_await next_result()) {
    Result result(r);
    const auto status = PQresultStatus(r);
    if (status == PGRES_FATAL_ERROR) {
      if (!error) error = error_of(r);
    } else if (status == PGRES_COMMAND_OK) {
      copied = result.affected();
    } else {
      // Still in a COPY state (it would answer so forever), or anything else: out of step.
      fail("unexpected answer to COPY: " + std::string(PQresStatus(status)));
    }
  }
  // A connection lost mid-COPY ends in an error result without a SQLSTATE: unavailable, not a
  // refusal.
  if (PQstatus(conn_) != CONNECTION_OK) fail(first_line(PQerrorMessage(conn_)));
  if (PQenterPipelineMode(conn_) != 1) fail(first_line(PQerrorMessage(conn_)));
  disarm_deadline();
  if (error) raise(*error);
  co_return copied;
}

Lease::~Lease() {
  if (conn_ && pool_) pool_->release(std::move(conn_));
}

Pool::Pool(asio::io_context& ioc, PoolOptions options) : ioc_(ioc), options_(std::move(options)) {}

Pool::~Pool() { close_all(); }

void Pool::close_all() {
  closed_ = true;
  idle_.clear();
  stats_.idle.store(0, std::memory_order_relaxed);
  for (auto* waiter : waiters_) waiter->timer.cancel();
  waiters_.clear();
}

bool Pool::wake_one(std::unique_ptr<Connection>& conn) {
  // The first waiter still waiting (one whose timer already fired is on its way out and would
  // swallow the wake-up) gets `conn` handed over, or, with none, the chance to open one.
  while (!waiters_.empty()) {
    Waiter* waiter = waiters_.front();
    waiters_.pop_front();
    if (waiter->timer.cancel() > 0) {
      waiter->conn = std::move(conn);
      return true;
    }
  }
  return false;
}

void Pool::release(std::unique_ptr<Connection> conn) {
  if (!closed_ && conn->idle()) {
    // Handed straight to the longest waiter: a newcomer cannot take it first, so under load
    // waiters are served in order and none starves (the latency tail).
    if (wake_one(conn)) return;
    idle_.push_back(std::move(conn));
    stats_.idle.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  conn.reset();
  --open_;
  stats_.open.fetch_sub(1, std::memory_order_relaxed);
  std::unique_ptr<Connection> none;
  wake_one(none);  // there is room to open a connection now
}

asio::awaitable<Lease> Pool::acquire() {
  while (true) {
    if (closed_) throw DbUnavailable("shutting down");
    // Queue behind earlier waiters rather than overtake them.
    if (waiters_.empty()) {
      while (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        stats_.idle.fetch_sub(1, std::memory_order_relaxed);
        if (conn->still_alive()) co_return Lease(this, std::move(conn));
        // The server went away while the connection was idle (restart, failover).
        conn.reset();
        --open_;
        stats_.open.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    if (open_ < options_.max_size && (waiters_.empty() || idle_.empty())) {
      if (std::chrono::steady_clock::now() < down_until_) {
        stats_.unavailable.fetch_add(1, std::memory_order_relaxed);
        throw DbUnavailable("database unavailable");
      }
      ++open_;
      stats_.open.fetch_add(1, std::memory_order_relaxed);
      auto conn = std::make_unique<Connection>(ioc_, options_.connection);
      try {
        co_await conn->connect();
      } catch (const DbUnavailable& e) {
        --open_;
        stats_.open.fetch_sub(1, std::memory_order_relaxed);
        stats_.connect_failures.fetch_add(1, std::memory_order_relaxed);
        stats_.unavailable.fetch_add(1, std::memory_order_relaxed);
        down_until_ = std::chrono::steady_clock::now() + options_.retry_backoff;
        spdlog::warn("database connect failed: {}", e.what());
        // Waiters would otherwise sit until their timeout: let them fail fast too.
        for (auto* waiter : waiters_) waiter->timer.cancel();
        waiters_.clear();
        throw;
      }
      co_return Lease(this, std::move(conn));
    }
    Waiter waiter{asio::steady_timer(ioc_), nullptr};
    waiter.timer.expires_after(options_.acquire_timeout);
    waiters_.push_back(&waiter);
    stats_.waiting.fetch_add(1, std::memory_order_relaxed);
    auto [ec] = co_await waiter.timer.async_wait(asio::as_tuple(use_awaitable));
    stats_.waiting.fetch_sub(1, std::memory_order_relaxed);
    std::erase(waiters_, &waiter);
    if (waiter.conn) co_return Lease(this, std::move(waiter.conn));
    if (!ec && idle_.empty() && open_ >= options_.max_size) {
      stats_.unavailable.fetch_add(1, std::memory_order_relaxed);
      throw DbUnavailable("no database connection became free in time");
    }
  }
}

asio::awaitable<Result> Pool::exec(const Query& query, const Params& params) {
  auto lease = co_await acquire();
  co_return co_await lease->exec(query, params);
}

BlockingConnection connect_blocking(const std::string& conninfo, int timeout_seconds) {
  BlockingConnection conn(start_connect(conninfo, std::chrono::seconds(timeout_seconds), true));
  if (!conn) throw DbUnavailable("out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw DbUnavailable(connect_error(PQerrorMessage(conn.get())));
  }
  return conn;
}

BlockingConnection connect_blocking(const std::string& conninfo,
                                    std::chrono::milliseconds timeout) {
  return connect_blocking(
      conninfo, static_cast<int>(std::max<long long>(
                    1, std::chrono::duration_cast<std::chrono::seconds>(timeout).count())));
}

void transaction_blocking(PGconn* conn, const std::function<void()>& body) {
  exec_blocking(conn, "BEGIN");
  try {
    body();
    exec_blocking(conn, "COMMIT");
  } catch (...) {
    try {
      exec_blocking(conn, "ROLLBACK");
    } catch (...) {
    }
    throw;
  }
}

void exec_blocking(PGconn* conn, const std::string& sql) {
  Result r(PQexec(conn, sql.c_str()));
  auto status = PQresultStatus(r.raw());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    if (PQstatus(conn) != CONNECTION_OK) {
      throw DbUnavailable(first_line(PQerrorMessage(conn)));
    }
    throw error_of(r.raw());
  }
}

Result exec_blocking(PGconn* conn, const std::string& sql, const Params& params) {
  std::vector<const char*> values;
  for (const auto& v : params.values()) values.push_back(v ? v->c_str() : nullptr);
  Result r(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0));
  auto status = PQresultStatus(r.raw());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    if (PQstatus(conn) != CONNECTION_OK) {
      throw DbUnavailable(first_line(PQerrorMessage(conn)));
    }
    throw error_of(r.raw());
  }
  return r;
}

std::string bytea_from_text(std::string_view text) {
  if (!text.starts_with("\\x") || text.size() % 2 != 0) {
    throw std::runtime_error("unexpected bytea text");
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::runtime_error("unexpected bytea text");
  };
  std::string out;
  out.reserve((text.size() - 2) / 2);
  for (std::size_t i = 2; i < text.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(text[i]) * 16 + nibble(text[i + 1])));
  }
  return out;
}

std::string bytea_to_text(std::string_view bytes) {
  std::string out = "\\x";
  out += to_hex(bytes);
  return out;
}

}  // namespace hub::pg
