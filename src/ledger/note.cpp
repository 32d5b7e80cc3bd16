#include "hub/ledger/note.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "hub/core/config.hpp"
#include "hub/core/text.hpp"

namespace hub::ledger {

namespace {

constexpr std::uint8_t kEd25519 = 0x01;  // the signed-note algorithm byte of Ed25519
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // "— " (U+2014 and a space)

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, [](EVP_PKEY* k) { EVP_PKEY_free(k); });
}

std::optional<std::uint64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

std::uint32_t key_id(std::string_view name, const PublicKey& key) {
  std::string material(name);
  material.push_back('\n');
  material.push_back(static_cast<char>(kEd25519));
  material.append(reinterpret_cast<const char*>(key.data()), key.size());
  const Hash h = sha256(material);
  return (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) | (std::uint32_t{h[2]} << 8) |
         std::uint32_t{h[3]};
}

std::string key_id_hex(std::uint32_t id) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", id);
  return buf;
}

std::string make_vkey(std::string_view name, const PublicKey& key) {
  std::string material(1, static_cast<char>(kEd25519));
  material.append(reinterpret_cast<const char*>(key.data()), key.size());
  return std::string(name) + "+" + key_id_hex(key_id(name, key)) + "+" + base64_encode(material);
}

bool Verifier::verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != 64) return false;
  auto pkey = own(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  if (!pkey) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::optional<Verifier> parse_vkey(std::string_view vkey) {
  const auto p1 = vkey.find('+');
  if (p1 == std::string_view::npos || p1 == 0) return std::nullopt;
  const auto p2 = vkey.find('+', p1 + 1);
  if (p2 == std::string_view::npos || p2 - p1 - 1 != 8) return std::nullopt;
  auto material = base64_decode(vkey.substr(p2 + 1));
  if (!material || material->size() != 33 ||
      static_cast<std::uint8_t>((*material)[0]) != kEd25519) {
    return std::nullopt;
  }
  Verifier v;
  v.name = std::string(vkey.substr(0, p1));
  std::copy(material->begin() + 1, material->end(), v.key.begin());
  if (key_id_hex(v.id()) != vkey.substr(p1 + 1, 8)) return std::nullopt;
  return v;
}

std::optional<Verifier> verifier_from_pem(std::string_view name, std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return std::nullopt;
  auto pkey = own(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey || EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) return std::nullopt;
  Verifier v;
  v.name = std::string(name);
  std::size_t len = v.key.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), v.key.data(), &len) != 1 || len != 32) {
    return std::nullopt;
  }
  return v;
}

SigningKey SigningKey::generate() {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    throw std::runtime_error("cannot generate an Ed25519 key");
  }
  return SigningKey(own(raw));
}

SigningKey SigningKey::from_seed(std::string_view seed) {
  auto key = own(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  if (!key) throw std::runtime_error("not an Ed25519 seed");
  return SigningKey(key);
}

SigningKey SigningKey::load(const std::filesystem::path& file, bool create) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    if (!create) throw ConfigError("ledger.key_file: " + file.string() + " does not exist");
    auto key = generate();
    std::filesystem::create_directories(file.parent_path().empty() ? "." : file.parent_path(), ec);
    const auto tmp = file.string() + ".tmp";
    const mode_t old = ::umask(077);
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << key.private_key_pem();
      out.close();
      if (!out) {
        ::umask(old);
        throw ConfigError("ledger.key_file: cannot write " + tmp);
      }
    }
    ::umask(old);
    std::filesystem::rename(tmp, file, ec);
    if (ec) throw ConfigError("ledger.key_file: cannot write " + file.string());
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string pem = text.str();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  auto pkey = own(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey || EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    throw ConfigError("ledger.key_file: " + file.string() +
                      " is not an unencrypted Ed25519 private key in PEM");
  }
  return SigningKey(pkey);
}

PublicKey SigningKey::public_key() const {
  PublicKey out{};
  std::size_t len = out.size();
  EVP_PKEY_get_raw_public_key(key_.get(), out.data(), &len);
  return out;
}

