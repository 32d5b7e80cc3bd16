#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/ledger/merkle.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace hub::ledger {

// Signed notes (C2SP signed-note) carrying checkpoints (C2SP tlog-checkpoint), with Ed25519.
//
//   <origin>\n<tree size>\n<base64 root hash>\n\n— <key name> <base64(key id || signature)>\n
//
// The key id is the first 4 bytes of SHA-256(key name || "\n" || 0x01 || public key); the
// verifier key ("vkey") is <name>+<key id hex>+<base64(0x01 || public key)>.

using PublicKey = std::array<std::uint8_t, 32>;

std::uint32_t key_id(std::string_view name, const PublicKey& key);
std::string key_id_hex(std::uint32_t id);
std::string make_vkey(std::string_view name, const PublicKey& key);

// A verifier: a key name and an Ed25519 public key.
struct Verifier {
  std::string name;
  PublicKey key{};
  std::uint32_t id() const { return key_id(name, key); }
  bool verify(std::string_view message, std::string_view signature) const;
};
// From a vkey string; nullopt when malformed or not Ed25519.
std::optional<Verifier> parse_vkey(std::string_view vkey);
// From a PEM public key (SubjectPublicKeyInfo) and the key name (the log's origin).
std::optional<Verifier> verifier_from_pem(std::string_view name, std::string_view pem);

// An Ed25519 private key.
class SigningKey {
 public:
  // Reads the PEM (PKCS#8) key in `file`; when the file does not exist and `create` is set,
  // generates a key and writes it there, readable by the owner only. Throws ConfigError.
  static SigningKey load(const std::filesystem::path& file, bool create);
  static SigningKey generate();
  // From the 32-byte Ed25519 seed (RFC 8032's private key); for known-answer tests.
  static SigningKey from_seed(std::string_view seed);

  PublicKey public_key() const;
  std::string public_key_pem() const;
  std::string private_key_pem() const;
  std::string sign(std::string_view message) const;  // 64 bytes

 private:
  explicit SigningKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

struct NoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  std::string signature;  // raw bytes
};

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;
  std::string body;  // the signed text: everything before the blank line, newline included
  std::vector<NoteSignature> signatures;
};

std::string checkpoint_body(std::string_view origin, std::uint64_t size, const Hash& root);
// body + "\n" + one signature line.
std::string sign_note(std::string_view body, std::string_view key_name, const SigningKey& key);
// Parses a checkpoint note; nullopt (and `problem`) when it is not one.
std::optional<Checkpoint> parse_checkpoint(std::string_view note, std::string& problem);
// Whether one of the note's signatures is a valid signature by `verifier` over its body.
bool verify_checkpoint(const Checkpoint& checkpoint, const Verifier& verifier);

}  // namespace hub::ledger
