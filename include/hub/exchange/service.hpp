#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/app/services.hpp"
#include "hub/catalog/index.hpp"
#include "hub/core/byte_source.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/page.hpp"
#include "hub/exchange/filter.hpp"
#include "hub/exchange/schema.hpp"
#include "hub/exchange/share.hpp"
#include "hub/ledger/appender.hpp"
#include "hub/sharing/consent.hpp"
#include "hub/sharing/grants.hpp"

namespace hub::exchange {

// Typed requests of the exchange store: what a transport parsed, before any rule is applied.
struct ReadRequest {
  std::string resource_code;
  std::string key;
};
struct QueryRequest {
  std::string resource_code;
  std::optional<std::string> filter;  // the filter language's text, parsed against the items
  std::vector<std::string> fields;    // empty: every granted item
  PageRequest page;                   // positioned by change number
};
struct ChangesRequest {
  std::string resource_code;
  PageRequest page;  // positioned by change number
};
struct VerifyRequest {
  std::string resource_code;
  std::string key;
  nlohmann::json claims = nlohmann::json::object();  // item: value (numbers exact)
};
struct Metric {
  std::string op;    // count, sum, avg
  std::string item;  // "" for count
};
struct AggregateRequest {
  std::string resource_code;
  std::vector<std::string> group_by;
  std::optional<std::string> filter;
  std::vector<Metric> metrics;
};
struct LicenceRequest {
  std::string holder_code;
  std::optional<std::string> holder_type;
  std::optional<std::string> type_code;
};
enum class ImportFormat { ndjson, csv };
struct ImportRequest {
  std::string resource_code;
  ImportFormat format = ImportFormat::ndjson;
  bool atomic = false;
};
struct ImportResult {
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  std::int64_t flagged = 0;  // of the accepted: stored breaking a rule (quality_mode flag)
  std::vector<std::pair<std::int64_t, std::string>> errors;  // line, message (the first 100)
};
// What an import runs before it answers, its batches having committed asynchronously: a no-op
// update of the resource's change counter, committed synchronously. It writes WAL, so its
// commit waits for the WAL flush (and a synchronous standby) up to its commit record, which
// follows every batch's. (A transaction that only takes an xid writes no WAL, and PostgreSQL
// lets such a commit go unflushed.)
inline constexpr const char* kImportDurableSql =
    "UPDATE record_sequences SET next_seq = next_seq WHERE resource_code = $1";

struct Written {
  std::string key;
  int version = 0;
  bool created = false;
  std::vector<std::string> flagged;  // quality_mode flag: the rules it breaks ("item.rule")
};

// The exchange store (API.md's record routes, docs/exchange.md): pushes and imports by the
// provider's systems, and the data requests of consumers under a grant.
//
// A data request is a share, and the rule the hub rests on holds here, whoever calls: the
// operation checks the purpose and the grant, computes the answer, has the caller's sink render
// it, and appends the ledger entry with the SHA-256 of those bytes; it returns only when that
// entry is durable (group commit). A refusal is an entry too. A share whose entry cannot be
// made durable is refused with 503 instead: its rendered answer is never sent.
class ExchangeService {
 public:
  ExchangeService(Services& services, catalog::CatalogIndex& catalog,
                  sharing::GrantDirectory& grants, sharing::ConsentService& consents,
                  ledger::Appender& ledger);

  boost::asio::awaitable<Written> put(const Caller& caller, const std::string& code,
                                      const std::string& key, nlohmann::json data);
  boost::asio::awaitable<void> remove(const Caller& caller, const std::string& code,
                                      const std::string& key);
  // A bulk import read from `body` as it arrives (NDJSON or CSV), never held in memory.
  boost::asio::awaitable<ImportResult> import(const Caller& caller, const ImportRequest& request,
                                              ByteSource& body);

