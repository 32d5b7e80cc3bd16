#include "hub/exchange/refs.hpp"

#include <openssl/evp.h>

#include <stdexcept>

#include "hub/core/error.hpp"
#include "hub/members/credentials.hpp"

namespace hub::exchange {

namespace {

constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kBlock = 32;    // keys are padded to a multiple of this
constexpr std::size_t kMaxKey = 512;  // check_key's limit

struct CipherDeleter {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

EVP_CIPHER* siv() {
  // Fetched once: OpenSSL's provider lookup is not free.
  static std::unique_ptr<EVP_CIPHER, CipherDeleter> cipher(
      EVP_CIPHER_fetch(nullptr, "AES-256-SIV", nullptr));
  if (!cipher) throw std::runtime_error("OpenSSL has no AES-256-SIV");
  return cipher.get();
}

// The associated data: each string its own S2V component, so ("ab","c") and ("a","bc") differ.
bool add_associated(EVP_CIPHER_CTX* ctx, bool encrypt, std::string_view consumer,
                    std::string_view resource) {
  int len = 0;
  for (auto part : {consumer, resource}) {
    const auto* p = reinterpret_cast<const unsigned char*>(part.data());
    const int n = static_cast<int>(part.size());
    if ((encrypt ? EVP_EncryptUpdate(ctx, nullptr, &len, p, n)
                 : EVP_DecryptUpdate(ctx, nullptr, &len, p, n)) != 1) {
      return false;
    }
  }
  return true;
}

}  // namespace

void RecordRefs::set_key(std::string key) {
  if (key.size() != kKeyBytes) throw std::invalid_argument("record ref key must be 64 bytes");
  key_.store(std::make_shared<const std::string>(std::move(key)));
}

std::string RecordRefs::ref(std::string_view consumer, std::string_view resource,
                            std::string_view key) const {
  auto k = key_.load();
  if (!k) throw DbUnavailable("record ref key not loaded yet");
  // ISO/IEC 7816-4 padding: 0x80 then zeros, to the next multiple of kBlock.
  std::string plain(key);
  plain.push_back(static_cast<char>(0x80));
  plain.resize((plain.size() + kBlock - 1) / kBlock * kBlock, '\0');
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx(EVP_CIPHER_CTX_new());
  std::string out(kTagBytes + plain.size(), '\0');
  auto* body = reinterpret_cast<unsigned char*>(out.data() + kTagBytes);
  int len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), siv(), reinterpret_cast<const unsigned char*>(k->data()),
                          nullptr, nullptr) != 1 ||
      !add_associated(ctx.get(), true, consumer, resource) ||
      EVP_EncryptUpdate(ctx.get(), body, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), body + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kTagBytes, out.data()) != 1) {
    throw std::runtime_error("AES-SIV encryption failed");
  }
  return members::base64url(out);
}

std::optional<std::string> RecordRefs::key_of(std::string_view consumer, std::string_view resource,
                                              std::string_view ref) const {
  auto k = key_.load();
  if (!k) throw DbUnavailable("record ref key not loaded yet");
  if (ref.size() > 2 * (kTagBytes + kMaxKey + kBlock)) return std::nullopt;
  auto raw = members::base64url_decode(ref);
  if (!raw || raw->size() < kTagBytes + kBlock || (raw->size() - kTagBytes) % kBlock != 0) {
    return std::nullopt;
  }
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx(EVP_CIPHER_CTX_new());
  std::string plain(raw->size() - kTagBytes, '\0');
  int len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex2(ctx.get(), siv(), reinterpret_cast<const unsigned char*>(k->data()),
                          nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kTagBytes, raw->data()) != 1 ||
      !add_associated(ctx.get(), false, consumer, resource) ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                        reinterpret_cast<const unsigned char*>(raw->data() + kTagBytes),
                        static_cast<int>(plain.size())) != 1) {
    return std::nullopt;  // not made by this hub for this consumer and resource
  }
  const auto end = plain.find_last_not_of('\0');
  if (end == std::string::npos || static_cast<unsigned char>(plain[end]) != 0x80) {
    return std::nullopt;
  }
  plain.resize(end);
  return plain;
}

}  // namespace hub::exchange
