#include "hub/ledger/subjects.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/ledger/merkle.hpp"

namespace hub::ledger {

void SubjectKeys::set_key(std::string key) {
  if (key.size() != kKeyBytes) throw std::invalid_argument("the subject key must be 32 bytes");
  key_.store(std::make_shared<const std::string>(std::move(key)));
}

std::string SubjectKeys::hash(std::string_view record_key) const {
  return hashes({std::string(record_key)});
}

namespace {

// OpenSSL's HMAC, fetched once (an EVP_MAC is shared between threads).
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

struct MacContext {
  EVP_MAC_CTX* ctx = nullptr;
  ~MacContext() { EVP_MAC_CTX_free(ctx); }
};

}  // namespace

std::string SubjectKeys::hashes(const std::vector<std::string>& record_keys) const {
  if (record_keys.empty()) return {};
  auto k = key_.load();
  if (!k) throw DbUnavailable("subject key not loaded yet");
  // A page of a thousand records names a thousand keys: one context keyed once, re-initialised
  // per key (HMAC keeps its padded key states), instead of a one-shot HMAC() setting up each.
  MacContext mac{hmac_algorithm() ? EVP_MAC_CTX_new(hmac_algorithm()) : nullptr};
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0),
                               OSSL_PARAM_construct_end()};
  if (mac.ctx == nullptr || EVP_MAC_init(mac.ctx, reinterpret_cast<const unsigned char*>(k->data()),
                                         k->size(), params) != 1) {
    throw std::runtime_error("subject log: cannot set up HMAC-SHA256");
  }
  std::vector<std::array<unsigned char, kHashBytes>> all(record_keys.size());
  for (std::size_t i = 0; i < record_keys.size(); ++i) {
    std::size_t len = 0;
    if ((i > 0 && EVP_MAC_init(mac.ctx, nullptr, 0, nullptr) != 1) ||
        EVP_MAC_update(mac.ctx, reinterpret_cast<const unsigned char*>(record_keys[i].data()),
                       record_keys[i].size()) != 1 ||
        EVP_MAC_final(mac.ctx, all[i].data(), &len, kHashBytes) != 1 || len != kHashBytes) {
      throw std::runtime_error("subject log: HMAC-SHA256 failed");
    }
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::string out;
  out.reserve(all.size() * kHashBytes);
  for (const auto& h : all) out.append(reinterpret_cast<const char*>(h.data()), h.size());
  return out;
}

std::vector<std::string> subjects_hex(std::string_view concatenated) {
  std::vector<std::string> out;
  out.reserve(concatenated.size() / SubjectKeys::kHashBytes);
  for (std::size_t at = 0; at + SubjectKeys::kHashBytes <= concatenated.size();
       at += SubjectKeys::kHashBytes) {
    out.push_back(hub::to_hex(concatenated.substr(at, SubjectKeys::kHashBytes)));
  }
  return out;
}

std::string subjects_sha256(std::string_view concatenated) { return to_hex(sha256(concatenated)); }

}  // namespace hub::ledger
