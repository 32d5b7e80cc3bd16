#include "hub/net/server.hpp"

#include "hub/net/proxy_protocol.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <csignal>
#include <unordered_set>

#include "hub/core/text.hpp"
#include "hub/http/problem.hpp"
#include "hub/net/tls.hpp"
#include "hub/net/tls_stream.hpp"

namespace hub::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using Stream = TlsStream;

// The live connections of one worker, so that a graceful stop can close the idle ones. Touched
// only from that worker's thread.
struct SessionRegistry {
  struct Entry {
    TlsStream* tcp;
    bool busy;
  };
  std::unordered_set<Entry*> entries;
};

namespace {

// How long to wait for the peer's close_notify after sending ours. Ours goes out at once; waiting
// longer would only let a silent client hold a graceful stop.
constexpr auto kTlsShutdownTimeout = std::chrono::milliseconds(250);

bool is_loopback(const asio::ip::address& a) {
  if (a.is_loopback()) return true;
  return a.is_v6() && a.to_v6().is_v4_mapped() &&
         asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
}

// An IPv4 client on a dual-stack socket is counted, trusted and logged as its IPv4 address.
asio::ip::address normalized(asio::ip::address a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

}  // namespace

class Server::Session {
 public:
  // `address_key` is the client address counted by take_address: released when the session ends.
  // A connection from a trusted proxy comes with none: its PROXY header names the client, whose
  // address is taken then.
  Session(Server& server, Worker& worker, tcp::socket socket, std::string address_key,
          bool from_proxy)
      : server_(server),
        worker_(worker),
        stream_(std::move(socket), server.tls_.native_handle()),
        entry_{&stream_, false},
        address_key_(std::move(address_key)),
        from_proxy_(from_proxy) {
    server_.registries_[worker_.index()]->entries.insert(&entry_);
  }
  ~Session() {
    server_.registries_[worker_.index()]->entries.erase(&entry_);
    server_.open_connections_.fetch_sub(1);
    if (!from_proxy_ || !address_key_.empty()) server_.release_address(address_key_);
  }

  asio::awaitable<void> run();

 private:
  asio::awaitable<bool> serve_one();
  // Reads the PROXY protocol v2 header a trusted proxy sends first; false when there is none in
  // time, it is malformed, or the client it names is over its address's limit.
  asio::awaitable<bool> read_proxy_header();
  asio::awaitable<bool> streamed(bhttp::request_parser<bhttp::empty_body>& header_parser,
                                 http::Request& request, const http::Route& route,
                                 const http::RouteMatch& match, std::uint64_t body_limit,
                                 bool expects_continue, bool keep_alive,
                                 std::chrono::steady_clock::time_point start,
                                 const std::string& target, std::size_t qmark);
  asio::awaitable<void> write(http::Response& response, const http::Request& request,
                              bool keep_alive, std::chrono::steady_clock::time_point start,
                              std::size_t route_index);
  void access_log(const http::Request& request, unsigned status, std::size_t bytes,
                  std::uint64_t micros);

