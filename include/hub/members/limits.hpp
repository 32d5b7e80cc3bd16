#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

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
// answers 429 until the window moves on, whatever the password. Only failures count: a sign-in
// is counted as failed before its password is checked (so concurrent guesses cannot slip past
// the limit) and uncounted when it succeeds. Per node, like RateLimiter.
class LoginThrottle {
 public:
  explicit LoginThrottle(const AuthConfig& config) : config_(config) {}
  // Seconds to wait when either key is over its limit.
  std::optional<unsigned> blocked(const std::string& name, const std::string& address);
  void failed(const std::string& name, const std::string& address);
  void succeeded(const std::string& name, const std::string& address);

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

// Imports running at once on this node: at most `per_key` for one agency and `total` in all
// (limits.imports_per_agency, imports_per_node). An import holds its slot from before its body
// is read until its answer is ready, so slow uploads cannot crowd out more than their share.
class ImportSlots {
 public:
  ImportSlots(unsigned per_key, unsigned total) : per_key_(per_key), total_(total) {}

  class Slot {
   public:
    Slot(ImportSlots* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    Slot(Slot&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), key_(std::move(o.key_)) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (owner_) owner_->release(key_);
    }

   private:
    ImportSlots* owner_;
    std::string key_;
  };
  std::optional<Slot> try_acquire(const std::string& key);
  unsigned running() const;

 private:
  void release(const std::string& key);
  const unsigned per_key_, total_;
  mutable std::mutex mutex_;
  unsigned running_ = 0;
  std::unordered_map<std::string, unsigned> by_key_;
};

}  // namespace hub::members
