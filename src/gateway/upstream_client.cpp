// The interface services' HTTP client (docs/gateway.md): per worker keep-alive pools, the SSRF
// check at every connect, verified TLS, bounded answers, a breaker and metrics per upstream.
#include "hub/gateway/upstream_client.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "hub/core/worker.hpp"

namespace hub::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

// The latency histogram's upper bounds, in milliseconds and as Prometheus writes them (seconds).
constexpr std::array<std::uint64_t, 13> kBucketMs = {1,   2,   5,    10,   25,   50,   100,
                                                     250, 500, 1000, 2500, 5000, 10000};
constexpr std::array<const char*, 13> kBucketLe = {"0.001", "0.002", "0.005", "0.01", "0.025",
                                                   "0.05",  "0.1",   "0.25",  "0.5",  "1",
                                                   "2.5",   "5",     "10"};
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
// A connection idle longer is not reused: servers close idle ones (nginx after 75 s), and one
// they are closing at the moment it is reused would cost a retry or a failure.
constexpr auto kMaxIdle = std::chrono::seconds(50);

// What the node keeps about one upstream (by key), shared by the workers: the breaker, the
// metrics (relaxed atomics) and the TLS contexts, one per CA (made once, under Impl::mutex).
struct Shared {
  Shared(std::string k, unsigned failures_to_open, std::chrono::milliseconds open_for)
      : key(std::move(k)), breaker(failures_to_open, open_for) {}
  const std::string key;
  Breaker breaker;
  std::atomic<std::uint64_t> calls{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> sum_micros{0};
  std::array<std::atomic<std::uint64_t>, kBucketMs.size() + 1> buckets{};
  std::atomic<std::int64_t> connections{0};
  std::map<std::string, std::shared_ptr<ssl::context>> contexts;  // by ca_pem
};

// One connection: TLS over TCP, or TCP alone for an http upstream; its read buffer is reused by
// every answer it carries.
struct Connection {
  Connection(const asio::any_io_executor& ex, ssl::context* ctx, std::shared_ptr<Shared> s)
      : shared(std::move(s)), context(ctx) {
    if (ctx) {
      tls.emplace(ex, *ctx);
    } else {
      plain.emplace(ex);
    }
  }
  ~Connection() {
    if (counted) shared->connections.fetch_sub(1, std::memory_order_relaxed);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  std::shared_ptr<Shared> shared;
  ssl::context* context;  // the CA it was verified with (nullptr: plain http)
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  std::optional<beast::tcp_stream> plain;
  beast::flat_buffer buffer;
  Clock::time_point idle_since;
  bool counted = false;
};

struct Pool;

// A call waiting for a connection: the pool hands it an idle connection of its CA or the right
// to open one (a slot), and wakes it by cancelling its timer.
struct Waiter {
  Waiter(const asio::any_io_executor& ex, Pool& p, ssl::context* ctx)
      : timer(ex), pool(p), context(ctx) {}
  ~Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  void leave();

  asio::steady_timer timer;
  Pool& pool;
  ssl::context* context;
  std::unique_ptr<Connection> conn;
  bool slot = false;
  bool closed = false;
};

// One worker's connections to one upstream. `open` counts slots: connections idle, in use or
// being made; it never exceeds `bound`. While calls wait, no connection is idle.
struct Pool {
  Pool(std::shared_ptr<Shared> s, unsigned b) : shared(std::move(s)), bound(b) {}
  std::shared_ptr<Shared> shared;
  const unsigned bound;
  unsigned open = 0;
  std::vector<std::unique_ptr<Connection>> idle;  // the most recently used last
  std::deque<Waiter*> waiters;
  std::vector<std::pair<std::string, ssl::context*>> contexts;  // this worker's copy, by ca_pem

  // A slot is free again: the first waiter gets it, or the count goes down.
  void free_slot() {
    if (!waiters.empty()) {
      Waiter* w = waiters.front();
      waiters.pop_front();
      w->slot = true;
      w->timer.cancel();
      return;
    }
    --open;
  }

