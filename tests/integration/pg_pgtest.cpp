// The asynchronous PostgreSQL layer and the migrator against a real server.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "hub/core/error.hpp"
#include "hub/store/migrations.hpp"
#include "hub/store/pg.hpp"
#include "support/test_env.hpp"

namespace hub::test {
namespace {

namespace asio = boost::asio;

constexpr pg::Query kAdd{"test_add", "SELECT $1::int + $2::int"};
constexpr pg::Query kEcho{"test_echo", "SELECT $1::text, $2::text IS NULL"};
constexpr pg::Query kBad{"test_bad", "SELECT 1/$1::int"};
constexpr pg::Query kSleep{"test_sleep", "SELECT pg_sleep($1::float8)"};
constexpr pg::Query kBackend{"test_backend", "SELECT pg_backend_pid()"};

pg::PoolOptions pool_options(const std::string& conninfo) {
  pg::PoolOptions o;
  o.connection.conninfo = conninfo;
  o.connection.connect_timeout = std::chrono::seconds(3);
  o.connection.query_timeout = std::chrono::seconds(5);
  o.max_size = 2;
  o.acquire_timeout = std::chrono::milliseconds(500);
  o.retry_backoff = std::chrono::milliseconds(200);
  return o;
}

TEST(Pg, PreparedStatementsWithParametersAndNulls) {
  TestDatabase db;
  asio::io_context ioc;
  pg::Pool pool(ioc, pool_options(db.superuser_conninfo()));
  auto sum = run_sync(ioc, pool.exec(kAdd, pg::Params().add(40).add(2)));
  EXPECT_EQ(sum.get_int(0, 0), 42);
  auto echo =
      run_sync(ioc, pool.exec(kEcho, pg::Params().add("天河区 'quoted' ; DROP").add_null()));
  EXPECT_EQ(echo.get(0, 0), "天河区 'quoted' ; DROP");
  EXPECT_TRUE(echo.get_bool(0, 1));
  // The second use of a statement on the same connection skips the prepare.
  EXPECT_EQ(run_sync(ioc, pool.exec(kAdd, pg::Params().add(1).add(1))).get_int(0, 0), 2);
}

TEST(Pg, PipelineRunsSeveralStatementsInOneRoundTrip) {
  TestDatabase db;
  asio::io_context ioc;
  pg::Pool pool(ioc, pool_options(db.superuser_conninfo()));
  auto results = run_sync(ioc, [&]() -> asio::awaitable<std::vector<pg::Result>> {
    auto lease = co_await pool.acquire();
    std::vector<pg::Connection::Step> steps;
    for (int i = 0; i < 10; ++i) steps.push_back({&kAdd, pg::Params().add(i).add(100)});
    co_return co_await lease->pipeline(steps);
  }());
  ASSERT_EQ(results.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(results[i].get_int(0, 0), 100 + i);
}

TEST(Pg, SqlErrorsCarryTheSqlstateAndLeaveTheConnectionUsable) {
  TestDatabase db;
  asio::io_context ioc;
  pg::Pool pool(ioc, pool_options(db.superuser_conninfo()));
  auto first = run_sync(ioc, pool.exec(kBackend)).get_int(0, 0);
  try {
    run_sync(ioc, pool.exec(kBad, pg::Params().add(0)));
    FAIL() << "division by zero should throw";
  } catch (const pg::PgError& e) {
    EXPECT_EQ(e.sqlstate(), "22012");
  }
  EXPECT_EQ(run_sync(ioc, pool.exec(kBackend)).get_int(0, 0), first) << "connection was dropped";
  EXPECT_EQ(run_sync(ioc, pool.exec(kAdd, pg::Params().add(2).add(3))).get_int(0, 0), 5);
}

TEST(Pg, FailedStatementInAPipelineStopsTheRest) {
  TestDatabase db;
  asio::io_context ioc;
  pg::Pool pool(ioc, pool_options(db.superuser_conninfo()));
  auto failing = [&]() -> asio::awaitable<std::vector<pg::Result>> {
    auto lease = co_await pool.acquire();
    std::vector<pg::Connection::Step> steps;
    steps.push_back({&kAdd, pg::Params().add(1).add(1)});
    steps.push_back({&kBad, pg::Params().add(0)});
    steps.push_back({&kAdd, pg::Params().add(2).add(2)});
    co_return co_await lease->pipeline(steps);
  };
  EXPECT_THROW(run_sync(ioc, failing()), pg::PgError);
  EXPECT_EQ(run_sync(ioc, pool.exec(kAdd, pg::Params().add(2).add(3))).get_int(0, 0), 5);
}

// A pipeline is one transaction, and a setting made local to it lasts for that transaction only:
// what a non-atomic import relies on to commit its batches without waiting for the WAL flush
// (set_config('synchronous_commit', 'off', true) before the batch) while every other statement
// on the same pooled connection commits synchronously.
TEST(Pg, ASettingLocalToAPipelineEndsWithItsTransaction) {
  static constexpr pg::Query kOff{"test_async_off",
                                  "SELECT set_config('synchronous_commit', 'off', true)"};
  static constexpr pg::Query kSetting{"test_setting",
                                      "SELECT current_setting('synchronous_commit')"};
  static constexpr pg::Query kXact{"test_xact", "SELECT pg_current_xact_id()::text"};
  TestDatabase db;
  asio::io_context ioc;
  pg::Pool pool(ioc, pool_options(db.superuser_conninfo()));
  auto first = run_sync(ioc, pool.exec(kBackend)).get_int(0, 0);
  auto results = run_sync(ioc, [&]() -> asio::awaitable<std::vector<pg::Result>> {
    auto lease = co_await pool.acquire();
    const auto steps = pg::batch(pg::step(kOff), pg::step(kSetting), pg::step(kXact),
                                 pg::step(kXact), pg::step(kBackend));
    co_return co_await lease->pipeline(steps);
  }());
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[1].get(0, 0), "off");
  EXPECT_EQ(results[2].get(0, 0), results[3].get(0, 0)) << "one transaction";
  EXPECT_EQ(results[4].get_int(0, 0), first);
  // The same connection afterwards: back to the server's setting.
  EXPECT_EQ(run_sync(ioc, pool.exec(kBackend)).get_int(0, 0), first);
  EXPECT_EQ(run_sync(ioc, pool.exec(kSetting)).get(0, 0), "on");
}

// COPY leaves pipeline mode for its duration: rows in COPY's text format arrive as sent (escapes,
// Chinese, more than one chunk of data), a refused row (a duplicate key) throws the server's
// error with nothing of the COPY kept, and either way the same connection goes on with its
// prepared statements and pipelines.
TEST(Pg, CopyInSendsRowsAndLeavesTheConnectionInStep) {
  static constexpr pg::Query kCreate{"test_copy_create",
                                     "CREATE TABLE copied (k text PRIMARY KEY, v text)"};
  static constexpr pg::Query kCount{"test_copy_count",
                                    "SELECT count(*), max(length(v)) FROM copied"};
  static constexpr pg::Query kValue{"test_copy_value", "SELECT v FROM copied WHERE k = $1"};
  static constexpr pg::Query kBegin{"test_copy_begin", "BEGIN"};
  static constexpr pg::Query kRollback{"test_copy_rollback", "ROLLBACK"};
  constexpr std::string_view kCopy = "COPY copied (k, v) FROM STDIN";
  TestDatabase db;
  asio::io_context ioc;
  auto options = pool_options(db.superuser_conninfo());
  options.max_size = 1;  // the same connection every time
  pg::Pool pool(ioc, options);
  const auto first = run_sync(ioc, pool.exec(kBackend)).get_int(0, 0);
  run_sync(ioc, pool.exec(kCreate));

  // 3,000 rows of about 1 KB: several chunks. Row 0 holds every escape.
  std::string rows = "r0\ttab\\t and \\\\ backslash\\nnewline 天河区\n";
  const std::string filler(1000, 'x');
  for (int i = 1; i < 3000; ++i) rows += "r" + std::to_string(i) + "\t" + filler + "\n";
  auto copied = run_sync(ioc, [&]() -> asio::awaitable<std::int64_t> {
    auto lease = co_await pool.acquire();
    co_return co_await lease->copy_in(kCopy, rows);
  }());
  EXPECT_EQ(copied, 3000);
  auto count = run_sync(ioc, pool.exec(kCount));
  EXPECT_EQ(count.get_int(0, 0), 3000);
  EXPECT_EQ(count.get_int(0, 1), 1000);
  const pg::Params r0 = pg::Params().add("r0");
  EXPECT_EQ(run_sync(ioc, pool.exec(kValue, r0)).get(0, 0),
            "tab\t and \\ backslash\nnewline 天河区");

  // A duplicate key in a transaction: the server's error, then ROLLBACK on the same connection.
  const std::string clash = "new1\ta\nr5\tb\nnew2\tc\n";
  auto refused = run_sync(ioc, [&]() -> asio::awaitable<std::string> {
    auto lease = co_await pool.acquire();
    co_await lease->exec(kBegin);
    std::string state;
    try {
      co_await lease->copy_in(kCopy, clash);
    } catch (const pg::PgError& e) {
      state = e.sqlstate();
    }
    co_await lease->exec(kRollback);
    co_return state;
  }());
  EXPECT_EQ(refused, "23505");
  EXPECT_EQ(run_sync(ioc, pool.exec(kCount)).get_int(0, 0), 3000) << "nothing of it kept";
  // A malformed row outside a transaction (too few columns): refused, nothing kept.
  EXPECT_THROW(run_sync(ioc,
                        [&]() -> asio::awaitable<std::int64_t> {
                          auto lease = co_await pool.acquire();
                          co_return co_await lease->copy_in(kCopy, "only-a-key\n");
                        }()),
               pg::PgError);
  // Still the first connection, in pipeline mode, its statements prepared.
  auto results = run_sync(ioc, [&]() -> asio::awaitable<std::vector<pg::Result>> {
    auto lease = co_await pool.acquire();
    const auto steps =
        pg::batch(pg::step(kBackend), pg::step(kCount), pg::step(kAdd, pg::Params().add(1).add(2)));
    co_return co_await lease->pipeline(steps);
  }());
  EXPECT_EQ(results[0].get_int(0, 0), first) << "the connection was dropped";
  EXPECT_EQ(results[1].get_int(0, 0), 3000);
  EXPECT_EQ(results[2].get_int(0, 0), 3);
}

// After a failure the rest of a pipeline is skipped, Prepares included: a statement first used
// behind a failing one must be prepared again next time, not taken for prepared.
TEST(Pg, StatementsSkippedAfterAFailureArePreparedLater) {
  static constexpr pg::Query kFirstUse{"test_first_use", "SELECT $1::int * 2"};
  TestDatabase db;
  asio::io_context ioc;
  auto options = pool_options(db.superuser_conninfo());
  options.max_size = 1;  // the same connection every time
  pg::Pool pool(ioc, options);
  auto failing = [&]() -> asio::awaitable<std::vector<pg::Result>> {
    auto lease = co_await pool.acquire();
    auto steps =
        pg::batch(pg::step(kBad, pg::Params().add(0)), pg::step(kFirstUse, pg::Params().add(21)));
    co_return co_await lease->pipeline(steps);
  };
  EXPECT_THROW(run_sync(ioc, failing()), pg::PgError);
  const pg::Params params = pg::Params().add(21);
  EXPECT_EQ(run_sync(ioc, pool.exec(kFirstUse, params)).get_int(0, 0), 42);
}

TEST(Pg, QueryTimeoutAnswersUnavailableAndThePoolRecovers) {
  TestDatabase db;
  asio::io_context ioc;
  auto options = pool_options(db.superuser_conninfo());
  options.connection.query_timeout = std::chrono::milliseconds(300);
  pg::Pool pool(ioc, options);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(run_sync(ioc, pool.exec(kSleep, pg::Params().add("3"))), DbUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(run_sync(ioc, pool.exec(kAdd, pg::Params().add(1).add(2))).get_int(0, 0), 3);
}

TEST(Pg, UnreachableServerFailsFast) {
  asio::io_context ioc;
  TempDir dir;
  pg::Pool pool(ioc, pool_options("host=" + dir.path().string() + " port=5432 user=x dbname=x"));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(run_sync(ioc, pool.exec(kAdd, pg::Params().add(1).add(2))), DbUnavailable);
  // Within the back-off the next request does not even try.
  EXPECT_THROW(run_sync(ioc, pool.exec(kAdd, pg::Params().add(1).add(2))), DbUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
  EXPECT_EQ(pool.stats().connect_failures.load(), 1u);
}

// After a failover libpq tries each host of a multi-host URL: the error says why each refused.
TEST(Pg, AFailedConnectionSaysWhyEveryHostRefused) {
  try {
    pg::connect_blocking("host=127.0.0.1,127.0.0.1 port=1,2 user=x dbname=x connect_timeout=1", 2);
    ADD_FAILURE() << "connected to nothing";
  } catch (const DbUnavailable& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("port 1 failed"), std::string::npos) << what;
    EXPECT_NE(what.find("port 2 failed"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line for the log: " << what;
  }
}

// A server that turned read-only (an old primary, demoted) is no place for the pool's
// connection: the request is told the database is unavailable (503, not 500) and the next one
// gets a new connection, which a multi-host URL points at the new primary.
TEST(Pg, AReadOnlyServerDropsTheConnectionAndAnswersUnavailable) {
  TestDatabase db;
  asio::io_context ioc;
  auto options = pool_options(db.superuser_conninfo());
  options.max_size = 1;
  pg::Pool pool(ioc, options);
  constexpr pg::Query kReadOnly{"test_read_only",
                                "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"};
  constexpr pg::Query kWrite{"test_write", "CREATE TABLE read_only_probe (a int)"};
  const auto pid = run_sync(ioc, pool.exec(kBackend)).get_int(0, 0);
  run_sync(ioc, pool.exec(kReadOnly));
  EXPECT_THROW(run_sync(ioc, pool.exec(kWrite)), DbUnavailable);
  EXPECT_NE(run_sync(ioc, pool.exec(kBackend)).get_int(0, 0), pid) << "a new connection";
  run_sync(ioc, pool.exec(kWrite));  // which writes
}

// A primary that vanishes without a word is noticed in seconds, not the kernel's two hours: every
// connection has keep-alives and a TCP user timeout, which the operator's URL may override.
TEST(Pg, ConnectionsDetectASilentlyDeadServerUnlessTheUrlSaysOtherwise) {
  TestDatabase db;
  auto setting = [](PGconn* c, const std::string& key) {
    std::string value;
    PQconninfoOption* options = PQconninfo(c);
    for (auto* o = options; o && o->keyword; ++o) {
      if (key == o->keyword && o->val) value = o->val;
    }
    PQconninfoFree(options);
    return value;
  };
  auto ours = pg::connect_blocking(db.superuser_conninfo(), 5);
  EXPECT_EQ(setting(ours.get(), "keepalives_idle"), "5");
  EXPECT_EQ(setting(ours.get(), "tcp_user_timeout"), "10000");
  auto theirs = pg::connect_blocking(db.superuser_conninfo() + " keepalives_idle=30", 5);
  EXPECT_EQ(setting(theirs.get(), "keepalives_idle"), "30");
}

TEST(Pg, BusyPoolMakesWaitersWaitThenTimeOut) {
  TestDatabase db;
  asio::io_context ioc;
  auto options = pool_options(db.superuser_conninfo());
  options.max_size = 1;
  options.acquire_timeout = std::chrono::milliseconds(200);
  pg::Pool pool(ioc, options);
  auto outcome = run_sync(ioc, [&]() -> asio::awaitable<std::string> {
    auto held = co_await pool.acquire();
    try {
      auto second = co_await pool.acquire();
      co_return "acquired";
    } catch (const DbUnavailable&) {
      co_return "timed out";
    }
  }());
  EXPECT_EQ(outcome, "timed out");
  // Given back, the connection serves the next caller.
  EXPECT_EQ(run_sync(ioc, pool.exec(kAdd, pg::Params().add(1).add(1))).get_int(0, 0), 2);
}

TEST(Pg, TerminatedConnectionIsReplacedOnNextUse) {
  TestDatabase db;
  asio::io_context ioc;
  pg::Pool pool(ioc, pool_options(db.superuser_conninfo()));
  auto pid = run_sync(ioc, pool.exec(kBackend)).get_int(0, 0);
  auto admin = pg::connect_blocking(db.superuser_conninfo(), 5);
  pg::exec_blocking(admin.get(), "SELECT pg_terminate_backend($1::int)", pg::Params().add(pid));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto next = run_sync(ioc, pool.exec(kBackend)).get_int(0, 0);
  EXPECT_NE(next, pid);
}

TEST(Migrations, ApplyOnceAndAreIdempotent) {
  TestDatabase db;
  auto conn = pg::connect_blocking(db.owner_conninfo(), 5);
  EXPECT_EQ(pg::migrate(conn.get(), pg::embedded_migrations()),
            static_cast<int>(pg::embedded_migrations().size()));
  EXPECT_EQ(pg::migrate(conn.get(), pg::embedded_migrations()), 0);
  auto versions = pg::exec_blocking(conn.get(), "SELECT count(*) FROM schema_migrations", {});
  EXPECT_EQ(versions.get_int(0, 0), static_cast<std::int64_t>(pg::embedded_migrations().size()));
}

TEST(Migrations, ConcurrentStartsTakeTurns) {
  TestDatabase db;
  auto run = [&] {
    auto conn = pg::connect_blocking(db.owner_conninfo(), 5);
    return pg::migrate(conn.get(), pg::embedded_migrations());
  };
  auto a = std::async(std::launch::async, run);
  auto b = std::async(std::launch::async, run);
  EXPECT_EQ(a.get() + b.get(), static_cast<int>(pg::embedded_migrations().size()));
}

TEST(Migrations, AnEditedAppliedMigrationStopsStartUp) {
  TestDatabase db;
  auto conn = pg::connect_blocking(db.owner_conninfo(), 5);
  pg::migrate(conn.get(), pg::embedded_migrations());
  auto edited = pg::embedded_migrations();
  edited.front().checksum = std::string(64, '0');
  EXPECT_THROW(pg::migrate(conn.get(), edited), pg::MigrationError);
}

TEST(Migrations, AFailingMigrationIsRolledBackAndNamed) {
  TestDatabase db;
  auto conn = pg::connect_blocking(db.owner_conninfo(), 5);
  auto list = pg::embedded_migrations();
  static const std::string bad_sql = "CREATE TABLE half_done (x int); SELECT no_such_function();";
  list.push_back(pg::Migration{999, "broken", bad_sql, std::string(64, 'a')});
  try {
    pg::migrate(conn.get(), list);
    FAIL();
  } catch (const pg::MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("999_broken"), std::string::npos);
  }
  auto exists = pg::exec_blocking(conn.get(), "SELECT to_regclass('half_done') IS NULL", {});
  EXPECT_TRUE(exists.get_bool(0, 0)) << "the failed migration's table survived";
}

TEST(Roles, TheAppRoleCannotChangeTheSchema) {
  TestDatabase db;
  {
    auto owner = pg::connect_blocking(db.owner_conninfo(), 5);
    pg::migrate(owner.get(), pg::embedded_migrations());
  }
  auto app = pg::connect_blocking(db.app_conninfo(), 5);
  try {
    pg::exec_blocking(app.get(), "CREATE TABLE intruder (x int)");
    FAIL() << "hub_app created a table";
  } catch (const pg::PgError& e) {
    EXPECT_EQ(e.sqlstate(), "42501");  // insufficient_privilege
  }
  try {
    pg::exec_blocking(app.get(), "DELETE FROM schema_migrations");
    FAIL() << "hub_app rewrote the migration history";
  } catch (const pg::PgError& e) {
    EXPECT_EQ(e.sqlstate(), "42501");
  }
}

}  // namespace
}  // namespace hub::test
