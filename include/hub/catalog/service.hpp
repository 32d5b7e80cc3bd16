#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "hub/app/services.hpp"
#include "hub/catalog/index.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/catalog/spreadsheet.hpp"
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

// Registration by spreadsheet: what a workbook did (or, in a dry run, would do). Any error and
// nothing is stored: the counts are then what the workbook would do once its errors are fixed
// so far as they can tell.
enum class SheetFormat { xlsx, csv };
struct RegistrationOutcome {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
  std::vector<SheetError> errors;
  // Per resource of the workbook: {sheet, row, name, code (null until created), action:
  // "create"|"update"|"unchanged", fields (what an update changes)}.
  nlohmann::json resources = nlohmann::json::array();
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
  // The registration template (spreadsheet.hpp), made once per node and kept.
  boost::asio::awaitable<std::string> registration_template();
  // Reads a filled-in registration workbook (or its CSV), matches each resource to a registered
  // one (its code, else its provider and name), validates every document and, unless dry_run,
  // creates and updates them all in one transaction. At most two at once per node (429).
  boost::asio::awaitable<RegistrationOutcome> import_registration(const Caller& caller,
                                                                  const std::string& bytes,
                                                                  SheetFormat format, bool dry_run);
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
  std::mutex template_mutex_;
  std::string template_;  // the registration template, once made
  std::atomic<int> registrations_running_{0};
};

}  // namespace hub::catalog
