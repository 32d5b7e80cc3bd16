#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "hub/core/caller.hpp"
#include "hub/core/dates.hpp"
#include "hub/core/worker.hpp"
#include "support/test_env.hpp"

namespace hub::test {

// The bootstrap administrator's token of every hub a HubTest starts.
inline constexpr const char* kAdmin = "hub-test-admin-token-0123456789";

// The agencies the tests play, by their unified social credit codes.
inline constexpr const char* kMarket = "114401009P0Y2GG12L";  // 广州市市场监督管理局
inline constexpr const char* kTax = "11440100XYDWCM5T1B";    // 国家税务总局广州市税务局
inline constexpr const char* kStats = "114401000UUY8XPWXH";  // 广州市统计局
inline constexpr const char* kPolice = "1144010024CNN5F90B";  // 广州市公安局

// X-Purpose: 税收征管 (tax collection), percent-encoded.
inline constexpr const char* kTaxPurpose = "%E7%A8%8E%E6%94%B6%E5%BE%81%E7%AE%A1";

using Headers = std::vector<std::pair<std::string, std::string>>;

// Deadlines and a grant's valid_until are relative to the day the tests run (hub::city_date in
// hub/core/dates.hpp), never a fixed date that will pass.

// A principal and a token issued to it.
struct Actor {
  std::string id;
  std::string token;
};

// A hub in this process over a fresh database, and what the tests do to it over HTTPS: calls,
// agencies, principals with tokens, published resources, applications and grants.
class HubTest : public ::testing::Test {
 protected:
  // Starts (or restarts) the hub: test_config, the bootstrap admin kAdmin, then `adjust`.
  void start(const std::function<void(Config&)>& adjust = {});
  // The configuration of another node of the same hub (data in `dir`): the same database, and
  // the same ledger key as the hub's, as every node of a cluster has (a node with another key
  // refuses to start).
  Config another_node(const TempDir& dir) const;

  // A request as `token` (none when empty) with the body as it is, and exactly `headers`
  // besides the token, or else the fixture's: X-Purpose when purpose_ is set.
  client::ClientResponse send(boost::beast::http::verb method, const std::string& target,
                              const std::string& token, const std::string& body);
  client::ClientResponse send(boost::beast::http::verb method, const std::string& target,
                              const std::string& token, const std::string& body, Headers headers);
  // The same with a JSON body; null is no body.
  client::ClientResponse call(boost::beast::http::verb method, const std::string& target,
                              const std::string& token, const nlohmann::json& body = nullptr);
  client::ClientResponse call(boost::beast::http::verb method, const std::string& target,
                              const std::string& token, const nlohmann::json& body,
                              Headers headers);
  // A call that must succeed (status below 300); its JSON answer, null when empty.
  nlohmann::json ok(boost::beast::http::verb method, const std::string& target,
                    const std::string& token, const nlohmann::json& body = nullptr);
  // The X-Purpose header of every call().
  std::pair<std::string, std::string> purpose_header() const { return {"X-Purpose", purpose_}; }
  // The X-Purpose header (or none) and an X-Request-Id.
  Headers with_request_id(const std::string& request_id, bool purpose = true) const;

  void agency(const std::string& code, const std::string& name = "",  // "机构" + code
              const std::string& level = "city");
  // A principal of `agency` (none when empty) made by `issuer`, with a token it issued.
  Actor principal(const std::string& agency, const std::string& name,
                  const std::vector<std::string>& roles, const std::string& kind = "user",
                  const std::string& issuer = kAdmin);
  // The token of a new principal with one role, made by the admin.
  std::string person(const std::string& agency, const std::string& name, const std::string& role,
                     const std::string& kind = "user");
  // Registers and publishes `doc` as the admin: its code.
  std::string resource(const nlohmann::json& doc);

  // `consumer` applies: the application's id.
  std::string submit(const std::string& consumer, const nlohmann::json& application);
  // `provider` approves or rejects an application (with an opinion).
  nlohmann::json decide(const std::string& provider, const std::string& application_id,
                        const std::string& decision = "approve");
  // `consumer` applies and `provider` approves: the grant's id.
  std::string grant(const std::string& consumer, const std::string& provider,
                    const nlohmann::json& application);

  // The domain's Caller for the principal of `token`, on the hub's first I/O thread (whose
  // database pool a domain call uses): what a caller other than the REST api passes.
  Caller domain_caller(const std::string& token, const std::string& request_id) const;
  // Runs a domain call to completion on the caller's I/O thread; its result or its exception.
  template <typename T>
  T on_worker(const Caller& caller, boost::asio::awaitable<T> call) {
    return boost::asio::co_spawn(caller.worker->ioc(), std::move(call), boost::asio::use_future)
        .get();
  }

  // Runs hubctl against this hub as `token`; returns (exit code, stdout, stderr).
  std::tuple<int, std::string, std::string> hubctl(const std::vector<std::string>& args,
                                                   const std::string& token = kAdmin);

  TempDir dir_;
  TestDatabase db_;
  std::unique_ptr<TestHub> hub_;
  std::unique_ptr<client::HttpsClient> client_;
  std::string purpose_;        // sent as X-Purpose by call() when not empty
  std::string user_password_;  // given to every user principal() makes, when not empty
};

}  // namespace hub::test
