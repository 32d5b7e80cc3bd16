#pragma once

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace hub::pg {

// The hub's own PostgreSQL, for a machine where no database was configured: a cluster under
// `<data dir>/postgres`, reachable only through a unix socket in a directory only its owner may
// enter, started with the hub and stopped with it. PostgreSQL refuses to run as root, so when
// the hub is root the cluster belongs to the `postgres` system user (or `nobody`).
class EmbeddedPostgres {
 public:
  static constexpr const char* kDatabase = "hub";
  static constexpr const char* kOwnerRole = "hub_owner";
  static constexpr const char* kAppRole = "hub_app";

  EmbeddedPostgres(std::filesystem::path dir, std::string bin_dir);
  ~EmbeddedPostgres();
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // initdb on first use, then start (or adopt an instance already running on this directory),
  // then make sure the hub's database and roles exist. Throws std::runtime_error with the
  // server's log tail on failure.
  void start();
  void stop();
  // Claims the cluster for this process (a lock file beside it) so that a second hubd on the
  // same data dir fails at once instead of sharing, and later stopping, the first one's
  // database. Throws naming the holder's pid. Released when this object goes.
  void claim();
  void set_max_connections(unsigned n) { max_connections_ = std::max(100u, n); }
  bool running() const;
  // Forget that this object started the server, so that destroying it leaves the server up.
  void detach() { started_ = false; }

  std::string conninfo(const std::string& user, const std::string& database) const;
  std::string app_conninfo() const { return conninfo(kAppRole, kDatabase); }
  std::string owner_conninfo() const { return conninfo(kOwnerRole, kDatabase); }
  std::string superuser_conninfo() const { return conninfo("postgres", "postgres"); }
  const std::filesystem::path& data_directory() const { return pgdata_; }
  const std::filesystem::path& socket_directory() const { return socket_dir_; }

  // Runs a PostgreSQL program (initdb, pg_ctl, ...) as the cluster's user; returns its exit
  // status. Output goes to the cluster's log.
  int run_tool(const std::string& program, const std::vector<std::string>& args) const;

  static std::string find_bin_dir(const std::string& configured);

 private:
  void ensure_layout();
  void write_settings();
  void ensure_database();
  std::string log_tail() const;

  std::filesystem::path dir_;
  std::filesystem::path pgdata_;
  std::filesystem::path socket_dir_;
  std::filesystem::path log_file_;
  std::string bin_dir_;
  std::optional<unsigned> run_uid_;  // set when the cluster runs as another user
  unsigned run_gid_ = 0;
  bool started_ = false;
  int lock_fd_ = -1;
  unsigned max_connections_ = 200;
};

}  // namespace hub::pg
