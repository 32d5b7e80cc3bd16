// A provider's API in a thread: the upstream of interface services in the tests and the demo.
#include "hub/cli/stub_upstream.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "hub/catalog/item_rules.hpp"
#include "hub/cli/demo_data.hpp"
#include "hub/members/credentials.hpp"

namespace hub::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

template <typename T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;

[[noreturn]] void throw_ssl(const std::string& what) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  throw std::runtime_error(what + ": " + buf);
}

// A certificate for `key` named `cn`, signed by the issuer (itself when issuer is null), valid
// from an hour ago for `days`.
X509Ptr make_certificate(EVP_PKEY* key, std::string_view cn, X509* issuer, EVP_PKEY* issuer_key,
                         bool ca, const char* san, const char* eku, long days = 30) {
  X509Ptr cert(X509_new());
  if (!cert) throw_ssl("X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * days);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Hub stub upstream"), -1, -1,
                             0);
  const std::string cn_text(cn);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn_text.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  std::vector<std::pair<int, const char*>> extensions;
  if (ca) {
    extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                  {NID_key_usage, "critical,keyCertSign,cRLSign"},
                  {NID_subject_key_identifier, "hash"}};
  } else {
    extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                  {NID_key_usage, "critical,digitalSignature"},
                  {NID_ext_key_usage, eku},
                  {NID_authority_key_identifier, "keyid"}};
    if (san) extensions.emplace_back(NID_subject_alt_name, san);
  }
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) throw_ssl("certificate extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
    throw_ssl("cannot sign a certificate");
  }
  return cert;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string pem_of(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert) != 1) throw_ssl("PEM_write_bio_X509");
  return bio_text(bio.get());
}

std::string pem_of(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw_ssl("PEM_write_bio_PrivateKey");
  }
  return bio_text(bio.get());
}

PkeyPtr p256() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw_ssl("cannot generate a P-256 key");
  return key;
}

// Whole or not at all: a new file of that mode, renamed over `path`.
void write_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  const std::filesystem::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + path.string());
  const char* p = text.data();
  std::size_t left = text.size();
  bool ok = true;
  while (ok && left > 0) {
    const auto n = ::write(fd, p, left);
    ok = n > 0;
    if (ok) {
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path.string());
  }
}

// The file's PEM object, or null when it is missing or does not parse.
template <typename Ptr, typename Read>
Ptr read_pem(const std::filesystem::path& path, Read read) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  // No passphrase: an encrypted key does not load (rather than prompting on the terminal).
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
  Ptr out(bio ? read(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  ERR_clear_error();
  return out;
}
X509Ptr read_certificate(const std::filesystem::path& path) {
  return read_pem<X509Ptr>(path, PEM_read_bio_X509);
}
PkeyPtr read_key(const std::filesystem::path& path) {
  return read_pem<PkeyPtr>(path, PEM_read_bio_PrivateKey);
}

// Valid since before now, and still for `days` more.
bool in_date(X509* cert, long days) {
  std::time_t until = std::time(nullptr) + days * 24 * 60 * 60;
  return X509_cmp_time(X509_get0_notBefore(cert), nullptr) < 0 &&
         X509_cmp_time(X509_get0_notAfter(cert), &until) > 0;
}

constexpr long kKeptCaDays = 3650;
constexpr long kKeptServerDays = 730;
constexpr long kDaysLeftToKeep = 7;

// The stub's CA and server certificate, with their keys.
struct ServerPki {
  PkeyPtr ca_key;
  X509Ptr ca;
  PkeyPtr key;
  X509Ptr cert;
  bool kept = false;  // loaded from the state dir
};

// The listen address: an IP address (IPv6 with or without brackets), or "localhost".
asio::ip::address listen_address(std::string host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") return asio::ip::make_address("127.0.0.1");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    throw std::invalid_argument("the listen host must be an IP address or localhost: " + host);
  }
  return address;
}

// The server certificate's names: localhost, 127.0.0.1, ::1, and the listen address when it is
// another one of this machine's (not a wildcard).
std::string server_names(const asio::ip::address& listen) {
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  if (!listen.is_loopback() && !listen.is_unspecified()) san += ",IP:" + listen.to_string();
  return san;
}

