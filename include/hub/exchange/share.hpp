#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "hub/core/error.hpp"

namespace hub::exchange {

// What the exchange store answers a data request (API.md's D routes), as types. A transport
// renders them (api/exchange_api.cpp writes JSON straight into the response body); the domain
// records the share in the ledger, with the SHA-256 of exactly those bytes, before it returns.

// A record as the consumer's grant shows it (docs/privacy.md): its ref, its key only as the key
// item is seen, and the granted items, masked unless clear.
struct RecordView {
  std::string ref;
  std::optional<nlohmann::json> key;
  std::int64_t version = 0;
  std::string updated_at;
  nlohmann::json data = nlohmann::json::object();
  std::optional<std::string> resource_code;  // licence lookups, which span resources
};

struct ChangeView {
  std::int64_t seq = 0;
  bool deleted = false;
  std::string ref;
  std::optional<nlohmann::json> key;
  std::int64_t version = 0;
  std::optional<nlohmann::json> data;  // upserts
};

// A page of records (query, licences): `next` is the change number to continue after.
struct RecordPage {
  std::vector<RecordView> items;
  std::optional<std::int64_t> next;
};

// A page of the changes feed: `next` is always given (where to ask from next time).
struct ChangePage {
  std::vector<ChangeView> items;
  std::int64_t next = 0;
};

struct VerifyResult {
  bool found = false;
  bool match = false;
};

struct AggregateGroup {
  nlohmann::json key = nlohmann::json::object();
  std::int64_t count = 0;
  std::vector<std::pair<std::string, std::optional<double>>> metrics;  // "sum_x", "avg_x"
};

struct PrivacyRelease {
  std::string mechanism;
  double epsilon_spent = 0;
  double epsilon_remaining = 0;
};

struct AggregateResult {
  std::vector<AggregateGroup> groups;
  std::int64_t suppressed_groups = 0;
  std::optional<PrivacyRelease> privacy;
};

// A joint computation's run (API.md Part 2): its declared outputs the grant covers, and nothing
// else.
struct ComputeResult {
  std::vector<std::pair<std::string, nlohmann::json>> outputs;
};

using ShareAnswer =
    std::variant<RecordView, RecordPage, ChangePage, VerifyResult, AggregateResult, ComputeResult>;

// Where a share's answer goes: the transport's renderer. The domain hands it the answer, or the
// refusal, and gets back the SHA-256 (hex) of the exact bytes the caller will receive, which the
// ledger entry records; then it tells the index of that entry. Nothing is sent by the sink
// itself: the transport sends what it rendered only after the domain returned, that is after
// the entry is durable.
class ShareSink {
 public:
  virtual ~ShareSink() = default;
  virtual std::string deliver(const ShareAnswer& answer) = 0;
  virtual std::string refuse(const ApiError& error) = 0;
  virtual void recorded(std::int64_t ledger_index) = 0;
};

}  // namespace hub::exchange
