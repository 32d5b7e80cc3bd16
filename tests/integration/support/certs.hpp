#pragma once

#include <filesystem>
#include <string>

namespace hub::test {

struct IssuedCert {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// A throwaway CA and certificates it signs, made with OpenSSL in `dir` (never committed).
class TestCa {
 public:
  TestCa(const std::filesystem::path& dir, const std::string& name);
  ~TestCa();
  const std::filesystem::path& cert_path() const { return cert_path_; }
  // A client (or server, with SANs for localhost) certificate signed by this CA.
  IssuedCert issue(const std::string& common_name, bool server = false);

 private:
  std::filesystem::path dir_;
  std::filesystem::path cert_path_;
  void* key_;   // EVP_PKEY*
  void* cert_;  // X509*
  int serial_ = 1;
};

}  // namespace hub::test