bool names_listen_address(X509* cert, const asio::ip::address& listen) {
  if (X509_check_host(cert, "localhost", 0, 0, nullptr) != 1) return false;
  if (listen.is_unspecified()) return true;
  return X509_check_ip_asc(cert, listen.to_string().c_str(), 0) == 1;
}

// Loads what is valid in `dir`, makes the rest and saves it there; with an empty dir, makes
// everything for 30 days.
ServerPki server_pki(const std::filesystem::path& dir, const asio::ip::address& listen) {
  ServerPki pki;
  const bool keep = !dir.empty();
  const auto ca_file = dir / "ca.pem", ca_key_file = dir / "ca-key.pem";
  const auto cert_file = dir / "server.pem", key_file = dir / "server-key.pem";
  if (keep) {
    std::filesystem::create_directories(dir);
    pki.ca = read_certificate(ca_file);
    pki.ca_key = read_key(ca_key_file);
    const bool ca_ok =
        pki.ca && pki.ca_key && X509_check_private_key(pki.ca.get(), pki.ca_key.get()) == 1 &&
        X509_check_ca(pki.ca.get()) == 1 && X509_verify(pki.ca.get(), pki.ca_key.get()) == 1 &&
        in_date(pki.ca.get(), kDaysLeftToKeep);
    if (!ca_ok) {
      pki.ca.reset();
      pki.ca_key.reset();
    } else {
      pki.cert = read_certificate(cert_file);
      pki.key = read_key(key_file);
      const bool cert_ok =
          pki.cert && pki.key && X509_check_private_key(pki.cert.get(), pki.key.get()) == 1 &&
          X509_check_issued(pki.ca.get(), pki.cert.get()) == X509_V_OK &&
          X509_verify(pki.cert.get(), pki.ca_key.get()) == 1 &&
          in_date(pki.cert.get(), kDaysLeftToKeep) && names_listen_address(pki.cert.get(), listen);
      if (!cert_ok) {
        pki.cert.reset();
        pki.key.reset();
      }
    }
    ERR_clear_error();
  }
  pki.kept = pki.ca && pki.cert;
  if (!pki.ca) {
    pki.ca_key = p256();
    pki.ca = make_certificate(pki.ca_key.get(), "Hub stub upstream CA", nullptr, nullptr, true,
                              nullptr, nullptr, keep ? kKeptCaDays : 30);
    if (keep) write_file(ca_key_file, pem_of(pki.ca_key.get()), 0600);
  }
  if (!pki.cert) {
    pki.key = p256();
    const std::string san = server_names(listen);
    pki.cert = make_certificate(pki.key.get(), "localhost", pki.ca.get(), pki.ca_key.get(), false,
                                san.c_str(), "serverAuth", keep ? kKeptServerDays : 30);
    if (keep) {
      write_file(key_file, pem_of(pki.key.get()), 0600);
      write_file(cert_file, pem_of(pki.cert.get()), 0644);
    }
  }
  if (keep) {
    // ca.pem last: it names the CA that signed what is on disk. Keys stay the owner's.
    write_file(ca_file, pem_of(pki.ca.get()), 0644);
    for (const auto& key : {ca_key_file, key_file}) {
      std::filesystem::permissions(
          key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
  }
  return pki;
}

bool iequal(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

std::string percent_decode(std::string_view s) {
  std::string out;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

const char* reason_of(unsigned status) {
  const auto r = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  return r.empty() ? "Unknown" : r.data();
}

struct Route {
  std::string method;
  std::string path;
  StubHandler handler;
};

}  // namespace

std::string StubRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequal(k, name)) return v;
  }
  return {};
}

bool StubRequest::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequal(k, name)) return true;
  }
  return false;
}

