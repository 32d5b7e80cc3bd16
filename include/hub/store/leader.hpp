#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "hub/store/pg.hpp"

namespace hub::pg {

// A blocking connection of its own for a job one hub node does at a time (the ledger's sealer,
// early warning): the node whose connection holds the job's session advisory lock does the job.
// If that node or its connection dies, the lock goes with the session and another node takes it
// on its next try. Destroying the session (after a failure, say) gives the lock up.
class LeaderSession {
 public:
  struct Options {
    std::string conninfo;
    std::chrono::milliseconds connect_timeout{3000};
    std::string setup_sql;  // run once on the new connection (SET application_name = ...)
    std::int64_t lock_key = 0;
    std::string taken_log;  // logged once when this node takes the job
  };
  explicit LeaderSession(Options options) : options_(std::move(options)) {}

  // Connects on first use; tries the lock until it holds it. True while this node leads.
  bool lead();
  PGconn* conn();

 private:
  Options options_;
  BlockingConnection conn_;
  bool leading_ = false;
};

}  // namespace hub::pg
