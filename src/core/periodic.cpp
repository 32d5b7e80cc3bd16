#include "hub/core/periodic.hpp"

namespace hub {

void PeriodicThread::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void PeriodicThread::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicThread::run() {
  bool failing = false;
  while (true) {
    bool more = false;
    try {
      more = round_();
      failing = false;
    } catch (const std::exception& e) {
      failed_(e, !failing);
      failing = true;
    }
    std::unique_lock lock(mutex_);
    if (!more) wake_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) return;
  }
}

}  // namespace hub