  // The data requests. Each delivers its answer (or its refusal) to `sink` and records it.
  boost::asio::awaitable<void> read(const Caller& caller, const ReadRequest& request,
                                    ShareSink& sink);
  boost::asio::awaitable<void> query(const Caller& caller, const QueryRequest& request,
                                     ShareSink& sink);
  boost::asio::awaitable<void> changes(const Caller& caller, const ChangesRequest& request,
                                       ShareSink& sink);
  boost::asio::awaitable<void> verify(const Caller& caller, const VerifyRequest& request,
                                      ShareSink& sink);
  boost::asio::awaitable<void> aggregate(const Caller& caller, const AggregateRequest& request,
                                         ShareSink& sink);
  // Licences of a holder across the licence resources the caller may query.
  boost::asio::awaitable<void> licences(const Caller& caller, const LicenceRequest& request,
                                        ShareSink& sink);
  // A data request the transport could not even make into a typed request (a body that is not
  // JSON, a bad page cursor): refused and recorded like any other. `operation` is API.md's.
  boost::asio::awaitable<void> refused(const Caller& caller, const std::string& operation,
                                       const std::string& resource_code, const ApiError& error,
                                       ShareSink& sink);

  // The resource's schema of the version in force (from the in-memory catalog); 404 when the
  // resource does not exist or is another agency's draft.
  std::shared_ptr<const RecordSchema> schema(const Principal& me, const std::string& code);

  // The batches of non-atomic imports since start, by how they were written (hub_import_batches
  // in /metrics): new keys by COPY, new keys by INSERT row by row (two lines of a batch wanting
  // one unique value), by the upsert; and the COPYs or INSERTs that met a stored key.
  struct ImportStats {
    std::atomic<std::uint64_t> copied{0};
    std::atomic<std::uint64_t> inserted{0};
    std::atomic<std::uint64_t> upserted{0};
    std::atomic<std::uint64_t> met_stored{0};
  };
  const ImportStats& import_stats() const { return import_stats_; }

 private:
  class View;
  struct Share;
  template <typename Operation>
  boost::asio::awaitable<void> share(const Caller& caller, Share& share, ShareSink& sink,
                                     Operation operation);
  boost::asio::awaitable<void> record(const Caller& caller, const Share& share, int status,
                                      const std::string& digest, ShareSink& sink);
  // The decision for a data request, or the 403 (no_grant, purpose_mismatch) it gets: `items`
  // must be granted, `in_clear` granted and seen unmasked (what is filtered, selected, grouped
  // by). Fills the share's ledger facts either way.
  sharing::Decision authorize(const Caller& caller, Share& share, const RecordSchema& s,
                              sharing::Operation op, const std::vector<std::string>& items,
                              const std::vector<std::string>& in_clear);
  static bool seen_in_clear(const RecordSchema& s, const sharing::Decision& d,
                            const std::string& name);
  boost::asio::awaitable<ShareAnswer> do_read(const Caller& caller, const ReadRequest& request,
                                              Share& share);
  boost::asio::awaitable<ShareAnswer> do_query(const Caller& caller, const QueryRequest& request,
                                               Share& share);
  boost::asio::awaitable<ShareAnswer> do_changes(const Caller& caller,
                                                 const ChangesRequest& request, Share& share);
  boost::asio::awaitable<ShareAnswer> do_verify(const Caller& caller, const VerifyRequest& request,
                                                Share& share);
  boost::asio::awaitable<ShareAnswer> do_aggregate(const Caller& caller,
                                                   const AggregateRequest& request, Share& share);
  boost::asio::awaitable<ShareAnswer> do_licences(const Caller& caller,
                                                  const LicenceRequest& request, Share& share);
  // An aggregate under a resource's differential-privacy policy (docs/privacy.md).
  boost::asio::awaitable<ShareAnswer> private_aggregate(const Caller& caller, Share& share,
                                                        const RecordSchema& s,
                                                        const sharing::Decision& d,
                                                        const std::vector<std::string>& group_by,
                                                        const std::vector<Metric>& metrics,
                                                        const std::vector<Condition>& where);

  Services& services_;
  catalog::CatalogIndex& catalog_;
  sharing::GrantDirectory& grants_;
  sharing::ConsentService& consents_;
  ledger::Appender& ledger_;
  ImportStats import_stats_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, std::pair<std::shared_ptr<const catalog::IndexEntry>,
                                            std::shared_ptr<const RecordSchema>>>
      cache_;
};

// A record key: 1 to 512 bytes of UTF-8 without control characters, else 422.
void check_key(std::string_view key);

}  // namespace hub::exchange
