#include "hub/core/metrics.hpp"

#include <fmt/format.h>

#include <map>

namespace hub {

Metrics::Metrics(std::vector<std::string> route_labels, unsigned shards)
    : route_labels_(std::move(route_labels)), shards_(shards) {
  for (auto& shard : shards_) shard.routes = std::make_unique<RouteStats[]>(route_labels_.size());
}

void Metrics::observe_request(unsigned shard, std::size_t route, unsigned status,
                              std::uint64_t micros) {
  if (shard >= shards_.size() || route >= route_labels_.size()) return;
  RouteStats& stats = shards_[shard].routes[route];
  for (auto& slot : stats.statuses) {
    std::uint32_t seen = slot.status.load(std::memory_order_relaxed);
    if (seen == 0) {
      std::uint32_t expected = 0;
      if (slot.status.compare_exchange_strong(expected, status, std::memory_order_relaxed) ||
          expected == status) {
        slot.count.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      continue;
    }
    if (seen == status) {
      slot.count.fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  std::size_t bucket = 0;
  const double seconds = static_cast<double>(micros) / 1e6;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
  stats.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  stats.sum_micros.fetch_add(micros, std::memory_order_relaxed);
  stats.count.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::add_source(std::function<void(std::string&)> source) {
  sources_.push_back(std::move(source));
}

std::string Metrics::render() const {
  std::string out;
  out += "# HELP hub_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE hub_http_requests_total counter\n";
  for (std::size_t r = 0; r < route_labels_.size(); ++r) {
    std::map<std::uint32_t, std::uint64_t> by_status;
    for (const auto& shard : shards_) {
      for (const auto& slot : shard.routes[r].statuses) {
        auto status = slot.status.load(std::memory_order_relaxed);
        if (status != 0) by_status[status] += slot.count.load(std::memory_order_relaxed);
      }
    }
    for (const auto& [status, count] : by_status) {
      out += fmt::format("hub_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                         route_labels_[r], status, count);
    }
  }
  out += "# HELP hub_http_request_duration_seconds Time from the request header to the answer.\n";
  out += "# TYPE hub_http_request_duration_seconds histogram\n";
  for (std::size_t r = 0; r < route_labels_.size(); ++r) {
    std::array<std::uint64_t, kLatencyBuckets.size() + 1> buckets{};
    std::uint64_t sum = 0;
    std::uint64_t count = 0;
    for (const auto& shard : shards_) {
      const auto& stats = shard.routes[r];
      for (std::size_t b = 0; b < buckets.size(); ++b) {
        buckets[b] += stats.buckets[b].load(std::memory_order_relaxed);
      }
      sum += stats.sum_micros.load(std::memory_order_relaxed);
      count += stats.count.load(std::memory_order_relaxed);
    }
    if (count == 0) continue;
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kLatencyBuckets.size(); ++b) {
      cumulative += buckets[b];
      out += fmt::format("hub_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                         route_labels_[r], kLatencyBuckets[b], cumulative);
    }
    out += fmt::format("hub_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                       route_labels_[r], count);
    out += fmt::format("hub_http_request_duration_seconds_sum{{route=\"{}\"}} {:.6f}\n",
                       route_labels_[r], static_cast<double>(sum) / 1e6);
    out += fmt::format("hub_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                       route_labels_[r], count);
  }
  for (const auto& source : sources_) source(out);
  return out;
}

}  // namespace hub
