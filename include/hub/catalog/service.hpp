#pragma once

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "hub/app/services.hpp"
#include "hub/catalog/index.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/page.hpp"
#include "hub/store/pg.hpp"

namespace hub::catalog {

// The resource catalog: codes, versions, lifecycle, search, schemas (docs/catalog.md). Coroutine
// arguments are the caller's named locals (see the GCC 12 note in docs/architecture.md).
// A page of the catalog's search: the matching resources' JSON texts (each serialised once, when
// the resource changes, and shared by every answer) and the code to continue after.
struct ResourcePage {
  std::vector<std::string> documents;
  std::optional<std::string> next;
};

// The JSON Schema records of a resource's version are checked against.
struct RecordSchema {
  int version = 0;
  nlohmann::json schema;
};

class CatalogService {
 public:
  CatalogService(Services& services, CatalogIndex& index) : services_(services), index_(index) {}

  // The hub's rules for a service's upstream (services.allowed_hosts, allow_http), for
  // validate_resource.
  ServiceRules service_rules() const;

  // `document` is a validated resource document (validate_resource); kind is dataset|licence.
  boost::asio::awaitable<nlohmann::json> create(const Caller& caller,
                                                const nlohmann::json& document,
                                                const std::string& kind);
  boost::asio::awaitable<nlohmann::json> update(const Caller& caller, const std::string& code,
                                                const nlohmann::json& document);
  boost::asio::awaitable<nlohmann::json> transition(const Caller& caller, const std::string& code,
                                                    const std::string& to);
  boost::asio::awaitable<nlohmann::json> get(const Caller& caller, const std::string& code);
  // `filter.after` and `filter.limit` are the page.
  boost::asio::awaitable<ResourcePage> search(const Caller& caller, const SearchFilter& filter);
  // Earlier versions, newest first; the page is positioned by version number.
  boost::asio::awaitable<Page> versions(const Caller& caller, const std::string& code,
                                        const PageRequest& page);
  // A version's document (0: the current one).
  boost::asio::awaitable<nlohmann::json> version(const Caller& caller, const std::string& code,
                                                 int version);
  // A version's record JSON Schema (0: the current one's).
  boost::asio::awaitable<RecordSchema> schema(const Caller& caller, const std::string& code,
                                              int version);

 private:
  // The current row (provider, status, version, document) of a resource the caller may change:
  // 404 for an unknown one or another agency's draft, 403 for another agency's.
  boost::asio::awaitable<pg::Result> writable(const Caller& caller, const std::string& code);
  // The resource_versions row of `version` (0: the current one, set to its number).
  boost::asio::awaitable<pg::Result> version_row(const Caller& caller, const std::string& code,
                                                 int& version);

  Services& services_;
  CatalogIndex& index_;
};

}  // namespace hub::catalog
