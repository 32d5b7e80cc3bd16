#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>

#include "hub/app/services.hpp"
#include "hub/catalog/index.hpp"
#include "hub/exchange/filter.hpp"
#include "hub/exchange/schema.hpp"
#include "hub/http/message.hpp"
#include "hub/sharing/grants.hpp"

namespace hub::exchange {

// The exchange store (API.md's record routes): pushes by the provider's systems, and the data
// requests of consumers under a grant. Every data request fills `Request::share` for its ledger
// entry, which the server writes before the answer leaves.
class ExchangeService {
 public:
  ExchangeService(Services& services, catalog::CatalogIndex& catalog,
                  sharing::GrantDirectory& grants);

  struct Written {
    std::string key;
    int version = 0;
    bool created = false;
  };
  boost::asio::awaitable<Written> put(http::Request& req, const std::string& code,
                                      const std::string& key, nlohmann::json data);
  boost::asio::awaitable<void> remove(http::Request& req, const std::string& code,
                                      const std::string& key);

  boost::asio::awaitable<std::string> read(http::Request& req, const std::string& code,
                                           const std::string& key);
  boost::asio::awaitable<std::string> verify(http::Request& req, const std::string& code,
                                             const nlohmann::json& body);
  // A bulk import from the streamed body: {accepted, rejected, errors:[{line, message}]}.
  boost::asio::awaitable<std::string> import(http::Request& req, const std::string& code);
  // Licences of a holder across the licence resources the caller may query.
  boost::asio::awaitable<std::string> licences(http::Request& req);
  boost::asio::awaitable<std::string> query(http::Request& req, const std::string& code);
  boost::asio::awaitable<std::string> changes(http::Request& req, const std::string& code);
  boost::asio::awaitable<std::string> aggregate(http::Request& req, const std::string& code,
                                                const nlohmann::json& body);

  // The key of a live record named by its key or by the caller's ref (objections); nullopt when
  // there is no such record, or the ref is not one this hub made for the caller's agency.
  boost::asio::awaitable<std::optional<std::string>> existing_key(
      http::Request& req, const std::string& code, const std::optional<std::string>& key,
      const std::optional<std::string>& ref);

  // The resource's schema of the version in force (from the in-memory catalog); 404 when the
  // resource does not exist or is another agency's draft.
  std::shared_ptr<const RecordSchema> schema(const Principal& me, const std::string& code);

 private:
  class View;
  // The decision for a data request, or the 403 (no_grant, purpose_mismatch) it gets: `items`
  // must be granted, `in_clear` granted and seen unmasked (what is filtered, selected, grouped
  // by). Fills the request's ledger facts either way.
  sharing::Decision authorize(http::Request& req, const RecordSchema& s, sharing::Operation op,
                              const std::vector<std::string>& items,
                              const std::vector<std::string>& in_clear);
  static bool seen_in_clear(const RecordSchema& s, const sharing::Decision& d,
                            const std::string& name);
  // An aggregate under a resource's differential-privacy policy (docs/privacy.md).
  boost::asio::awaitable<std::string> private_aggregate(
      http::Request& req, const RecordSchema& s, const sharing::Decision& d,
      const std::vector<std::string>& group_by,
      const std::vector<std::pair<std::string, std::string>>& metrics,
      const std::vector<Condition>& where);

  Services& services_;
  catalog::CatalogIndex& catalog_;
  sharing::GrantDirectory& grants_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, std::pair<std::shared_ptr<const catalog::IndexEntry>,
                                            std::shared_ptr<const RecordSchema>>>
      cache_;
};

// A record key from the path: 1 to 512 bytes of UTF-8 without control characters, else 422.
void check_key(std::string_view key);

}  // namespace hub::exchange
