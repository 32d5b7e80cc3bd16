#pragma once

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "hub/app/services.hpp"
#include "hub/catalog/index.hpp"
#include "hub/http/message.hpp"
#include "hub/store/pg.hpp"

namespace hub::catalog {

// The resource catalog: codes, versions, lifecycle, search, schemas (docs/catalog.md). Coroutine
// arguments are the caller's named locals (see the GCC 12 note in docs/architecture.md).
class CatalogService {
 public:
  CatalogService(Services& services, CatalogIndex& index) : services_(services), index_(index) {}

  // `document` is a validated resource document (validate_resource); kind is dataset|licence.
  boost::asio::awaitable<nlohmann::json> create(http::Request& req, const nlohmann::json& document,
                                                const std::string& kind);
  boost::asio::awaitable<nlohmann::json> update(http::Request& req, const std::string& code,
                                                const nlohmann::json& document);
  boost::asio::awaitable<nlohmann::json> transition(http::Request& req, const std::string& code,
                                                    const std::string& to);
  boost::asio::awaitable<nlohmann::json> get(http::Request& req, const std::string& code);
  boost::asio::awaitable<std::string> search(http::Request& req);
  boost::asio::awaitable<std::string> versions(http::Request& req, const std::string& code);
  boost::asio::awaitable<nlohmann::json> version(http::Request& req, const std::string& code,
                                                 int version, bool schema);

 private:
  // The current row (provider, status, version, document) of a resource the caller may change:
  // 404 for an unknown one or another agency's draft, 403 for another agency's.
  boost::asio::awaitable<pg::Result> writable(http::Request& req, const std::string& code);

  Services& services_;
  CatalogIndex& index_;
};

}  // namespace hub::catalog