  Server& server_;
  Worker& worker_;
  Stream stream_;
  SessionRegistry::Entry entry_;
  std::string address_key_;
  bool from_proxy_ = false;
  beast::flat_buffer buffer_;
  std::string remote_;
  bool remote_loopback_ = false;
  std::optional<std::string> peer_cert_;
  const LimitsConfig& limits() const { return server_.config_.limits; }
};

asio::awaitable<void> Server::Session::run() {
  auto& tcp_layer = stream_;
  boost::system::error_code ec;
  auto endpoint = tcp_layer.socket().remote_endpoint(ec);
  if (!ec) {
    remote_ = endpoint.address().to_string();
    remote_loopback_ = is_loopback(endpoint.address());
  }
  tcp_layer.socket().set_option(tcp::no_delay(true), ec);
  if (from_proxy_ && !co_await read_proxy_header()) {
    tcp_layer.close();
    co_return;
  }

  tcp_layer.expires_after(limits().handshake_timeout);
  auto [hs_ec] = co_await stream_.async_handshake(asio::as_tuple(asio::use_awaitable));
  if (hs_ec) co_return;  // old protocol, bad certificate, scanner, timeout: nothing to answer
  peer_cert_ = peer_certificate_sha256(stream_.native_handle());

  while (!server_.draining_.load(std::memory_order_relaxed)) {
    if (!co_await serve_one()) break;
  }

  // Best effort close_notify. A client that just drops the connection gives stream_truncated,
  // which is not an error for us: every response was already written in full.
  tcp_layer.expires_after(kTlsShutdownTimeout);
  co_await stream_.async_shutdown(asio::as_tuple(asio::use_awaitable));
  tcp_layer.close();
}

asio::awaitable<bool> Server::Session::read_proxy_header() {
  auto& socket = stream_.socket();
  // The header counts against the handshake's time: a proxy that sends nothing is cut off.
  asio::steady_timer deadline(socket.get_executor());
  deadline.expires_after(limits().handshake_timeout);
  deadline.async_wait([&socket](boost::system::error_code ec) {
    if (ec) return;
    boost::system::error_code ignored;
    socket.cancel(ignored);
  });
  std::string header(kProxyFixedBytes, '\0');
  auto [ec, n] = co_await asio::async_read(socket, asio::buffer(header.data(), header.size()),
                                           asio::as_tuple(asio::use_awaitable));
  const auto length = ec ? std::nullopt : proxy_header_length(header);
  if (!length) co_return false;
  header.resize(*length);
  if (*length > kProxyFixedBytes) {
    auto [ec2, n2] = co_await asio::async_read(
        socket, asio::buffer(header.data() + kProxyFixedBytes, *length - kProxyFixedBytes),
        asio::as_tuple(asio::use_awaitable));
    if (ec2) co_return false;
  }
  deadline.cancel();
  const auto parsed = parse_proxy_header(header);
  if (!parsed) co_return false;
  if (!parsed->source) co_return true;  // LOCAL (the proxy's own checks): the proxy's address
  const auto client = normalized(*parsed->source);
  std::string key = client.to_string();
  if (!server_.take_address(key)) {
    server_.warn_address_limit(key);
    co_return false;
  }
  address_key_ = std::move(key);
  remote_ = address_key_;
  remote_loopback_ = is_loopback(client);
  co_return true;
}

// Reads one request and answers it. Returns whether the connection stays open.
asio::awaitable<bool> Server::Session::serve_one() {
  auto& tcp_layer = stream_;
  bhttp::request_parser<bhttp::empty_body> header_parser;
  header_parser.header_limit(static_cast<std::uint32_t>(limits().header_limit));
  header_parser.body_limit(boost::none);

  entry_.busy = false;
  tcp_layer.expires_after(limits().idle_timeout);
  auto [ec, n_read] = co_await bhttp::async_read_header(stream_, buffer_, header_parser,
                                                        asio::as_tuple(asio::use_awaitable));
  (void)n_read;
  entry_.busy = true;
  const auto start = std::chrono::steady_clock::now();
  if (ec == bhttp::error::header_limit) {
    http::Request request;
    request.request_id = random_id();
    request.remote_address = remote_;
    auto response =
        http::problem(ErrorCode::header_too_large,
                      "request header exceeds " + std::to_string(limits().header_limit) + " bytes");
    co_await write(response, request, false, start, server_.unmatched_route_index());
    co_return false;
  }
  if (ec) {
    // end_of_stream, a timeout, a reset, or bytes that are not HTTP: close without an answer
    // unless a request line was seen, in which case the client deserves a 400.
    if (ec != bhttp::error::end_of_stream && ec != beast::error::timeout &&
        ec != asio::error::operation_aborted && ec != asio::ssl::error::stream_truncated &&
        header_parser.got_some()) {
      http::Request request;
      request.request_id = random_id();
      request.remote_address = remote_;
      auto response = http::problem(ErrorCode::bad_request, "malformed HTTP request");
      co_await write(response, request, false, start, server_.unmatched_route_index());
    }
    co_return false;
  }

  auto& header = header_parser.get();
  // Framing and credential rules come before anything else: a request the hub might read
  // differently from a proxy in front is answered and the connection closed, its body unread.
  if (auto refused = http::check_header_fields(header)) {
    http::Request request;
    request.request_id = random_id();
    request.remote_address = remote_;
    request.message.method(header.method());
    request.message.target(header.target());
    co_await write(*refused, request, false, start, server_.unmatched_route_index());
    co_return false;
  }
  http::Request request;
  request.worker = &worker_;
  request.remote_address = remote_;
  request.remote_is_loopback = remote_loopback_;
  request.peer_cert_sha256 = peer_cert_;
  if (auto it = header.find("X-Request-Id");
      it != header.end() && is_token_chars(it->value(), 64)) {
    request.request_id = std::string(it->value());
  } else {
    request.request_id = random_id();
  }

  const std::string target(header.target());
  const auto qmark = target.find('?');
  const std::string path = target.substr(0, qmark);
  const auto match = server_.router_.match(header.method(), path);
  std::size_t route_index = server_.unmatched_route_index();

  std::uint64_t body_limit = limits().json_body_limit;
  if (match.kind == http::RouteMatch::Kind::found) {
    route_index = match.index;
    if (match.route->options.body_limit != 0) body_limit = match.route->options.body_limit;
  }
  const bool has_body = header_parser.chunked() || header_parser.content_length().value_or(0) > 0;

  // A declared length over the limit is refused before a byte of the body is read; the unread
  // body makes the connection unusable, so it closes.
  if (header_parser.content_length() && *header_parser.content_length() > body_limit) {
    request.message.method(header.method());
    request.message.target(header.target());
    auto response = http::problem(ErrorCode::payload_too_large,
                                  "the body exceeds " + std::to_string(body_limit) + " bytes");
    co_await write(response, request, false, start, route_index);
    co_return false;
  }

  const bool expects_continue =
      has_body && bhttp::token_list(header[bhttp::field::expect]).exists("100-continue");
  bool read_body = has_body;
  bool keep_alive = header.keep_alive();
  if (expects_continue && match.kind != http::RouteMatch::Kind::found) {
    // The client waits before sending a body we would only discard: answer now and close.
    read_body = false;
    keep_alive = false;
  }

  // Authentication and the route's roles need only the header: decided before a byte of the
  // body is read or a 100 Continue is sent.
  std::optional<http::Response> denied;
  if (match.kind == http::RouteMatch::Kind::found &&
      match.route->access.kind() != http::Access::Kind::anyone) {
    request.message.base() = header.base();
    request.path_params = match.params;
    request.route_index = match.index;
    denied = co_await http::admit(*match.route, request, server_.gate_);
    if (denied && has_body) {
      read_body = false;  // unread, so the connection cannot go on
      keep_alive = false;
    }
  }

  if (match.kind == http::RouteMatch::Kind::found && match.route->options.stream_body && !denied &&
      read_body) {
    co_return co_await streamed(header_parser, request, *match.route, match, body_limit,
                                expects_continue, keep_alive, start, target, qmark);
  }

  bhttp::request_parser<bhttp::string_body> parser(std::move(header_parser));
  parser.body_limit(body_limit);
  if (read_body) {
    if (expects_continue) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
      tcp_layer.expires_after(limits().write_timeout);
      auto [wec, wn] =
          co_await bhttp::async_write(stream_, cont, asio::as_tuple(asio::use_awaitable));
      if (wec) co_return false;
    }
    tcp_layer.expires_after(limits().read_timeout);
    auto [bec, bn] =
        co_await bhttp::async_read(stream_, buffer_, parser, asio::as_tuple(asio::use_awaitable));
    if (bec == bhttp::error::body_limit) {
      auto response = http::problem(ErrorCode::payload_too_large,
                                    "the body exceeds " + std::to_string(body_limit) + " bytes");
      co_await write(response, request, false, start, route_index);
      co_return false;
    }
    if (bec && bec.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category() &&
        bec != bhttp::error::end_of_stream && bec != bhttp::error::partial_message) {
      // A malformed body (a bad chunk size, say): the client is told before the connection
      // closes.
      auto response = http::problem(ErrorCode::bad_request, "malformed request body");
      co_await write(response, request, false, start, route_index);
      co_return false;
    }
    if (bec) co_return false;
  }
  auto principal = std::move(request.principal);
  request.message = parser.release();
  request.principal = std::move(principal);
  request.path = std::string_view(request.message.target()).substr(0, qmark);
  if (qmark != std::string::npos) {
    request.query = std::string_view(request.message.target()).substr(qmark + 1);
  }

