#include "hub/store/embedded_pg.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

#include "hub/store/pg.hpp"

namespace hub::pg {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxSocketPath = 100;  // sun_path is 108 bytes with the file name

std::string quote_conninfo(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

std::string quote_conf(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  return out + "'";
}

}  // namespace

std::string EmbeddedPostgres::find_bin_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  // Debian keeps each major version's server programs apart; take the newest.
  std::string best;
  int best_version = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && fs::exists(entry.path() / "bin" / "pg_ctl")) {
      best_version = version;
      best = (entry.path() / "bin").string();
    }
  }
  if (!best.empty()) return best;
  for (const char* dir : {"/usr/local/pgsql/bin", "/usr/local/bin", "/usr/bin"}) {
    if (fs::exists(fs::path(dir) / "pg_ctl") && fs::exists(fs::path(dir) / "postgres")) return dir;
  }
  throw std::runtime_error(
      "PostgreSQL server programs not found: install postgresql-15 (./scripts/setup) or set "
      "database.embedded_bin_dir");
}

EmbeddedPostgres::EmbeddedPostgres(fs::path dir, std::string bin_dir)
    : dir_(fs::absolute(std::move(dir))),
      pgdata_(dir_ / "pgdata"),
      socket_dir_(dir_ / "run"),
      log_file_(dir_ / "postgresql.log"),
      bin_dir_(find_bin_dir(bin_dir)) {
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) pw = ::getpwnam("nobody");
    if (pw == nullptr) throw std::runtime_error("running as root and no 'postgres' user exists");
    run_uid_ = pw->pw_uid;
    run_gid_ = pw->pw_gid;
  }
  if ((socket_dir_ / ".s.PGSQL.5432").string().size() > kMaxSocketPath) {
    // Unix socket paths are short; a deep data dir gets its socket under /tmp instead, in a
    // directory named after the data dir and as private as the usual one.
    std::size_t h = std::hash<std::string>{}(dir_.string());
    std::ostringstream name;
    name << "/tmp/hub-pg-" << std::hex << h;
    socket_dir_ = name.str();
  }
}

