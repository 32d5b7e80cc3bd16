// hubctl against a hub in this process: what an administrator types.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "hub/cli/hubctl.hpp"
#include "support/test_env.hpp"

namespace hub::test {
namespace {

constexpr const char* kAdminToken = "hubctl-test-admin-token-0123456789";

class HubctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = test_config(dir_, db_);
    config.bootstrap_admin_token = kAdminToken;
    hub_ = std::make_unique<TestHub>(std::move(config));
    token_file_ = dir_.path() / "admin-token";
    std::ofstream(token_file_) << kAdminToken << "\n";
  }

  // Runs hubctl with the hub's URL and the admin token; returns (exit code, stdout, stderr).
  std::tuple<int, std::string, std::string> run(std::vector<std::string> args) {
    std::vector<std::string> all = {"--url", "https://127.0.0.1:" + std::to_string(hub_->port()),
                                    "--insecure", "--token-file", token_file_.string(),
                                    "--data-dir", (dir_.path() / "data").string()};
    all.insert(all.end(), args.begin(), args.end());
    std::ostringstream out, err;
    int rc = cli::hubctl_main(all, out, err);
    return {rc, out.str(), err.str()};
  }

  TempDir dir_;
  TestDatabase db_;
  std::unique_ptr<TestHub> hub_;
  std::filesystem::path token_file_;
};

TEST_F(HubctlTest, ImportsAgenciesFromCsvWithChineseNamesTwice) {
  const auto csv = dir_.path() / "agencies.csv";
  // A BOM, a quoted name with a comma, and a child listed before its parent.
  std::ofstream(csv) << "\xEF\xBB\xBF" "code,name,level,parent_code\r\n"
                     << "11440100QDY5E4WF7U,\"广州市天河区政务服务和数据管理局\",district,"
                        "11440100CWC9EE711D\r\n"
                     << "11440100CWC9EE711D,\"广州市政务服务和数据管理局, 市级\",city,\r\n";
  auto [rc, out, err] = run({"agencies", "import", csv.string()});
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(out.find("2 created"), std::string::npos) << out;
  auto [rc2, out2, err2] = run({"agencies", "import", csv.string()});
  EXPECT_EQ(rc2, 0);
  EXPECT_NE(out2.find("0 created, 2 already there"), std::string::npos) << out2;
  auto [rc3, list, err3] = run({"agencies", "list"});
  EXPECT_NE(list.find("广州市政务服务和数据管理局, 市级"), std::string::npos) << list;
  EXPECT_NE(list.find("广州市天河区政务服务和数据管理局"), std::string::npos);
}

TEST_F(HubctlTest, AddsPrincipalsIssuesAndRevokesTokens) {
  auto [rc, out, err] = run({"agencies", "add", "--code", "1144010024CNN5F90B", "--name",
                             "广州市公安局", "--level", "city"});
  ASSERT_EQ(rc, 0) << err;
  auto [rc2, id, err2] = run({"principals", "add", "--agency", "1144010024CNN5F90B", "--name",
                              "gongan-system", "--kind", "system", "--roles", "agency_system"});
  ASSERT_EQ(rc2, 0) << err2;
  id.pop_back();  // newline
  auto [rc3, token, err3] = run({"tokens", "issue", id, "--ttl-days", "7"});
  ASSERT_EQ(rc3, 0) << err3;
  token.pop_back();
  EXPECT_EQ(token.rfind("hub_", 0), 0u);
  auto client = hub_->client();
  auto me = client.request(boost::beast::http::verb::get, "/api/v1/me", {},
                           {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(me.status, 200);

  auto tokens = client.request(boost::beast::http::verb::get,
                               "/api/v1/principals/" + id + "/tokens", {},
                               {{"Authorization", std::string("Bearer ") + kAdminToken}});
  auto token_id = nlohmann::json::parse(tokens.body)["items"][0]["id"].get<std::string>();
  auto [rc4, out4, err4] = run({"tokens", "revoke", token_id});
  EXPECT_EQ(rc4, 0) << err4;
  me = client.request(boost::beast::http::verb::get, "/api/v1/me", {},
                      {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(me.status, 401);
}

TEST_F(HubctlTest, ReportsTheHubsFieldErrors) {
  auto [rc, out, err] = run({"agencies", "add", "--code", "123", "--name", "x", "--level", "town"});
  EXPECT_NE(rc, 0);
  EXPECT_NE(err.find("validation_failed"), std::string::npos) << err;
  EXPECT_NE(err.find("code:"), std::string::npos) << err;
  EXPECT_NE(err.find("level:"), std::string::npos) << err;
}

TEST_F(HubctlTest, DemoLoadsAgenciesPeopleAndWorkingSystemTokens) {
  auto [rc, out, err] = run({"demo"});
  ASSERT_EQ(rc, 0) << err;
  EXPECT_NE(out.find("agencies: 56 created"), std::string::npos) << out;
  std::ifstream in(dir_.path() / "data" / "demo-tokens.json");
  auto tokens = nlohmann::json::parse(in);
  ASSERT_EQ(tokens.size(), 7u);
  auto client = hub_->client();
  auto me = client.request(boost::beast::http::verb::get, "/api/v1/me", {},
                           {{"Authorization", "Bearer " + tokens["gzga-system"].get<std::string>()}});
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(nlohmann::json::parse(me.body)["agency_code"], "1144010024CNN5F90B");
  auto session = client.request(boost::beast::http::verb::post, "/api/v1/sessions",
                                R"({"name":"gzga-cdo","password":"hub-demo-2026"})");
  EXPECT_EQ(session.status, 200) << session.body;
  // Run again: nothing new, the saved tokens reused.
  auto [rc2, out2, err2] = run({"demo"});
  EXPECT_EQ(rc2, 0) << err2;
  EXPECT_NE(out2.find("0 created, 56 already there"), std::string::npos) << out2;
  std::ifstream again(dir_.path() / "data" / "demo-tokens.json");
  EXPECT_EQ(nlohmann::json::parse(again), tokens);
}

}  // namespace
}  // namespace hub::test