std::string StubRequest::query(std::string_view name) const {
  const auto q = target.find('?');
  if (q == std::string::npos) return {};
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

StubResponse StubResponse::json(unsigned status, std::string body) {
  StubResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

struct StubUpstream::Impl {
  explicit Impl(StubOptions o) : options(std::move(o)), tls(ssl::context::tls_server) {}

  StubOptions options;
  std::string ca_pem;
  bool kept_state = false;
  ssl::context tls;
  mutable std::mutex mutex;  // routes, recorded requests
  std::vector<Route> routes;
  std::vector<StubRequest> recorded;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::size_t> open{0};
  std::atomic<std::size_t> max_open{0};
  std::uint16_t port = 0;
  std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>(1);
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  StubResponse answer(const StubRequest& req) {
    StubHandler handler;
    {
      std::lock_guard lock(mutex);
      recorded.push_back(req);
      for (auto it = routes.rbegin(); it != routes.rend(); ++it) {
        if (it->method != "*" && it->method != req.method) continue;
        const bool prefix = !it->path.empty() && it->path.back() == '*';
        const bool match =
            prefix ? req.path.compare(0, it->path.size() - 1, it->path, 0, it->path.size() - 1) == 0
                   : req.path == it->path;
        if (match) {
          handler = it->handler;
          break;
        }
      }
    }
    if (!handler) return StubResponse::json(404, R"({"error":"not_found"})");
    try {
      return handler(req);
    } catch (const std::exception& e) {
      return StubResponse::json(500, nlohmann::json{{"error", e.what()}}.dump());
    }
  }

  template <typename Stream>
  asio::awaitable<void> serve(Stream& stream, std::uint64_t id) {
    const auto executor = co_await asio::this_coro::executor;
    beast::flat_buffer buffer;
    while (true) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      auto [rec, rn] =
          co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      if (rec) co_return;
      auto& m = parser.get();
      StubRequest req;
      req.method = std::string(m.method_string());
      req.target = std::string(m.target());
      req.path = req.target.substr(0, req.target.find('?'));
      for (const auto& f : m) req.headers.emplace_back(f.name_string(), f.value());
      req.body = std::move(m.body());
      req.connection = id;
      const bool client_keep_alive = m.keep_alive();
      StubResponse res = answer(req);
      if (res.delay.count() > 0) {
        asio::steady_timer timer(executor);
        timer.expires_after(res.delay);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      if (res.close_without_answer) co_return;
      const bool keep = res.keep_alive && client_keep_alive;
      const std::uint64_t length = res.huge_body > 0 ? res.huge_body : res.body.size();
      std::string head = fmt::format("HTTP/1.1 {} {}\r\nContent-Length: {}\r\n", res.status,
                                     reason_of(res.status), length);
      if (!res.content_type.empty()) head += "Content-Type: " + res.content_type + "\r\n";
      if (!keep) head += "Connection: close\r\n";
      for (const auto& [k, v] : res.headers) head += k + ": " + v + "\r\n";
      head += "\r\n";
      if (res.huge_body > 0) {
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head),
                                                  asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        const std::string block(64 * 1024, 'x');
        std::uint64_t left = res.huge_body;
        while (left > 0) {
          const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left, block.size()));
          auto [bec, bn] = co_await asio::async_write(stream, asio::buffer(block.data(), take),
                                                      asio::as_tuple(asio::use_awaitable));
          if (bec) co_return;
          left -= take;
        }
      } else if (res.break_after || res.chunk_pause.count() > 0) {
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head),
                                                  asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        const std::size_t limit =
            res.break_after ? std::min(*res.break_after, res.body.size()) : res.body.size();
        const std::size_t step =
            res.chunk_pause.count() > 0 ? std::max<std::size_t>(1, res.chunk_bytes) : limit;
        for (std::size_t at = 0; at < limit; at += step) {
          const auto take = std::min(step, limit - at);
          auto [bec, bn] =
              co_await asio::async_write(stream, asio::buffer(res.body.data() + at, take),
                                         asio::as_tuple(asio::use_awaitable));
          if (bec) co_return;
          if (res.chunk_pause.count() > 0 && at + take < limit) {
            asio::steady_timer timer(executor);
            timer.expires_after(res.chunk_pause);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
          }
        }
        if (res.break_after) co_return;
      } else {
        head += res.body;
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head),
                                                  asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
      }
      if (!keep) co_return;
    }
  }

  asio::awaitable<void> session(tcp::socket socket, std::uint64_t id) {
    struct Count {
      std::atomic<std::size_t>& open;
      ~Count() { open.fetch_sub(1); }
    } count{open};
    if (options.tls) {
      beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      auto [hec] = co_await stream.async_handshake(ssl::stream_base::server,
                                                   asio::as_tuple(asio::use_awaitable));
      if (hec) co_return;
      beast::get_lowest_layer(stream).expires_never();
      co_await serve(stream, id);
    } else {
      beast::tcp_stream stream(std::move(socket));
      co_await serve(stream, id);
    }
  }

  asio::awaitable<void> accept_loop() {
    while (true) {
      auto [ec, socket] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
        continue;
      }
      const auto id = accepted.fetch_add(1) + 1;
      const auto now_open = open.fetch_add(1) + 1;
      auto seen = max_open.load();
      while (now_open > seen && !max_open.compare_exchange_weak(seen, now_open)) {
      }
      asio::co_spawn(*ioc, session(std::move(socket), id), asio::detached);
    }
  }
};

