#include "hub/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hub/core/text.hpp"

namespace hub::report {

namespace {

using json = nlohmann::json;

double round2(double v) { return std::round(v * 100.0) / 100.0; }

// 1 - late / due, where what fell due is at least what came in and at least what is late.
double on_time_share(std::int64_t received, std::int64_t late) {
  const std::int64_t due = std::max(received, late);
  if (due == 0) return 1.0;
  return 1.0 - static_cast<double>(late) / static_cast<double>(due);
}

void append_csv_text(std::string& out, std::string_view text) { out += csv_cell(text); }

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

const std::vector<Column>& columns() {
  static const std::vector<Column> all = {
      {"agency_code", "统一社会信用代码"},
      {"agency_name", "单位名称"},
      {"rank", "排名"},
      {"score", "综合得分"},
      {"resources_catalogued", "编目资源数"},
      {"resources_published", "已发布资源数"},
      {"resources_with_data", "有数据资源数"},
      {"resources_fresh", "按期更新资源数"},
      {"resources_stale", "更新超期资源数"},
      {"applications_received", "收到申请数"},
      {"applications_approved", "同意申请数"},
      {"applications_rejected", "拒绝申请数"},
      {"applications_overdue", "超期未答复申请数"},
      {"median_reply_hours", "答复时长中位数(小时)"},
      {"requests_served", "提供共享次数"},
      {"requests_made", "调用共享次数"},
      {"records_shared", "共享记录数"},
      {"denied_requests", "被拒绝调用次数"},
      {"objections_received", "收到异议数"},
      {"objections_resolved_on_time", "按期处理异议数"},
      {"objections_overdue", "超期异议数"},
      {"service_calls_served", "接口服务调用次数"},
      {"service_availability", "接口服务可用率"},
  };
  return all;
}

std::optional<double> AgencyRow::service_availability() const {
  if (upstream_calls <= 0) return std::nullopt;
  const std::int64_t ok = std::max<std::int64_t>(upstream_calls - upstream_failures, 0);
  return std::round(10000.0 * static_cast<double>(ok) / static_cast<double>(upstream_calls)) /
         10000.0;
}

ScoreParts score_parts(const AgencyRow& row, std::int64_t most_served) {
  ScoreParts p;
  // Of the published resources the hub holds records of (an interface service keeps its data
  // at home and has no update cycle here): fresh + stale.
  const std::int64_t held = row.resources_fresh + row.resources_stale;
  p.freshness =
      held > 0 ? static_cast<double>(row.resources_fresh) / static_cast<double>(held) : 0.0;
  p.timeliness = on_time_share(row.applications_received, row.applications_overdue);
  p.objections = on_time_share(row.objections_received, row.objections_overdue);
  p.volume = most_served > 0 ? std::log1p(static_cast<double>(row.requests_served)) /
                                   std::log1p(static_cast<double>(most_served))
                             : 0.0;
  return p;
}

void score_and_rank(std::vector<AgencyRow>& rows, const ReportConfig& w) {
  std::int64_t most_served = 0;
  for (const auto& r : rows) most_served = std::max(most_served, r.requests_served);
  const double total = static_cast<double>(w.weight_freshness) + w.weight_timeliness +
                       w.weight_objections + w.weight_volume;
  for (auto& r : rows) {
    const ScoreParts p = score_parts(r, most_served);
    const double weighted = w.weight_freshness * p.freshness + w.weight_timeliness * p.timeliness +
                            w.weight_objections * p.objections + w.weight_volume * p.volume;
    r.score = total > 0 ? round2(100.0 * weighted / total) : 0.0;
  }
  // Scores are compared as shown (two decimals), so a tie on paper is a tie here too.
  std::sort(rows.begin(), rows.end(), [](const AgencyRow& a, const AgencyRow& b) {
    const auto sa = std::llround(a.score * 100), sb = std::llround(b.score * 100);
    if (sa != sb) return sa > sb;
    return a.agency_code < b.agency_code;
  });
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i].rank = static_cast<int>(i + 1);
}

std::optional<double> median_hours(std::vector<std::pair<int, std::int64_t>> histogram) {
  std::sort(histogram.begin(), histogram.end());
  std::int64_t n = 0;
  for (const auto& [tenths, count] : histogram) n += std::max<std::int64_t>(count, 0);
  if (n == 0) return std::nullopt;
  // The values at the two middle positions (the same one when n is odd).
  const std::int64_t lo = (n - 1) / 2, hi = n / 2;
  std::optional<int> at_lo, at_hi;
  std::int64_t seen = 0;
  for (const auto& [tenths, count] : histogram) {
    if (count <= 0) continue;
    if (!at_lo && lo < seen + count) at_lo = tenths;
    if (!at_hi && hi < seen + count) at_hi = tenths;
    seen += count;
    if (at_hi) break;
  }
  return round2((*at_lo + *at_hi) / 20.0);
}

json to_json(const Report& report) {
  json agencies = json::array();
  for (const auto& r : report.agencies) {
    agencies.push_back({
        {"agency_code", r.agency_code},
        {"agency_name", r.agency_name},
        {"rank", r.rank},
        {"score", r.score},
        {"resources_catalogued", r.resources_catalogued},
        {"resources_published", r.resources_published},
        {"resources_with_data", r.resources_with_data},
        {"resources_fresh", r.resources_fresh},
        {"resources_stale", r.resources_stale},
        {"applications_received", r.applications_received},
        {"applications_approved", r.applications_approved},
        {"applications_rejected", r.applications_rejected},
        {"applications_overdue", r.applications_overdue},
        {"median_reply_hours", r.median_reply_hours ? json(*r.median_reply_hours) : json(nullptr)},
        {"requests_served", r.requests_served},
        {"requests_made", r.requests_made},
        {"records_shared", r.records_shared},
        {"denied_requests", r.denied_requests},
        {"objections_received", r.objections_received},
        {"objections_resolved_on_time", r.objections_resolved_on_time},
        {"objections_overdue", r.objections_overdue},
        {"service_calls_served", r.service_calls_served},
        {"service_availability",
         r.service_availability() ? json(*r.service_availability()) : json(nullptr)},
    });
  }
  return {{"from", report.from},
          {"to", report.to},
          {"generated_at", report.generated_at},
          {"agencies", std::move(agencies)}};
}

std::string to_csv(const Report& report) {
  std::string out = "\xEF\xBB\xBF";
  bool first = true;
  for (const auto& c : columns()) {
    if (!first) out += ',';
    out += c.field;
    first = false;
  }
  out += "\r\n";
  for (const auto& r : report.agencies) {
    const std::int64_t counts[] = {
        r.resources_catalogued,  r.resources_published,   r.resources_with_data,
        r.resources_fresh,       r.resources_stale,       r.applications_received,
        r.applications_approved, r.applications_rejected, r.applications_overdue};
    const std::int64_t traffic[] = {r.requests_served,     r.requests_made,
                                    r.records_shared,      r.denied_requests,
                                    r.objections_received, r.objections_resolved_on_time,
                                    r.objections_overdue};
    append_csv_text(out, r.agency_code);
    out += ',';
    append_csv_text(out, r.agency_name);
    out += ',' + std::to_string(r.rank);
    out += ',' + fixed(r.score, 2);
    for (auto v : counts) out += ',' + std::to_string(v);
    out += ',';
    if (r.median_reply_hours) out += fixed(*r.median_reply_hours, 2);
    for (auto v : traffic) out += ',' + std::to_string(v);
    out += ',' + std::to_string(r.service_calls_served);
    out += ',';
    if (auto a = r.service_availability()) out += fixed(*a, 4);
    out += "\r\n";
  }
  return out;
}

}  // namespace hub::report
