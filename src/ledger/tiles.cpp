#include "hub/ledger/tiles.hpp"

#include <bit>
#include <cstring>
#include <stdexcept>

namespace hub::ledger {

namespace {

Hash hash_at(std::string_view packed, std::size_t i) {
  Hash h;
  std::memcpy(h.data(), packed.data() + i * 32, 32);
  return h;
}

std::string_view bytes_of(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

}  // namespace

Hash fold_power_of_two(std::string_view packed) {
  std::size_t n = packed.size() / 32;
  if (n == 1) return hash_at(packed, 0);
  std::vector<Hash> level(n);
  for (std::size_t i = 0; i < n; ++i) level[i] = hash_at(packed, i);
  while (n > 1) {
    for (std::size_t i = 0; i < n / 2; ++i) level[i] = node_hash(level[2 * i], level[2 * i + 1]);
    n /= 2;
  }
  return level[0];
}

std::vector<TileRef> edge_tiles(std::uint64_t size) {
  std::vector<TileRef> out;
  for (unsigned t = 0; t * kTileHeight < 64 && (size >> (t * kTileHeight)) > 0; ++t) {
    const std::uint64_t nodes = size >> (t * kTileHeight);
    const std::uint64_t width = nodes % kTileWidth;
    if (width > 0) out.push_back(TileRef{t, nodes / kTileWidth, width});
  }
  return out;
}

TreeEdge TreeEdge::from_tiles(std::uint64_t size, const std::map<unsigned, std::string>& tiles) {
  TreeEdge edge;
  edge.size_ = size;
  for (const auto& ref : edge_tiles(size)) {
    auto it = tiles.find(ref.level);
    if (it == tiles.end() || it->second.size() < ref.width * 32) {
      throw std::runtime_error("the stored tile at level " + std::to_string(ref.level) + " index " +
                               std::to_string(ref.index) + " is missing or short");
    }
    if (edge.partial_.size() <= ref.level) edge.partial_.resize(ref.level + 1);
    edge.partial_[ref.level] = it->second.substr(0, ref.width * 32);
  }
  return edge;
}

void TreeEdge::append(const Hash& leaf) {
  Hash carry = leaf;
  ++size_;
  for (unsigned t = 0;; ++t) {
    if (partial_.size() <= t) partial_.resize(t + 1);
    partial_[t].append(bytes_of(carry));
    touched_.insert(t);
    if (partial_[t].size() < kTileWidth * 32) break;
    // The tile is full: store it, and its root is the next node one tile level up.
    const std::uint64_t index = (size_ >> (t * kTileHeight)) / kTileWidth - 1;
    carry = fold_power_of_two(partial_[t]);
    completed_[{t, index}] = std::move(partial_[t]);
    partial_[t].clear();
  }
}

Hash TreeEdge::root() const {
  if (size_ == 0) return empty_root();
  // The complete subtrees of the tree, largest (leftmost) first, then folded from the right.
  std::vector<Hash> subtrees;
  for (std::size_t t = partial_.size(); t-- > 0;) {
    const std::string& tile = partial_[t];
    std::size_t n = tile.size() / 32;
    std::size_t offset = 0;
    for (int bit = 7; bit >= 0; --bit) {
      const std::size_t run = std::size_t{1} << bit;
      if ((n & run) == 0) continue;
      subtrees.push_back(fold_power_of_two(std::string_view(tile).substr(offset * 32, run * 32)));
      offset += run;
    }
  }
  Hash root = subtrees.back();
  for (std::size_t i = subtrees.size() - 1; i-- > 0;) root = node_hash(subtrees[i], root);
  return root;
}

std::vector<TreeEdge::TileWrite> TreeEdge::take_writes() {
  std::vector<TileWrite> out;
  for (auto& [key, hashes] : completed_) out.push_back({key.first, key.second, std::move(hashes)});
  completed_.clear();
  for (unsigned t : touched_) {
    if (t >= partial_.size() || partial_[t].empty()) continue;
    out.push_back({t, (size_ >> (t * kTileHeight)) / kTileWidth, partial_[t]});
  }
  touched_.clear();
  return out;
}

pg::Params tile_params(const std::set<TileKey>& keys) {
  std::string levels = "{", indexes = "{";
  for (const auto& [level, index] : keys) {
    if (levels.size() > 1) {
      levels += ',';
      indexes += ',';
    }
    levels += std::to_string(level);
    indexes += std::to_string(index);
  }
  levels += '}';
  indexes += '}';
  return pg::Params().add(levels).add(indexes);
}

void TileSet::add(unsigned level, std::uint64_t index, std::string hashes) {
  missing_.erase({level, index});
  tiles_[{level, index}] = std::move(hashes);
}

Hash TileSet::node(unsigned height, std::uint64_t index) {
  const unsigned level = height / kTileHeight;
  const unsigned within = height % kTileHeight;
  const std::uint64_t first = index << within;
  const std::uint64_t count = std::uint64_t{1} << within;
  const std::pair<unsigned, std::uint64_t> key{level, first / kTileWidth};
  auto it = tiles_.find(key);
  if (it == tiles_.end()) {
    missing_.insert(key);
    return Hash{};
  }
  const std::uint64_t offset = first % kTileWidth;
  if (it->second.size() < (offset + count) * 32) {
    throw std::runtime_error("the stored tile at level " + std::to_string(level) + " index " +
                             std::to_string(key.second) + " is shorter than the tree");
  }
  return fold_power_of_two(std::string_view(it->second).substr(offset * 32, count * 32));
}

Hash TileSet::range(std::uint64_t begin, std::uint64_t end) {
  const std::uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) {
    return node(static_cast<unsigned>(std::countr_zero(n)), begin / n);
  }
  const std::uint64_t k = split_point(n);
  return node_hash(range(begin, begin + k), range(begin + k, end));
}

}  // namespace hub::ledger