StubUpstream::StubUpstream(StubOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  auto& im = *impl_;
  const asio::ip::address address = listen_address(im.options.listen_host);
  if (im.options.tls) {
    const ServerPki pki = server_pki(im.options.state_dir, address);
    im.ca_pem = pem_of(pki.ca.get());
    im.kept_state = pki.kept;
    SSL_CTX* native = im.tls.native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate(native, pki.cert.get()) != 1) throw_ssl("server certificate");
    if (SSL_CTX_use_PrivateKey(native, pki.key.get()) != 1) throw_ssl("server key");
    if (!im.options.client_ca_pem.empty()) {
      im.tls.add_certificate_authority(asio::buffer(im.options.client_ca_pem));
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      static const unsigned char session_id[] = "stub";
      SSL_CTX_set_session_id_context(native, session_id, sizeof session_id - 1);
    }
  }
  im.acceptor = std::make_unique<tcp::acceptor>(*im.ioc);
  const tcp::endpoint endpoint(address, im.options.port);
  try {
    im.acceptor->open(endpoint.protocol());
    im.acceptor->set_option(tcp::acceptor::reuse_address(true));
    im.acceptor->bind(endpoint);
    im.acceptor->listen();
  } catch (const boost::system::system_error& e) {
    const std::string host =
        address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    throw std::runtime_error(
        fmt::format("cannot listen on {}:{}: {}", host, im.options.port, e.code().message()));
  }
  im.port = im.acceptor->local_endpoint().port();
  asio::co_spawn(*im.ioc, im.accept_loop(), asio::detached);
  im.thread = std::thread([&im] { im.ioc->run(); });
}

StubUpstream::~StubUpstream() {
  auto& im = *impl_;
  im.ioc->stop();
  if (im.thread.joinable()) im.thread.join();
  im.acceptor.reset();
  im.ioc.reset();  // destroys the sessions still open, while what they use exists
}

void StubUpstream::on(std::string method, std::string path, StubHandler handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->routes.push_back({std::move(method), std::move(path), std::move(handler)});
}

std::uint16_t StubUpstream::port() const { return impl_->port; }
const std::string& StubUpstream::ca_pem() const { return impl_->ca_pem; }
bool StubUpstream::kept_state() const { return impl_->kept_state; }

std::string StubUpstream::base_url(std::string_view host) const {
  return fmt::format("{}://{}:{}", impl_->options.tls ? "https" : "http", host, impl_->port);
}

std::vector<StubRequest> StubUpstream::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->recorded;
}

std::size_t StubUpstream::request_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->recorded.size();
}

std::size_t StubUpstream::connections_accepted() const { return impl_->accepted.load(); }
std::size_t StubUpstream::open_connections() const { return impl_->open.load(); }
std::size_t StubUpstream::max_concurrent_connections() const { return impl_->max_open.load(); }

void StubUpstream::clear() {
  std::lock_guard lock(impl_->mutex);
  impl_->recorded.clear();
  impl_->accepted = 0;
  impl_->max_open = impl_->open.load();
}

