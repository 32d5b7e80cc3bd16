#pragma once

#include <libpq-fe.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hub::pg {

struct Migration {
  int version;
  std::string name;
  std::string_view sql;
  std::string checksum;  // hex SHA-256 of the SQL, so an edited applied migration is caught
};

// A migration that cannot be applied, or one applied earlier whose text has changed since.
class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The migrations compiled into the binary (schemas/postgresql/NNN_name.sql), in order.
const std::vector<Migration>& embedded_migrations();
int latest_migration_version();

// Applies what is missing, in order, each in its own transaction, under an advisory lock so that
// hub nodes starting together take turns. Returns how many were applied. Idempotent.
int migrate(PGconn* conn, const std::vector<Migration>& migrations);

}  // namespace hub::pg
