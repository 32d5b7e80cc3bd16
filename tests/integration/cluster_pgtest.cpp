// What a hub node checks before it joins the others (API.md Part 2, "Running as a cluster"): the
// shared secrets come from secrets.file, the database keeps only their SHA-256, and a node given
// other secrets (or none) refuses to start with a clear message.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "hub/cli/hubctl.hpp"
#include "hub/core/config.hpp"
#include "hub/ledger/note.hpp"
#include "hub/members/secrets.hpp"
#include "hub/store/pg.hpp"
#include "support/test_env.hpp"

namespace hub::test {
namespace {

// Starts a node on `db` and waits until it is ready or start-up stopped; returns the error.
// Every node has the same ledger key file.
std::string start_node(const TestDatabase& db, const std::string& secrets_file,
                       const std::filesystem::path& key_file) {
  TempDir dir;
  auto config = test_config(dir, db);
  config.secrets.file = secrets_file;
  config.ledger.key_file = key_file.string();
  TestHub node(std::move(config), false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!node.app().ready() && node.app().fatal_error().empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!node.app().ready() && node.app().fatal_error().empty()) return "not ready in 20 s";
  return node.app().fatal_error();
}

TEST(ClusterTest, NodesShareTheSecretsFileAndTheDatabaseKeepsOnlyItsHash) {
  TestDatabase db;
  TempDir files;
  const auto a = files.path() / "secrets-a.json";
  const auto b = files.path() / "secrets-b.json";
  members::SecretsFile::create(a);
  members::SecretsFile::create(b);
  const auto key = files.path() / "ledger-key.pem";
  ledger::SigningKey::load(key, true);
  EXPECT_EQ(std::filesystem::status(a).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_THROW(members::SecretsFile::create(a), ConfigError) << "never overwritten";

  EXPECT_EQ(start_node(db, a.string(), key), "");
  EXPECT_EQ(start_node(db, a.string(), key), "") << "a second node with the same file";
  auto other = start_node(db, b.string(), key);
  EXPECT_NE(other.find("not the one the other nodes of this hub use"), std::string::npos) << other;
  auto none = start_node(db, "", key);
  EXPECT_NE(none.find("configure secrets.file on this node too"), std::string::npos) << none;

  // The secrets are not in the database: only their SHA-256.
  auto su = pg::connect_blocking(db.superuser_conninfo(), 5);
  auto rows = pg::exec_blocking(
      su.get(),
      "SELECT count(*) FILTER (WHERE key IS NULL AND length(fingerprint) = 32) FROM hub_keys",
      pg::Params());
  EXPECT_EQ(rows.get_int(0, 0), 3) << "cursor, record_ref, subject";
}

// A file made before the subject log lacks its secret: start-up says how to add it, and `hubctl
// secrets add` adds it without touching the others.
TEST(ClusterTest, AnOlderSecretsFileIsCompletedByHubctlSecretsAdd) {
  TestDatabase db;
  TempDir files;
  const auto file = files.path() / "secrets.json";
  members::SecretsFile::create(file);
  nlohmann::json doc;
  std::ifstream(file) >> doc;
  const nlohmann::json before = doc;
  doc.erase("subject");
  std::ofstream(file, std::ios::trunc) << doc.dump();
  const auto key = files.path() / "ledger-key.pem";
  ledger::SigningKey::load(key, true);
  try {
    start_node(db, file.string(), key);
    ADD_FAILURE() << "started without the subject secret";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("hubctl secrets add"), std::string::npos) << e.what();
  }
  std::ostringstream out, err;
  EXPECT_EQ(cli::hubctl_main({"secrets", "add", file.string()}, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("added subject"), std::string::npos) << out.str();
  nlohmann::json after;
  std::ifstream(file) >> after;
  EXPECT_EQ(after["cursor"], before["cursor"]);
  EXPECT_EQ(after["record_ref"], before["record_ref"]);
  EXPECT_EQ(after["subject"].get<std::string>().size(), 64u);
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(start_node(db, file.string(), key), "");
  std::ostringstream again;
  EXPECT_EQ(cli::hubctl_main({"secrets", "add", file.string()}, again, err), 0);
  EXPECT_NE(again.str().find("has every secret already"), std::string::npos) << again.str();
}

TEST(ClusterTest, ABadSecretsFileStopsStartUpWithItsName) {
  TestDatabase db;
  TempDir files;
  const auto bad = files.path() / "secrets.json";
  std::ofstream(bad) << R"({"cursor": "00ff", "record_ref": "zz"})";
  const auto key = files.path() / "ledger-key.pem";
  ledger::SigningKey::load(key, true);
  // Found before anything starts.
  try {
    start_node(db, bad.string(), key);
    ADD_FAILURE() << "started with a bad secrets file";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("\"cursor\" must be 32 bytes"), std::string::npos)
        << e.what();
  }
  try {
    start_node(db, (files.path() / "missing.json").string(), key);
    ADD_FAILURE() << "started without its secrets file";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot be read"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hub::test
