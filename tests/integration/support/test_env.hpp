#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "hub/app/app.hpp"
#include "hub/client/https_client.hpp"
#include "hub/core/config.hpp"

namespace hub::test {

// The throwaway server scripts/test started (a superuser conninfo), or skip the test with a
// message that says how to run it.
std::string server_conninfo();

// A fresh database on the throwaway server, owned by hub_owner, dropped at the end.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  const std::string& name() const { return name_; }
  std::string owner_conninfo() const;
  std::string app_conninfo() const;
  std::string superuser_conninfo() const;

 private:
  std::string name_;
};

// A private temporary directory (removed at the end), traversable by the postgres user.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Config for an in-process hub on 127.0.0.1:0 over `db`, quiet logs.
Config test_config(const TempDir& dir, const TestDatabase& db);

// Runs a hub in-process; waits until it is ready.
class TestHub {
 public:
  explicit TestHub(Config config, bool wait_ready = true);
  ~TestHub();
  App& app() { return *app_; }
  std::uint16_t port() const { return app_->port(); }
  client::ClientOptions client_options() const;
  client::HttpsClient client() const { return client::HttpsClient(client_options()); }

 private:
  std::unique_ptr<App> app_;
};

// Runs a coroutine to completion on a private io_context.
template <typename T>
T run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<T> task) {
  auto future = boost::asio::co_spawn(ioc, std::move(task), boost::asio::use_future);
  ioc.restart();
  ioc.run();
  return future.get();
}

}  // namespace hub::test
