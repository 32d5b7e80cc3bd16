#include "hub/net/tls.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>

namespace hub::net {

namespace {

template <typename T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509, X509_free>>;

[[noreturn]] void throw_ssl(const std::string& what) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  throw std::runtime_error(what + ": " + buf);
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

void write_pem(const std::filesystem::path& path, mode_t mode,
               const std::function<int(FILE*)>& write) {
  const auto tmp = path.string() + ".tmp";
  // Created with its final mode, so the key is never readable by others, not even briefly.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp);
  std::unique_ptr<FILE, FileCloser> f(::fdopen(fd, "w"));
  if (!f) {
    ::close(fd);
    throw std::runtime_error("cannot write " + tmp);
  }
  if (write(f.get()) != 1) {
    throw_ssl("cannot write " + tmp);
  }
  f.reset();
  std::filesystem::rename(tmp, path);
}

}  // namespace

CertificatePaths ensure_self_signed(const std::filesystem::path& dir) {
  CertificatePaths paths{dir / "tls" / "dev-cert.pem", dir / "tls" / "dev-key.pem"};
  if (std::filesystem::exists(paths.cert) && std::filesystem::exists(paths.key)) return paths;
  std::filesystem::create_directories(dir / "tls");
  std::filesystem::permissions(dir / "tls", std::filesystem::perms::owner_all);

  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw_ssl("cannot generate a P-256 key");
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
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 825);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Hub development"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::pair<int, const char*> extensions[] = {
      {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "serverAuth"},
  };
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) throw_ssl("certificate extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) throw_ssl("cannot sign certificate");

  write_pem(paths.key, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  write_pem(paths.cert, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
  spdlog::info("generated a self-signed development certificate at {}", paths.cert.string());
  return paths;
}

boost::asio::ssl::context make_server_context(const std::filesystem::path& cert,
                                              const std::filesystem::path& key,
                                              const std::filesystem::path& client_ca) {
  namespace ssl = boost::asio::ssl;
  ssl::context ctx(ssl::context::tls_server);
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                  ssl::context::single_dh_use | SSL_OP_NO_RENEGOTIATION);
  // Mozilla intermediate (version 5.7) cipher list for TLS 1.2; TLS 1.3 suites are OpenSSL's.
  if (SSL_CTX_set_cipher_list(native,
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                              "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
                              "DHE-RSA-CHACHA20-POLY1305") != 1) {
    throw_ssl("cipher list");
  }
  SSL_CTX_set1_groups_list(native, "X25519:prime256v1:secp384r1");
  // Idle keep-alive connections then hold no read/write buffers: 10,000 of them stay small.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);

  if (SSL_CTX_use_certificate_chain_file(native, cert.c_str()) != 1) {
    throw_ssl("cannot load certificate " + cert.string());
  }
  if (SSL_CTX_use_PrivateKey_file(native, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw_ssl("cannot load private key " + key.string());
  }
  if (SSL_CTX_check_private_key(native) != 1) throw_ssl("the key does not match the certificate");

  if (!client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(native, client_ca.c_str(), nullptr) != 1) {
      throw_ssl("cannot load client CA " + client_ca.string());
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(client_ca.c_str());
    if (names) SSL_CTX_set_client_CA_list(native, names);
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    SSL_CTX_set_verify_depth(native, 4);
    static const unsigned char session_id[] = "hubd";
    SSL_CTX_set_session_id_context(native, session_id, sizeof session_id - 1);
  }
  return ctx;
}

std::string certificate_sha256_hex(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

std::optional<std::string> peer_certificate_sha256(SSL* ssl) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  return certificate_sha256_hex(peer);
}

}  // namespace hub::net