  // A connection comes back from a call: to a waiter of its CA, or idle; else it is closed.
  void give_back(std::unique_ptr<Connection> c, bool reusable) {
    if (reusable) {
      for (auto it = waiters.begin(); it != waiters.end(); ++it) {
        if ((*it)->context != c->context) continue;
        Waiter* w = *it;
        waiters.erase(it);
        w->conn = std::move(c);
        w->timer.cancel();
        return;
      }
      if (waiters.empty()) {
        c->idle_since = Clock::now();
        idle.push_back(std::move(c));
        return;
      }
    }
    c.reset();
    free_slot();
  }

  void close_all() {
    open -= static_cast<unsigned>(idle.size());
    idle.clear();
    while (!waiters.empty()) {
      Waiter* w = waiters.front();
      waiters.pop_front();
      w->closed = true;
      w->timer.cancel();
    }
  }
};

void Waiter::leave() {
  for (auto it = pool.waiters.begin(); it != pool.waiters.end(); ++it) {
    if (*it == this) {
      pool.waiters.erase(it);
      return;
    }
  }
}

Waiter::~Waiter() {
  // Destroyed while waiting (its io_context went) or with what it was handed unused.
  leave();
  if (conn || slot) {
    conn.reset();
    pool.free_slot();
  }
}

// The slot a call holds (with its connection, when it has one): freed if the call ends without
// giving the connection back, whatever the way it ends.
struct Lease {
  explicit Lease(Pool& p) : pool(p) {}
  ~Lease() {
    if (has_slot) {
      conn.reset();
      pool.free_slot();
    }
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Pool& pool;
  std::unique_ptr<Connection> conn;
  bool has_slot = false;
};

// What one worker holds: its pools (used only on its thread) and the io_context they belong to.
struct WorkerState {
  asio::io_context* ioc = nullptr;
  bool closed = false;
  std::unordered_map<std::string, std::shared_ptr<Pool>> pools;  // by Upstream::key()

  void close_all() {
    closed = true;
    for (auto& [key, pool] : pools) pool->close_all();
  }
};

// Registered in each worker's io_context: when the io_context is destroyed, the idle
// connections go first, while the io_context's services still exist (if close() was not called).
class PoolShutdown : public asio::execution_context::service {
 public:
  static asio::execution_context::id id;
  explicit PoolShutdown(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}
  void add(const std::shared_ptr<WorkerState>& state) {
    std::lock_guard lock(mutex_);
    std::erase_if(states_, [](const auto& w) { return w.expired(); });
    states_.push_back(state);
  }

