#include "hub/client/https_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/ssl.hpp>
#include <stdexcept>

namespace hub::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

std::string ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return {};
}

HttpsClient::HttpsClient(ClientOptions options)
    : options_(std::move(options)), tls_(asio::ssl::context::tls_client) {
  SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);
  if (options_.insecure) {
    tls_.set_verify_mode(asio::ssl::verify_none);
  } else {
    tls_.set_verify_mode(asio::ssl::verify_peer);
    if (options_.ca_file.empty()) {
      tls_.set_default_verify_paths();
    } else {
      tls_.load_verify_file(options_.ca_file);
    }
  }
  if (!options_.client_cert.empty()) {
    tls_.use_certificate_chain_file(options_.client_cert);
    tls_.use_private_key_file(options_.client_key, asio::ssl::context::pem);
  }
}

HttpsClient::~HttpsClient() { close(); }

void HttpsClient::close() {
  if (!stream_) return;
  beast::error_code ec;
  beast::get_lowest_layer(*stream_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(*stream_).close();
  stream_.reset();
}

void HttpsClient::connect() {
  stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, tls_);
  if (!options_.insecure) {
    SSL_set1_host(stream_->native_handle(), options_.host.c_str());
  }
  SSL_set_tlsext_host_name(stream_->native_handle(), options_.host.c_str());
  asio::ip::tcp::resolver resolver(ioc_);
  auto& tcp = beast::get_lowest_layer(*stream_);
  tcp.expires_after(options_.timeout);
  tcp.connect(resolver.resolve(options_.host, options_.port));
  stream_->handshake(asio::ssl::stream_base::client);
  buffer_.clear();
}

ClientResponse HttpsClient::read_response(bool& keep_alive) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1ull << 32);
  bhttp::read(*stream_, buffer_, parser);
  auto res = parser.release();
  ClientResponse out;
  out.status = res.result_int();
  out.body = std::move(res.body());
  for (const auto& field : res) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  keep_alive = res.keep_alive();
  return out;
}

ClientResponse HttpsClient::request(
    bhttp::verb verb, const std::string& target, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  bhttp::request<bhttp::string_body> req{verb, target, 11};
  req.set(bhttp::field::host, options_.host);
  req.set(bhttp::field::user_agent, "hubctl");
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    req.set(k, v);
    if (beast::iequals(k, "Content-Type")) has_type = true;
  }
  if (!body.empty() && !has_type) req.set(bhttp::field::content_type, "application/json");
  req.body() = body;
  req.keep_alive(true);
  req.prepare_payload();

  // One retry on a fresh connection when a reused one fails: the hub may have closed it while it
  // sat idle. A failure on a fresh connection is reported.
  while (true) {
    const bool reused = stream_ != nullptr;
    try {
      if (!stream_) connect();
      auto& tcp = beast::get_lowest_layer(*stream_);
      tcp.expires_after(options_.timeout);
      bhttp::write(*stream_, req);
      bool keep_alive = false;
      auto out = read_response(keep_alive);
      if (!keep_alive) close();
      if (options_.observer) options_.observer(verb, target, out);
      return out;
    } catch (const boost::system::system_error&) {
      close();
      if (!reused) throw;
    }
  }
}

ClientResponse HttpsClient::upload(
    bhttp::verb verb, const std::string& target, std::istream& body, std::uint64_t size,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::function<void(std::uint64_t, std::string_view)>& progress) {
  close();  // a fresh connection: a failed upload cannot be retried from a stream
  connect();
  bhttp::request<bhttp::buffer_body> req{verb, target, 11};
  req.set(bhttp::field::host, options_.host);
  req.set(bhttp::field::user_agent, "hubctl");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.content_length(size);
  req.keep_alive(true);
  req.body().data = nullptr;
  req.body().more = true;
  auto& tcp = beast::get_lowest_layer(*stream_);
  bhttp::request_serializer<bhttp::buffer_body> sr{req};
  tcp.expires_after(options_.timeout);
  bhttp::write_header(*stream_, sr);
  std::vector<char> buf(256 * 1024);
  std::uint64_t sent = 0;
  while (true) {
    body.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<std::size_t>(body.gcount());
    req.body().data = n ? buf.data() : nullptr;
    req.body().size = n;
    req.body().more = n > 0;
    tcp.expires_after(options_.timeout);
    beast::error_code ec;
    bhttp::write(*stream_, sr, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      // The hub may have answered early (a refusal) and closed: read what it said.
      break;
    }
    sent += n;
    if (progress && n) progress(sent, std::string_view(buf.data(), n));
    if (n == 0) break;
  }
  tcp.expires_after(std::chrono::hours(1));  // the hub answers when the last batch is stored
  bool keep_alive = false;
  auto out = read_response(keep_alive);
  close();
  if (options_.observer) options_.observer(verb, target, out);
  return out;
}

}  // namespace hub::client
