#include "hub/store/leader.hpp"

#include <spdlog/spdlog.h>

namespace hub::pg {

PGconn* LeaderSession::conn() {
  if (!conn_) {
    conn_ = connect_blocking(options_.conninfo, options_.connect_timeout);
    if (!options_.setup_sql.empty()) exec_blocking(conn_.get(), options_.setup_sql);
  }
  return conn_.get();
}

bool LeaderSession::lead() {
  if (leading_) return true;
  auto got = exec_blocking(conn(), "SELECT pg_try_advisory_lock($1::bigint)",
                           Params().add(options_.lock_key));
  leading_ = got.get_bool(0, 0);
  if (leading_) spdlog::info("{}", options_.taken_log);
  return leading_;
}

}  // namespace hub::pg
