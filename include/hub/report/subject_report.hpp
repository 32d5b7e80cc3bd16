#pragma once
// A citizen's report (个人/企业数据访问记录): every recorded access to one person's or
// enterprise's records, from the subject log, with the signed checkpoint that covers each entry,
// in Chinese, so that a 12345 hotline complaint can be answered with evidence (issue 20,
// docs/ledger.md "The subject log").

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hub::report {

// One ledger entry that named the subject.
struct SubjectAccess {
  std::int64_t index = 0;
  std::string time;  // RFC 3339, UTC, as the ledger keeps it
  std::string operation;
  std::string consumer_code, consumer_name;  // name empty when unknown
  std::string provider_code, provider_name;
  std::string resource_code, resource_name;
  std::string purpose;
  std::optional<std::string> purpose_code;
  int status = 0;
  // The first signed checkpoint whose tree holds the entry; nullopt until one is signed.
  std::optional<std::int64_t> checkpoint_size;
  std::string checkpoint_root_hash, checkpoint_signed_at;
};

struct SubjectReport {
  std::string subject;       // as shown: masked unless the caller asks for it in clear
  std::string generated_at;  // RFC 3339, UTC
  std::string origin;        // the ledger's origin line (its name in signed checkpoints)
  std::vector<SubjectAccess> accesses;
};

// "2026-12-05T01:02:03.456789Z" as the city's time (Asia/Shanghai, UTC+8, no summer time):
// "2026-12-05 09:02:03"; the text unchanged when it is not such a time.
std::string city_time(const std::string& utc);

// An operation's name in Chinese ("read" → "按键读取").
std::string operation_zh(const std::string& operation);

// A key shown with its middle masked (440106********1234), as on a printed notice.
std::string masked_key(const std::string& key);

// The report as an .xlsx workbook: a title and an explanation in Chinese, one row per access in
// index order (time in city time, consumer, provider, resource, operation, purpose, purpose code,
// outcome, ledger index, checkpoint), frozen headers. Written through a private temporary file in
// `tmp_dir` (libxlsxwriter writes files only), removed before returning.
std::string subject_report_xlsx(const SubjectReport& report, const std::string& tmp_dir);

}  // namespace hub::report
