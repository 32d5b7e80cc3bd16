#include "support/raw_tls.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace hub::test {

namespace asio = boost::asio;

namespace {
asio::ssl::context client_context(const std::string& cert, const std::string& key) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_none);
  if (!cert.empty()) {
    tls.use_certificate_chain_file(cert);
    tls.use_private_key_file(key, asio::ssl::context::pem);
  }
  return tls;
}
}  // namespace

// The context is complete before the stream is made from it: a stream made earlier would not
// see the client certificate, and move-assigning a stream leaks its SSL object in Boost 1.81.
RawTls::RawTls(std::uint16_t port, std::string client_cert, std::string client_key)
    : port_(port), tls_(client_context(client_cert, client_key)), stream_(ioc_, tls_) {}

bool RawTls::connect() {
  boost::system::error_code ec;
  if (!source_.empty()) {
    auto& socket = stream_.next_layer();
    socket.open(asio::ip::tcp::v4(), ec);
    if (!ec) socket.bind({asio::ip::make_address(source_), 0}, ec);
    if (ec) return false;
  }
  stream_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
  if (ec) return false;
  if (!before_tls_.empty()) {
    asio::write(stream_.next_layer(), asio::buffer(before_tls_), ec);
    if (ec) return false;
  }
  stream_.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return false;
  // TLS 1.3 reports a refused client certificate only on the first read after the handshake.
  return true;
}

void RawTls::write(const std::string& bytes) { asio::write(stream_, asio::buffer(bytes)); }

std::string RawTls::read_for(std::chrono::milliseconds timeout) {
  std::string out = std::move(pending_);
  pending_.clear();
  char buf[16384];
  asio::steady_timer timer(ioc_, timeout);
  bool done = false;
  timer.async_wait([&](boost::system::error_code ec) {
    if (!ec && !done) {
      boost::system::error_code ignored;
      stream_.next_layer().cancel(ignored);
    }
  });
  std::function<void()> read_more = [&] {
    stream_.async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
      out.append(buf, n);
      if (ec) {
        if (ec != asio::error::operation_aborted) closed_ = true;
        done = true;
        timer.cancel();
        return;
      }
      read_more();
    });
  };
  read_more();
  ioc_.restart();
  ioc_.run();
  return out;
}

std::string RawTls::read_response(std::chrono::milliseconds timeout) {
  std::string out = std::move(pending_);
  pending_.clear();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto head_end = out.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::size_t length = 0;
      auto cl = out.find("Content-Length: ");
      if (cl != std::string::npos && cl < head_end) length = std::stoul(out.substr(cl + 16));
      if (out.size() >= head_end + 4 + length) {
        pending_ = out.substr(head_end + 4 + length);
        return out.substr(0, head_end + 4 + length);
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || closed_) return out;
    // read_for returns early only when the peer closes; read in short slices.
    out += read_for(std::min(left, std::chrono::milliseconds(50)));
  }
}

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

}  // namespace hub::test