EmbeddedPostgres::~EmbeddedPostgres() {
  try {
    if (started_) stop();
  } catch (const std::exception& e) {
    spdlog::error("stopping the embedded database: {}", e.what());
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void EmbeddedPostgres::claim() {
  fs::create_directories(dir_);
  const fs::path path = dir_ / "hubd.lock";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw std::runtime_error("cannot open " + path.string());
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    [[maybe_unused]] auto n = ::pread(lock_fd_, pid, sizeof pid - 1, 0);
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw std::runtime_error("another hubd (pid " + std::string(pid) + ") uses the data dir " +
                             dir_.parent_path().string() +
                             "; stop it or choose another HUB_DATA_DIR");
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(lock_fd_, 0) != 0 || ::pwrite(lock_fd_, pid.data(), pid.size(), 0) < 0) {
    spdlog::warn("cannot write the pid into {}", path.string());
  }
}

int EmbeddedPostgres::run_tool(const std::string& program,
                               const std::vector<std::string>& args) const {
  const std::string path = bin_dir_ + "/" + program;
  std::vector<std::string> argv_storage{path};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = log_file_.string();
  const std::string cwd = dir_.string();

  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // Child: only async-signal-safe calls from here to exec.
    if (run_uid_) {
      if (::setgid(run_gid_) != 0 || ::setgroups(0, nullptr) != 0 || ::setuid(*run_uid_) != 0) {
        ::_exit(126);
      }
    }
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    // Nothing of the hub's passes on: not its descriptors (sockets, logs), not its environment
    // (it may hold HUB_BOOTSTRAP_ADMIN_TOKEN or a database URL with a password).
    ::close_range(3, ~0U, 0);
    char path_env[] = "PATH=/usr/bin:/bin";
    char lang_env[] = "LANG=C.UTF-8";
    char* envp[] = {path_env, lang_env, nullptr};
    ::execve(path.c_str(), argv.data(), envp);
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

void EmbeddedPostgres::ensure_layout() {
  fs::create_directories(dir_);
  // The socket directory may be under /tmp, where anyone could have made it first: accept it only
  // as a real directory, ours, private.
  if (::mkdir(socket_dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error("cannot create " + socket_dir_.string());
  }
  const unsigned expected_uid = run_uid_ ? *run_uid_ : ::geteuid();
  auto check_private = [&](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        (st.st_uid != expected_uid && st.st_uid != ::geteuid())) {
      throw std::runtime_error(p.string() +
                               " is not a directory of ours; remove it or move the "
                               "data dir");
    }
  };
  check_private(dir_);
  check_private(socket_dir_);
  if (::chmod(dir_.c_str(), 0700) != 0 || ::chmod(socket_dir_.c_str(), 0700) != 0) {
    throw std::runtime_error("cannot make " + dir_.string() + " private");
  }
  if (run_uid_) {
    auto chown_path = [&](const fs::path& p) {
      if (::lchown(p.c_str(), *run_uid_, run_gid_) != 0) {
        throw std::runtime_error("cannot give " + p.string() + " to the database user");
      }
    };
    chown_path(dir_);
    chown_path(socket_dir_);
    if (fs::exists(log_file_)) chown_path(log_file_);
    // The database user must be able to reach its directory through every parent.
    for (fs::path p = dir_.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
      struct stat st {};
      if (::stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0 && st.st_uid != *run_uid_) {
        throw std::runtime_error(
            "the embedded database runs as an unprivileged user, who cannot "
            "enter " +
            p.string() + "; set HUB_DATA_DIR to a directory outside it");
      }
    }
  }
}

void EmbeddedPostgres::write_settings() {
  // Rewritten at every start, so a moved data dir or a changed setting takes effect.
  const fs::path conf = pgdata_ / "hub.conf";
  {
    std::ofstream out(conf, std::ios::trunc);
    out << "# Written by hubd at every start of the embedded database; edit postgresql.conf\n"
           "# for your own settings (this file is included last and wins).\n"
        << "listen_addresses = ''\n"
        << "unix_socket_directories = " << quote_conf(socket_dir_.string()) << "\n"
        << "unix_socket_permissions = 0700\n"
        << "max_connections = " << max_connections_ << "\n"
        << "shared_buffers = 256MB\n"
        << "synchronous_commit = on\n"
        << "fsync = on\n"
        // The ledger writes tens of MB of WAL a second under load: checkpoints far enough apart
        // that they do not come every half minute (each one also makes the next writes of every
        // page full-page images).
        << "max_wal_size = 4GB\n"
        << "checkpoint_timeout = 15min\n"
        << "log_min_messages = warning\n"
        << "log_line_prefix = '%m [%p] '\n";
  }
  if (run_uid_ && ::chown(conf.c_str(), *run_uid_, run_gid_) != 0) {
    throw std::runtime_error("cannot give " + conf.string() + " to the database user");
  }
  const fs::path main_conf = pgdata_ / "postgresql.conf";
  std::ifstream in(main_conf);
  std::stringstream content;
  content << in.rdbuf();
  if (content.str().find("include_if_exists = 'hub.conf'") == std::string::npos) {
    std::ofstream out(main_conf, std::ios::app);
    out << "\ninclude_if_exists = 'hub.conf'\n";
  }
}

bool EmbeddedPostgres::running() const {
  if (!fs::exists(pgdata_ / "PG_VERSION")) return false;
  return run_tool("pg_ctl", {"status", "-D", pgdata_.string()}) == 0;
}

std::string EmbeddedPostgres::log_tail() const {
  std::ifstream in(log_file_);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  std::string out;
  for (std::size_t i = lines.size() > 12 ? lines.size() - 12 : 0; i < lines.size(); ++i) {
    out += "\n  " + lines[i];
  }
  return out;
}

void EmbeddedPostgres::start() {
  ensure_layout();
  if (!fs::exists(pgdata_ / "PG_VERSION")) {
    spdlog::info("initialising the embedded database in {}", pgdata_.string());
    // C.UTF-8 (not plain C) so that pg_trgm sees Chinese characters as word characters.
    if (run_tool("initdb", {"-D", pgdata_.string(), "-U", "postgres", "-E", "UTF8",
                            "--locale=C.UTF-8", "-A", "trust", "--no-instructions"}) != 0) {
      throw std::runtime_error("initdb failed; its log " + log_file_.string() +
                               " ends:" + log_tail());
    }
  }
  write_settings();
  if (running()) {
    spdlog::info("adopting the embedded database already running in {}", pgdata_.string());
  } else if (run_tool("pg_ctl", {"start", "-w", "-t", "60", "-D", pgdata_.string(), "-l",
                                 log_file_.string()}) != 0) {
    throw std::runtime_error("the embedded database did not start; " + log_file_.string() +
                             " ends:" + log_tail());
  }
  started_ = true;
  ensure_database();
  spdlog::info("embedded database ready (socket directory {})", socket_dir_.string());
}

void EmbeddedPostgres::stop() {
  if (!fs::exists(pgdata_ / "PG_VERSION")) return;
  started_ = false;
  if (run_tool("pg_ctl", {"stop", "-w", "-t", "60", "-m", "fast", "-D", pgdata_.string()}) != 0) {
    // Already stopped is fine; anything else is logged by pg_ctl into the log.
    spdlog::debug("pg_ctl stop returned non-zero (already stopped?)");
  } else {
    spdlog::info("embedded database stopped");
  }
}

void EmbeddedPostgres::ensure_database() {
  auto conn = connect_blocking(superuser_conninfo(), 10);
  auto role_exists = [&](const char* role) {
    return exec_blocking(conn.get(), "SELECT 1 FROM pg_roles WHERE rolname = $1",
                         Params().add(role))
               .rows() > 0;
  };
  // The owner runs migrations; the app role is what request handlers use, with only the
  // privileges the migrations grant it (see docs/database.md).
  if (!role_exists(kOwnerRole)) {
    exec_blocking(conn.get(), std::string("CREATE ROLE ") + kOwnerRole + " LOGIN");
  }
  if (!role_exists(kAppRole)) {
    exec_blocking(conn.get(), std::string("CREATE ROLE ") + kAppRole + " LOGIN");
  }
  if (exec_blocking(conn.get(), "SELECT 1 FROM pg_database WHERE datname = $1",
                    Params().add(kDatabase))
          .rows() == 0) {
    exec_blocking(conn.get(), std::string("CREATE DATABASE ") + kDatabase + " OWNER " + kOwnerRole +
                                  " ENCODING 'UTF8' TEMPLATE template0");
  }
}

std::string EmbeddedPostgres::conninfo(const std::string& user, const std::string& database) const {
  return "host=" + quote_conninfo(socket_dir_.string()) +
         " port=5432 dbname=" + quote_conninfo(database) + " user=" + quote_conninfo(user);
}

}  // namespace hub::pg
