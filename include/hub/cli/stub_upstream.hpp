#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hub::cli {

// A request as the stub received it.
struct StubRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // the target without its query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::uint64_t connection = 0;  // the connection it came on: 1, 2, ... in accept order

  std::string header(std::string_view name) const;  // "" when absent (any case)
  bool has_header(std::string_view name) const;
  std::string query(std::string_view name) const;  // percent-decoded; "" when absent
};

// What the stub answers, and how.
struct StubResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};        // wait this long before answering
  std::chrono::milliseconds chunk_pause{0};  // > 0: the body in chunk_bytes pieces, pausing between
  std::size_t chunk_bytes = 64;
  bool close_without_answer = false;       // close the connection instead of answering
  std::optional<std::size_t> break_after;  // send the header (the full Content-Length) and this
                                           // many body bytes, then close
  std::uint64_t huge_body = 0;             // > 0: a body of this many bytes, streamed ('x's)
  bool keep_alive = true;                  // false: "Connection: close", then close

  static StubResponse json(unsigned status, std::string body);
};

using StubHandler = std::function<StubResponse(const StubRequest&)>;

struct StubOptions {
  bool tls = true;            // false: plain HTTP (services.allow_http tests)
  std::string client_ca_pem;  // not empty: a client certificate signed by this CA is required
  std::string listen_host = "127.0.0.1";  // an IP address (IPv6 with or without [ ]), or
                                          // "localhost" (127.0.0.1)
  std::uint16_t port = 0;                 // 0: a free port
  // Empty: certificates made at each start (valid 30 days). Set: the CA and the server's key and
  // certificate are kept here (ca.pem, ca-key.pem, server.pem, server-key.pem; keys 0600, written
  // whole or not at all) and loaded at start when present and valid (keys match, the server's
  // certificate is the CA's, names the listen host and has a week left), so a restarted stub
  // keeps its CA and a ca_pem registered with the hub stays right. A server certificate that is
  // not valid is made again with the same CA; the CA only when it is not valid itself. Made
  // here, the CA lasts 10 years and the server's certificate 2.
  std::filesystem::path state_dir;
};

// An upstream API for tests and the demo: listens on 127.0.0.1 (or listen_host) on a free port
// (or port), in a thread of its own, with HTTPS (a CA and a P-256 server certificate for
// "localhost", 127.0.0.1, ::1 and the listen host that it signs, made at start or kept in
// state_dir) or plain HTTP; keep-alive. Routes are the user's; every request is recorded. An
// unrouted request gets 404 {"error":"not_found"}. The constructor throws when it cannot listen
// or cannot read or write state_dir.
class StubUpstream {
 public:
  explicit StubUpstream(StubOptions options = {});
  ~StubUpstream();
  StubUpstream(const StubUpstream&) = delete;
  StubUpstream& operator=(const StubUpstream&) = delete;

  // `method` "GET", "POST"... or "*"; `path` exact, or a prefix when it ends with '*'. A later
  // route wins over an earlier one that matches too. Handlers run on the stub's thread.
  void on(std::string method, std::string path, StubHandler handler);

  std::uint16_t port() const;
  const std::string& ca_pem() const;  // the CA of the server certificate ("" for plain HTTP)
  bool kept_state() const;  // true: the certificates were loaded from state_dir, none made
  std::string base_url(std::string_view host = "localhost") const;  // "https://localhost:port"

  std::vector<StubRequest> requests() const;
  std::size_t request_count() const;
  std::size_t connections_accepted() const;
  std::size_t open_connections() const;
  std::size_t max_concurrent_connections() const;
  void clear();  // forgets the recorded requests and counts

  // The demo's two providers' APIs (fixed answers): 公安 人口核验
  // GET /population/v1/verify?id_number=&name= and 市场监管 企业基本信息查询
  // GET /market/v1/enterprises/{uscc}.
  static std::unique_ptr<StubUpstream> demo(StubOptions options = {});
  void add_demo_routes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// For mutual TLS tests: a CA and a client certificate (CN `common_name`) it signs, as PEM files
// in `dir`: ca.pem, client.pem, client-key.pem (0600).
struct ClientPki {
  std::filesystem::path ca;
  std::filesystem::path cert;
  std::filesystem::path key;
  std::string ca_pem;
};
ClientPki make_client_pki(const std::filesystem::path& dir, std::string_view common_name = "hub");

}  // namespace hub::cli
