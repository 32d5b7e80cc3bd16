#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hub {

// Prometheus metrics. Each I/O thread writes its own shard (relaxed atomics, no shared cache
// lines on the hot path); a scrape adds the shards up.
class Metrics {
 public:
  static constexpr std::array<double, 14> kLatencyBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

  Metrics(std::vector<std::string> route_labels, unsigned shards);

  // route: index into route_labels; method and status of the answer; latency in microseconds.
  void observe_request(unsigned shard, std::size_t route, unsigned status, std::uint64_t micros);

  // Extra lines (gauges of the server and the database pool), written at scrape time.
  void add_source(std::function<void(std::string&)> source);

  std::string render() const;

 private:
  static constexpr std::size_t kStatusSlots = 16;
  struct StatusSlot {
    std::atomic<std::uint32_t> status{0};
    std::atomic<std::uint64_t> count{0};
  };
  struct RouteStats {
    std::array<StatusSlot, kStatusSlots> statuses;
    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> buckets{};
    std::atomic<std::uint64_t> sum_micros{0};
    std::atomic<std::uint64_t> count{0};
  };
  struct alignas(64) Shard {
    std::unique_ptr<RouteStats[]> routes;
  };

  std::vector<std::string> route_labels_;
  std::vector<Shard> shards_;
  std::vector<std::function<void(std::string&)>> sources_;
};

}  // namespace hub
