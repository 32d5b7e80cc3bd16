#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "hub/core/periodic.hpp"
#include "hub/ledger/note.hpp"
#include "hub/ledger/tiles.hpp"

namespace hub::ledger {

// Every node of a hub signs with the one ledger key: a node whose key (with the configured origin)
// is not the one the latest checkpoint was signed with refuses to start (ConfigError, saying which
// key ids differ), unless the checkpoint's key is `previous_key_id` (a rotation under way). An
// empty ledger accepts any key. Blocking; at start-up, after the migrations.
void check_signing_key(PGconn* conn, const std::string& origin, const SigningKey& key,
                       const std::string& previous_key_id);

struct SealerOptions {
  std::string conninfo;
  std::string origin;  // the log's name in its checkpoints, and the signing key's name
  std::chrono::milliseconds interval{250};
  std::uint64_t max_per_round = 50000;
  std::chrono::milliseconds connect_timeout{3000};
};

struct SealerStats {
  std::atomic<bool> leader{false};
  std::atomic<std::uint64_t> tree_size{0};  // of the latest checkpoint this node signed
  std::atomic<std::uint64_t> checkpoints{0};
  std::atomic<std::uint64_t> failures{0};
};

// Builds the Merkle tree and signs checkpoints, one node at a time: every node runs a sealer and
// the one holding the ledger's advisory lock (a session lock on its own connection) does the
// work; if that node or its connection dies, another takes over within an interval. Each round
// it hashes the entries appended since the last checkpoint, stores the tiles that changed and a
// signed checkpoint in one transaction. A round runs every `interval` while there are new
// entries, so an entry is covered by a checkpoint well within API.md's 2 seconds.
class Sealer {
 public:
  Sealer(SealerOptions options, SigningKey key);
  ~Sealer();
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;

  void start();
  void stop();
  const SealerStats& stats() const { return stats_; }

 private:
  bool round();  // true when it sealed something
  void take_over();

  SealerOptions options_;
  SigningKey key_;
  SealerStats stats_;
  // Sealing thread only:
  struct State;
  std::unique_ptr<State> state_;
  std::chrono::steady_clock::time_point next_partition_check_{};
  PeriodicThread loop_;  // last: its thread stops before the members it uses go
};

}  // namespace hub::ledger
