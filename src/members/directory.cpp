#include "hub/members/directory.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "hub/core/error.hpp"
#include "hub/members/credentials.hpp"
#include "hub/store/pg.hpp"

namespace hub::members {

namespace {

constexpr auto kFullReloadEvery = std::chrono::minutes(5);

// Enabled principals of enabled agencies (or of none: hub-level principals).
constexpr const char* kPrincipalColumns =
    "SELECT p.id, p.name, coalesce(p.agency_code, ''), p.kind, array_to_string(p.roles, ','), "
    "coalesce(p.cert_sha256, ''), coalesce(a.level = 'external', false) FROM principals p LEFT "
    "JOIN agencies a ON a.code = p.agency_code "
    "WHERE p.disabled_at IS NULL AND a.disabled_at IS NULL";
constexpr const char* kTokenColumns =
    "SELECT id, principal_id, prefix, hash, "
    "(extract(epoch FROM expires_at) * 1000)::bigint FROM tokens "
    "WHERE revoked_at IS NULL AND expires_at > now()";

PrincipalEntry principal_of(const pg::Result& r, int row) {
  PrincipalEntry e;
  e.principal.id = r.get(row, 0);
  e.principal.name = r.get(row, 1);
  e.principal.agency_code = r.get(row, 2);
  e.principal.kind = r.get(row, 3);
  std::string_view roles = r.get(row, 4);
  while (!roles.empty()) {
    auto comma = roles.find(',');
    if (auto role = parse_role(roles.substr(0, comma))) e.principal.roles |= role_bit(*role);
    roles = comma == std::string_view::npos ? std::string_view{} : roles.substr(comma + 1);
  }
  e.cert_sha256 = r.get(row, 5);
  e.principal.external = r.get_bool(row, 6);
  return e;
}

std::pair<std::string, TokenEntry> token_of(const pg::Result& r, int row) {
  TokenEntry t;
  t.id = r.get(row, 0);
  t.principal_id = r.get(row, 1);
  t.hash = r.get(row, 3);
  t.expires_at =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(r.get_int(row, 4)));
  return {std::string(r.get(row, 2)), std::move(t)};
}

DirectorySnapshot load_all(PGconn* conn) {
  DirectorySnapshot s;
  auto principals = pg::exec_blocking(conn, kPrincipalColumns, pg::Params());
  for (int i = 0; i < principals.rows(); ++i) {
    auto e = principal_of(principals, i);
    if (!e.cert_sha256.empty()) s.principal_by_cert[e.cert_sha256] = e.principal.id;
    s.principals.emplace(e.principal.id, std::move(e));
  }
  auto tokens = pg::exec_blocking(conn, kTokenColumns, pg::Params());
  for (int i = 0; i < tokens.rows(); ++i) s.tokens_by_prefix.insert(token_of(tokens, i));
  return s;
}

}  // namespace

Directory::Directory() : current_(std::make_shared<const DirectorySnapshot>()) {}

void Directory::begin_load() {
  std::lock_guard lock(write_mutex_);
  principal_puts_.begin();
  token_puts_.begin();
}

void Directory::replace(DirectorySnapshot snapshot) {
  std::lock_guard lock(write_mutex_);
  principal_puts_.finish([&](const std::string& id, const std::optional<PrincipalEntry>& e) {
    apply_principal(snapshot, id, e);
  });
  token_puts_.finish([&](const std::string& prefix, const std::optional<TokenEntry>& e) {
    snapshot.tokens_by_prefix.erase(prefix);
    if (e) snapshot.tokens_by_prefix.emplace(prefix, *e);
  });
  current_.store(std::make_shared<const DirectorySnapshot>(std::move(snapshot)));
  loaded_.store(true);
}

void Directory::apply_principal(DirectorySnapshot& s, const std::string& id,
                                const std::optional<PrincipalEntry>& entry) {
  if (auto it = s.principals.find(id); it != s.principals.end()) {
    if (!it->second.cert_sha256.empty()) s.principal_by_cert.erase(it->second.cert_sha256);
    s.principals.erase(it);
  }
  if (entry) {
    if (!entry->cert_sha256.empty()) s.principal_by_cert[entry->cert_sha256] = id;
    s.principals.emplace(id, *entry);
  }
}

void Directory::put_principal(const std::string& id, std::optional<PrincipalEntry> entry) {
  std::lock_guard lock(write_mutex_);
  principal_puts_.record(id, entry);
  auto next = std::make_shared<DirectorySnapshot>(*current_.load());
  apply_principal(*next, id, entry);
  current_.store(std::move(next));
}

