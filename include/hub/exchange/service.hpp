#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "hub/app/services.hpp"
#include "hub/catalog/index.hpp"
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

  // The resource's schema of the version in force (from the in-memory catalog); 404 when the
  // resource does not exist or is another agency's draft.
  std::shared_ptr<const RecordSchema> schema(const Principal& me, const std::string& code);

 private:
  sharing::Decision authorize(http::Request& req, const RecordSchema& s, sharing::Operation op,
                              const std::vector<std::string>& items);

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