 private:
  void shutdown() override {
    std::vector<std::weak_ptr<WorkerState>> states;
    {
      std::lock_guard lock(mutex_);
      states.swap(states_);
    }
    for (auto& weak : states) {
      if (auto s = weak.lock(); s && s->ioc == &static_cast<asio::io_context&>(context())) {
        s->close_all();
        s->ioc = nullptr;
      }
    }
  }
  std::mutex mutex_;
  std::vector<std::weak_ptr<WorkerState>> states_;
};
asio::execution_context::id PoolShutdown::id;

bool retryable(const error_code& ec) {
  return ec == asio::error::eof || ec == bhttp::error::end_of_stream ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

bool idempotent(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
    case bhttp::verb::head:
    case bhttp::verb::options:
    case bhttp::verb::put:
    case bhttp::verb::delete_:
    case bhttp::verb::trace:
      return true;
    default:
      return false;
  }
}

// An idle connection the server has closed (or is closing) is not reused.
bool still_open(Connection& c) {
  if (Clock::now() - c.idle_since > kMaxIdle) return false;
  pollfd p{};
  p.fd = c.tcp().socket().native_handle();
  p.events = POLLIN | POLLRDHUP;
  if (::poll(&p, 1, 0) < 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f ||
        std::string_view("()<>@,;:\\\"/[]?={}").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool is_field_value(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

void check_request(const UpstreamRequest& r) {
  if (r.target.empty() || r.target.front() != '/') {
    throw std::invalid_argument("upstream target must begin with '/'");
  }
  for (char c : r.target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) throw std::invalid_argument("upstream target: a bad character");
  }
  for (const auto& [name, value] : r.headers) {
    if (!is_token(name) || !is_field_value(value)) {
      throw std::invalid_argument("upstream header: a bad name or value");
    }
  }
}

std::string host_header(const Upstream& up) {
  std::string out = up.host.find(':') != std::string::npos ? "[" + up.host + "]" : up.host;
  if (up.port != (up.tls ? 443 : 80)) out += ":" + std::to_string(up.port);
  return out;
}

void fail(UpstreamAnswer& answer, Failure f, std::string detail) {
  answer.failure = f;
  answer.detail = std::move(detail);
}

}  // namespace

struct UpstreamClient::Impl {
  Impl(const ServicesConfig& c, std::shared_ptr<const UpstreamPolicy> p, unsigned w)
      : config(c), policy(std::move(p)), workers(w == 0 ? 1 : w) {
    per_worker = std::max(1u, config.connections_per_upstream / workers);
    for (unsigned i = 0; i < workers; ++i) states.push_back(std::make_shared<WorkerState>());
  }

  std::shared_ptr<Shared> shared_of(const std::string& key) const {
    std::lock_guard lock(mutex);
    const auto it = shared.find(key);
    return it == shared.end() ? nullptr : it->second;
  }

  std::shared_ptr<ssl::context> make_context(const std::string& ca_pem) const {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                     SSL_OP_NO_RENEGOTIATION);
    ctx->set_verify_mode(ssl::verify_peer);
    if (ca_pem.empty()) {
      ctx->set_default_verify_paths();
    } else {
      error_code ec;
      ctx->add_certificate_authority(asio::buffer(ca_pem), ec);
      if (ec) throw std::invalid_argument("the upstream's ca_pem is not a PEM certificate");
    }
    if (!config.client_cert.empty()) {
      ctx->use_certificate_chain_file(config.client_cert);
      ctx->use_private_key_file(config.client_key, ssl::context::pem);
    }
    return ctx;
  }

  // This worker's pool for the upstream (made at its first call, then found without a lock),
  // and the TLS context of its CA.
  std::pair<Pool*, ssl::context*> pool_for(Worker& worker, WorkerState& ws, const Upstream& up,
                                           const std::string& key, std::shared_ptr<Pool>& keep) {
    if (ws.ioc != &worker.ioc()) {
      // A new io_context for this index (or the first): what was pooled belonged to the old one.
      if (ws.ioc) ws.close_all();
      ws.pools.clear();
      ws.closed = false;
      ws.ioc = &worker.ioc();
      asio::use_service<PoolShutdown>(worker.ioc()).add(states[worker.index()]);
    }
    auto it = ws.pools.find(key);
    if (it == ws.pools.end()) {
      std::shared_ptr<Shared> s;
      {
        std::lock_guard lock(mutex);
        auto& slot = shared[key];
        if (!slot)
          slot = std::make_shared<Shared>(key, config.breaker_failures, config.breaker_open);
        s = slot;
      }
      it = ws.pools.emplace(key, std::make_shared<Pool>(std::move(s), per_worker)).first;
    }
    keep = it->second;
    Pool& pool = *it->second;
    if (!up.tls) return {&pool, nullptr};
    for (const auto& [pem, ctx] : pool.contexts) {
      if (pem == up.ca_pem) return {&pool, ctx};
    }
    ssl::context* ctx = nullptr;
    {
      std::lock_guard lock(mutex);
      auto& made = pool.shared->contexts[up.ca_pem];
      if (!made) made = make_context(up.ca_pem);
      ctx = made.get();
    }
    pool.contexts.emplace_back(up.ca_pem, ctx);
    return {&pool, ctx};
  }

  // Resolves now, keeps the addresses the policy allows, connects to one of them and verifies
  // the upstream's certificate. False with the failure in `answer`.
  asio::awaitable<bool> connect(Connection& c, const Upstream& up, Clock::time_point deadline,
                                UpstreamAnswer& answer) {
    if (!up.tls && !config.allow_http) {
      fail(answer, Failure::refused_address, "http upstreams are not allowed");
      co_return false;
    }
    const auto executor = c.tcp().get_executor();
    std::vector<tcp::endpoint> found;
    error_code literal_ec;
    const auto literal = asio::ip::make_address(up.host, literal_ec);
    if (!literal_ec) {
      found.emplace_back(literal, up.port);
    } else {
      // The resolver has no deadline of its own: a timer cancels it.
      auto resolver = std::make_shared<tcp::resolver>(executor);
      asio::steady_timer guard(executor);
      guard.expires_at(deadline);
      std::weak_ptr<tcp::resolver> weak = resolver;
      guard.async_wait([weak](const error_code& ec) {
        if (ec) return;
        if (auto r = weak.lock()) r->cancel();
      });
      const std::string port_text = std::to_string(up.port);
      const auto flags = tcp::resolver::numeric_service;
      auto [rec, results] = co_await resolver->async_resolve(up.host, port_text, flags,
                                                             asio::as_tuple(asio::use_awaitable));
      guard.cancel();
      if (rec) {
        if (Clock::now() >= deadline) {
          fail(answer, Failure::timeout, "resolving " + up.host + " took too long");
        } else {
          fail(answer, Failure::resolve, "cannot resolve " + up.host + ": " + rec.message());
        }
        co_return false;
      }
      for (const auto& r : results) found.push_back(r.endpoint());
    }
    std::vector<tcp::endpoint> allowed;
    std::string refused;
    for (const auto& ep : found) {
      if (policy->allows_address(up.host, ep.address())) {
        allowed.push_back(ep);
      } else {
        refused += (refused.empty() ? "" : ", ") + ep.address().to_string();
      }
    }
    if (allowed.empty()) {
      fail(answer, Failure::refused_address,
           refused.empty() ? "no address for " + up.host
                           : up.host + " resolved to refused addresses: " + refused);
      co_return false;
    }
    // Registration checked the host; checked again in case the configuration changed since.
    if (!policy->allows_host(up.host, up.port)) {
      fail(answer, Failure::refused_address, "the host is not in services.allowed_hosts");
      co_return false;
    }
    auto& stream = c.tcp();
    stream.expires_at(deadline);
    auto [cec, ep] = co_await stream.async_connect(allowed, asio::as_tuple(asio::use_awaitable));
    if (cec) {
      if (cec == beast::error::timeout || Clock::now() >= deadline) {
        fail(answer, Failure::timeout, "connecting to " + up.host + " took too long");
      } else {
        fail(answer, Failure::connect, "cannot connect to " + up.host + ": " + cec.message());
      }
      co_return false;
    }
    error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);
    if (c.tls) {
      SSL* native = c.tls->native_handle();
      if (!literal_ec) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), up.host.c_str());
      } else {
        SSL_set_tlsext_host_name(native, up.host.c_str());
        SSL_set1_host(native, up.host.c_str());
      }
      auto [hec] = co_await c.tls->async_handshake(ssl::stream_base::client,
                                                   asio::as_tuple(asio::use_awaitable));
      if (hec) {
        if (hec == beast::error::timeout || Clock::now() >= deadline) {
          fail(answer, Failure::timeout, "the TLS handshake with " + up.host + " took too long");
        } else {
          const long verify = SSL_get_verify_result(native);
          std::string why = hec.message();
          if (verify != X509_V_OK) why += std::string(": ") + X509_verify_cert_error_string(verify);
          fail(answer, Failure::connect, "TLS with " + up.host + " failed: " + why);
        }
        co_return false;
      }
    }
    c.counted = true;
    c.shared->connections.fetch_add(1, std::memory_order_relaxed);
    co_return true;
  }

  // Takes a connection (idle, a new one, or one handed over after waiting), sends, reads the
  // answer into `answer`; gives the connection back when it may carry another call.
  asio::awaitable<void> exchange(Worker& worker, WorkerState& ws, Pool& pool, ssl::context* ctx,
                                 const Upstream& up, bhttp::request<bhttp::string_body>& req,
                                 Clock::time_point deadline, UpstreamAnswer& answer) {
    const auto executor = worker.ioc().get_executor();
    Lease lease(pool);
    bool reused = false;
    while (!pool.idle.empty()) {
      // The most recently used of its CA; a stale one is closed.
      auto it = pool.idle.end();
      for (auto i = pool.idle.begin(); i != pool.idle.end(); ++i) {
        if ((*i)->context == ctx) it = i;
      }
      if (it == pool.idle.end()) break;
      std::unique_ptr<Connection> c = std::move(*it);
      pool.idle.erase(it);
      lease.has_slot = true;
      if (still_open(*c)) {
        lease.conn = std::move(c);
        reused = true;
        break;
      }
      c.reset();
      lease.has_slot = false;
      pool.free_slot();
    }
    if (!lease.has_slot) {
      if (pool.open < pool.bound) {
        ++pool.open;
        lease.has_slot = true;
      } else if (!pool.idle.empty()) {
        pool.idle.erase(pool.idle.begin());  // idle of another CA: its slot is ours
        lease.has_slot = true;
      } else {
        Waiter w(executor, pool, ctx);
        pool.waiters.push_back(&w);
        w.timer.expires_at(deadline);
        co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
        w.leave();
        if (w.conn) {
          lease.conn = std::move(w.conn);
          lease.has_slot = true;
          reused = true;
        } else if (w.slot) {
          w.slot = false;
          lease.has_slot = true;
        } else if (w.closed) {
          fail(answer, Failure::broken, "the client is closing");
          co_return;
        } else {
          fail(answer, Failure::timeout, "no connection to the upstream was free in time");
          co_return;
        }
      }
    }

    for (int attempt = 0;; ++attempt) {
      if (!lease.conn) {
        lease.conn = std::make_unique<Connection>(executor, ctx, pool.shared);
        const bool ok = co_await connect(*lease.conn, up, deadline, answer);
        if (!ok) co_return;
        reused = false;
      }
      Connection& c = *lease.conn;
      c.tcp().expires_at(deadline);
      error_code wec;
      if (c.tls) {
        auto [ec, n] =
            co_await bhttp::async_write(*c.tls, req, asio::as_tuple(asio::use_awaitable));
        wec = ec;
      } else {
        auto [ec, n] =
            co_await bhttp::async_write(*c.plain, req, asio::as_tuple(asio::use_awaitable));
        wec = ec;
      }
      if (wec) {
        // The request did not leave whole: a reused connection the server had closed is
        // replaced once, whatever the method (nothing complete arrived).
        if (reused && attempt == 0 && retryable(wec) && Clock::now() < deadline) {
          lease.conn.reset();
          continue;
        }
        if (wec == beast::error::timeout || Clock::now() >= deadline) {
          fail(answer, Failure::timeout, "sending to the upstream took too long");
        } else {
          fail(answer, Failure::broken, "sending to the upstream failed: " + wec.message());
        }
        co_return;
      }

      std::optional<bhttp::response_parser<bhttp::string_body>> parser;
      error_code rec;
      bool got_some = false;
      do {  // an interim 1xx answer is skipped
        parser.emplace();
        parser->body_limit(config.max_response_bytes);
        parser->header_limit(kHeaderLimit);
        if (req.method() == bhttp::verb::head) parser->skip(true);
        if (c.tls) {
          auto [ec, n] = co_await bhttp::async_read(*c.tls, c.buffer, *parser,
                                                    asio::as_tuple(asio::use_awaitable));
          rec = ec;
        } else {
          auto [ec, n] = co_await bhttp::async_read(*c.plain, c.buffer, *parser,
                                                    asio::as_tuple(asio::use_awaitable));
          rec = ec;
        }
        got_some = got_some || parser->got_some();
      } while (!rec && parser->get().result_int() / 100 == 1 && parser->get().result_int() != 101);
      if (rec) {
        if (reused && attempt == 0 && !got_some && idempotent(req.method()) && retryable(rec) &&
            Clock::now() < deadline) {
          lease.conn.reset();
          continue;
        }
        if (rec == bhttp::error::body_limit || rec == bhttp::error::header_limit ||
            rec == bhttp::error::buffer_overflow) {
          if (parser->is_header_done()) answer.status = parser->get().result_int();
          fail(answer, Failure::too_large, "the answer is over the limit");
        } else if (rec == beast::error::timeout || Clock::now() >= deadline) {
          if (parser->is_header_done()) answer.status = parser->get().result_int();
          fail(answer, Failure::timeout, "no full answer within the timeout");
        } else if (!reused && !got_some && rec.category() == asio::error::get_ssl_category()) {
          // A new connection the server's TLS refused after the handshake (TLS 1.3 sends a
          // client-certificate refusal then): a connect failure.
          fail(answer, Failure::connect,
               "the upstream's TLS refused the session: " + rec.message());
        } else {
          fail(answer, Failure::broken, "reading the answer failed: " + rec.message());
        }
        co_return;  // the connection is closed (the lease drops it)
      }
      auto& res = parser->get();
      answer.status = res.result_int();
      answer.content_type = std::string(res[bhttp::field::content_type]);
      const bool reusable = res.keep_alive() && c.buffer.size() == 0 && !ws.closed;
      answer.body = std::move(res.body());
      lease.has_slot = false;
      pool.give_back(std::move(lease.conn), reusable);
      co_return;
    }
  }

  void observe(Shared& s, const UpstreamAnswer& answer, bool failed) {
    const auto micros = static_cast<std::uint64_t>(answer.elapsed.count());
    s.calls.fetch_add(1, std::memory_order_relaxed);
    if (failed) s.failures.fetch_add(1, std::memory_order_relaxed);
    s.sum_micros.fetch_add(micros, std::memory_order_relaxed);
    std::size_t b = 0;
    while (b < kBucketMs.size() && micros > kBucketMs[b] * 1000) ++b;
    s.buckets[b].fetch_add(1, std::memory_order_relaxed);
  }

  ServicesConfig config;
  std::shared_ptr<const UpstreamPolicy> policy;
  unsigned workers;
  unsigned per_worker = 1;
  std::vector<std::shared_ptr<WorkerState>> states;  // by worker index
  mutable std::mutex mutex;                          // guards `shared` and its contexts
  std::map<std::string, std::shared_ptr<Shared>> shared;
};

