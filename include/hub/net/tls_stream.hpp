#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/append.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>
#include <memory>
#include <string>

namespace hub::net {

// A TLS stream that lets OpenSSL read and write the socket itself (a socket BIO) instead of going
// through Asio's ssl::stream, whose engine keeps four 17 KB buffers per connection for as long as
// it is open (72 KB per idle keep-alive connection, docs/performance.md). With
// SSL_MODE_RELEASE_BUFFERS an idle connection here holds no TLS buffers at all, and there is one
// copy less on every read and write.
//
// It meets Beast's AsyncReadStream and AsyncWriteStream, and carries its own deadline like
// beast::tcp_stream: expires_after() applies to the operations that follow, which then fail with
// beast::error::timeout.
class TlsStream {
 public:
  using executor_type = boost::asio::any_io_executor;
  using error_code = boost::system::error_code;

  TlsStream(boost::asio::ip::tcp::socket socket, SSL_CTX* ctx);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  boost::asio::ip::tcp::socket& socket() { return socket_; }
  SSL* native_handle() { return ssl_; }

  void expires_after(std::chrono::steady_clock::duration d);
  void cancel();
  void close();

  template <typename Token>
  auto async_handshake(Token&& token) {
    return run<void(error_code)>([this](int) { return SSL_accept(ssl_); },
                                 [](auto& self, error_code ec, int) { self.complete(ec); },
                                 std::forward<Token>(token));
  }

  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    boost::asio::mutable_buffer buf;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b = *it;
      if (b.size() > 0) {
        buf = b;
        break;
      }
    }
    return run<void(error_code, std::size_t)>(
        [this, buf](int) {
          if (buf.size() == 0) return 0;
          return SSL_read(ssl_, buf.data(),
                          static_cast<int>(std::min<std::size_t>(buf.size(), 1 << 30)));
        },
        [](auto& self, error_code ec, int n) {
          self.complete(ec, ec ? 0 : static_cast<std::size_t>(std::max(n, 0)));
        },
        std::forward<Token>(token), buf.size() == 0);
  }

  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    // Small sequences (a header and a body) go out as one record and one write.
    auto data = std::make_shared<std::string>();
    std::size_t total = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::const_buffer b = *it;
      if (total + b.size() > kCoalesceLimit && total > 0) break;
      data->append(static_cast<const char*>(b.data()), b.size());
      total += b.size();
      if (total >= kCoalesceLimit) break;
    }
    const bool empty = data->empty();
    return run<void(error_code, std::size_t)>(
        [this, data](int) {
          if (data->empty()) return 0;
          return SSL_write(ssl_, data->data(), static_cast<int>(data->size()));
        },
        [data](auto& self, error_code ec, int n) {
          self.complete(ec, ec ? 0 : static_cast<std::size_t>(std::max(n, 0)));
        },
        std::forward<Token>(token), empty);
  }

  // Sends close_notify once, without waiting for the peer's (a silent client would hold us).
  template <typename Token>
  auto async_shutdown(Token&& token) {
    return run<void(error_code)>(
        [this](int attempt) {
          if (attempt > 0) return 1;  // we do not wait for the peer's close_notify
          int r = SSL_shutdown(ssl_);
          return r == 0 ? 1 : r;
        },
        [](auto& self, error_code ec, int) { self.complete(ec); }, std::forward<Token>(token));
  }

 private:
  static constexpr std::size_t kCoalesceLimit = 16 * 1024;

  error_code error_for(int ret);

  // Runs `attempt` (an SSL call) until it no longer wants the socket, waiting for the socket in
  // between; `done(self, ec, ret)` completes. A result known at once is posted, never delivered
  // inside the initiating call.
  template <typename Signature, typename Attempt, typename Done, typename Token>
  auto run(Attempt attempt, Done done, Token&& token, bool nothing_to_do = false) {
    return boost::asio::async_compose<Token, Signature>(
        [this, attempt, done, nothing_to_do, tries = 0, waited = false](
            auto& self, error_code wait_ec = {}) mutable {
          if (wait_ec) {
            done(self, timed_out_ ? error_code(boost::beast::error::timeout) : wait_ec, 0);
            return;
          }
          int ret = 0;
          error_code ec;
          if (!nothing_to_do) {
            ERR_clear_error();
            ret = attempt(tries++);
            if (ret <= 0) {
              const int err = SSL_get_error(ssl_, ret);
              if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
                waited = true;
                socket_.async_wait(err == SSL_ERROR_WANT_READ
                                       ? boost::asio::ip::tcp::socket::wait_read
                                       : boost::asio::ip::tcp::socket::wait_write,
                                   std::move(self));
                return;
              }
              ec = error_for(ret);
            }
          }
          if (waited) {
            done(self, ec, ret);
          } else {
            boost::asio::post(socket_.get_executor(), [self = std::move(self), done, ec,
                                                       ret]() mutable { done(self, ec, ret); });
          }
        },
        token, socket_);
  }

  boost::asio::ip::tcp::socket socket_;
  SSL* ssl_ = nullptr;
  boost::asio::steady_timer deadline_;
  bool timed_out_ = false;
  std::uint64_t generation_ = 0;
  std::shared_ptr<bool> life_ = std::make_shared<bool>(true);
};

}  // namespace hub::net
