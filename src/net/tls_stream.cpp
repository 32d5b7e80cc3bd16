#include "hub/net/tls_stream.hpp"

#include <stdexcept>

namespace hub::net {

TlsStream::TlsStream(boost::asio::ip::tcp::socket socket, SSL_CTX* ctx)
    : socket_(std::move(socket)), deadline_(socket_.get_executor()) {
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr) throw std::runtime_error("SSL_new failed");
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() {
  deadline_.cancel();
  SSL_free(ssl_);
}

void TlsStream::expires_after(std::chrono::steady_clock::duration d) {
  timed_out_ = false;
  const auto generation = ++generation_;
  deadline_.expires_after(d);
  deadline_.async_wait(
      [this, generation, life = std::weak_ptr<bool>(life_)](boost::system::error_code ec) {
        // Another generation: the deadline was reset after this wait was queued.
        if (ec || life.expired() || generation != generation_) return;
        timed_out_ = true;
        boost::system::error_code ignored;
        socket_.cancel(ignored);
      });
}

void TlsStream::cancel() {
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void TlsStream::close() {
  deadline_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

boost::system::error_code TlsStream::error_for(int ret) {
  const int err = SSL_get_error(ssl_, ret);
  switch (err) {
    case SSL_ERROR_ZERO_RETURN:
      return boost::asio::error::eof;
    case SSL_ERROR_SYSCALL:
      // The peer went away without close_notify (or a socket error): like a TCP end of stream.
      if (ERR_peek_error() == 0) return boost::asio::error::eof;
      break;
    default:
      break;
  }
  unsigned long code = ERR_get_error();
  if (code == 0) return boost::asio::error::connection_reset;
  return boost::system::error_code(static_cast<int>(code), boost::asio::error::get_ssl_category());
}

}  // namespace hub::net
