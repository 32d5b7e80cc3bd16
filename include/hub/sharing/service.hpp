#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
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

// An application for a resource (申请), as stored: its state and what it asked for. Times are
// RFC 3339 text in UTC, as the database gives them.
struct Application {
  std::string id;
  std::string status;  // pending | approved | rejected | withdrawn
  std::optional<std::string> due_at;
  std::optional<std::string> grant_id;
  std::string consumer_code, provider_code, resource_code;
  std::vector<std::string> items, clear_items, operations;
  std::string purpose;
  std::optional<std::string> legal_basis;
  std::string valid_until;
  std::string created_at, created_by;
  std::optional<std::string> decided_at, decided_by, opinion;
  bool overdue = false;
  std::int64_t resource_version = 0;
  std::optional<std::string> withdrawn_at, withdrawn_by;
  std::vector<std::string> purpose_codes;
  // A renewal (API.md Part 2): the grant it would extend, and why the consumer asks.
  std::optional<std::string> renews_grant_id, renewal_reason;
};

// A grant (授权) as stored; `status` is active, expired, revoked or ended (its resource retired).
struct GrantRecord {
  std::string id;
  std::string resource_code, provider_code, consumer_code;
  std::vector<std::string> items, clear_items, operations;
  std::string purpose;
  std::string valid_until;
  std::string status;
  std::string application_id;
  std::optional<std::string> legal_basis;
  std::string created_at;
  std::optional<std::string> revoked_at;
  // Items removed or retyped by later versions of the resource (catalog.md): [{version, ...}].
  nlohmann::json resource_changes = nlohmann::json::array();
  std::vector<std::string> purpose_codes;
  std::optional<std::string> ended_at;
  std::optional<std::string> revoked_reason;          // told to the consumer
  std::optional<std::string> renewal_application_id;  // a renewal waiting for the provider
  // Aggregate grants on a resource with a daily privacy budget: {epsilon_per_day,
  // epsilon_per_query, epsilon_spent_today, epsilon_remaining, queries_remaining_today}.
  nlohmann::json privacy;  // null otherwise
};

// An objection to a record (数据异议) as its viewer may see it: the provider sees the record's
// key; the consumer its ref and the key as its grant shows it (masked, or not at all); the hub's
// own staff the key as the consumer's grant shows it.
struct Objection {
  std::string id;
  std::string status;  // open | resolved
  std::string due_at;
  std::string resource_code, provider_code, consumer_code;
  std::vector<std::string> items;
  std::string description;
  std::optional<std::string> outcome, note;
  std::string created_at, created_by;
  std::optional<std::string> resolved_at, resolved_by;
  bool overdue = false;
  std::string grant_id;
  std::optional<std::string> key;
  std::optional<std::string> ref;
};

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

// A renewal of a grant (POST /grants/{id}/renewal): the new end and why.
struct RenewalRequest {
  std::string valid_until;  // a date or an RFC 3339 time, after the grant's current end
  std::string reason;
};

// What a renewal came to: `approved` (the grant extended at once: an unconditional resource) or
// `pending` (an application linked to the grant, which stays valid meanwhile).
struct Renewal {
  std::string status;
  GrantRecord grant;
  std::optional<Application> application;
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
  std::optional<std::string> provider;
};

// Applications, decisions, grants and objections (docs/sharing.md). Arguments of coroutines
// are the caller's named locals (the GCC 12 note in docs/architecture.md).
class SharingService {
 public:
  SharingService(Services& services, GrantDirectory& grants, WorkingCalendar calendar)
      : services_(services), grants_(grants), calendar_(std::move(calendar)) {}

  boost::asio::awaitable<Application> apply(const Caller& caller,
                                            const ApplicationRequest& request);
  boost::asio::awaitable<Application> decide(const Caller& caller, const std::string& id,
                                             const DecisionRequest& request);
  boost::asio::awaitable<Application> withdraw(const Caller& caller, const std::string& id);
  boost::asio::awaitable<Application> application(const Caller& caller, const std::string& id);
  boost::asio::awaitable<ListPage<Application>> applications(const Caller& caller,
                                                             const WorkflowFilter& filter,
                                                             const PageRequest& page);
  boost::asio::awaitable<ListPage<GrantRecord>> grants(const Caller& caller,
                                                       const GrantFilter& filter,
                                                       const PageRequest& page);
  boost::asio::awaitable<GrantRecord> grant(const Caller& caller, const std::string& id);
  // Revokes a grant, from the next request on; `reason` is shown to the consumer.
  boost::asio::awaitable<void> revoke(const Caller& caller, const std::string& id,
                                      const std::optional<std::string>& reason);
  boost::asio::awaitable<Renewal> renew(const Caller& caller, const std::string& id,
                                        const RenewalRequest& request);
  // An objection to a record of `resource`.
  boost::asio::awaitable<Objection> object(const Caller& caller, const std::string& resource,
                                           const ObjectionRequest& request);
  boost::asio::awaitable<Objection> resolve(const Caller& caller, const std::string& id,
                                            const ResolutionRequest& request);
  boost::asio::awaitable<Objection> objection(const Caller& caller, const std::string& id);
  boost::asio::awaitable<ListPage<Objection>> objections(const Caller& caller,
                                                         const WorkflowFilter& filter,
                                                         const PageRequest& page);

  const WorkingCalendar& calendar() const { return calendar_; }

 private:
  Services& services_;
  GrantDirectory& grants_;
  WorkingCalendar calendar_;
};

}  // namespace hub::sharing
