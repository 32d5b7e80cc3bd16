#pragma once

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "hub/app/services.hpp"
#include "hub/catalog/index.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/page.hpp"
#include "hub/ledger/appender.hpp"
#include "hub/ledger/note.hpp"

namespace hub::ledger {

// The ledger's read side (API.md's ledger routes): entries, the latest checkpoint, the public
// key, and proofs built from stored tiles (a few row reads, whatever the size of the log).
// Filters of the entry list. `from` and `to` are dates (YYYY-MM-DD, `to` inclusive) or RFC 3339
// times, checked here (400 validation_failed naming the field).
struct EntryFilter {
  std::optional<std::string> agency;
  std::optional<std::string> request_id;
  std::optional<std::string> resource_code;
  std::optional<std::string> from;
  std::optional<std::string> to;
  // A record key: the entries whose answer named it (the subject log), by its keyed hash.
  std::optional<std::string> subject;
};

class LedgerService {
 public:
  LedgerService(Services& services, const catalog::CatalogIndex& catalog, std::string origin,
                const SigningKey& key);

  // Entries in index order; an agency's principals see their own agency's only.
  boost::asio::awaitable<Page> entries(const Caller& caller, const EntryFilter& filter,
                                       const PageRequest& page);
  // The latest signed checkpoint (a signed note).
  boost::asio::awaitable<std::string> checkpoint(const Caller& caller);
  nlohmann::json public_key() const;
  // The inclusion proof of entry `index` in the tree of `tree_size` (default: the latest sealed).
  boost::asio::awaitable<nlohmann::json> inclusion(const Caller& caller, const std::uint64_t& index,
                                                   const std::optional<std::uint64_t>& tree_size);
  // The consistency proof from tree size `first` to `second` (default: the latest sealed).
  boost::asio::awaitable<nlohmann::json> consistency(const Caller& caller,
                                                     const std::uint64_t& first,
                                                     const std::optional<std::uint64_t>& second);

 private:
  boost::asio::awaitable<std::uint64_t> sealed_size(const Caller& caller);
  std::optional<std::string> provider_of(const std::optional<std::string>& resource_code) const;

  Services& services_;
  const catalog::CatalogIndex& catalog_;
  std::string origin_;
  nlohmann::json public_key_;
};

}  // namespace hub::ledger