UpstreamClient::UpstreamClient(const ServicesConfig& config,
                               std::shared_ptr<const UpstreamPolicy> policy, unsigned workers)
    : impl_(std::make_shared<Impl>(config, std::move(policy), workers)) {
  if (!impl_->policy) throw std::invalid_argument("UpstreamClient needs an UpstreamPolicy");
  if (config.client_cert.empty() != config.client_key.empty()) {
    throw std::invalid_argument("services.client_cert and services.client_key go together");
  }
  if (!config.client_cert.empty()) {
    try {
      ssl::context probe(ssl::context::tls_client);
      probe.use_certificate_chain_file(config.client_cert);
      probe.use_private_key_file(config.client_key, ssl::context::pem);
      if (SSL_CTX_check_private_key(probe.native_handle()) != 1) {
        throw std::invalid_argument("services.client_key does not match services.client_cert");
      }
    } catch (const boost::system::system_error& e) {
      throw std::invalid_argument(std::string("services.client_cert/client_key: ") + e.what());
    }
  }
}

UpstreamClient::~UpstreamClient() = default;

asio::awaitable<UpstreamAnswer> UpstreamClient::call(Worker& worker, const Upstream& upstream,
                                                     UpstreamRequest request) {
  check_request(request);
  std::shared_ptr<Impl> impl = impl_;  // running calls keep the client's state alive
  if (worker.index() >= impl->workers) throw std::invalid_argument("worker index out of range");
  const auto start = Clock::now();
  const auto deadline = start + upstream.timeout;
  const std::string key = upstream.key();
  std::shared_ptr<WorkerState> ws = impl->states[worker.index()];
  std::shared_ptr<Pool> keep;
  Pool* pool = nullptr;
  ssl::context* ctx = nullptr;
  UpstreamAnswer answer;
  try {
    std::tie(pool, ctx) = impl->pool_for(worker, *ws, upstream, key, keep);
  } catch (const std::exception& e) {
    // A ca_pem that is no certificate, or the client certificate's files gone since start-up.
    answer.failure = Failure::connect;
    answer.detail = std::string("cannot make the TLS context: ") + e.what();
  }
  if (!pool || (upstream.tls && !ctx)) co_return answer;
  std::shared_ptr<Shared> shared = pool->shared;

  if (!shared->breaker.allow(start)) {
    shared->rejected.fetch_add(1, std::memory_order_relaxed);
    fail(answer, Failure::breaker_open, "the breaker of " + key + " is open");
    co_return answer;
  }
  // The breaker hears of every call it let through, even one ended by the io_context going.
  struct Report {
    Breaker& breaker;
    bool done = false;
    ~Report() {
      if (!done) breaker.failed();
    }
  } report{shared->breaker};

  bhttp::request<bhttp::string_body> req{request.method, request.target, 11};
  req.set(bhttp::field::host, host_header(upstream));
  req.set(bhttp::field::user_agent, "hub");
  req.set(bhttp::field::accept, "application/json");
  for (auto& [name, value] : request.headers) req.insert(name, value);
  if (!request.body.empty() || request.method == bhttp::verb::post ||
      request.method == bhttp::verb::put) {
    if (req.find(bhttp::field::content_type) == req.end()) {
      req.set(bhttp::field::content_type, "application/json");
    }
    req.body() = std::move(request.body);
  }
  req.keep_alive(true);
  req.prepare_payload();

  co_await impl->exchange(worker, *ws, *pool, ctx, upstream, req, deadline, answer);
  answer.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  bool failed = answer.failure != Failure::none || answer.status >= 500;
  if (!failed && request.usable && !request.usable(answer)) failed = true;
  report.done = true;
  if (failed) {
    shared->breaker.failed();
  } else {
    shared->breaker.succeeded();
  }
  impl->observe(*shared, answer, failed);
  co_return answer;
}

