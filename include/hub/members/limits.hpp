#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "hub/core/config.hpp"
#include "hub/core/principal.hpp"

namespace hub::members {

// Token buckets per principal, sized by its most generous role (auth.rate_limits). Limits are
// per hub node: behind a load balancer of n nodes a principal may get up to n times as much.
class RateLimiter {
 public:
  explicit RateLimiter(const AuthConfig& config) : config_(config) {}
  // nullopt when the request may go; else the seconds to wait (for Retry-After).
  std::optional<unsigned> take(const Principal& principal);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  static constexpr std::size_t kShards = 16;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
  };
  const AuthConfig& config_;
  Shard shards_[kShards];
};

// Failed sign-ins per name and per client address within a window; past the limit, sign-in
// answers 429 until the window moves on, whatever the password. Per node, like RateLimiter.
class LoginThrottle {
 public:
  explicit LoginThrottle(const AuthConfig& config) : config_(config) {}
  // Seconds to wait when either key is over its limit.
  std::optional<unsigned> blocked(const std::string& name, const std::string& address);
  void failed(const std::string& name, const std::string& address);
  void succeeded(const std::string& name);

 private:
  struct Window {
    unsigned failures = 0;
    std::chrono::steady_clock::time_point started;
  };
  std::optional<unsigned> over(const std::string& key, unsigned limit);
  void count(const std::string& key);
  void prune();

  const AuthConfig& config_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
  std::chrono::steady_clock::time_point last_prune_{};
};

}  // namespace hub::members
