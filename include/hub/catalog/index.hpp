#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "hub/core/principal.hpp"
#include "hub/members/directory.hpp"

namespace hub::catalog {

// One resource as search serves it: the filter fields, the lower-cased text `q` matches, and
// its JSON, serialised once.
struct IndexEntry {
  std::string provider_code;
  std::string kind;  // dataset, licence or service
  std::string status;
  std::string share_type;
  std::string category;
  std::string search_text;
  std::string json;
};

struct SearchFilter {
  std::optional<std::string> after;  // code
  std::optional<std::string> q;      // lower-cased
  std::optional<std::string> provider, share_type, status, category;
  std::optional<std::string> kind;  // dataset, licence or service: exactly that kind
  std::size_t limit = 100;
};

// The catalog in memory on every node, for search: 10,000 resources are about 15 MB, and a
// substring scan over them takes well under a millisecond, where asking PostgreSQL cost about
// 1.4 ms of CPU a search (docs/performance.md). Kept current like the directories: the node that
// writes a resource updates it before answering; the others follow NOTIFY 'resource:<code>';
// a full reload on (re)connecting and every few minutes.
class CatalogIndex : public members::SyncFollower {
 public:
  CatalogIndex();
  bool loaded() const { return loaded_.load(); }

  void put(const std::string& code, std::optional<IndexEntry> entry);
  static IndexEntry entry_of(const nlohmann::json& resource);

  // The JSON texts of the matching resources in code order, and the code of the last one.
  std::vector<std::string> search(const Principal& caller, const SearchFilter& filter,
                                  std::string& last_code) const;

  // The codes of the licence resources (kind licence) that are published.
  std::vector<std::string> licence_codes() const;
  // One resource's entry, or null (shares the snapshot it was read from).
  std::shared_ptr<const IndexEntry> find(std::string_view code) const;
  void load_all(PGconn* conn) override;
  bool handle(PGconn* conn, const std::string& payload) override;

 private:
  using Map = std::map<std::string, IndexEntry, std::less<>>;
  std::mutex write_mutex_;
  std::atomic<std::shared_ptr<const Map>> current_;
  std::atomic<bool> loaded_{false};
  members::PutsDuringLoad<IndexEntry> puts_;
};

// ASCII letters lower-cased (Chinese has no case; what PostgreSQL's lower() does for them).
std::string lower_ascii(std::string_view s);

}  // namespace hub::catalog
