#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/core/principal.hpp"
#include "hub/members/directory.hpp"

namespace hub::sharing {

// The operations a grant may allow (API.md); `compute` is a computation's only one.
enum class Operation : std::uint8_t { read, query, changes, verify, aggregate, compute };
std::optional<Operation> parse_operation(std::string_view name);
std::string_view operation_name(Operation op);
using OperationSet = std::uint32_t;
constexpr OperationSet operation_bit(Operation op) { return 1u << static_cast<unsigned>(op); }

struct Grant {
  std::string id;
  std::string resource_code;
  std::string provider_code;
  std::string consumer_code;
  std::vector<std::string> items;
  std::vector<std::string> clear_items;
  OperationSet operations = 0;
  std::string purpose;
  std::vector<std::string> purpose_codes;  // empty: any purpose
  std::chrono::system_clock::time_point valid_until;
  // An interface service's operation ids the grant allows (API.md Part 2). The grant's stored
  // operations hold dataset operations and service operation ids alike; a service's operation
  // id never is a dataset operation's name (catalog::validate_resource), so each name says
  // which it is.
  std::vector<std::string> call_operations;

  // Sorts stored operation names into `operations` (dataset) and `call_operations` (service).
  void set_operations(const std::vector<std::string>& names);
};

// The answer of the one authorization function the exchange store asks.
struct Decision {
  bool allowed = false;
  std::string grant_id;
  std::vector<std::string> items;        // the items the grant covers
  std::vector<std::string> clear_items;  // items delivered unmasked
  // Why not, for the 403: no_grant, or purpose_mismatch when a grant would cover the request but
  // for the purpose code it carries (or lacks).
  bool purpose_mismatch = false;
  std::string reason;

  bool covers(std::string_view item) const {
    return std::find(items.begin(), items.end(), item) != items.end();
  }
  bool clear(std::string_view item) const {
    return std::find(clear_items.begin(), clear_items.end(), item) != clear_items.end();
  }
};

// Live grants in memory, so that authorizing a data request costs no database round trip. Kept
// correct like the principal directory: the node that revokes or creates a grant updates it
// before answering; the others follow NOTIFY hub_directory 'grant:<id>'. Expiry is checked on
// every call.
class GrantDirectory : public members::SyncFollower {
 public:
  GrantDirectory();

  // May `principal` do `operation` on `items` of `resource`, for `purpose_code` (the request's
  // X-Purpose-Code, if any)? The principal must belong to the consumer agency of a live grant
  // that covers the operation and every item, and, when the grant names purpose codes, the
  // request's code must be one of them.
  Decision authorize(const Principal& principal, const std::string& resource, Operation operation,
                     const std::vector<std::string>& items,
                     const std::optional<std::string>& purpose_code = std::nullopt) const;

  // May `principal` call the interface service `resource`'s operation `operation_id` (API.md
  // Part 2), for `purpose_code`? The same rules as authorize: the principal's agency holds a live
  // grant on the service, not expired, that covers the operation, and whose purpose codes (if
  // any) include the request's. The decision's items and clear_items are the grant's response
  // items: what the call may show, and what of it in clear.
  Decision authorize_call(const Principal& principal, const std::string& resource,
                          const std::string& operation_id,
                          const std::optional<std::string>& purpose_code = std::nullopt) const;

  // The same whatever the purpose: whether the agency holds such a grant at all (objections,
  // which are no data request).
  Decision holds(const Principal& principal, const std::string& resource, Operation operation,
                 const std::vector<std::string>& items) const;

  void put(const std::string& id, std::optional<Grant> grant);
  bool loaded() const { return loaded_.load(); }

  void load_all(PGconn* conn) override;
  bool handle(PGconn* conn, const std::string& payload) override;

 private:
  // The one rule of authorize, holds and authorize_call: `covers` says whether a grant covers
  // the request (operation and items).
  template <typename Covers>
  Decision decide_with(const Principal& principal, const std::string& resource,
                       const std::optional<std::string>& purpose_code, bool check_purpose,
                       const char* refusal, Covers covers) const;
  Decision decide(const Principal& principal, const std::string& resource, Operation operation,
                  const std::vector<std::string>& items,
                  const std::optional<std::string>& purpose_code, bool check_purpose) const;
  struct Snapshot {
    std::unordered_map<std::string, Grant> by_id;
    // consumer_code + '|' + resource_code → grant ids
    std::unordered_map<std::string, std::vector<std::string>> by_pair;
  };
  static void index(Snapshot& s, Grant g);
  std::mutex write_mutex_;
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::atomic<bool> loaded_{false};
  members::PutsDuringLoad<Grant> puts_;
};

}  // namespace hub::sharing