  http::Response response;
  switch (match.kind) {
    case http::RouteMatch::Kind::found:
      request.path_params = match.params;
      request.route_index = match.index;
      if (denied) {
        response = std::move(*denied);
      } else {
        response = co_await http::dispatch(*match.route, request);
      }
      break;
    case http::RouteMatch::Kind::method_not_allowed:
      response = http::problem(ErrorCode::method_not_allowed, "this path takes " + match.allow);
      response.headers.emplace_back("Allow", match.allow);
      break;
    case http::RouteMatch::Kind::not_found:
      response = http::problem(ErrorCode::not_found, "no such path");
      break;
  }
  const bool stay = keep_alive && !server_.draining_.load(std::memory_order_relaxed);
  co_await write(response, request, stay, start, route_index);
  co_return stay;
}

// A route that reads its body as it arrives (bulk imports): the handler pulls the body through
// Request::body_reader in chunks, under the same read deadline and body limit as any body.
asio::awaitable<bool> Server::Session::streamed(
    bhttp::request_parser<bhttp::empty_body>& header_parser, http::Request& request,
    const http::Route& route, const http::RouteMatch& match, std::uint64_t body_limit,
    bool expects_continue, bool keep_alive, std::chrono::steady_clock::time_point start,
    const std::string& target, std::size_t qmark) {
  request.message.base() = header_parser.get().base();
  request.message.target(target);
  request.path = std::string_view(request.message.target()).substr(0, qmark);
  if (qmark != std::string::npos) {
    request.query = std::string_view(request.message.target()).substr(qmark + 1);
  }
  request.path_params = match.params;
  request.route_index = match.index;
  if (expects_continue) {
    bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
    stream_.expires_after(limits().write_timeout);
    auto [wec, wn] =
        co_await bhttp::async_write(stream_, cont, asio::as_tuple(asio::use_awaitable));
    if (wec) co_return false;
  }
  bhttp::request_parser<bhttp::buffer_body> parser(std::move(header_parser));
  parser.body_limit(body_limit);

  // Reads the body as the handler asks for it. Over limits.import_rate_window the body must
  // arrive at limits.import_min_bytes_per_second on average, else the import ends with 408: a
  // client trickling bytes holds an import slot, never the hub (and never a database
  // connection: handlers read the body before they take one).
  class Reader final : public http::BodyReader {
   public:
    Reader(Session& session, bhttp::request_parser<bhttp::buffer_body>& p)
        : s_(session),
          p_(p),
          window_(s_.limits().import_rate_window),
          need_(s_.limits().import_min_bytes_per_second *
                static_cast<std::uint64_t>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(window_).count()) /
                1000),
          window_end_(std::chrono::steady_clock::now() + window_) {}
    asio::awaitable<std::size_t> read(char* out, std::size_t n) override {
      while (!p_.is_done() && !failed_) {
        p_.get().body().data = out;
        p_.get().body().size = n;
        roll();
        s_.stream_.expires_after(deadline() - std::chrono::steady_clock::now());
        auto [ec, got] = co_await bhttp::async_read_some(s_.stream_, s_.buffer_, p_,
                                                         asio::as_tuple(asio::use_awaitable));
        (void)got;
        const std::size_t filled = n - p_.get().body().size;
        window_bytes_ += filled;
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec == bhttp::error::body_limit) {
          failed_ = true;
          throw ApiError(ErrorCode::payload_too_large, "the body exceeds the import limit");
        }
        if (ec == beast::error::timeout) {
          failed_ = true;
          throw ApiError(ErrorCode::request_timeout,
                         need_ > 0 ? "the body arrived slower than the hub waits for "
                                     "(limits.import_min_bytes_per_second)"
                                   : "the body stopped arriving");
        }
        if (ec) {
          failed_ = true;
          throw ApiError(ErrorCode::bad_request, "the body could not be read to its end");
        }
        if (filled > 0) co_return filled;
      }
      co_return 0;
    }
    bool failed() const { return failed_; }

   private:
    // Windows that have ended are judged: each must have brought its share.
    void roll() {
      const auto now = std::chrono::steady_clock::now();
      while (need_ > 0 && now >= window_end_) {
        if (window_bytes_ < need_) {
          failed_ = true;
          throw ApiError(ErrorCode::request_timeout,
                         "the body arrived slower than the hub waits for "
                         "(limits.import_min_bytes_per_second)");
        }
        window_bytes_ = 0;
        window_end_ += window_;
      }
    }
    // Without a minimum rate, each read waits read_timeout. With one, a read may wait until the
    // current window ends when the window still lacks bytes (then it has failed), or until the
    // next one ends when this one already has its share.
    std::chrono::steady_clock::time_point deadline() const {
      if (need_ == 0) return std::chrono::steady_clock::now() + s_.limits().read_timeout;
      return window_bytes_ < need_ ? window_end_ : window_end_ + window_;
    }

    Session& s_;
    bhttp::request_parser<bhttp::buffer_body>& p_;
    const std::chrono::steady_clock::duration window_;
    const std::uint64_t need_;
    std::chrono::steady_clock::time_point window_end_;
    std::uint64_t window_bytes_ = 0;
    bool failed_ = false;
  };
  Reader reader(*this, parser);
  request.body_reader = &reader;
  auto response = co_await http::dispatch(route, request);
  request.body_reader = nullptr;
  // A body the handler did not read to its end leaves the connection unusable.
  const bool stay = keep_alive && parser.is_done() && !reader.failed() &&
                    !server_.draining_.load(std::memory_order_relaxed);
  co_await write(response, request, stay, start, match.index);
  co_return stay;
}

