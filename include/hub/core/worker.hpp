#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "hub/store/pg.hpp"

namespace hub {

// One I/O thread and what it owns: its io_context and its database connections. Handlers run on
// their worker's thread and use its pool without locks.
class Worker {
 public:
  explicit Worker(unsigned index)
      : index_(index), ioc_(std::make_unique<boost::asio::io_context>(1)) {}
  ~Worker() {
    // Connections are bound to the io_context: close them first, then let the io_context destroy
    // what is still pending (whose leases then find the pool closed), then drop the pool.
    if (pool_) pool_->close_all();
    ioc_.reset();
    pool_.reset();
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  unsigned index() const { return index_; }
  boost::asio::io_context& ioc() { return *ioc_; }
  pg::Pool& db() { return *pool_; }
  bool has_db() const { return pool_ != nullptr; }
  void set_pool(std::unique_ptr<pg::Pool> pool) { pool_ = std::move(pool); }

 private:
  unsigned index_;
  std::unique_ptr<boost::asio::io_context> ioc_;
  std::unique_ptr<pg::Pool> pool_;
};

}  // namespace hub
