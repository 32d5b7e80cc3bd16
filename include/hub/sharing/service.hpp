#pragma once

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hub/app/services.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/page.hpp"
#include "hub/sharing/calendar.hpp"
#include "hub/sharing/grants.hpp"

namespace hub::sharing {

// What an application asks for (POST /applications), its shape already checked by the caller's
// transport; the rules that need the resource are the service's.
struct ApplicationRequest {
  std::string resource_code;
  std::vector<std::string> items;
  std::vector<std::string> clear_items;
  std::vector<std::string> operations;
  std::string purpose;
  std::vector<std::string> purpose_codes;  // each 1 to 64 of [A-Za-z0-9._-]
  std::optional<std::string> legal_basis;
  std::string valid_until;  // a date or an RFC 3339 time, checked here
};

// A provider's decision on an application: approve (possibly fewer items and operations than
// asked) or reject (with an opinion).
struct DecisionRequest {
  bool approve = false;
  std::optional<std::string> opinion;
  std::optional<std::vector<std::string>> items;
  std::optional<std::vector<std::string>> operations;
};

// An objection to a record (数据异议), named by its key or by the caller's ref.
struct ObjectionRequest {
  std::optional<std::string> key;
  std::optional<std::string> ref;
  std::vector<std::string> items;
  std::string description;
};

struct ResolutionRequest {
  bool corrected = false;  // else rejected
  std::string note;
};

// Filters of the application and objection lists. `agency` is honoured for hub-level callers
// only: anyone else sees its own agency's.
struct WorkflowFilter {
  std::optional<std::string> agency;
  std::optional<std::string> direction;  // incoming (as provider) | outgoing (as consumer)
  std::optional<std::string> status;
  std::optional<std::string> resource_code;
};

struct GrantFilter {
  std::optional<std::string> resource_code;
  std::optional<std::string> consumer;
};

// Applications, decisions, grants and objections (docs/sharing.md). Arguments of coroutines
// are the caller's named locals (the GCC 12 note in docs/architecture.md).
class SharingService {
 public:
  SharingService(Services& services, GrantDirectory& grants, WorkingCalendar calendar)
      : services_(services), grants_(grants), calendar_(std::move(calendar)) {}

  boost::asio::awaitable<nlohmann::json> apply(const Caller& caller,
                                               const ApplicationRequest& request);
  boost::asio::awaitable<nlohmann::json> decide(const Caller& caller, const std::string& id,
                                                const DecisionRequest& request);
  boost::asio::awaitable<nlohmann::json> withdraw(const Caller& caller, const std::string& id);
  boost::asio::awaitable<nlohmann::json> application(const Caller& caller, const std::string& id);
  boost::asio::awaitable<Page> applications(const Caller& caller, const WorkflowFilter& filter,
                                            const PageRequest& page);
  boost::asio::awaitable<Page> grants(const Caller& caller, const GrantFilter& filter,
                                      const PageRequest& page);
  boost::asio::awaitable<nlohmann::json> grant(const Caller& caller, const std::string& id);
  boost::asio::awaitable<void> revoke(const Caller& caller, const std::string& id);
  // An objection to a record of `resource`.
  boost::asio::awaitable<nlohmann::json> object(const Caller& caller, const std::string& resource,
                                                const ObjectionRequest& request);
  boost::asio::awaitable<nlohmann::json> resolve(const Caller& caller, const std::string& id,
                                                 const ResolutionRequest& request);
  boost::asio::awaitable<nlohmann::json> objection(const Caller& caller, const std::string& id);
  boost::asio::awaitable<Page> objections(const Caller& caller, const WorkflowFilter& filter,
                                          const PageRequest& page);

  const WorkingCalendar& calendar() const { return calendar_; }

 private:
  Services& services_;
  GrantDirectory& grants_;
  WorkingCalendar calendar_;
};

}  // namespace hub::sharing
