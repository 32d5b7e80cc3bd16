#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace hub {

// A background thread that runs `round` every `interval` until stopped: the ledger's sealer and
// the early-warning monitor. A round that returns true (more to do) runs again at once; a round
// that throws goes to `failed` (with `first` set for the first of a run of failures, so a long
// outage is logged once) and is tried again after the interval.
class PeriodicThread {
 public:
  using Round = std::function<bool()>;
  using Failed = std::function<void(const std::exception& e, bool first)>;

  PeriodicThread(std::chrono::milliseconds interval, Round round, Failed failed)
      : interval_(interval), round_(std::move(round)), failed_(std::move(failed)) {}
  ~PeriodicThread() { stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void start();
  // Returns once the thread has finished its round and ended.
  void stop();

 private:
  void run();

  std::chrono::milliseconds interval_;
  Round round_;
  Failed failed_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hub
