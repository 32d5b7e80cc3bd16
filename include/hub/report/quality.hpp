#pragma once
// Data quality (API.md Part 2, docs/exchange.md "Quality"): a resource's quality measured from
// its records (completeness, validity, flagged records, freshness, open objections, a score),
// and the data-quality report over every published dataset.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hub/app/services.hpp"
#include "hub/core/caller.hpp"
#include "hub/report/service.hpp"

namespace hub::report {

// One resource's quality as last measured (hub_measure_quality in 024_quality.sql).
struct ResourceQuality {
  std::string resource_code;
  std::string measured_at;  // RFC 3339, UTC
  std::int64_t records = 0;
  std::optional<std::int64_t> sampled;                     // the records examined, when a sample
  nlohmann::json completeness = nlohmann::json::object();  // item: fraction with a value
  nlohmann::json validity = nlohmann::json::object();      // "item.rule": fraction keeping it
  std::int64_t flagged_records = 0;
  std::optional<std::string> last_updated_at;
  bool fresh = false;
  std::int64_t objections_open = 0;
  double score = 0;  // 0..100
};
nlohmann::json to_json(const ResourceQuality& q);

// A row of the data-quality report: a published dataset, its provider, its last measurement
// (none yet: the measured fields empty) and the objections of the period.
struct QualityRow {
  std::string agency_code, agency_name, resource_code, resource_name;
  std::optional<ResourceQuality> quality;
  std::int64_t objections_raised = 0;     // raised in the period
  std::int64_t objections_corrected = 0;  // resolved as corrected in the period
};
struct QualityReport {
  std::string from, to, generated_at;
  std::vector<QualityRow> rows;  // by agency, then resource
};
nlohmann::json to_json(const QualityReport& report);
std::string to_csv(const QualityReport& report);
std::string to_xlsx(const QualityReport& report, const std::string& tmp_dir);

class QualityService {
 public:
  // Measured afresh when the last measurement is older than this or the records changed since.
  static constexpr int kReuseSeconds = 60;
  // All live records are examined up to this many; beyond, a uniform sample of this many probes.
  static constexpr std::int64_t kExactRecords = 200000;
  static constexpr std::int64_t kSampleProbes = 100000;

  explicit QualityService(Services& services) : services_(services) {}

  // GET /resources/{code}/quality: the provider's agency principals, hub_admin and coordinator;
  // 404 for anyone else (and for a service or computation, which hold no records).
  boost::asio::awaitable<ResourceQuality> resource(const Caller& caller, const std::string& code);
  // GET /reports/data-quality: every published dataset for hub staff, the caller's agency's own
  // for an agency_cdo.
  boost::asio::awaitable<QualityReport> report(const Caller& caller, const Period& period);
  boost::asio::awaitable<std::string> xlsx(const QualityReport& report);

 private:
  Services& services_;
};

}  // namespace hub::report
