#include "hub/store/migrations.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <regex>

#include "hub/core/embedded.hpp"
#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/store/pg.hpp"

namespace hub::pg {

namespace {

// Arbitrary, fixed: every hub node takes the same lock.
constexpr const char* kLockKey = "7216640531";

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

}  // namespace

const std::vector<Migration>& embedded_migrations() {
  static const std::vector<Migration> all = [] {
    std::vector<Migration> list;
    static const std::regex name_re(R"(^schemas/postgresql/(\d{3})_([a-z0-9_]+)\.sql$)");
    for (const auto& [path, sql] : embedded::files()) {
      std::match_results<std::string_view::const_iterator> m;
      if (!std::regex_match(path.begin(), path.end(), m, name_re)) continue;
      list.push_back(Migration{std::stoi(m[1].str()), m[2].str(), sql, sha256_hex(sql)});
    }
    std::sort(list.begin(), list.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    for (std::size_t i = 1; i < list.size(); ++i) {
      if (list[i].version == list[i - 1].version) {
        throw MigrationError("two migrations have version " + std::to_string(list[i].version));
      }
    }
    return list;
  }();
  return all;
}

int latest_migration_version() {
  const auto& all = embedded_migrations();
  return all.empty() ? 0 : all.back().version;
}

int migrate(PGconn* conn, const std::vector<Migration>& migrations) {
  exec_blocking(conn, "SET client_min_messages = warning");
  exec_blocking(conn, std::string("SELECT pg_advisory_lock(") + kLockKey + ")");
  int applied = 0;
  try {
    exec_blocking(conn,
                  "CREATE TABLE IF NOT EXISTS schema_migrations ("
                  " version integer PRIMARY KEY,"
                  " name text NOT NULL,"
                  " checksum text NOT NULL,"
                  " applied_at timestamptz NOT NULL DEFAULT now())");
    auto done = exec_blocking(conn, "SELECT version, checksum FROM schema_migrations", Params());
    std::vector<std::pair<int, std::string>> applied_before;
    for (int r = 0; r < done.rows(); ++r) {
      applied_before.emplace_back(static_cast<int>(done.get_int(r, 0)),
                                  std::string(done.get(r, 1)));
    }
    for (const auto& m : migrations) {
      auto it = std::find_if(applied_before.begin(), applied_before.end(),
                             [&](const auto& p) { return p.first == m.version; });
      if (it != applied_before.end()) {
        if (it->second != m.checksum) {
          throw MigrationError("migration " + std::to_string(m.version) + "_" + m.name +
                               " was changed after it was applied; add a new migration instead");
        }
        continue;
      }
      spdlog::info("applying migration {:03}_{}", m.version, m.name);
      exec_blocking(conn, "BEGIN");
      try {
        exec_blocking(conn, std::string(m.sql));
        exec_blocking(conn,
                      "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                      Params().add(m.version).add(m.name).add(m.checksum));
        exec_blocking(conn, "COMMIT");
      } catch (const PgError& e) {
        exec_blocking(conn, "ROLLBACK");
        throw MigrationError("migration " + std::to_string(m.version) + "_" + m.name +
                             " failed: " + e.what());
      }
      ++applied;
    }
  } catch (...) {
    if (PQstatus(conn) == CONNECTION_OK) {
      try {
        exec_blocking(conn, std::string("SELECT pg_advisory_unlock(") + kLockKey + ")");
      } catch (...) {
      }
    }
    throw;
  }
  exec_blocking(conn, std::string("SELECT pg_advisory_unlock(") + kLockKey + ")");
  return applied;
}

}  // namespace hub::pg
