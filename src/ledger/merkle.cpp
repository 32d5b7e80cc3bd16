#include "hub/ledger/merkle.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

#include "hub/core/text.hpp"

namespace hub::ledger {

namespace {
Hash digest(std::initializer_list<std::string_view> parts) {
  Hash out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (auto p : parts) EVP_DigestUpdate(ctx, p.data(), p.size());
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  EVP_MD_CTX_free(ctx);
  return out;
}
std::string_view view(const Hash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }
}  // namespace

Hash sha256(std::string_view data) { return digest({data}); }
Hash leaf_hash(std::string_view leaf) { return digest({std::string_view("\0", 1), leaf}); }
Hash node_hash(const Hash& l, const Hash& r) {
  return digest({std::string_view("\1", 1), view(l), view(r)});
}
Hash empty_root() { return digest({}); }

std::string to_hex(const Hash& h) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (auto b : h) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

bool from_hex(std::string_view text, Hash& out) {
  if (text.size() != 64) return false;
  const auto bytes = hub::from_hex(text);
  if (!bytes) return false;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return true;
}

std::uint64_t split_point(std::uint64_t n) {
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash root_of(const std::vector<Hash>& leaves, std::uint64_t begin, std::uint64_t end) {
  if (end == begin) return empty_root();
  if (end - begin == 1) return leaves[begin];
  const auto k = split_point(end - begin);
  return node_hash(root_of(leaves, begin, begin + k), root_of(leaves, begin + k, end));
}

Hash root_of(const std::vector<Hash>& leaves) { return root_of(leaves, 0, leaves.size()); }

RangeHash range_hash_of(const std::vector<Hash>& leaves) {
  return [&leaves](std::uint64_t b, std::uint64_t e) { return root_of(leaves, b, e); };
}

namespace {
// PATH(m, D[begin:end]) with m relative to begin (RFC 9162 §2.1.3.1).
void path(std::uint64_t m, std::uint64_t begin, std::uint64_t end, const RangeHash& mth,
          std::vector<Hash>& out) {
  const auto n = end - begin;
  if (n <= 1) return;
  const auto k = split_point(n);
  if (m < k) {
    path(m, begin, begin + k, mth, out);
    out.push_back(mth(begin + k, end));
  } else {
    path(m - k, begin + k, end, mth, out);
    out.push_back(mth(begin, begin + k));
  }
}

// SUBPROOF(m, D[begin:end], b) (RFC 9162 §2.1.4.1).
void subproof(std::uint64_t m, std::uint64_t begin, std::uint64_t end, bool b, const RangeHash& mth,
              std::vector<Hash>& out) {
  const auto n = end - begin;
  if (m == n) {
    if (!b) out.push_back(mth(begin, end));
    return;
  }
  const auto k = split_point(n);
  if (m <= k) {
    subproof(m, begin, begin + k, b, mth, out);
    out.push_back(mth(begin + k, end));
  } else {
    subproof(m - k, begin + k, end, false, mth, out);
    out.push_back(mth(begin, begin + k));
  }
}
}  // namespace

std::vector<Hash> inclusion_proof(std::uint64_t index, std::uint64_t size, const RangeHash& mth) {
  if (index >= size) throw std::invalid_argument("index out of range");
  std::vector<Hash> out;
  path(index, 0, size, mth, out);
  return out;
}

std::vector<Hash> consistency_proof(std::uint64_t first, std::uint64_t second,
                                    const RangeHash& mth) {
  if (first > second) throw std::invalid_argument("first > second");
  std::vector<Hash> out;
  if (first == 0 || first == second) return out;
  subproof(first, 0, second, true, mth, out);
  return out;
}

bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                      const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size) return false;
  std::uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const auto& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = node_hash(p, r);
      if (!(fn & 1)) {
        while (fn != 0 && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool verify_consistency(std::uint64_t first, std::uint64_t second, const Hash& first_root,
                        const Hash& second_root, const std::vector<Hash>& proof) {
  if (first > second) return false;
  if (first == second) return proof.empty() && first_root == second_root;
  if (first == 0) return proof.empty();
  if (proof.empty()) return false;
  std::vector<Hash> path_ = proof;
  // If first is an exact power of two, first_root is the first element implicitly.
  if ((first & (first - 1)) == 0) path_.insert(path_.begin(), first_root);
  std::uint64_t fn = first - 1, sn = second - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path_[0], sr = path_[0];
  for (std::size_t i = 1; i < path_.size(); ++i) {
    const Hash& c = path_[i];
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if (!(fn & 1)) {
        while (fn != 0 && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == first_root && sr == second_root && sn == 0;
}

}  // namespace hub::ledger