Breaker::State UpstreamClient::breaker_state(const std::string& upstream_key) const {
  auto s = impl_->shared_of(upstream_key);
  return s ? s->breaker.state() : Breaker::State::closed;
}

void UpstreamClient::render_metrics(std::string& out) const {
  std::vector<std::shared_ptr<Shared>> all;
  {
    std::lock_guard lock(impl_->mutex);
    for (const auto& [key, s] : impl_->shared) all.push_back(s);
  }
  if (all.empty()) return;
  auto counter = [&](const char* name, const char* help, const char* type, auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const auto& s : all)
      out += fmt::format("{}{{upstream=\"{}\"}} {}\n", name, s->key, value(*s));
  };
  counter("hub_upstream_calls_total", "Calls made to an interface service's upstream.", "counter",
          [](const Shared& s) { return s.calls.load(std::memory_order_relaxed); });
  counter("hub_upstream_failures_total",
          "Upstream calls that failed (5xx, no usable answer, timeout, broken, refused).",
          "counter", [](const Shared& s) { return s.failures.load(std::memory_order_relaxed); });
  counter("hub_upstream_breaker_rejections_total",
          "Calls not made because the upstream's breaker was open.", "counter",
          [](const Shared& s) { return s.rejected.load(std::memory_order_relaxed); });
  out +=
      "# HELP hub_upstream_duration_seconds Time of an upstream call, waiting for a connection "
      "included.\n# TYPE hub_upstream_duration_seconds histogram\n";
  for (const auto& s : all) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBucketMs.size(); ++b) {
      cumulative += s->buckets[b].load(std::memory_order_relaxed);
      out += fmt::format("hub_upstream_duration_seconds_bucket{{upstream=\"{}\",le=\"{}\"}} {}\n",
                         s->key, kBucketLe[b], cumulative);
    }
    cumulative += s->buckets[kBucketMs.size()].load(std::memory_order_relaxed);
    out += fmt::format("hub_upstream_duration_seconds_bucket{{upstream=\"{}\",le=\"+Inf\"}} {}\n",
                       s->key, cumulative);
    out += fmt::format("hub_upstream_duration_seconds_sum{{upstream=\"{}\"}} {:.6f}\n", s->key,
                       static_cast<double>(s->sum_micros.load(std::memory_order_relaxed)) / 1e6);
    out += fmt::format("hub_upstream_duration_seconds_count{{upstream=\"{}\"}} {}\n", s->key,
                       cumulative);
  }
  counter("hub_upstream_breaker_state", "The upstream's breaker: 0 closed, 1 half_open, 2 open.",
          "gauge", [](const Shared& s) {
            switch (s.breaker.state()) {
              case Breaker::State::closed:
                return 0;
              case Breaker::State::half_open:
                return 1;
              case Breaker::State::open:
                return 2;
            }
            return 0;
          });
  counter("hub_upstream_connections", "Open connections to the upstream, idle or in use.", "gauge",
          [](const Shared& s) { return s.connections.load(std::memory_order_relaxed); });
}

void UpstreamClient::close(Worker& worker) {
  if (worker.index() >= impl_->workers) return;
  impl_->states[worker.index()]->close_all();
}

}  // namespace hub::gateway
