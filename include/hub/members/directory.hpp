#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <libpq-fe.h>

#include "hub/core/principal.hpp"

namespace hub::members {

// A full reload of an in-memory copy reads the database, then publishes what it read. A row the
// node itself changed in between (its put() comes after its own commit) would be undone by that
// publication until the row's NOTIFY is handled: a revoked grant or token usable for a moment, a
// resource just made missing. So puts made while a reload is under way are recorded and applied
// again on top of what the reload read. Used under the owner's write mutex.
template <typename V>
class PutsDuringLoad {
 public:
  void begin() {
    active_ = true;
    puts_.clear();
  }
  void record(const std::string& id, const std::optional<V>& value) {
    if (active_) puts_[id] = value;
  }
  template <typename Apply>
  void finish(Apply apply) {
    for (const auto& [id, value] : puts_) apply(id, value);
    puts_.clear();
    active_ = false;
  }

 private:
  bool active_ = false;
  std::unordered_map<std::string, std::optional<V>> puts_;
};

struct TokenEntry {
  std::string id;
  std::string principal_id;
  std::string hash;  // hex SHA-256 of the token
  std::chrono::system_clock::time_point expires_at;
};

struct PrincipalEntry {
  Principal principal;
  std::string cert_sha256;
};

// Everything authentication needs, in memory: live tokens by lookup prefix, enabled principals
// by id and by certificate fingerprint. Immutable once published.
struct DirectorySnapshot {
  std::unordered_map<std::string, TokenEntry> tokens_by_prefix;
  std::unordered_map<std::string, PrincipalEntry> principals;
  std::unordered_map<std::string, std::string> principal_by_cert;
};

// The in-memory directory behind authentication, so that the hot path costs no database round
// trip. Readers take the current snapshot (one atomic load); writers publish a new one. It is
// kept correct by the node that changes a row (before it answers) and by DirectorySync on every
// node (LISTEN/NOTIFY), so a revoked token fails on the next request here and within a second
// elsewhere.
class Directory {
 public:
  Directory();
  std::shared_ptr<const DirectorySnapshot> snapshot() const { return current_.load(); }
  bool loaded() const { return loaded_.load(); }

  // A full reload: begin_load() before reading the database, replace() with what was read.
  void begin_load();
  void replace(DirectorySnapshot snapshot);
  // The current state of one row: nullopt removes it (revoked, expired, disabled, deleted).
  void put_principal(const std::string& id, std::optional<PrincipalEntry> entry);
  void put_token(const std::string& prefix, std::optional<TokenEntry> entry);

  // The principal a token belongs to, if the token is live and its principal enabled.
  std::optional<Principal> by_token(std::string_view token) const;
  std::optional<Principal> by_certificate(std::string_view fingerprint) const;

 private:
  static void apply_principal(DirectorySnapshot& s, const std::string& id,
                              const std::optional<PrincipalEntry>& entry);
  std::mutex write_mutex_;
  std::atomic<std::shared_ptr<const DirectorySnapshot>> current_;
  std::atomic<bool> loaded_{false};
  PutsDuringLoad<PrincipalEntry> principal_puts_;
  PutsDuringLoad<TokenEntry> token_puts_;
};

// Something else kept in memory from the database and followed through the same channel (the
// grants, for example). Called on the sync thread.
class SyncFollower {
 public:
  virtual ~SyncFollower() = default;
  virtual void load_all(PGconn* conn) = 0;
  // Returns whether the payload was this follower's.
  virtual bool handle(PGconn* conn, const std::string& payload) = 0;
};

// Loads the directory from the database and follows its changes: LISTEN hub_directory on a
// connection of its own, a targeted reload per notification, a full reload after reconnecting
// (notifications may have been missed) and every few minutes (to drop expired tokens).
class DirectorySync {
 public:
  static constexpr const char* kChannel = "hub_directory";

  DirectorySync(Directory& directory, std::string conninfo,
                std::vector<SyncFollower*> followers = {});
  ~DirectorySync();
  void start();
  void stop();

 private:
  void run();

  Directory& directory_;
  std::string conninfo_;
  std::vector<SyncFollower*> followers_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  int wake_pipe_[2] = {-1, -1};
};

}  // namespace hub::members