void Directory::put_token(const std::string& prefix, std::optional<TokenEntry> entry) {
  std::lock_guard lock(write_mutex_);
  token_puts_.record(prefix, entry);
  auto next = std::make_shared<DirectorySnapshot>(*current_.load());
  next->tokens_by_prefix.erase(prefix);
  if (entry) next->tokens_by_prefix.emplace(prefix, std::move(*entry));
  current_.store(std::move(next));
}

std::optional<Principal> Directory::by_token(std::string_view token) const {
  auto prefix = token_prefix(token);
  if (!prefix) return std::nullopt;
  auto snap = current_.load();
  auto it = snap->tokens_by_prefix.find(*prefix);
  if (it == snap->tokens_by_prefix.end()) return std::nullopt;
  if (!digest_equal(it->second.hash, token_hash(token))) return std::nullopt;
  if (it->second.expires_at <= std::chrono::system_clock::now()) return std::nullopt;
  auto p = snap->principals.find(it->second.principal_id);
  if (p == snap->principals.end()) return std::nullopt;
  Principal out = p->second.principal;
  out.token_id = it->second.id;
  return out;
}

std::optional<Principal> Directory::by_certificate(std::string_view fingerprint) const {
  auto snap = current_.load();
  auto it = snap->principal_by_cert.find(std::string(fingerprint));
  if (it == snap->principal_by_cert.end()) return std::nullopt;
  auto p = snap->principals.find(it->second);
  if (p == snap->principals.end()) return std::nullopt;
  return p->second.principal;
}

DirectorySync::DirectorySync(Directory& directory, std::string conninfo,
                             std::vector<SyncFollower*> followers)
    : directory_(directory), conninfo_(std::move(conninfo)), followers_(std::move(followers)) {
  if (::pipe(wake_pipe_) != 0) throw std::runtime_error("pipe failed");
}

DirectorySync::~DirectorySync() {
  stop();
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

void DirectorySync::start() {
  thread_ = std::thread([this] { run(); });
}

void DirectorySync::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  wake_.notify_all();
  char byte = 1;
  [[maybe_unused]] auto n = ::write(wake_pipe_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
}

void DirectorySync::run() {
  bool warned = false;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    try {
      auto conn = pg::connect_blocking(conninfo_, 5);
      pg::exec_blocking(conn.get(), std::string("LISTEN ") + kChannel);
      directory_.begin_load();
      for (auto* f : followers_) f->load_all(conn.get());
      directory_.replace(load_all(conn.get()));
      auto last_full = std::chrono::steady_clock::now();
      if (warned) spdlog::info("principal directory reloaded after reconnecting");
      warned = false;
      while (true) {
        pollfd fds[2] = {{PQsocket(conn.get()), POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
        ::poll(fds, 2, 1000);
        {
          std::lock_guard lock(mutex_);
          if (stop_) return;
        }
        if (PQconsumeInput(conn.get()) == 0) throw DbUnavailable(PQerrorMessage(conn.get()));
        std::set<std::string> payloads;
        while (PGnotify* n = PQnotifies(conn.get())) {
          payloads.insert(n->extra ? n->extra : "");
          PQfreemem(n);
        }
        bool full = std::chrono::steady_clock::now() - last_full > kFullReloadEvery;
        for (const auto& payload : payloads) {
          if (full) break;
          if (payload.starts_with("token:")) {
            auto prefix = payload.substr(6);
            auto r = pg::exec_blocking(conn.get(), std::string(kTokenColumns) + " AND prefix = $1",
                                       pg::Params().add(prefix));
            directory_.put_token(prefix,
                                 r.rows() ? std::optional(token_of(r, 0).second) : std::nullopt);
          } else if (payload.starts_with("principal:")) {
            auto id = payload.substr(10);
            auto r = pg::exec_blocking(conn.get(), std::string(kPrincipalColumns) + " AND id = $1",
                                       pg::Params().add(id));
            directory_.put_principal(id,
                                     r.rows() ? std::optional(principal_of(r, 0)) : std::nullopt);
          } else if (!std::any_of(followers_.begin(), followers_.end(), [&](SyncFollower* f) {
                       return f->handle(conn.get(), payload);
                     })) {
            full = true;
          }
        }
        if (full) {
          directory_.begin_load();
          for (auto* f : followers_) f->load_all(conn.get());
          directory_.replace(load_all(conn.get()));
          last_full = std::chrono::steady_clock::now();
        }
      }
    } catch (const std::exception& e) {
      if (!warned) spdlog::warn("principal directory: {}; retrying", e.what());
      warned = true;
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
  }
}

}  // namespace hub::members
