#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hub/ledger/history.hpp"

namespace hub::cli {

// Realistic, deterministic demo records (the same on every run): Guangzhou enterprises for 企业登记
// 信息 (valid unified social credit codes, legal persons with valid ID numbers) and residents
// for 户籍人口基本信息 (ID numbers, names, addresses, phones). NDJSON, one record a line.
std::string demo_enterprises_ndjson(int count);
std::string demo_residents_ndjson(int count);
// Twelve months of 企业用电量 for the first `count` enterprises of `enterprises` (as
// demo_enterprises_ndjson made them), with four records that break the resource's rules (a
// negative reading, month 13, a mistyped credit code, a short account number): the resource is
// in quality_mode flag, so they are stored, flagged and counted in its quality.
std::string demo_power_ndjson(const std::string& enterprises, int count);

// A resident ID number (GB 11643): 17 digits and their check character
// (catalog::valid_citizen_id says whether one is valid).
std::string citizen_id(const std::string& first17);

// A grant of the demo, as the month of history uses it.
struct HistoryGrant {
  std::string grant_id;
  std::string consumer_code;
  std::string provider_code;
  std::string resource_code;
  std::string principal_id;  // the consumer's system
  std::string purpose;
  std::vector<std::string> operations;
  std::vector<std::string> items;
  std::int64_t resource_records = 1000;  // what an aggregate over the resource counts
};

// A month of data requests under the demo's grants, ending a few minutes before `now_unix`:
// busy on working days between 08:00 and 20:00 city time, quiet at weekends, growing a little
// over the month, with a few refusals (403 no_grant), plus two things early warning should
// catch: a bulk pull in the small hours of the last night, and a burst of refusals a few hours
// ago. Deterministic for a given `now_unix`.
std::vector<ledger::TimedDraft> demo_history(const std::vector<HistoryGrant>& grants,
                                             std::int64_t now_unix, int days);

}  // namespace hub::cli
