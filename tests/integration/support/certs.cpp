#include "support/certs.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

namespace hub::test {

namespace {

void write_pem(const std::filesystem::path& path, EVP_PKEY* key, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + path.string());
  int ok = key ? PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr)
               : PEM_write_X509(f, cert);
  std::fclose(f);
  if (ok != 1) throw std::runtime_error("PEM write failed");
}

X509* make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                int serial, const char* extensions[][2]) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
  for (int i = 0; extensions[i][0] != nullptr; ++i) {
    X509_EXTENSION* ext = X509V3_EXT_conf(nullptr, &ctx, extensions[i][0], extensions[i][1]);
    if (!ext) throw std::runtime_error(std::string("bad extension ") + extensions[i][0]);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256());
  return cert;
}

}  // namespace

TestCa::TestCa(const std::filesystem::path& dir, const std::string& name)
    : dir_(dir), cert_path_(dir / (name + "-ca.pem")) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  const char* ext[][2] = {{"basicConstraints", "critical,CA:TRUE"},
                          {"keyUsage", "critical,keyCertSign,cRLSign"},
                          {"subjectKeyIdentifier", "hash"},
                          {nullptr, nullptr}};
  X509* cert = make_cert(key, name + " test CA", nullptr, nullptr, serial_++, ext);
  write_pem(cert_path_, nullptr, cert);
  key_ = key;
  cert_ = cert;
}

TestCa::~TestCa() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key_));
  X509_free(static_cast<X509*>(cert_));
}

IssuedCert TestCa::issue(const std::string& common_name, bool server) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  const char* client_ext[][2] = {{"basicConstraints", "critical,CA:FALSE"},
                                 {"keyUsage", "critical,digitalSignature"},
                                 {"extendedKeyUsage", "clientAuth"},
                                 {nullptr, nullptr}};
  const char* server_ext[][2] = {{"basicConstraints", "critical,CA:FALSE"},
                                 {"keyUsage", "critical,digitalSignature"},
                                 {"extendedKeyUsage", "serverAuth"},
                                 {"subjectAltName", "DNS:localhost,IP:127.0.0.1"},
                                 {nullptr, nullptr}};
  X509* cert = make_cert(key, common_name, static_cast<X509*>(cert_),
                         static_cast<EVP_PKEY*>(key_), serial_++, server ? server_ext : client_ext);
  IssuedCert out{dir_ / (common_name + ".pem"), dir_ / (common_name + "-key.pem")};
  write_pem(out.cert, nullptr, cert);
  write_pem(out.key, key, nullptr);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace hub::test
