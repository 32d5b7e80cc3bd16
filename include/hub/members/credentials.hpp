#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hub::members {

// Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters of
// 0-9 and A-Y without I, O, S, V, Z; the last is a check character over the first 17.
bool valid_uscc(std::string_view code);
// The check character for the first 17 characters, or '\0' when they hold a bad character.
char uscc_check_character(std::string_view first17);

// API tokens: "hub_" + 12-character lookup prefix + "_" + 43 characters (256 random bits,
// base64url). Only the prefix and the SHA-256 of the whole token are stored.
struct NewToken {
  std::string token;   // shown once
  std::string prefix;  // stored, used to find the record
  std::string hash;    // hex SHA-256 of `token`, stored
};
NewToken generate_token();
// The lookup prefix of a token: the embedded one for tokens the hub made, the first 12 hex
// digits of its SHA-256 for an operator-chosen one (HUB_BOOTSTRAP_ADMIN_TOKEN). nullopt for an
// empty or absurdly long string.
std::optional<std::string> token_prefix(std::string_view token);
std::string token_hash(std::string_view token);
// Constant-time comparison of two equal-length hex digests.
bool digest_equal(std::string_view a, std::string_view b);

// Argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1); an encoded PHC string. Slow on
// purpose (tens of milliseconds): call them off the I/O threads.
std::string hash_password(std::string_view password);
bool verify_password(std::string_view encoded, std::string_view password);

// Random bytes from OpenSSL's CSPRNG.
std::string random_bytes(std::size_t n);
std::string base64url(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);
// HMAC-SHA256 of `data` under `key` (raw 32 bytes).
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace hub::members