asio::awaitable<void> Server::Session::write(http::Response& response, const http::Request& request,
                                             bool keep_alive,
                                             std::chrono::steady_clock::time_point start,
                                             std::size_t route_index) {
  bhttp::response<bhttp::string_body> res{response.status, 11};
  res.set(bhttp::field::content_type, response.content_type);
  res.set("X-Request-Id", request.request_id);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Strict-Transport-Security", "max-age=31536000");
  for (const auto& [name, value] : response.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = std::move(response.body);
  res.prepare_payload();
  const std::size_t bytes = res.body().size();

  auto& tcp_layer = stream_;
  tcp_layer.expires_after(limits().write_timeout);
  auto [ec, n] = co_await bhttp::async_write(stream_, res, asio::as_tuple(asio::use_awaitable));
  (void)ec;  // the peer went away; the request is logged all the same

  const auto micros =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - start)
                                     .count());
  const auto status = static_cast<unsigned>(response.status);
  server_.metrics_.observe_request(worker_.index(), route_index, status, micros);
  if (server_.access_log_) access_log(request, status, bytes, micros);
}

void Server::Session::access_log(const http::Request& request, unsigned status, std::size_t bytes,
                                 std::uint64_t micros) {
  // Method, path (never the query string, which may carry filters over personal data), status,
  // sizes and times; never a header value other than the request id, never a body.
  std::string line;
  line.reserve(256);
  line += "\"method\":";
  append_json_string(line, bhttp::to_string(request.message.method()));
  line += ",\"path\":";
  auto target = std::string_view(request.message.target());
  const bool has_key = std::any_of(request.path_params.begin(), request.path_params.end(),
                                   [](const auto& p) { return p.first == "key"; });
  if (has_key && request.route_index < server_.router_.routes().size()) {
    // A record key is often personal (an ID number, a credit code): the log keeps the route's
    // shape with the key left out, and the other path parameters.
    std::string path;
    for (const auto& segment : server_.router_.routes()[request.route_index].segments) {
      if (segment.empty()) continue;
      path += '/';
      if (segment.size() > 2 && segment.front() == '{' && segment != "{key}") {
        path += request.param(std::string_view(segment).substr(1, segment.size() - 2));
      } else {
        path += segment;
      }
    }
    append_json_string(line, path);
  } else {
    append_json_string(line, target.substr(0, target.find('?')));
  }
  line += ",\"status\":" + std::to_string(status);
  line += ",\"bytes\":" + std::to_string(bytes);
  line += ",\"us\":" + std::to_string(micros);
  line += ",\"request_id\":";
  append_json_string(line, request.request_id);
  line += ",\"remote\":";
  append_json_string(line, request.remote_address);
  if (request.principal) {
    line += ",\"principal\":";
    append_json_string(line, request.principal->id);
  }
  server_.access_log_->info(line);
}

