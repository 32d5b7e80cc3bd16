// The database goes away and comes back: the hub answers 503 quickly meanwhile and recovers by
// itself. Uses an embedded PostgreSQL of its own, so stopping it disturbs no other test.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "hub/store/embedded_pg.hpp"
#include "support/test_env.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;

TEST(Outage, ReadinessFollowsTheDatabaseWithoutARestart) {
  TempDir dir;
  pg::EmbeddedPostgres db(dir.path() / "postgres", "");
  db.start();

  Config config;
  config.listen = "127.0.0.1:0";
  config.data_dir = dir.path() / "data";
  config.threads = 2;
  config.database.url = db.app_conninfo();
  config.database.migrate_url = db.owner_conninfo();
  config.database.retry_backoff = std::chrono::milliseconds(200);
  config.log.level = "error";
  config.log.access_log = false;
  TestHub hub(config);
  auto client = hub.client();
  ASSERT_EQ(client.request(verb::get, "/readyz").status, 200);

  db.stop();
  for (int i = 0; i < 20; ++i) {
    const auto started = std::chrono::steady_clock::now();
    auto ready = client.request(verb::get, "/readyz");
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(ready.status, 503) << ready.body;
    EXPECT_EQ(nlohmann::json::parse(ready.body)["code"], "unavailable");
    EXPECT_LT(took, std::chrono::milliseconds(1000)) << "a 503 must come quickly, not hang";
    EXPECT_EQ(client.request(verb::get, "/healthz").status, 200);
  }

  db.start();
  bool recovered = false;
  for (int i = 0; i < 100 && !recovered; ++i) {
    recovered = client.request(verb::get, "/readyz").status == 200;
    if (!recovered) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(recovered) << "the hub did not recover after the database came back";
}

TEST(Outage, HubStartsBeforeItsDatabaseAndBecomesReadyWhenItArrives) {
  TempDir dir;
  pg::EmbeddedPostgres db(dir.path() / "postgres", "");
  db.start();
  db.stop();

  Config config;
  config.listen = "127.0.0.1:0";
  config.data_dir = dir.path() / "data";
  config.threads = 1;
  config.database.url = db.app_conninfo();
  config.database.migrate_url = db.owner_conninfo();
  config.log.level = "off";
  config.log.access_log = false;
  TestHub hub(config, /*wait_ready=*/false);
  auto client = hub.client();
  EXPECT_EQ(client.request(verb::get, "/healthz").status, 200);
  EXPECT_EQ(client.request(verb::get, "/readyz").status, 503);

  db.start();
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    ready = client.request(verb::get, "/readyz").status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(ready);
}

TEST(Embedded, HubRunsItsOwnDatabaseAndReusesIt) {
  TempDir dir;
  Config config;
  config.listen = "127.0.0.1:0";
  config.data_dir = dir.path() / "data";
  config.threads = 1;
  config.log.level = "off";
  config.log.access_log = false;
  {
    TestHub hub(config);
    EXPECT_EQ(hub.client().request(verb::get, "/readyz").status, 200);
    EXPECT_TRUE(std::filesystem::exists(config.data_dir / "postgres" / "pgdata" / "PG_VERSION"));
    EXPECT_TRUE(std::filesystem::exists(config.data_dir / "tls" / "dev-cert.pem"));
  }
  pg::EmbeddedPostgres probe(config.data_dir / "postgres", "");
  EXPECT_FALSE(probe.running()) << "the hub left its database running after it stopped";
  {
    // A second hub on the same data dir is refused, and leaves the first one's database alone.
    TestHub first(config);
    App second(config);
    EXPECT_THROW(second.start(), std::runtime_error);
    second.stop();
    EXPECT_TRUE(probe.running()) << "the refused hub stopped the first one's database";
    EXPECT_EQ(first.client().request(verb::get, "/readyz").status, 200);
  }
  {
    TestHub hub(config);
    EXPECT_EQ(hub.client().request(verb::get, "/readyz").status, 200);
  }
}

}  // namespace
}  // namespace hub::test
