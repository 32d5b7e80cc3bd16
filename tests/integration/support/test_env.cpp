#include "support/test_env.hpp"

#include "support/openapi_check.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "hub/core/text.hpp"
#include "hub/store/pg.hpp"

namespace hub::test {

std::string server_conninfo() {
  const char* url = std::getenv("HUB_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "HUB_TEST_DATABASE_URL is not set: run the integration tests through "
                     "./scripts/test, which starts a throwaway PostgreSQL";
    throw std::runtime_error("no test database");
  }
  return url;
}

namespace {
std::string with_db(const std::string& conninfo, const std::string& user, const std::string& db) {
  return conninfo + " dbname=" + db + (user.empty() ? "" : " user=" + user);
}
}  // namespace

TestDatabase::TestDatabase() : name_("hub_test_" + random_id(6)) {
  auto conn = pg::connect_blocking(server_conninfo(), 10);
  // Roles are cluster-wide: created once, shared by every test database.
  pg::exec_blocking(conn.get(),
                    "DO $$ BEGIN "
                    "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_owner') THEN "
                    "  CREATE ROLE hub_owner LOGIN; END IF; "
                    "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN "
                    "  CREATE ROLE hub_app LOGIN; END IF; "
                    "EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL; END $$");
  pg::exec_blocking(conn.get(), "CREATE DATABASE " + name_ +
                                    " OWNER hub_owner ENCODING 'UTF8' TEMPLATE template0");
}

TestDatabase::~TestDatabase() {
  try {
    auto conn = pg::connect_blocking(server_conninfo(), 10);
    pg::exec_blocking(conn.get(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
  }
}

std::string TestDatabase::owner_conninfo() const {
  return with_db(server_conninfo(), "hub_owner", name_);
}
std::string TestDatabase::app_conninfo() const {
  return with_db(server_conninfo(), "hub_app", name_);
}
std::string TestDatabase::superuser_conninfo() const {
  return with_db(server_conninfo(), "", name_);
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "hub-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all |
                                          std::filesystem::perms::group_exec |
                                          std::filesystem::perms::others_exec);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Config test_config(const TempDir& dir, const TestDatabase& db) {
  Config c;
  c.listen = "127.0.0.1:0";
  c.data_dir = dir.path() / "data";
  c.threads = 2;
  c.database.url = db.app_conninfo();
  c.database.migrate_url = db.owner_conninfo();
  c.database.pool_size = 4;
  c.log.level = "warn";
  c.log.access_log = false;
  c.limits.shutdown_grace = std::chrono::milliseconds(2000);
  // Off: whether the built-in calendar's last year is about to end depends on the day the tests
  // run, and tests count alerts (the calendar test turns it on with a calendar of its own).
  c.monitor.calendar_ending_days = 0;
  return c;
}

TestHub::TestHub(Config config, bool wait_ready) : app_(std::make_unique<App>(std::move(config))) {
  app_->start();
  if (!wait_ready) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!app_->ready()) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("hub not ready");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TestHub::~TestHub() { app_->stop(); }

client::ClientOptions TestHub::client_options() const {
  client::ClientOptions o;
  o.host = "127.0.0.1";
  o.port = std::to_string(app_->port());
  o.insecure = true;
  o.timeout = std::chrono::seconds(10);
  // Every answer a test reads is held to the OpenAPI document.
  o.observer = openapi_observer();
  return o;
}

}  // namespace hub::test
