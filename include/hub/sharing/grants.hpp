#pragma once

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

// The operations a grant may allow (API.md).
enum class Operation : std::uint8_t { read, query, changes, verify, aggregate };
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
  std::chrono::system_clock::time_point valid_until;
};

// The answer of the one authorization function the exchange store asks.
struct Decision {
  bool allowed = false;
  std::string grant_id;
  std::vector<std::string> items;        // the items the grant covers
  std::vector<std::string> clear_items;  // items delivered unmasked
  std::string reason;                    // why not, for the ledger and the 403
};

// Live grants in memory, so that authorizing a data request costs no database round trip. Kept
// correct like the principal directory: the node that revokes or creates a grant updates it
// before answering; the others follow NOTIFY hub_directory 'grant:<id>'. Expiry is checked on
// every call.
class GrantDirectory : public members::SyncFollower {
 public:
  GrantDirectory();

  // May `principal` do `operation` on `items` of `resource`? The principal must belong to the
  // consumer agency of a live grant that covers the operation and every item.
  Decision authorize(const Principal& principal, const std::string& resource, Operation operation,
                     const std::vector<std::string>& items) const;

  void put(const std::string& id, std::optional<Grant> grant);
  bool loaded() const { return loaded_.load(); }

  void load_all(PGconn* conn) override;
  bool handle(PGconn* conn, const std::string& payload) override;

 private:
  struct Snapshot {
    std::unordered_map<std::string, Grant> by_id;
    // consumer_code + '|' + resource_code → grant ids
    std::unordered_map<std::string, std::vector<std::string>> by_pair;
  };
  static void index(Snapshot& s, Grant g);
  std::mutex write_mutex_;
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::atomic<bool> loaded_{false};
};

}  // namespace hub::sharing
