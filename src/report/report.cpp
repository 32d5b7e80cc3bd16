#include "hub/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <type_traits>

#include "hub/core/text.hpp"

namespace hub::report {

namespace {

using json = nlohmann::json;

double round2(double v) { return std::round(v * 100.0) / 100.0; }

// 1 - late / due, where what fell due is at least what came in and at least what is late; none
// when nothing did.
std::optional<double> on_time_share(std::int64_t received, std::int64_t late) {
  const std::int64_t due = std::max(received, late);
  if (due == 0) return std::nullopt;
  return 1.0 - static_cast<double>(late) / static_cast<double>(due);
}

void append_csv_text(std::string& out, std::string_view text) { out += csv_cell(text); }

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

// A column read from a row's member.
#define HUB_COUNT(member, title)                                                         \
  Column {                                                                               \
#member, title, CellKind::count, [](const AgencyRow& r) -> Cell { return r.member; } \
  }

const std::vector<Column>& columns() {
  static const std::vector<Column> all = {
      {"agency_code", "统一社会信用代码", CellKind::text,
       [](const AgencyRow& r) -> Cell { return std::string_view(r.agency_code); }},
      {"agency_name", "单位名称", CellKind::text,
       [](const AgencyRow& r) -> Cell { return std::string_view(r.agency_name); }},
      {"rank", "排名", CellKind::rank,
       [](const AgencyRow& r) -> Cell { return std::int64_t{r.rank}; }},
      {"score", "综合得分", CellKind::score, [](const AgencyRow& r) -> Cell { return r.score; }},
      HUB_COUNT(resources_catalogued, "编目资源数"),
      HUB_COUNT(resources_published, "已发布资源数"),
      HUB_COUNT(resources_newly_published, "本期新发布资源数"),
      HUB_COUNT(resources_with_data, "有数据资源数"),
      HUB_COUNT(resources_empty, "无数据资源数"),
      HUB_COUNT(resources_fresh, "按期更新资源数"),
      HUB_COUNT(resources_stale, "更新超期资源数"),
      HUB_COUNT(applications_received, "收到申请数"),
      HUB_COUNT(applications_approved, "同意申请数"),
      HUB_COUNT(applications_rejected, "拒绝申请数"),
      HUB_COUNT(applications_overdue, "超期未答复申请数"),
      {"median_reply_hours", "答复时长中位数(小时)", CellKind::hours,
       [](const AgencyRow& r) -> Cell {
         if (r.median_reply_hours) return *r.median_reply_hours;
         return std::monostate{};
       }},
      HUB_COUNT(demands_received, "收到需求数"),
      HUB_COUNT(demands_answered_on_time, "按期响应需求数"),
      HUB_COUNT(demands_overdue, "超期需求数"),
      HUB_COUNT(escalations_received, "被提请协调数"),
      HUB_COUNT(indicators_due, "应报指标数"),
      HUB_COUNT(indicators_on_time, "按期报送指标数"),
      HUB_COUNT(requests_served, "提供共享次数"),
      HUB_COUNT(requests_made, "调用共享次数"),
      HUB_COUNT(records_shared, "共享记录数"),
      HUB_COUNT(denied_requests, "被拒绝调用次数"),
      HUB_COUNT(objections_received, "收到异议数"),
      HUB_COUNT(objections_resolved_on_time, "按期处理异议数"),
      HUB_COUNT(objections_overdue, "超期异议数"),
      HUB_COUNT(service_calls_served, "接口服务调用次数"),
      {"data_quality", "数据质量得分", CellKind::score,
       [](const AgencyRow& r) -> Cell {
         if (r.data_quality) return *r.data_quality;
         return std::monostate{};
       }},
      {"service_availability", "接口服务可用率", CellKind::share,
       [](const AgencyRow& r) -> Cell {
         if (auto a = r.service_availability()) return *a;
         return std::monostate{};
       }},
  };
  return all;
}

#undef HUB_COUNT

std::optional<double> AgencyRow::service_availability() const {
  if (upstream_calls <= 0) return std::nullopt;
  const std::int64_t ok = std::max<std::int64_t>(upstream_calls - upstream_failures, 0);
  return std::round(10000.0 * static_cast<double>(ok) / static_cast<double>(upstream_calls)) /
         10000.0;
}

ScoreParts score_parts(const AgencyRow& row, std::int64_t most_served) {
  ScoreParts p;
  // Of the published resources the hub holds records of (an interface service keeps its data
  // at home and has no update cycle here): an empty one is not fresh.
  const std::int64_t held = row.resources_fresh + row.resources_stale + row.resources_empty;
  if (held > 0) {
    p.freshness = static_cast<double>(row.resources_fresh) / static_cast<double>(held);
  } else if (row.resources_published == 0) {
    p.freshness = 0.0;  // nothing published: the first duty undone
  }
  // Duties with a deadline: applications and demands answered, indicators reported.
  p.timeliness =
      on_time_share(row.applications_received + row.demands_received + row.indicators_due,
                    row.applications_overdue + row.demands_overdue +
                        std::max<std::int64_t>(row.indicators_due - row.indicators_on_time, 0));
  p.objections = on_time_share(row.objections_received, row.objections_overdue);
  if (most_served > 0) {
    p.volume = std::log1p(static_cast<double>(row.requests_served)) /
               std::log1p(static_cast<double>(most_served));
  }
  if (row.data_quality) p.quality = std::clamp(*row.data_quality / 100.0, 0.0, 1.0);
  return p;
}

void score_and_rank(std::vector<AgencyRow>& rows, const ReportConfig& w) {
  std::int64_t most_served = 0;
  for (const auto& r : rows) most_served = std::max(most_served, r.requests_served);
  for (auto& r : rows) {
    const ScoreParts p = score_parts(r, most_served);
    double weighted = 0, weights = 0;
    for (auto [part, weight] :
         {std::pair{p.freshness, w.weight_freshness}, std::pair{p.timeliness, w.weight_timeliness},
          std::pair{p.objections, w.weight_objections}, std::pair{p.volume, w.weight_volume},
          std::pair{p.quality, w.weight_quality}}) {
      if (!part) continue;
      weighted += weight * *part;
      weights += weight;
    }
    r.score = weights > 0 ? round2(100.0 * weighted / weights) : 0.0;
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

json totals(const std::vector<AgencyRow>& rows) {
  json out = json::object();
  std::int64_t connected = 0;
  for (const auto& c : columns()) {
    if (c.kind != CellKind::count) continue;
    std::int64_t sum = 0;
    for (const auto& r : rows) sum += std::get<std::int64_t>(c.value(r));
    out[std::string(c.field)] = sum;
  }
  for (const auto& r : rows) connected += r.connected ? 1 : 0;
  out["agencies"] = rows.size();
  out["members_connected"] = connected;
  return out;
}

json to_json(const Report& report) {
  json agencies = json::array();
  for (const auto& r : report.agencies) {
    json row = json::object();
    for (const auto& c : columns()) {
      row[std::string(c.field)] = std::visit(
          [](const auto& v) -> json {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              return nullptr;
            } else {
              return v;
            }
          },
          c.value(r));
    }
    agencies.push_back(std::move(row));
  }
  json out = {{"from", report.from},
              {"to", report.to},
              {"generated_at", report.generated_at},
              {"agencies", std::move(agencies)},
              {"totals", totals(report.agencies)}};
  json purposes = json::array();
  for (const auto& p : report.purposes) {
    purposes.push_back(
        {{"consumer_code", p.consumer_code},
         {"purpose_code", p.purpose_code.empty() ? json(nullptr) : json(p.purpose_code)},
         {"requests", p.requests},
         {"refused", p.refused}});
  }
  out["purposes"] = std::move(purposes);
  if (!report.group_by.empty()) {
    // Groups in order of their names (null, for agencies without a parent, first).
    std::map<std::optional<std::string>, std::vector<AgencyRow>> groups;
    for (const auto& r : report.agencies) {
      groups[report.group_by == "level" ? std::optional(r.level) : r.parent_code].push_back(r);
    }
    json list = json::array();
    for (const auto& [group, rows] : groups) {
      list.push_back({{"group", group ? json(*group) : json(nullptr)}, {"totals", totals(rows)}});
    }
    out["groups"] = std::move(list);
  }
  return out;
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
    first = true;
    for (const auto& c : columns()) {
      if (!first) out += ',';
      first = false;
      const Cell v = c.value(r);
      switch (c.kind) {
        case CellKind::text:
          append_csv_text(out, std::get<std::string_view>(v));
          break;
        case CellKind::rank:
        case CellKind::count:
          out += std::to_string(std::get<std::int64_t>(v));
          break;
        case CellKind::score:
        case CellKind::hours:
        case CellKind::share:
          if (const double* d = std::get_if<double>(&v)) {
            out += fixed(*d, c.kind == CellKind::share ? 4 : 2);
          }
          break;
      }
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace hub::report
