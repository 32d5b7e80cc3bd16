#include "hub/members/limits.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace hub::members {

std::optional<unsigned> RateLimiter::take(const Principal& principal) {
  RateLimit limit{};
  for (std::size_t r = 0; r < kRoleCount; ++r) {
    if (principal.has(static_cast<Role>(r))) {
      const auto& l = config_.rate_limits[r];
      if (l.per_second > limit.per_second) limit = l;
    }
  }
  if (limit.per_second == 0) return std::nullopt;
  auto& shard = shards_[std::hash<std::string>{}(principal.id) % kShards];
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(shard.mutex);
  auto [it, inserted] = shard.buckets.try_emplace(principal.id, Bucket{double(limit.burst), now});
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.at).count();
  b.tokens = std::min<double>(limit.burst, b.tokens + elapsed * limit.per_second);
  b.at = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return static_cast<unsigned>(std::ceil((1.0 - b.tokens) / limit.per_second));
}

std::optional<unsigned> LoginThrottle::over(const std::string& key, unsigned limit) {
  auto it = windows_.find(key);
  if (it == windows_.end()) return std::nullopt;
  const auto age = std::chrono::steady_clock::now() - it->second.started;
  if (age >= config_.login_window) {
    windows_.erase(it);
    return std::nullopt;
  }
  if (it->second.failures < limit) return std::nullopt;
  return static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::seconds>(config_.login_window - age).count() + 1);
}

std::optional<unsigned> LoginThrottle::blocked(const std::string& name,
                                               const std::string& address) {
  std::lock_guard lock(mutex_);
  prune();
  auto by_name = over("n:" + name, config_.login_failures_per_name);
  auto by_address = over("a:" + address, config_.login_failures_per_address);
  if (by_name && by_address) return std::max(*by_name, *by_address);
  return by_name ? by_name : by_address;
}

void LoginThrottle::count(const std::string& key) {
  auto now = std::chrono::steady_clock::now();
  auto [it, inserted] = windows_.try_emplace(key, Window{0, now});
  if (now - it->second.started >= config_.login_window) it->second = Window{0, now};
  ++it->second.failures;
}

void LoginThrottle::failed(const std::string& name, const std::string& address) {
  std::lock_guard lock(mutex_);
  count("n:" + name);
  count("a:" + address);
}

void LoginThrottle::succeeded(const std::string& name, const std::string& address) {
  std::lock_guard lock(mutex_);
  windows_.erase("n:" + name);
  // The failure counted for the address before the password was checked was no failure:
  // colleagues behind one NAT who sign in correctly never lock each other out.
  if (auto it = windows_.find("a:" + address); it != windows_.end() && it->second.failures > 0) {
    --it->second.failures;
  }
}

void LoginThrottle::prune() {
  auto now = std::chrono::steady_clock::now();
  if (now - last_prune_ < std::chrono::minutes(1)) return;
  last_prune_ = now;
  std::erase_if(windows_,
                [&](const auto& kv) { return now - kv.second.started >= config_.login_window; });
}

std::optional<ImportSlots::Slot> ImportSlots::try_acquire(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& mine = by_key_[key];
  if (running_ >= total_ || mine >= per_key_) {
    if (mine == 0) by_key_.erase(key);
    return std::nullopt;
  }
  ++mine;
  ++running_;
  return Slot(this, key);
}

void ImportSlots::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  --running_;
  if (auto it = by_key_.find(key); it != by_key_.end() && --it->second == 0) by_key_.erase(it);
}

unsigned ImportSlots::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

}  // namespace hub::members
