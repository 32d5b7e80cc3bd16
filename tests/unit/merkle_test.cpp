#include <gtest/gtest.h>

#include "hub/ledger/merkle.hpp"

namespace {

using namespace hub::ledger;

// The RFC 6962 test leaves and the roots of their first 1..8 (certificate-transparency's
// known answers).
const std::vector<std::string> kLeaves = {
    std::string(""),
    std::string("\x00", 1),
    std::string("\x10"),
    std::string("\x20\x21"),
    std::string("\x30\x31"),
    std::string("\x40\x41\x42\x43"),
    std::string("\x50\x51\x52\x53\x54\x55\x56\x57"),
    std::string("\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f")};
const char* kRoots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

std::vector<Hash> leaf_hashes() {
  std::vector<Hash> out;
  for (const auto& l : kLeaves) out.push_back(leaf_hash(l));
  return out;
}

TEST(Merkle, KnownAnswers) {
  EXPECT_EQ(to_hex(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(leaf_hash("")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  auto leaves = leaf_hashes();
  for (std::size_t n = 1; n <= 8; ++n) {
    EXPECT_EQ(to_hex(root_of(leaves, 0, n)), kRoots[n - 1]) << "tree of " << n;
  }
}

TEST(Merkle, EveryInclusionProofVerifiesAndNoWrongOneDoes) {
  std::vector<Hash> leaves;
  for (int i = 0; i < 37; ++i) leaves.push_back(leaf_hash("entry " + std::to_string(i)));
  auto mth = range_hash_of(leaves);
  for (std::uint64_t size = 1; size <= leaves.size(); ++size) {
    const Hash root = root_of(leaves, 0, size);
    for (std::uint64_t i = 0; i < size; ++i) {
      auto proof = inclusion_proof(i, size, mth);
      EXPECT_TRUE(verify_inclusion(i, size, leaves[i], proof, root)) << i << "/" << size;
      if (size > 1) {
        EXPECT_FALSE(verify_inclusion((i + 1) % size, size, leaves[i], proof, root));
        Hash tampered = leaves[i];
        tampered[0] ^= 1;
        EXPECT_FALSE(verify_inclusion(i, size, tampered, proof, root));
      }
    }
  }
}

TEST(Merkle, EveryConsistencyProofVerifiesAndAForkDoesNot) {
  std::vector<Hash> leaves;
  for (int i = 0; i < 33; ++i) leaves.push_back(leaf_hash("entry " + std::to_string(i)));
  auto mth = range_hash_of(leaves);
  for (std::uint64_t n = 1; n <= leaves.size(); ++n) {
    for (std::uint64_t m = 1; m <= n; ++m) {
      auto proof = consistency_proof(m, n, mth);
      EXPECT_TRUE(verify_consistency(m, n, root_of(leaves, 0, m), root_of(leaves, 0, n), proof))
          << m << "→" << n;
    }
  }
  // A fork: the same size-10 prefix rewritten at entry 3.
  auto forked = leaves;
  forked[3] = leaf_hash("rewritten");
  auto proof = consistency_proof(10, 20, mth);
  EXPECT_FALSE(verify_consistency(10, 20, root_of(forked, 0, 10), root_of(leaves, 0, 20), proof));
}

}  // namespace
