#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/ledger/merkle.hpp"

namespace hub::ledger {

// What is known of a data request when its answer is ready: who asked, for what, under which
// grant, what was answered (status and the SHA-256 of the exact body sent).
struct EntryDraft {
  std::string request_id;
  std::string operation;  // read, query, changes, verify, aggregate, licence_lookup, call
  std::string consumer_code;
  std::string principal_id;
  std::optional<std::string> provider_code;  // unknown when the resource is
  std::string resource_code;
  std::optional<std::string> grant_id;
  std::string purpose;
  std::optional<std::string> purpose_code;  // X-Purpose-Code, when one was sent
  std::vector<std::string> items;
  std::int64_t record_count = 0;
  std::optional<double> epsilon_spent;  // what a differentially private aggregate spent
  // The data subject's authorisation an external member's request was made under (API.md
  // Part 2); absent from the leaves of other entries.
  std::optional<std::string> authorization_id;
  // Interface service calls (operation "call") only; absent from other entries' leaves.
  std::optional<std::string> service_operation;
  std::optional<int> upstream_status;       // null: the upstream gave no answer
  std::optional<std::int64_t> upstream_ms;  // null: the upstream was not tried
  int status = 0;
  std::string response_sha256;  // hex
  // The subject log: the keyed hashes of the record keys the answer named (SubjectKeys::hashes:
  // sorted, each once, 32 bytes each, concatenated; empty for none). The leaf carries their
  // SHA-256 as subjects_sha256 when there are any.
  std::string subjects;
};

// An appended entry: the draft, its place in the log and its leaf.
struct Entry {
  EntryDraft draft;
  std::int64_t index = 0;
  std::string time;  // RFC 3339 UTC with microseconds
  std::string leaf;  // the exact bytes hashed
  Hash leaf_hash{};
};

// RFC 3339 UTC with microseconds ("2026-11-27T07:40:12.123456Z") from microseconds since 1970.
std::string format_time_micros(std::int64_t unix_micros);

// The leaf: compact UTF-8 JSON of the entry's fields in API.md's order (index first). It is
// what the Merkle tree hashes and what an auditor decodes, so its bytes never change once made.
std::string make_leaf(const EntryDraft& draft, std::int64_t index, std::string_view time);

Entry make_entry(EntryDraft draft, std::int64_t index, std::string time);

// API.md's ledger entry: the leaf's fields plus `leaf` (base64) and `leaf_hash` (hex).
nlohmann::json leaf_fields(std::string_view leaf);  // throws on a leaf that is not JSON

// Checks one exported entry (API form) as an auditor would: the leaf decodes, its fields are the
// entry's fields, its index is `expected_index`, leaf_hash is SHA-256(0x00 || leaf), and the
// entry's `subjects` (hex hashes) are what the leaf's subjects_sha256 commits to (none when it
// has none). Returns the leaf hash, or sets `problem`.
std::optional<Hash> check_exported_entry(const nlohmann::json& entry, std::int64_t expected_index,
                                         std::string& problem);

}  // namespace hub::ledger
