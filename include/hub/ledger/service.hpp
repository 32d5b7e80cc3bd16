#pragma once

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "hub/app/services.hpp"
#include "hub/catalog/index.hpp"
#include "hub/http/dispatch.hpp"
#include "hub/ledger/appender.hpp"
#include "hub/ledger/note.hpp"

namespace hub::ledger {

// The ledger's read side (API.md's ledger routes): entries, the latest checkpoint, the public
// key, and proofs built from stored tiles (a few row reads, whatever the size of the log).
class LedgerService {
 public:
  LedgerService(Services& services, const catalog::CatalogIndex& catalog, std::string origin,
                const SigningKey& key);

  boost::asio::awaitable<std::string> entries(http::Request& req);
  boost::asio::awaitable<std::string> checkpoint(http::Request& req);
  nlohmann::json public_key() const;
  boost::asio::awaitable<nlohmann::json> inclusion(http::Request& req);
  boost::asio::awaitable<nlohmann::json> consistency(http::Request& req);

 private:
  boost::asio::awaitable<std::uint64_t> sealed_size(http::Request& req);
  std::optional<std::string> provider_of(const http::Request& req) const;

  Services& services_;
  const catalog::CatalogIndex& catalog_;
  std::string origin_;
  nlohmann::json public_key_;
};

}  // namespace hub::ledger