std::string SigningKey::public_key_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key_.get());
  return bio_text(bio.get());
}

std::string SigningKey::private_key_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio.get());
}

std::string SigningKey::sign(std::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != 64) {
    throw std::runtime_error("Ed25519 signing failed");
  }
  return sig;
}

std::string checkpoint_body(std::string_view origin, std::uint64_t size, const Hash& root) {
  std::string body(origin);
  body += "\n" + std::to_string(size) + "\n";
  body += base64_encode(std::string_view(reinterpret_cast<const char*>(root.data()), root.size()));
  body += "\n";
  return body;
}

std::string sign_note(std::string_view body, std::string_view key_name, const SigningKey& key) {
  const std::uint32_t id = key_id(key_name, key.public_key());
  std::string blob;
  for (int shift = 24; shift >= 0; shift -= 8)
    blob.push_back(static_cast<char>((id >> shift) & 0xff));
  blob += key.sign(body);
  std::string note(body);
  note += "\n";
  note += kSignaturePrefix;
  note += key_name;
  note += " ";
  note += base64_encode(blob);
  note += "\n";
  return note;
}

std::optional<Checkpoint> parse_checkpoint(std::string_view note, std::string& problem) {
  const auto split = note.find("\n\n");
  if (split == std::string_view::npos) {
    problem = "no blank line between the note's text and its signatures";
    return std::nullopt;
  }
  Checkpoint c;
  c.body = std::string(note.substr(0, split + 1));
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < c.body.size();) {
    const auto nl = c.body.find('\n', pos);
    lines.emplace_back(std::string_view(c.body).substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (lines.size() < 3 || lines[0].empty()) {
    problem = "a checkpoint has an origin, a tree size and a root hash";
    return std::nullopt;
  }
  c.origin = std::string(lines[0]);
  auto size = parse_decimal(lines[1]);
  if (!size) {
    problem = "the tree size is not a decimal number";
    return std::nullopt;
  }
  c.size = *size;
  auto root = base64_decode(lines[2]);
  if (!root || root->size() != 32) {
    problem = "the root hash is not 32 bytes of base64";
    return std::nullopt;
  }
  std::copy(root->begin(), root->end(), c.root.begin());
  for (std::size_t i = 3; i < lines.size(); ++i) c.extensions.emplace_back(lines[i]);

  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    problem = "the signature lines must end with a newline";
    return std::nullopt;
  }
  for (std::size_t pos = 0; pos < sigs.size();) {
    const auto nl = sigs.find('\n', pos);
    std::string_view line = sigs.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.starts_with(kSignaturePrefix)) {
      problem = "a signature line starts with \"— \"";
      return std::nullopt;
    }
    line.remove_prefix(kSignaturePrefix.size());
    const auto space = line.find(' ');
    if (space == std::string_view::npos || space == 0) {
      problem = "a signature line is \"— <name> <signature>\"";
      return std::nullopt;
    }
    auto blob = base64_decode(line.substr(space + 1));
    if (!blob || blob->size() < 5) {
      problem = "a signature is not base64 of a key id and a signature";
      return std::nullopt;
    }
    NoteSignature s;
    s.name = std::string(line.substr(0, space));
    for (int k = 0; k < 4; ++k) {
      s.key_id = (s.key_id << 8) | static_cast<std::uint8_t>((*blob)[static_cast<std::size_t>(k)]);
    }
    s.signature = blob->substr(4);
    c.signatures.push_back(std::move(s));
  }
  if (c.signatures.empty()) {
    problem = "the note has no signature";
    return std::nullopt;
  }
  return c;
}

bool verify_checkpoint(const Checkpoint& checkpoint, const Verifier& verifier) {
  for (const auto& s : checkpoint.signatures) {
    if (s.name == verifier.name && s.key_id == verifier.id() &&
        verifier.verify(checkpoint.body, s.signature)) {
      return true;
    }
  }
  return false;
}

}  // namespace hub::ledger
