#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hub::ledger {

// RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing, proofs and their verification.
// The ledger stores entries' leaf hashes; a proof needs the hashes of some subtrees, which the
// caller supplies (from stored subtree hashes, so that a proof costs O(log n) reads).
using Hash = std::array<std::uint8_t, 32>;

Hash sha256(std::string_view data);
Hash leaf_hash(std::string_view leaf);                // SHA-256(0x00 || leaf)
Hash node_hash(const Hash& left, const Hash& right);  // SHA-256(0x01 || left || right)
Hash empty_root();                                    // SHA-256 of nothing
std::string to_hex(const Hash& h);
bool from_hex(std::string_view hex, Hash& out);

// The largest power of two smaller than n (n >= 2): where RFC 9162 splits a tree of n leaves.
std::uint64_t split_point(std::uint64_t n);

// MTH(D[begin:end]) for a caller that knows how to get it (end > begin).
using RangeHash = std::function<Hash(std::uint64_t begin, std::uint64_t end)>;

// MTH over explicit leaf hashes (for tests, exports and small trees).
Hash root_of(const std::vector<Hash>& leaves, std::uint64_t begin, std::uint64_t end);
Hash root_of(const std::vector<Hash>& leaves);
RangeHash range_hash_of(const std::vector<Hash>& leaves);

// PATH(index, D[0:size]): the inclusion proof of leaf `index` in the tree of `size` leaves.
std::vector<Hash> inclusion_proof(std::uint64_t index, std::uint64_t size, const RangeHash& mth);
// PROOF(first, D[0:second]): the consistency proof between trees of `first` and `second` leaves.
std::vector<Hash> consistency_proof(std::uint64_t first, std::uint64_t second,
                                    const RangeHash& mth);

// RFC 9162 §2.1.3.2 and §2.1.4.2.
bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                      const std::vector<Hash>& proof, const Hash& root);
bool verify_consistency(std::uint64_t first, std::uint64_t second, const Hash& first_root,
                        const Hash& second_root, const std::vector<Hash>& proof);

}  // namespace hub::ledger
