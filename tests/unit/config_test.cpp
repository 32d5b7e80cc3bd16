#include <gtest/gtest.h>

#include <fstream>

#include "hub/core/config.hpp"

namespace {

std::filesystem::path write_temp(const std::string& content) {
  static int n = 0;
  auto path =
      std::filesystem::temp_directory_path() /
      ("hub_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".json");
  std::ofstream(path) << content;
  return path;
}

TEST(Config, DefaultsWithoutFileOrEnv) {
  auto c = hub::load_config({}, {});
  EXPECT_EQ(c.listen, "127.0.0.1:8443");
  EXPECT_EQ(c.listen_port(), 8443);
  EXPECT_EQ(c.limits.header_limit, 8192u);
  EXPECT_EQ(c.limits.json_body_limit, 1024u * 1024u);
  EXPECT_GE(c.effective_threads(), 1u);
}

TEST(Config, FileThenEnvironmentWins) {
  auto path = write_temp(R"({"listen":"0.0.0.0:9000","threads":3,"database":{"pool_size":4}})");
  auto c = hub::load_config(path, {{"HUB_LISTEN", "127.0.0.1:0"}, {"HUB_THREADS", "2"}});
  EXPECT_EQ(c.listen, "127.0.0.1:0");
  EXPECT_EQ(c.listen_port(), 0);
  EXPECT_EQ(c.threads, 2u);
  EXPECT_EQ(c.database.pool_size, 4u);
}

TEST(Config, UnknownKeyIsNamed) {
  auto path = write_temp(R"({"database":{"urll":"x"}})");
  try {
    hub::load_config(path, {});
    FAIL() << "expected ConfigError";
  } catch (const hub::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("database.urll"), std::string::npos) << e.what();
  }
}

TEST(Config, UnknownTopLevelKeyIsNamed) {
  auto path = write_temp(R"({"lisen":"127.0.0.1:1"})");
  EXPECT_THROW(
      {
        try {
          hub::load_config(path, {});
        } catch (const hub::ConfigError& e) {
          EXPECT_NE(std::string(e.what()).find("'lisen'"), std::string::npos);
          throw;
        }
      },
      hub::ConfigError);
}

TEST(Config, BadValuesAreNamed) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"threads":"four"})", "threads"},
      {R"({"threads":1000})", "threads"},
      {R"({"listen":"nonsense"})", "listen"},
      {R"({"listen":"127.0.0.1:70000"})", "listen"},
      {R"({"limits":{"idle_timeout_ms":-5}})", "limits.idle_timeout_ms"},
      {R"({"log":{"level":"loud"}})", "log.level"},
      {R"({"database":5})", "database"},
      {R"({"tls":{"cert":"/x.pem"}})", "tls"},
  };
  for (const auto& [json, key] : cases) {
    auto path = write_temp(json);
    try {
      hub::load_config(path, {});
      ADD_FAILURE() << "accepted " << json;
    } catch (const hub::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << json << " → " << e.what();
    }
  }
}

TEST(Config, BadEnvironmentValueNamesTheVariable) {
  try {
    hub::load_config({}, {{"HUB_THREADS", "many"}});
    FAIL();
  } catch (const hub::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("HUB_THREADS"), std::string::npos);
  }
}

TEST(Config, InvalidJsonIsReported) {
  auto path = write_temp("{not json");
  EXPECT_THROW(hub::load_config(path, {}), hub::ConfigError);
}

TEST(Config, ExampleFileLoads) {
  auto c =
      hub::load_config(std::filesystem::path(HUB_SOURCE_DIR) / "config" / "hub.example.json", {});
  EXPECT_FALSE(c.listen.empty());
  EXPECT_EQ(c.report.weight_freshness, 30u);
  EXPECT_EQ(c.monitor.interval, std::chrono::milliseconds(60000));
}

TEST(Config, ReportWeightsAndWorkingHoursAreChecked) {
  auto zero = write_temp(R"({"report": {"weight_freshness": 0, "weight_timeliness": 0,
                                        "weight_objections": 0, "weight_volume": 0,
                                        "weight_quality": 0}})");
  EXPECT_THROW(hub::load_config(zero, {}), hub::ConfigError);
  auto hours = write_temp(R"({"monitor": {"work_start_hour": 20, "work_end_hour": 8}})");
  EXPECT_THROW(hub::load_config(hours, {}), hub::ConfigError);
  auto c = hub::load_config(write_temp(R"({"report": {"weight_volume": 0}})"),
                            {{"HUB_CONSOLE_DIR", "/srv/console"}});
  EXPECT_EQ(c.report.weight_volume, 0u);
  EXPECT_EQ(c.console_dir, "/srv/console");
}

}  // namespace