Server::Server(const Config& config, const http::Router& router, http::Gatekeeper& gate,
               Metrics& metrics, std::vector<std::unique_ptr<Worker>>& workers,
               asio::ssl::context& tls, std::shared_ptr<spdlog::logger> access_log)
    : config_(config),
      router_(router),
      gate_(gate),
      metrics_(metrics),
      workers_(workers),
      tls_(tls),
      access_log_(std::move(access_log)) {
  for (const auto& proxy : config_.limits.trusted_proxies) {
    trusted_proxies_.push_back(normalized(asio::ip::make_address(proxy)));  // validated by config
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    registries_.push_back(std::make_unique<SessionRegistry>());
  }
}

Server::~Server() = default;

void Server::start() {
  // OpenSSL writes the sockets itself (TlsStream), with plain send(): a peer that has gone would
  // raise SIGPIPE and end the process, where EPIPE is all we want.
  std::signal(SIGPIPE, SIG_IGN);
  auto& ioc = workers_.front()->ioc();
  const tcp::endpoint endpoint(asio::ip::make_address(config_.listen_host()),
                               config_.listen_port());
  acceptor_ = std::make_unique<tcp::acceptor>(ioc);
  acceptor_->open(endpoint.protocol());
  acceptor_->set_option(asio::socket_base::reuse_address(true));
  acceptor_->bind(endpoint);
  acceptor_->listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(ioc, accept_loop(), asio::detached);
}

