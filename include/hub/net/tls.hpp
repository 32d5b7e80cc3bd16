#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <optional>
#include <string>

namespace hub::net {

struct CertificatePaths {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// The development certificate: a self-signed ECDSA P-256 certificate for localhost, 127.0.0.1
// and ::1, made in `dir` the first time and reused after. The key file is 0600.
CertificatePaths ensure_self_signed(const std::filesystem::path& dir);

// A server context with Mozilla's "intermediate" settings: TLS 1.2 and 1.3 only, AEAD ECDHE
// ciphers for 1.2. With a client CA, a verified peer certificate is required (mutual TLS).
boost::asio::ssl::context make_server_context(const std::filesystem::path& cert,
                                              const std::filesystem::path& key,
                                              const std::filesystem::path& client_ca);

// Lower-case hex SHA-256 of the DER of the verified peer certificate, if one was shown.
std::optional<std::string> peer_certificate_sha256(SSL* ssl);

// Hex SHA-256 of a certificate's DER (read from a PEM file), as clients bind it to principals.
std::string certificate_sha256_hex(X509* cert);

}  // namespace hub::net
