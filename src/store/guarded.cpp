#include "hub/store/guarded.hpp"

namespace hub::pg {

namespace {
constexpr Query kBegin{"guarded_begin", "BEGIN"};
constexpr Query kCommit{"guarded_commit", "COMMIT"};
constexpr Query kRollback{"guarded_rollback", "ROLLBACK"};
}  // namespace

boost::asio::awaitable<Result> guarded(Lease& lease, const Connection::Step& change,
                                       const std::vector<Connection::Step>& then) {
  auto first = batch(step(kBegin), Connection::Step(change));
  auto results = co_await lease->pipeline(first);
  Result updated = std::move(results[1]);
  if (updated.rows() == 0) {
    const auto rollback = batch(step(kRollback));
    co_await lease->pipeline(rollback);
    co_return updated;
  }
  auto rest = then;
  rest.push_back(step(kCommit));
  co_await lease->pipeline(rest);
  co_return updated;
}

}  // namespace hub::pg