tcp::endpoint Server::local_endpoint() const { return acceptor_->local_endpoint(); }

asio::awaitable<void> Server::accept_loop() {
  auto last_warning = std::chrono::steady_clock::time_point{};
  while (acceptor_->is_open()) {
    Worker& worker = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    auto [ec, socket] =
        co_await acceptor_->async_accept(worker.ioc(), asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) break;
      // Out of descriptors and similar: back off briefly instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor_->get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    // One address may hold only so many connections (a flood of silent TCP connections from one
    // host must not fill the hub's connection cap); the rest are closed at once.
    std::string address_key;
    bool from_proxy = false;
    {
      boost::system::error_code aec;
      auto remote = socket.remote_endpoint(aec);
      if (!aec) {
        const auto a = normalized(remote.address());
        from_proxy = trusted_proxy(a);
        address_key = a.to_string();
      }
    }
    // A trusted proxy's connections are counted under the client its PROXY header names.
    if (from_proxy) {
      address_key.clear();
    } else if (!take_address(address_key)) {
      warn_address_limit(address_key);
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    if (open_connections_.load() >= config_.limits.max_connections) {
      if (!from_proxy) release_address(address_key);
      auto now = std::chrono::steady_clock::now();
      if (now - last_warning > std::chrono::seconds(10)) {
        spdlog::warn("connection limit ({}) reached; refusing new connections",
                     config_.limits.max_connections);
        last_warning = now;
      }
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    open_connections_.fetch_add(1);
    asio::co_spawn(
        worker.ioc(),
        [this, &worker, s = std::move(socket), key = std::move(address_key),
         from_proxy]() mutable -> asio::awaitable<void> {
          Session session(*this, worker, std::move(s), std::move(key), from_proxy);
          co_await session.run();
        },
        [](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("connection ended by an exception: {}", ex.what());
          }
        });
  }
}

bool Server::take_address(const std::string& key) {
  std::lock_guard lock(addresses_mutex_);
  auto& n = connections_by_address_[key];
  if (n >= config_.limits.connections_per_address) return false;
  ++n;
  return true;
}

void Server::warn_address_limit(const std::string& key) {
  std::lock_guard lock(addresses_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_address_warning_ < std::chrono::seconds(10)) return;
  last_address_warning_ = now;
  spdlog::warn(
      "connections from {} reached limits.connections_per_address ({}); refusing more "
      "from it",
      key, config_.limits.connections_per_address);
}

bool Server::trusted_proxy(const asio::ip::address& a) const {
  return std::find(trusted_proxies_.begin(), trusted_proxies_.end(), a) != trusted_proxies_.end();
}

void Server::release_address(const std::string& key) {
  std::lock_guard lock(addresses_mutex_);
  auto it = connections_by_address_.find(key);
  if (it == connections_by_address_.end()) return;
  if (--it->second == 0) connections_by_address_.erase(it);
}

void Server::begin_shutdown() {
  draining_.store(true);
  asio::post(workers_.front()->ioc(), [this] {
    boost::system::error_code ignored;
    if (acceptor_) acceptor_->close(ignored);
  });
  for (auto& worker : workers_) {
    asio::post(worker->ioc(), [this, index = worker->index()] {
      // Idle connections wait for a request that should not come now: close them. Busy ones
      // see draining_ and close after their answer.
      for (auto* entry : registries_[index]->entries) {
        if (!entry->busy) entry->tcp->cancel();
      }
    });
  }
}

}  // namespace hub::net
