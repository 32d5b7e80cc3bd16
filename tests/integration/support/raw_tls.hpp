#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace hub::test {

// A TLS connection that writes exactly the bytes a test gives it, to check how the server treats
// malformed, oversized, slow or half-sent requests.
class RawTls {
 public:
  RawTls(std::uint16_t port, std::string client_cert = {}, std::string client_key = {});
  // Connects from this loopback address (127.0.0.2, ...) rather than 127.0.0.1: another client
  // host, for per-address limits.
  void from(std::string source_address) { source_ = std::move(source_address); }
  // Bytes sent on the TCP connection before the TLS handshake: a load balancer's PROXY header.
  void before_tls(std::string bytes) { before_tls_ = std::move(bytes); }
  // Connects and shakes hands; false when the server refused the handshake.
  bool connect();
  void write(const std::string& bytes);
  // Reads until the peer closes or `timeout` passes. closed() tells which.
  std::string read_for(std::chrono::milliseconds timeout);
  // Reads one HTTP response head plus a Content-Length body, or what came before `timeout`.
  std::string read_response(std::chrono::milliseconds timeout);
  bool closed() const { return closed_; }

 private:
  std::uint16_t port_;
  boost::asio::io_context ioc_;
  boost::asio::ssl::context tls_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  bool closed_ = false;
  std::string pending_;
  std::string source_;
  std::string before_tls_;
};

int status_of(const std::string& response);

}  // namespace hub::test