namespace {

struct DemoPerson {
  const char* first17;
  const char* name;
  const char* district;
  bool alive;
};
// Residents of the demo (ID numbers with their GB 11643 check character computed).
constexpr DemoPerson kPeople[] = {
    {"44010619850312431", "陈志强", "440106", true},
    {"44010419900718202", "李嘉欣", "440104", true},
    {"44010519781105653", "黄伟明", "440105", true},
    {"44011119951224184", "梁晓婷", "440111", true},
    {"44011219620430371", "何俊杰", "440112", false},
};

struct DemoEnterprise {
  const char* first17;
  const char* name;
  int legal_person;  // index into kPeople
  const char* capital;
  const char* established;
  const char* status;
  const char* address;
};
constexpr DemoEnterprise kEnterprises[] = {
    {"91440106MA59C3T8K", "广州天河云数科技有限公司", 0, "1000万元人民币", "2016-04-18", "存续",
     "广州市天河区天河路385号太古汇一座2301室"},
    {"91440104MA5AL6W2P", "广州市越秀区粤味轩餐饮管理有限公司", 1, "200万元人民币", "2018-09-03",
     "在业", "广州市越秀区北京路238号名盛广场5楼"},
    {"91440105MA5CT0R4X", "广州海珠新港物流有限公司", 2, "3000万元人民币", "2012-01-16", "存续",
     "广州市海珠区新港西路135号"},
    {"91440112MA9Y7N1QE", "广州黄埔智造精密机械股份有限公司", 4, "8000万元人民币", "2009-11-27",
     "注销", "广州市黄埔区开创大道2707号"},
};

}  // namespace

void StubUpstream::add_demo_routes() {
  on("GET", "/population/v1/verify", [](const StubRequest& req) {
    const std::string id = req.query("id_number");
    const std::string name = req.query("name");
    if (id.empty() || name.empty()) {
      return StubResponse::json(400, R"({"error":"id_number and name are required"})");
    }
    if (!catalog::valid_citizen_id(id))
      return StubResponse::json(400, R"({"error":"invalid id_number"})");
    nlohmann::json out = {{"id_number", id},
                          {"name", name},
                          {"match", false},
                          {"alive", nullptr},
                          {"household_district", nullptr}};
    for (const auto& p : kPeople) {
      if (citizen_id(p.first17) != id) continue;
      out["match"] = name == p.name;
      out["alive"] = p.alive;
      out["household_district"] = p.district;
    }
    return StubResponse::json(200, out.dump());
  });
  on("GET", "/market/v1/enterprises/*", [](const StubRequest& req) {
    const std::string uscc = req.path.substr(std::string_view("/market/v1/enterprises/").size());
    for (const auto& e : kEnterprises) {
      const std::string code = std::string(e.first17) + members::uscc_check_character(e.first17);
      if (code != uscc) continue;
      const auto& p = kPeople[e.legal_person];
      const nlohmann::json out = {{"uscc", code},
                                  {"name", e.name},
                                  {"legal_representative", p.name},
                                  {"legal_representative_id", citizen_id(p.first17)},
                                  {"registered_capital", e.capital},
                                  {"established", e.established},
                                  {"status", e.status},
                                  {"address", e.address}};
      return StubResponse::json(200, out.dump());
    }
    return StubResponse::json(404, R"({"error":"not_found"})");
  });
}

std::unique_ptr<StubUpstream> StubUpstream::demo(StubOptions options) {
  auto stub = std::make_unique<StubUpstream>(std::move(options));
  stub->add_demo_routes();
  return stub;
}

ClientPki make_client_pki(const std::filesystem::path& dir, std::string_view common_name) {
  std::filesystem::create_directories(dir);
  PkeyPtr ca_key = p256();
  X509Ptr ca = make_certificate(ca_key.get(), "Hub stub client CA", nullptr, nullptr, true, nullptr,
                                nullptr);
  PkeyPtr key = p256();
  X509Ptr cert = make_certificate(key.get(), common_name, ca.get(), ca_key.get(), false, nullptr,
                                  "clientAuth");
  ClientPki out{dir / "ca.pem", dir / "client.pem", dir / "client-key.pem", pem_of(ca.get())};
  write_file(out.ca, out.ca_pem, 0644);
  write_file(out.cert, pem_of(cert.get()), 0644);
  write_file(out.key, pem_of(key.get()), 0600);
  return out;
}

}  // namespace hub::cli
