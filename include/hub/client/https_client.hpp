#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hub::client {

struct ClientResponse {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(std::string_view name) const;
};

// Called with every answer the client reads (the tests hold each one to the OpenAPI document).
using ResponseObserver = std::function<void(boost::beast::http::verb verb,
                                            const std::string& target, const ClientResponse&)>;

struct ClientOptions {
  std::string host = "127.0.0.1";
  std::string port = "8443";
  std::string ca_file;      // PEM to verify the hub's certificate; empty with insecure = true
  bool insecure = false;    // accept any certificate (the development certificate)
  std::string client_cert;  // PEM certificate and key for mutual TLS
  std::string client_key;
  std::chrono::milliseconds timeout{30000};
  ResponseObserver observer;  // sees every answer (the tests'); empty for hubctl
};

// A small blocking HTTPS/1.1 client with keep-alive, for hubctl and the tests.
class HttpsClient {
 public:
  explicit HttpsClient(ClientOptions options);
  ~HttpsClient();

  ClientResponse request(boost::beast::http::verb verb, const std::string& target,
                         const std::string& body = {},
                         const std::vector<std::pair<std::string, std::string>>& headers = {});

  // Sends `size` bytes read from `body` as the request body, in chunks, calling `progress` with
  // the bytes sent so far and the chunk after each (for a progress bar): for uploads too large
  // to hold in memory.
  ClientResponse upload(
      boost::beast::http::verb verb, const std::string& target, std::istream& body,
      std::uint64_t size, const std::vector<std::pair<std::string, std::string>>& headers,
      const std::function<void(std::uint64_t sent, std::string_view chunk)>& progress);
  void close();

 private:
  void connect();
  ClientResponse read_response(bool& keep_alive);

  ClientOptions options_;
  boost::asio::io_context ioc_;
  boost::asio::ssl::context tls_;
  std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace hub::client
