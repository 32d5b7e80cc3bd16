#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hub/ledger/merkle.hpp"
#include "hub/store/pg.hpp"

namespace hub::ledger {

// Stored subtree hashes in tiles (as C2SP tlog-tiles): tile (level t, index j) holds the hashes
// of the complete tree nodes of height 8t with indexes 256j .. 256j+255, concatenated (32 bytes
// each). A partial tile (the rightmost of its level) holds only the complete nodes so far.
constexpr unsigned kTileHeight = 8;
constexpr std::uint64_t kTileWidth = 256;
using TileKey = std::pair<unsigned, std::uint64_t>;  // (level, index)

struct TileRef {
  unsigned level = 0;
  std::uint64_t index = 0;
  std::uint64_t width = 0;  // how many hashes the tree of the given size has in it
  bool operator<(const TileRef& o) const {
    return std::pair(level, index) < std::pair(o.level, o.index);
  }
};

// The rightmost tile of each level in a tree of `size` leaves, with the hashes each holds.
std::vector<TileRef> edge_tiles(std::uint64_t size);

// The right edge of the tree, as the sealer keeps it in memory: the rightmost partial tile of
// every level. Appending a leaf costs O(1) amortised; the root costs O(log n).
class TreeEdge {
 public:
  TreeEdge() = default;
  // From the stored edge tiles of a tree of `size` leaves (keyed by level; longer tiles are cut
  // to the width edge_tiles names). Throws std::runtime_error when one is missing or short.
  static TreeEdge from_tiles(std::uint64_t size, const std::map<unsigned, std::string>& tiles);

  void append(const Hash& leaf);
  std::uint64_t size() const { return size_; }
  Hash root() const;

  struct TileWrite {
    unsigned level;
    std::uint64_t index;
    std::string hashes;
  };
  // The tiles changed since the last call: those completed, then the current partial ones.
  std::vector<TileWrite> take_writes();

 private:
  std::uint64_t size_ = 0;
  std::vector<std::string> partial_;  // per level: the hashes of the rightmost partial tile
  std::map<TileKey, std::string> completed_;
  std::set<unsigned> touched_;
};

// Node hashes for proofs, from tiles read from the database. Used twice: first to learn which
// tiles a proof needs (missing() after a dry run), then, with those tiles added, to answer.
class TileSet {
 public:
  void add(unsigned level, std::uint64_t index, std::string hashes);
  // MTH(D[begin:end]) within the tree; unknown tiles are recorded in missing() and count as
  // zero hashes. Throws std::runtime_error when a loaded tile is shorter than the tree needs.
  Hash range(std::uint64_t begin, std::uint64_t end);
  Hash node(unsigned height, std::uint64_t index);
  RangeHash range_hash() {
    return [this](std::uint64_t b, std::uint64_t e) { return range(b, e); };
  }
  const std::set<TileKey>& missing() const { return missing_; }

 private:
  std::map<TileKey, std::string> tiles_;
  std::set<TileKey> missing_;
};

// The parameters of a query for these tiles: their levels and their indexes as two array
// literals, for `JOIN unnest($1::smallint[], $2::bigint[])`.
pg::Params tile_params(const std::set<TileKey>& keys);

// MTH of 2^k consecutive node hashes packed 32 bytes each.
Hash fold_power_of_two(std::string_view packed);

}  // namespace hub::ledger
