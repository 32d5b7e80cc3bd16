#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "hub/core/config.hpp"
#include "hub/core/cursor.hpp"
#include "hub/exchange/refs.hpp"
#include "hub/gateway/upstream_policy.hpp"
#include "hub/ledger/subjects.hpp"
#include "hub/members/directory.hpp"
#include "hub/members/limits.hpp"

namespace hub {

// What handlers share across threads: the in-memory directory, limits, the cursor key, and a
// small pool for CPU-heavy work (password hashing) that must not stall an I/O thread. Owned by
// App and passed to each area's route registration (no globals).
struct Services {
  explicit Services(const Config& c)
      : config(c),
        rate_limiter(c.auth),
        login_throttle(c.auth),
        import_slots(c.limits.imports_per_agency, c.limits.imports_per_node),
        upstream_policy(policy_of(c.services)) {}

  // The SSRF rules of interface services from the config; a bad entry stops start-up.
  static std::shared_ptr<const gateway::UpstreamPolicy> policy_of(const ServicesConfig& s) {
    try {
      return std::make_shared<const gateway::UpstreamPolicy>(s.allowed_hosts, s.allowed_addresses);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(std::string("config key 'services': ") + e.what());
    }
  }

  const Config& config;
  members::Directory directory;
  members::RateLimiter rate_limiter;
  members::LoginThrottle login_throttle;
  members::ImportSlots import_slots;
  CursorCodec cursors;
  exchange::RecordRefs record_refs;
  // The subject log's keyed hashes of record keys (docs/ledger.md).
  ledger::SubjectKeys subjects;
  // Which upstream hosts and addresses interface services may reach (API.md Part 2).
  std::shared_ptr<const gateway::UpstreamPolicy> upstream_policy;
  // Stopped and destroyed by App::stop before the I/O threads' io_contexts go, so that work
  // still queued here is destroyed while what it refers to exists.
  std::unique_ptr<boost::asio::thread_pool> cpu = std::make_unique<boost::asio::thread_pool>(2);
};

// Runs CPU-heavy work (password hashing, a workbook) on the services' pool and comes back to the
// calling thread. `f` is a named lambda of the caller: GCC 12 destroys temporaries inside
// co_await expressions twice (docs/architecture.md).
template <typename F>
auto off_thread(Services& services, const F& f) -> boost::asio::awaitable<decltype(f())> {
  auto task = [f]() -> boost::asio::awaitable<decltype(f())> { co_return f(); };
  auto executor = services.cpu->get_executor();
  co_return co_await boost::asio::co_spawn(executor, task, boost::asio::use_awaitable);
}

}  // namespace hub
