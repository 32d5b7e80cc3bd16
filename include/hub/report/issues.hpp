#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "hub/app/services.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/page.hpp"
#include "hub/ledger/note.hpp"
#include "hub/report/service.hpp"

namespace hub::report {

// An issued report (通报): the sharing-status report of a period, frozen when the coordination
// group issues it under a number, with the SHA-256 of its JSON bytes and an Ed25519 signature of
// them by the ledger's key (docs/reports.md).
struct Issue {
  std::string id;
  std::string number;  // e.g. 穗数通〔2026〕11号
  std::string title;
  std::string from, to;  // the period, YYYY-MM-DD
  std::string issued_at, issued_by;
  std::string sha256;     // hex, of the JSON bytes
  std::string signature;  // base64 Ed25519 over the JSON bytes
};

struct IssueRequest {
  Period period;
  std::string number;
  std::string title;
};

// One of an issue's frozen files, byte for byte as it was issued.
struct IssueFile {
  Issue issue;
  std::string format;  // json | csv | xlsx
  std::string body;
};

class IssueService {
 public:
  IssueService(Services& services, ReportService& reports, const ledger::SigningKey& key)
      : services_(services), reports_(reports), key_(key) {}

  // Computes the period's report now and freezes its JSON, CSV and XLSX (coordinator,
  // hub_admin); a number issued before is 409.
  boost::asio::awaitable<Issue> issue(const Caller& caller, const IssueRequest& request);
  // Newest first (hub_admin, coordinator, agency_cdo).
  boost::asio::awaitable<ListPage<Issue>> issues(const Caller& caller, const PageRequest& page);
  boost::asio::awaitable<IssueFile> file(const Caller& caller, const std::string& id,
                                         const std::string& format);

  // The bytes that are signed and hashed: the report's JSON with the issue's number, title and
  // time in an "issue" member.
  static std::string frozen_json(const Report& report, const std::string& number,
                                 const std::string& title, const std::string& issued_at);

 private:
  Services& services_;
  ReportService& reports_;
  const ledger::SigningKey& key_;
};

}  // namespace hub::report
