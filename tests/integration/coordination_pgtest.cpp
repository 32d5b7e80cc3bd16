// Coordination (API.md Part 2): the grant's lifecycle (revocation with a reason, renewal at once
// or by application, the grant_expiring alert read by the consumer's CDO).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "hub/core/text.hpp"
#include "hub/ledger/merkle.hpp"
#include "hub/ledger/note.hpp"
#include "hub/store/pg.hpp"

#include "support/catalog_samples.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// kMarket provides, kTax holds grants, kStats is a third agency.
class GrantLifecycleTest : public HubTest {
 protected:
  void SetUp() override { begin(); }

  void begin(const std::function<void(Config&)>& adjust = {}) {
    start(adjust);
    for (auto code : {kMarket, kTax, kStats}) agency(code);
    market_ = person(kMarket, "sc-officer", "agency_data_officer");
    tax_ = person(kTax, "sw-officer", "agency_data_officer");
    tax_cdo_ = person(kTax, "sw-cdo", "agency_cdo");
    tax_system_ = person(kTax, "sw-system", "agency_system", "system");
    stats_ = person(kStats, "tj-cdo", "agency_cdo");
    coordinator_ = person("", "xtz", "coordinator");
    conditional_ = resource(sample_resource(kMarket));
    auto open = sample_resource(kMarket, "公开企业名录");
    open["share_type"] = "unconditional";
    unconditional_ = resource(open);
  }

  json application(const std::string& code, const std::string& until) {
    return {{"resource_code", code},
            {"items", {"uscc", "legal_person"}},
            {"operations", {"read", "query"}},
            {"purpose", "税收征管中核实纳税人登记信息"},
            {"valid_until", until}};
  }

  bool allowed(const std::string& resource) {
    Principal system;
    system.id = "x";
    system.agency_code = kTax;
    return hub_->app()
        .grants()
        .authorize(system, resource, sharing::Operation::read, {"uscc"})
        .allowed;
  }

  std::int64_t count(const std::string& query, const pg::Params& params) {
    auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
    return pg::exec_blocking(su.get(), query, params).get_int(0, 0);
  }
  void sql(const std::string& statement, const pg::Params& params) {
    auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
    pg::exec_blocking(su.get(), statement, params);
  }

  std::string market_, tax_, tax_cdo_, tax_system_, stats_, coordinator_;
  std::string conditional_, unconditional_;
};

TEST_F(GrantLifecycleTest, ARevocationSaysWhyAndTheConsumerIsShown) {
  auto app =
      ok(verb::post, "/api/v1/applications", tax_, application(unconditional_, city_date(60)));
  const std::string grant = app["grant_id"];
  const std::string path = "/api/v1/grants/" + grant + "/revocation";
  ASSERT_TRUE(allowed(unconditional_));

  EXPECT_EQ(call(verb::post, path, market_, json::object()).status, 422) << "no reason";
  EXPECT_EQ(call(verb::post, path, market_, {{"reason", ""}}).status, 422) << "an empty reason";
  EXPECT_EQ(call(verb::post, path, market_, {{"reason", 7}}).status, 422);
  EXPECT_EQ(call(verb::post, path, market_, {{"reason", "x"}, {"extra", 1}}).status, 422);
  EXPECT_EQ(call(verb::post, path, tax_, {{"reason", "不再需要"}}).status, 403)
      << "the consumer does not revoke";
  EXPECT_EQ(call(verb::post, path, stats_, {{"reason", "x"}}).status, 404)
      << "a third agency does not see the grant";
  EXPECT_EQ(call(verb::post, "/api/v1/grants/no-such-grant/revocation", market_, {{"reason", "x"}})
                .status,
            404);
  EXPECT_TRUE(allowed(unconditional_)) << "nothing refused changed the grant";

  const std::string reason = "该企业名录已改由公开渠道发布，停止接口共享";
  auto out = ok(verb::post, path, market_, {{"reason", reason}});
  EXPECT_EQ(out["status"], "revoked");
  EXPECT_FALSE(allowed(unconditional_)) << "refused from the next request";
  auto seen = ok(verb::get, "/api/v1/grants/" + grant, tax_);
  EXPECT_EQ(seen["status"], "revoked");
  EXPECT_EQ(seen["revoked_reason"], reason) << "the consumer is told why";
  EXPECT_FALSE(seen["revoked_at"].is_null());
  // Once is enough: again answers the same, and the first reason stays.
  EXPECT_EQ(ok(verb::post, path, market_, {{"reason", "另一个理由"}})["status"], "revoked");
  EXPECT_EQ(ok(verb::get, "/api/v1/grants/" + grant, tax_)["revoked_reason"], reason);
  EXPECT_EQ(count("SELECT count(*) FROM sharing_events WHERE object_type = 'grant'"
                  " AND object_id = $1 AND action = 'revoked' AND detail->>'reason' = $2",
                  pg::Params().add(grant).add(reason)),
            1)
      << "the history records it once, with the reason";

  // DELETE, as before: revoked without a reason.
  auto other =
      ok(verb::post, "/api/v1/applications", tax_, application(unconditional_, city_date(60)));
  EXPECT_EQ(
      call(verb::delete_, "/api/v1/grants/" + other["grant_id"].get<std::string>(), market_).status,
      204);
  EXPECT_TRUE(ok(verb::get, "/api/v1/grants/" + other["grant_id"].get<std::string>(),
                 tax_)["revoked_reason"]
                  .is_null());
}

TEST_F(GrantLifecycleTest, AnUnconditionalGrantIsRenewedAtOnce) {
  auto app =
      ok(verb::post, "/api/v1/applications", tax_, application(unconditional_, city_date(20)));
  const std::string grant = app["grant_id"];
  const std::string path = "/api/v1/grants/" + grant + "/renewal";
  const json body = {{"valid_until", city_date(200)}, {"reason", "税收征管核查工作延续至下一年度"}};

  EXPECT_EQ(call(verb::post, path, market_, body).status, 403) << "the provider does not renew";
  EXPECT_EQ(call(verb::post, path, tax_system_, body).status, 403) << "nor a system";
  EXPECT_EQ(call(verb::post, path, stats_, body).status, 404) << "a third agency sees nothing";
  auto bad = [&](const json& b, const std::string& field) {
    auto r = call(verb::post, path, tax_, b);
    EXPECT_EQ(r.status, 422) << b.dump();
    EXPECT_NE(r.body.find(field), std::string::npos) << r.body;
  };
  bad({{"valid_until", city_date(200)}}, "reason");
  bad({{"valid_until", city_date(200)}, {"reason", ""}}, "reason");
  bad({{"valid_until", city_date(10)}, {"reason", "x"}}, "valid_until");  // before the current end
  bad({{"valid_until", "next year"}, {"reason", "x"}}, "valid_until");
  bad({{"valid_until", city_date(4000)}, {"reason", "x"}}, "valid_until");  // past the maximum

  auto out = ok(verb::post, path, tax_, body);
  EXPECT_EQ(out["status"], "approved");
  EXPECT_EQ(out["grant_id"], grant) << "the same grant, longer";
  EXPECT_TRUE(out["grant"]["valid_until"].get<std::string>().starts_with(city_date(200)) ||
              out["grant"]["valid_until"].get<std::string>().starts_with(city_date(199)))
      << out.dump();
  EXPECT_EQ(ok(verb::get, "/api/v1/grants/" + grant, tax_)["valid_until"],
            out["grant"]["valid_until"]);
  EXPECT_TRUE(allowed(unconditional_));
  EXPECT_EQ(count("SELECT count(*) FROM grants WHERE consumer_code = $1 AND resource_code = $2",
                  pg::Params().add(kTax).add(unconditional_)),
            1)
      << "no second grant";
  EXPECT_EQ(count("SELECT count(*) FROM sharing_events WHERE object_id = $1 AND action = 'renewed'",
                  pg::Params().add(grant)),
            1);

  // A revoked grant is not renewed: the consumer applies anew.
  ok(verb::post, "/api/v1/grants/" + grant + "/revocation", market_, {{"reason", "停止共享"}});
  auto late = call(verb::post, path, tax_, {{"valid_until", city_date(300)}, {"reason", "x"}});
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_FALSE(allowed(unconditional_));
}

TEST_F(GrantLifecycleTest, AConditionalGrantIsRenewedByApplicationAndStaysValidMeanwhile) {
  const std::string grant = this->grant(tax_, market_, application(conditional_, city_date(20)));
  const std::string path = "/api/v1/grants/" + grant + "/renewal";
  auto out = ok(verb::post, path, tax_cdo_,
                {{"valid_until", city_date(180)}, {"reason", "年度核查工作需要继续使用"}});
  EXPECT_EQ(out["status"], "pending");
  EXPECT_EQ(out["grant_id"], grant);
  ASSERT_TRUE(out["application_id"].is_string()) << out.dump();
  EXPECT_FALSE(out["due_at"].is_null());
  const std::string app_id = out["application_id"];

  // The grant stays as it was meanwhile, and says a renewal waits.
  auto g = ok(verb::get, "/api/v1/grants/" + grant, tax_);
  EXPECT_EQ(g["status"], "active");
  EXPECT_EQ(g["renewal_application_id"], app_id);
  EXPECT_TRUE(allowed(conditional_));
  EXPECT_EQ(call(verb::post, path, tax_, {{"valid_until", city_date(190)}, {"reason", "x"}}).status,
            409)
      << "one renewal at a time";

  // The provider finds it among its incoming applications, linked to the grant.
  auto incoming = ok(verb::get, "/api/v1/applications?direction=incoming&status=pending", market_);
  ASSERT_EQ(incoming["items"].size(), 1u);
  EXPECT_EQ(incoming["items"][0]["renews_grant_id"], grant);
  EXPECT_EQ(incoming["items"][0]["renewal_reason"], "年度核查工作需要继续使用");
  EXPECT_EQ(incoming["items"][0]["items"], json({"uscc", "legal_person"}));
  EXPECT_EQ(call(verb::get, "/api/v1/applications/" + app_id, stats_).status, 404);

  // Approved for less: the same grant, until the new end, with what was approved.
  auto decided = ok(verb::post, "/api/v1/applications/" + app_id + "/decision", market_,
                    {{"decision", "approve"},
                     {"opinion", "同意续期，仅限统一社会信用代码"},
                     {"items", {"uscc"}}});
  EXPECT_EQ(decided["status"], "approved");
  EXPECT_EQ(decided["grant_id"], grant);
  g = ok(verb::get, "/api/v1/grants/" + grant, tax_);
  EXPECT_EQ(g["status"], "active");
  EXPECT_EQ(g["items"], json({"uscc"}));
  EXPECT_TRUE(g["renewal_application_id"].is_null());
  EXPECT_EQ(g["valid_until"], decided["valid_until"]);
  EXPECT_EQ(count("SELECT count(*) FROM grants WHERE consumer_code = $1 AND resource_code = $2",
                  pg::Params().add(kTax).add(conditional_)),
            1)
      << "no second grant";
  // The directory follows: legal_person is no longer granted.
  Principal system;
  system.id = "x";
  system.agency_code = kTax;
  auto& grants = hub_->app().grants();
  EXPECT_TRUE(grants.authorize(system, conditional_, sharing::Operation::read, {"uscc"}).allowed);
  EXPECT_FALSE(
      grants.authorize(system, conditional_, sharing::Operation::read, {"uscc", "legal_person"})
          .allowed);

  // A rejected renewal leaves the grant as it is, to its end.
  auto again = ok(verb::post, path, tax_, {{"valid_until", city_date(300)}, {"reason", "再续"}});
  ok(verb::post, "/api/v1/applications/" + again["application_id"].get<std::string>() + "/decision",
     market_, {{"decision", "reject"}, {"opinion", "续期过长"}});
  EXPECT_EQ(ok(verb::get, "/api/v1/grants/" + grant, tax_)["valid_until"], g["valid_until"]);
  EXPECT_TRUE(allowed(conditional_));

  // A renewal of a grant revoked meanwhile cannot be approved.
  auto third = ok(verb::post, path, tax_, {{"valid_until", city_date(300)}, {"reason", "再续"}});
  ok(verb::post, "/api/v1/grants/" + grant + "/revocation", market_, {{"reason", "停止共享"}});
  auto refused =
      call(verb::post,
           "/api/v1/applications/" + third["application_id"].get<std::string>() + "/decision",
           market_, {{"decision", "approve"}});
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_FALSE(allowed(conditional_));
  EXPECT_EQ(ok(verb::get, "/api/v1/grants/" + grant, tax_)["status"], "revoked");
}

// The monitor evaluates its rules every 100 ms.
class GrantExpiryTest : public GrantLifecycleTest {
 protected:
  void SetUp() override {
    begin([](Config& c) { c.monitor.interval = std::chrono::milliseconds(100); });
  }
};

TEST_F(GrantExpiryTest, AGrantNearItsEndWarnsItsHolderWhoseCdoReadsTheAlert) {
  // Ends in 10 days: warned. Ends in 10 days with a renewal waiting: not. Ends in 60: not yet.
  auto soon =
      ok(verb::post, "/api/v1/applications", tax_, application(unconditional_, city_date(10)));
  // (Made to end in 60 days and brought to 10 once its renewal waits: a monitor round between the
  // two steps would otherwise warn of it, rightly.)
  const std::string waiting = grant(tax_, market_, application(conditional_, city_date(60)));
  ok(verb::post, "/api/v1/grants/" + waiting + "/renewal", tax_,
     {{"valid_until", city_date(120)}, {"reason", "继续核查"}});
  {
    auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
    pg::exec_blocking(su.get(),
                      "UPDATE grants SET valid_until = now() + interval '10 days' WHERE id = $1",
                      pg::Params().add(waiting));
  }
  grant(stats_, market_, application(conditional_, city_date(60)));

  json alert;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (alert.is_null() && std::chrono::steady_clock::now() < until) {
    const json page = ok(verb::get, "/api/v1/alerts?rule=grant_expiring", coordinator_);
    for (const auto& a : page["items"]) alert = a;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(alert.is_null()) << "no grant_expiring alert";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // further rounds
  auto all = ok(verb::get, "/api/v1/alerts?rule=grant_expiring", coordinator_)["items"];
  ASSERT_EQ(all.size(), 1u) << "only the grant without a renewal, once: " << all.dump();
  EXPECT_EQ(alert["agency_code"], kTax) << "against the holder, who must act";
  EXPECT_EQ(alert["severity"], "warning");
  EXPECT_EQ(alert["resource_code"], unconditional_);
  EXPECT_EQ(alert["detail"]["grant_id"], soon["grant_id"]);
  EXPECT_EQ(alert["detail"]["provider_code"], kMarket);
  EXPECT_GE(alert["detail"]["days_left"].get<int>(), 9);
  EXPECT_LE(alert["detail"]["days_left"].get<int>(), 11);

  // The holder's CDO reads its own agency's alerts, and no other's whatever it asks for; it
  // does not acknowledge them, and other agency roles do not read them.
  auto own = ok(verb::get, "/api/v1/alerts", tax_cdo_)["items"];
  ASSERT_EQ(own.size(), 1u) << own.dump();
  EXPECT_EQ(own[0]["id"], alert["id"]);
  EXPECT_EQ(ok(verb::get, std::string("/api/v1/alerts?agency=") + kStats, tax_cdo_)["items"], own);
  EXPECT_TRUE(ok(verb::get, "/api/v1/alerts", stats_)["items"].empty());
  EXPECT_EQ(call(verb::get, "/api/v1/alerts", tax_).status, 403);
  EXPECT_EQ(call(verb::post, "/api/v1/alerts/" + alert["id"].get<std::string>() + "/ack", tax_cdo_)
                .status,
            403);

  // Renewed past the warning window, then near its new end again: a new alert, since the
  // subject is the grant and its end.
  const std::string g = soon["grant_id"];
  ok(verb::post, "/api/v1/grants/" + g + "/renewal", tax_,
     {{"valid_until", city_date(12)}, {"reason", "短期延续"}});
  const auto by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ok(verb::get, "/api/v1/alerts?rule=grant_expiring", coordinator_)["items"].size() < 2 &&
         std::chrono::steady_clock::now() < by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(ok(verb::get, "/api/v1/alerts?rule=grant_expiring", coordinator_)["items"].size(), 2u);
}

}  // namespace
}  // namespace hub::test

namespace hub::test {
namespace {

// The demand list (需求清单): tax posts a need, the coordination group assigns it, the holder
// answers, tax accepts or disputes; kStats is a third agency until it is assigned the demand.
class DemandTest : public GrantLifecycleTest {
 protected:
  json demand_body() {
    return {{"title", "企业用电量数据"},
            {"description", "税收风险分析需要按月的企业用电量，目录中没有可申请的资源"},
            {"items_wanted", {"统一社会信用代码", "月份", "用电量（千瓦时）"}},
            {"purpose", "税收风险分析"},
            {"suggested_provider_code", kMarket}};
  }
  std::int64_t events(const std::string& id) {
    return count(
        "SELECT count(*) FROM sharing_events WHERE object_type = 'demand'"
        " AND object_id = $1",
        pg::Params().add(id));
  }
};

TEST_F(DemandTest, APostedDemandIsAssignedAnsweredDisputedReassignedAndClosed) {
  // Posting: the asking agency's data officers, with a well-formed body.
  EXPECT_EQ(call(verb::post, "/api/v1/demands", tax_system_, demand_body()).status, 403);
  EXPECT_EQ(call(verb::post, "/api/v1/demands", coordinator_, demand_body()).status, 403);
  auto bad = [&](json patch, const std::string& field) {
    json b = demand_body();
    b.merge_patch(patch);
    auto r = call(verb::post, "/api/v1/demands", tax_, b);
    EXPECT_EQ(r.status, 422) << patch.dump();
    EXPECT_NE(r.body.find(field), std::string::npos) << r.body;
  };
  bad({{"title", nullptr}}, "title");
  bad({{"items_wanted", json::array()}}, "items_wanted");
  bad({{"status", "closed"}}, "status");  // not the caller's to set
  bad({{"suggested_provider_code", kTax}}, "suggested_provider_code");
  bad({{"suggested_provider_code", "11440100D5NQWYF282"}}, "suggested_provider_code");
  auto d = ok(verb::post, "/api/v1/demands", tax_, demand_body());
  EXPECT_EQ(d["status"], "open");
  EXPECT_EQ(d["consumer_code"], kTax);
  EXPECT_EQ(d["items_wanted"][2], "用电量（千瓦时）");
  EXPECT_TRUE(d["provider_code"].is_null());
  const std::string id = d["id"];
  const std::string path = "/api/v1/demands/" + id;

  // Seen by the asker and the hub's staff only, until it is assigned.
  EXPECT_EQ(ok(verb::get, "/api/v1/demands?direction=outgoing", tax_)["items"].size(), 1u);
  EXPECT_EQ(ok(verb::get, "/api/v1/demands", coordinator_)["items"].size(), 1u);
  EXPECT_TRUE(ok(verb::get, "/api/v1/demands", market_)["items"].empty());
  EXPECT_EQ(call(verb::get, path, market_).status, 404);
  EXPECT_EQ(call(verb::get, path, stats_).status, 404);
  EXPECT_EQ(call(verb::get, "/api/v1/demands?status=lost", tax_).status, 400);

  // Assigned by the coordination group, with a deadline in working days.
  EXPECT_EQ(call(verb::post, path + "/assignment", tax_, {{"provider_code", kMarket}}).status, 403);
  EXPECT_EQ(call(verb::post, path + "/assignment", coordinator_, {{"provider_code", kTax}}).status,
            422)
      << "not to the asker";
  EXPECT_EQ(call(verb::post, path + "/assignment", coordinator_,
                 {{"provider_code", "11440100D5NQWYF282"}})
                .status,
            422)
      << "not to a stranger";
  const auto before = std::chrono::system_clock::now();
  auto assigned = ok(verb::post, path + "/assignment", coordinator_, {{"provider_code", kMarket}});
  const auto& calendar = hub_->app().sharing().calendar();
  const std::string due_min = sharing::format_time(calendar.due(before, 10));
  const std::string due_max =
      sharing::format_time(calendar.due(std::chrono::system_clock::now(), 10));
  EXPECT_EQ(assigned["status"], "assigned");
  EXPECT_EQ(assigned["provider_code"], kMarket);
  EXPECT_TRUE(assigned["due_at"] == due_min || assigned["due_at"] == due_max)
      << assigned["due_at"] << " is not 10 working days on (" << due_min << ")";
  EXPECT_EQ(ok(verb::get, "/api/v1/demands?direction=incoming", market_)["items"].size(), 1u);
  EXPECT_TRUE(ok(verb::get, "/api/v1/demands?direction=incoming", tax_)["items"].empty());
  EXPECT_EQ(call(verb::get, path, stats_).status, 404);

  // Answered by the assigned agency's officers only, naming its own published resource.
  EXPECT_EQ(call(verb::post, path + "/response", stats_, {{"outcome", "not_held"}, {"reason", "x"}})
                .status,
            404);
  EXPECT_EQ(
      call(verb::post, path + "/response", tax_, {{"outcome", "not_held"}, {"reason", "x"}}).status,
      403);
  EXPECT_EQ(call(verb::post, path + "/response", market_, {{"outcome", "catalogued"}}).status, 422);
  EXPECT_EQ(call(verb::post, path + "/response", market_, {{"outcome", "not_held"}}).status, 422)
      << "not_held needs a reason";
  EXPECT_EQ(
      call(verb::post, path + "/response", market_, {{"outcome", "lost"}, {"reason", "x"}}).status,
      422);
  auto foreign = sample_resource(kStats, "统计名录");
  const std::string stats_resource = resource(foreign);
  EXPECT_EQ(call(verb::post, path + "/response", market_,
                 {{"outcome", "catalogued"}, {"resource_code", stats_resource}})
                .status,
            422)
      << "another agency's resource";
  auto answered = ok(verb::post, path + "/response", market_,
                     {{"outcome", "catalogued"}, {"resource_code", conditional_}});
  EXPECT_EQ(answered["status"], "answered");
  EXPECT_EQ(answered["resource_code"], conditional_);
  EXPECT_EQ(call(verb::post, path + "/response", market_,
                 {{"outcome", "catalogued"}, {"resource_code", conditional_}})
                .status,
            409)
      << "answered once";

  // Disputed by the asker (with a note), then assigned to another agency, which does not hold it.
  EXPECT_EQ(call(verb::post, path + "/acceptance", market_, {{"accepted", true}}).status, 403);
  EXPECT_EQ(call(verb::post, path + "/acceptance", tax_, {{"accepted", false}}).status, 422);
  auto disputed = ok(verb::post, path + "/acceptance", tax_,
                     {{"accepted", false}, {"note", "企业登记信息中没有用电量"}});
  EXPECT_EQ(disputed["status"], "disputed");
  auto again = ok(verb::post, path + "/assignment", coordinator_, {{"provider_code", kStats}});
  EXPECT_EQ(again["status"], "assigned");
  EXPECT_TRUE(again["outcome"].is_null()) << "the earlier answer is history now";
  EXPECT_EQ(call(verb::get, path, market_).status, 404) << "no longer market regulation's";
  ok(verb::post, path + "/response", stats_,
     {{"outcome", "not_held"}, {"reason", "统计局不掌握企业逐月用电量，建议向供电局申请"}});
  auto closed = ok(verb::post, path + "/acceptance", tax_, {{"accepted", true}});
  EXPECT_EQ(closed["status"], "closed");
  EXPECT_FALSE(closed["closed_at"].is_null());
  EXPECT_EQ(call(verb::post, path + "/acceptance", tax_, {{"accepted", true}}).status, 409);
  EXPECT_EQ(
      call(verb::post, path + "/assignment", coordinator_, {{"provider_code", kMarket}}).status,
      409)
      << "a closed demand stays closed";

  // Every step is in the sharing history: posted, assigned, answered, disputed, reassigned,
  // answered, accepted.
  EXPECT_EQ(events(id), 7);
  EXPECT_EQ(count("SELECT count(*) FROM ledger_entries", pg::Params()), 0) << "no ledger entry";
}

// The monitor evaluates its rules every 100 ms.
class DemandAlertTest : public DemandTest {
 protected:
  void SetUp() override {
    begin([](Config& c) { c.monitor.interval = std::chrono::milliseconds(100); });
  }
};

TEST_F(DemandAlertTest, AnOverdueDemandShowsInBothListsAndWarnsTheAgencyAssigned) {
  const std::string id = ok(verb::post, "/api/v1/demands", tax_, demand_body())["id"];
  ok(verb::post, "/api/v1/demands/" + id + "/assignment", coordinator_,
     {{"provider_code", kMarket}});
  EXPECT_TRUE(ok(verb::get, "/api/v1/demands?status=overdue", market_)["items"].empty());
  auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
  pg::exec_blocking(su.get(), "UPDATE demands SET due_at = now() - interval '1 hour' WHERE id = $1",
                    pg::Params().add(id));
  auto incoming = ok(verb::get, "/api/v1/demands?direction=incoming&status=overdue", market_);
  ASSERT_EQ(incoming["items"].size(), 1u);
  EXPECT_TRUE(incoming["items"][0]["overdue"].get<bool>());
  EXPECT_EQ(ok(verb::get, "/api/v1/demands?status=overdue", tax_)["items"].size(), 1u);
  EXPECT_TRUE(ok(verb::get, "/api/v1/demands?status=overdue", stats_)["items"].empty());

  json alerts;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    alerts = ok(verb::get, "/api/v1/alerts?rule=demand_overdue", coordinator_)["items"];
  } while (alerts.empty() && std::chrono::steady_clock::now() < until);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["agency_code"], kMarket) << "against the agency that must answer";
  EXPECT_EQ(alerts[0]["detail"]["demand_id"], id);
  EXPECT_EQ(alerts[0]["detail"]["consumer_code"], kTax);
  // Answered late: no further alert for it.
  ok(verb::post, "/api/v1/demands/" + id + "/response", market_,
     {{"outcome", "refused"}, {"reason", "涉及商业秘密，不予提供"}});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(ok(verb::get, "/api/v1/alerts?rule=demand_overdue", coordinator_)["items"].size(), 1u);
}

// Escalations (协调): tax brings a rejected application and an overdue one to the group.
TEST_F(DemandTest, ARejectedOrOverdueApplicationIsEscalatedAndRuled) {
  const std::string app = submit(tax_, application(conditional_, city_date(120)));
  const std::string path = "/api/v1/applications/" + app + "/escalation";
  EXPECT_EQ(call(verb::post, path, tax_, {{"reason", "x"}}).status, 409)
      << "pending within its deadline: nothing to escalate";
  decide(market_, app, "reject");
  EXPECT_EQ(call(verb::post, path, market_, {{"reason", "x"}}).status, 403) << "not the provider";
  EXPECT_EQ(call(verb::post, path, stats_, {{"reason", "x"}}).status, 404);
  EXPECT_EQ(call(verb::post, path, tax_system_, {{"reason", "x"}}).status, 403);
  EXPECT_EQ(call(verb::post, path, tax_, {{"reason", ""}}).status, 422);
  auto e =
      call(verb::post, path, tax_, {{"reason", "核实纳税人登记信息有法定依据，拒绝理由不成立"}});
  ASSERT_EQ(e.status, 201) << e.body;
  const json esc = json::parse(e.body);
  EXPECT_EQ(esc["status"], "open");
  EXPECT_EQ(esc["provider_code"], kMarket);
  EXPECT_EQ(call(verb::post, path, tax_, {{"reason", "again"}}).status, 409) << "one at a time";
  const std::string id = esc["id"];
  const std::string ruling = "/api/v1/escalations/" + id + "/ruling";

  // Both sides and the group see it; a third agency does not.
  EXPECT_EQ(ok(verb::get, "/api/v1/escalations", market_)["items"].size(), 1u);
  EXPECT_EQ(ok(verb::get, "/api/v1/escalations?status=open", coordinator_)["items"].size(), 1u);
  EXPECT_TRUE(ok(verb::get, "/api/v1/escalations", stats_)["items"].empty());
  EXPECT_EQ(call(verb::get, "/api/v1/escalations/" + id, stats_).status, 404);
  EXPECT_EQ(call(verb::get, "/api/v1/escalations?status=closed", tax_).status, 400);

  // Ruled by a coordinator: reconsider reopens the application with a fresh deadline.
  EXPECT_EQ(call(verb::post, ruling, tax_, {{"outcome", "upheld"}, {"note", "x"}}).status, 403);
  EXPECT_EQ(call(verb::post, ruling, kAdmin, {{"outcome", "upheld"}, {"note", "x"}}).status, 403);
  EXPECT_EQ(call(verb::post, ruling, coordinator_, {{"outcome", "maybe"}, {"note", "x"}}).status,
            422);
  EXPECT_EQ(call(verb::post, ruling, coordinator_, {{"outcome", "upheld"}}).status, 422);
  auto ruled = ok(verb::post, ruling, coordinator_,
                  {{"outcome", "reconsider"}, {"note", "用途明确、依据充分，请提供方重新审核"}});
  EXPECT_EQ(ruled["status"], "ruled");
  EXPECT_EQ(ruled["outcome"], "reconsider");
  EXPECT_EQ(call(verb::post, ruling, coordinator_, {{"outcome", "upheld"}, {"note", "x"}}).status,
            409)
      << "ruled once";
  auto reopened = ok(verb::get, "/api/v1/applications/" + app, tax_);
  EXPECT_EQ(reopened["status"], "pending");
  EXPECT_FALSE(reopened["overdue"].get<bool>());
  const std::string due = reopened["due_at"];
  EXPECT_GT(due, sharing::format_time(std::chrono::system_clock::now() + std::chrono::days(7)))
      << "a fresh deadline of ten working days";
  // The provider decides again.
  EXPECT_EQ(decide(market_, app)["status"], "approved");
  EXPECT_EQ(count("SELECT count(*) FROM sharing_events WHERE object_id = $1"
                  " AND action IN ('escalated', 'reopened')",
                  pg::Params().add(app)),
            2);

  // An application undecided past its deadline is escalated too; "upheld" leaves it as it is.
  const std::string late = submit(tax_, application(unconditional_, city_date(30)));
  EXPECT_EQ(
      call(verb::post, "/api/v1/applications/" + late + "/escalation", tax_, {{"reason", "x"}})
          .status,
      409)
      << "approved at once: nothing to escalate";
  const std::string waiting =
      submit(tax_, {{"resource_code", resource(sample_resource(kMarket, "经营异常名录"))},
                    {"items", {"uscc"}},
                    {"operations", {"read"}},
                    {"purpose", "核查"},
                    {"valid_until", city_date(60)}});
  auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
  pg::exec_blocking(su.get(),
                    "UPDATE applications SET due_at = now() - interval '1 day' WHERE id = $1",
                    pg::Params().add(waiting));
  auto second = ok(verb::post, "/api/v1/applications/" + waiting + "/escalation", tax_,
                   {{"reason", "超期未答复"}});
  auto upheld = ok(verb::post, "/api/v1/escalations/" + second["id"].get<std::string>() + "/ruling",
                   coordinator_, {{"outcome", "upheld"}, {"note", "已督促提供方答复"}});
  EXPECT_EQ(upheld["outcome"], "upheld");
  EXPECT_EQ(ok(verb::get, "/api/v1/applications/" + waiting, tax_)["status"], "pending");
  EXPECT_TRUE(ok(verb::get, "/api/v1/applications/" + waiting, tax_)["overdue"].get<bool>());
}

// Issued reports (通报): frozen bytes, signed by the ledger key, the same at every fetch while
// the live report changes.
TEST_F(DemandTest, AnIssuedReportIsFrozenSignedAndVerifiable) {
  const std::string from = city_date(-30), to = city_date(0);
  const json body = {{"from", from},
                     {"to", to},
                     {"number", "穗数通〔2026〕11号"},
                     {"title", "2026年11月政务数据共享情况通报"}};
  EXPECT_EQ(call(verb::post, "/api/v1/reports/issues", tax_cdo_, body).status, 403);
  EXPECT_EQ(call(verb::post, "/api/v1/reports/issues", market_, body).status, 403);
  json no_number = body;
  no_number.erase("number");
  EXPECT_EQ(call(verb::post, "/api/v1/reports/issues", coordinator_, no_number).status, 422);
  json backwards = body;
  backwards["from"] = city_date(1);
  EXPECT_EQ(call(verb::post, "/api/v1/reports/issues", coordinator_, backwards).status, 400);

  auto issued = call(verb::post, "/api/v1/reports/issues", coordinator_, body);
  ASSERT_EQ(issued.status, 201) << issued.body;
  const json issue = json::parse(issued.body);
  EXPECT_EQ(issue["number"], "穗数通〔2026〕11号");
  EXPECT_EQ(issue["from"], from);
  EXPECT_EQ(issue["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(call(verb::post, "/api/v1/reports/issues", coordinator_, body).status, 409)
      << "one issue per number";
  const std::string id = issue["id"];
  const std::string path = "/api/v1/reports/issues/" + id;

  // The JSON served is what was hashed and signed, with the ledger's key.
  auto first = call(verb::get, path, tax_cdo_);
  ASSERT_EQ(first.status, 200) << first.body;
  const auto digest = ledger::sha256(first.body);
  EXPECT_EQ(to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size())),
            issue["sha256"]);
  const json key = ok(verb::get, "/api/v1/ledger/public-key", kAdmin);
  auto verifier = ledger::parse_vkey(key["vkey"].get<std::string>());
  ASSERT_TRUE(verifier);
  auto signature = base64_decode(issue["signature"].get<std::string>());
  ASSERT_TRUE(signature);
  EXPECT_TRUE(verifier->verify(first.body, *signature));
  const json doc = json::parse(first.body);
  EXPECT_EQ(doc["issue"]["number"], "穗数通〔2026〕11号");
  EXPECT_EQ(doc["from"], from);
  const auto rows_before = doc["agencies"].size();
  auto csv = call(verb::get, path + "?format=csv", tax_cdo_);
  auto xlsx = call(verb::get, path + "?format=xlsx", coordinator_);
  ASSERT_EQ(csv.status, 200);
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");
  EXPECT_EQ(csv.header("X-Hub-Report-Signature"), issue["signature"]);

  // The world moves on: a new agency, so the live report has another row; the issue does not.
  agency(kPolice);
  EXPECT_EQ(ok(verb::get, "/api/v1/reports/sharing-status?from=" + from + "&to=" + to,
               coordinator_)["agencies"]
                .size(),
            rows_before + 1);
  EXPECT_EQ(call(verb::get, path, coordinator_).body, first.body) << "the same bytes forever";
  EXPECT_EQ(call(verb::get, path + "?format=csv", coordinator_).body, csv.body);
  EXPECT_EQ(call(verb::get, path + "?format=xlsx", coordinator_).body, xlsx.body);

  // Who reads them; the list, newest first.
  EXPECT_EQ(call(verb::get, path, tax_).status, 403);
  EXPECT_EQ(call(verb::get, "/api/v1/reports/issues/no-such-issue", coordinator_).status, 404);
  EXPECT_EQ(call(verb::get, path + "?format=pdf", coordinator_).status, 400);
  auto list = ok(verb::get, "/api/v1/reports/issues", stats_);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["id"], id);

  // hubctl: issue, then verify the file offline with the signature and the key, and a changed
  // file is caught.
  auto [rc, out, err] =
      hubctl({"report", "issue", "--from", from, "--to", to, "--number", "穗数通〔2026〕12号",
              "--title", "测试通报", "-o", (dir_.path() / "issue.json").string()},
             coordinator_);
  ASSERT_EQ(rc, 0) << err;
  const auto sig_at = out.find("signature ");
  ASSERT_NE(sig_at, std::string::npos) << out;
  const std::string sig = out.substr(sig_at + 10, out.find('\n', sig_at) - sig_at - 10);
  const auto key_file = (dir_.path() / "ledger.pem").string();
  std::ofstream(key_file) << key["public_key_pem"].get<std::string>();
  auto [vrc, vout, verr] = hubctl({"report", "verify", (dir_.path() / "issue.json").string(),
                                   "--signature", sig, "--key", key_file});
  EXPECT_EQ(vrc, 0) << verr;
  EXPECT_NE(vout.find("ok: signed by the ledger key"), std::string::npos) << vout;
  {
    std::string changed = read_text(dir_.path() / "issue.json");
    changed.replace(changed.find("测试通报"), std::string("测试通报").size(), "伪造通报");
    std::ofstream(dir_.path() / "forged.json", std::ios::trunc) << changed;
  }
  auto [frc, fout, ferr] = hubctl({"report", "verify", (dir_.path() / "forged.json").string(),
                                   "--signature", sig, "--key", key_file});
  EXPECT_EQ(frc, 1) << fout;
  EXPECT_NE(ferr.find("does not match"), std::string::npos) << ferr;
  // Against the hub: the signature and digest come with the issue.
  auto [hrc, hout, herr] = hubctl({"report", "verify", (dir_.path() / "forged.json").string(),
                                   "--issue", list["items"][0]["id"].get<std::string>()},
                                  coordinator_);
  EXPECT_EQ(hrc, 1) << hout;
}

// The roster of CDOs (GET /principals?role=agency_cdo): the hub's staff see every agency's, an
// agency's CDO its own.
TEST_F(DemandTest, TheCdoRosterIsAPrincipalListByRole) {
  auto names = [&](const std::string& target, const std::string& token) {
    std::set<std::string> out;
    const json page = ok(verb::get, target, token);
    for (const auto& p : page["items"]) out.insert(p["name"]);
    return out;
  };
  EXPECT_EQ(names("/api/v1/principals?role=agency_cdo", coordinator_),
            (std::set<std::string>{"sw-cdo", "tj-cdo"}));
  EXPECT_EQ(names(std::string("/api/v1/principals?role=agency_cdo&agency=") + kTax, kAdmin),
            (std::set<std::string>{"sw-cdo"}));
  EXPECT_EQ(names("/api/v1/principals?role=agency_cdo", tax_cdo_),
            (std::set<std::string>{"sw-cdo"}))
      << "a CDO sees its own agency's";
  EXPECT_EQ(names("/api/v1/principals?role=agency_system", tax_cdo_),
            (std::set<std::string>{"sw-system"}));
  EXPECT_EQ(call(verb::get, "/api/v1/principals?role=root", coordinator_).status, 400);
  EXPECT_EQ(call(verb::get, std::string("/api/v1/principals?agency=") + kStats, tax_cdo_).status,
            403);
  EXPECT_EQ(call(verb::get, "/api/v1/principals", tax_).status, 403);
  auto [rc, out, err] = hubctl({"principals", "list", "--role", "agency_cdo"}, coordinator_);
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(out.find("sw-cdo"), std::string::npos) << out;
  EXPECT_EQ(out.find("sw-officer"), std::string::npos) << out;
}

// calendar_ending: the working-day calendar's last year ends within the window, and nothing
// after it is there: the hub's own alert, for its staff, with no agency.
class CalendarEndingTest : public DemandTest {
 protected:
  void SetUp() override {
    const auto now = std::chrono::system_clock::now() + std::chrono::hours(8);
    const int year = static_cast<int>(
        std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(now)}.year());
    year_ = year;
    calendar_ = dir_.path() / "calendar.json";
    std::ofstream(calendar_) << json({{"utc_offset", "+08:00"},
                                      {"years", {year}},
                                      {"holidays", {std::to_string(year) + "-10-01"}}})
                                    .dump();
    begin([this](Config& c) {
      c.monitor.interval = std::chrono::milliseconds(100);
      c.monitor.calendar_ending_days = 366;  // whatever the day of the year
      c.sharing.calendar_file = calendar_.string();
    });
  }
  int year_ = 0;
  std::filesystem::path calendar_;
};

TEST_F(CalendarEndingTest, ACalendarAboutToEndWarnsTheHubsStaff) {
  json alerts;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    alerts = ok(verb::get, "/api/v1/alerts?rule=calendar_ending", coordinator_)["items"];
  } while (alerts.empty() && std::chrono::steady_clock::now() < until);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_TRUE(alerts[0]["agency_code"].is_null()) << "the hub's own";
  EXPECT_TRUE(alerts[0]["agency_name"].is_null());
  EXPECT_EQ(alerts[0]["detail"]["last_year"], year_);
  EXPECT_EQ(alerts[0]["detail"]["ends_on"], std::to_string(year_) + "-12-31");
  EXPECT_GE(alerts[0]["detail"]["days_left"].get<int>(), 0);
  EXPECT_TRUE(ok(verb::get, "/api/v1/alerts", tax_cdo_)["items"].empty())
      << "no agency's CDO sees it";
  ok(verb::post, "/api/v1/alerts/" + alerts[0]["id"].get<std::string>() + "/ack", kAdmin,
     {{"note", "已提交明年的放假安排"}});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(ok(verb::get, "/api/v1/alerts?rule=calendar_ending", coordinator_)["items"].size(), 1u)
      << "once per calendar year";
}

// Agencies in a reorganisation (机构改革): renamed, moved, disabled (its principals refused at
// once, here and on another node) and enabled again.
TEST_F(DemandTest, AnAgencyIsRenamedMovedDisabledAndEnabled) {
  const std::string tax = std::string("/api/v1/agencies/") + kTax;
  EXPECT_EQ(call(verb::patch, tax, coordinator_, {{"name", "x"}}).status, 403);
  EXPECT_EQ(call(verb::patch, tax, tax_cdo_, {{"name", "x"}}).status, 403);
  EXPECT_EQ(
      call(verb::patch, "/api/v1/agencies/11440100D5NQWYF282", kAdmin, {{"name", "x"}}).status,
      404);
  for (const json& bad :
       {json::object(), json{{"name", ""}}, json{{"name", "一\n二"}}, json{{"status", "gone"}},
        json{{"parent_code", kTax}}, json{{"parent_code", "11440100D5NQWYF282"}},
        json{{"parent_code", 7}}, json{{"level", "district"}}}) {
    EXPECT_EQ(call(verb::patch, tax, kAdmin, bad).status, 422) << bad.dump();
  }
  auto renamed = ok(verb::patch, tax, kAdmin, {{"name", "国家税务总局广州市税务局（新）"}});
  EXPECT_EQ(renamed["name"], "国家税务总局广州市税务局（新）");
  EXPECT_EQ(renamed["status"], "active");
  // Moved under statistics; statistics cannot then go under tax (a loop); moved back to none.
  EXPECT_EQ(ok(verb::patch, tax, kAdmin, {{"parent_code", kStats}})["parent_code"], kStats);
  EXPECT_EQ(
      call(verb::patch, std::string("/api/v1/agencies/") + kStats, kAdmin, {{"parent_code", kTax}})
          .status,
      422);
  EXPECT_TRUE(ok(verb::patch, tax, kAdmin, {{"parent_code", nullptr}})["parent_code"].is_null());

  // Disabled: its principals are refused at once, here and (within a second) on another node;
  // its people cannot sign in; other agencies' principals are not touched.
  user_password_ = "correct-horse-battery-1";
  person(kTax, "sw-person", "agency_operator");
  auto sign_in = [&] {
    return send(verb::post, "/api/v1/sessions", "",
                R"({"name":"sw-person","password":"correct-horse-battery-1"})")
        .status;
  };
  EXPECT_EQ(sign_in(), 200);
  TempDir other_dir;
  TestHub other(another_node(other_dir));
  client::HttpsClient other_client(other.client_options());
  auto me_there = [&] {
    return other_client.request(verb::get, "/api/v1/me", {}, {{"Authorization", "Bearer " + tax_}})
        .status;
  };
  for (int i = 0; i < 100 && me_there() != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(me_there(), 200);
  auto disabled = ok(verb::patch, tax, kAdmin, {{"status", "disabled"}});
  EXPECT_EQ(disabled["status"], "disabled");
  EXPECT_FALSE(disabled["disabled_at"].is_null());
  EXPECT_EQ(call(verb::get, "/api/v1/me", tax_).status, 401) << "refused from the next request";
  EXPECT_EQ(call(verb::get, "/api/v1/me", tax_system_).status, 401);
  EXPECT_EQ(sign_in(), 401);
  EXPECT_EQ(call(verb::get, "/api/v1/me", market_).status, 200);
  const auto at = std::chrono::steady_clock::now();
  while (me_there() != 401 && std::chrono::steady_clock::now() - at < std::chrono::seconds(2)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(me_there(), 401) << "node 2 still admits a disabled agency's principal";
  EXPECT_EQ(ok(verb::get, tax, kAdmin)["status"], "disabled");
  EXPECT_EQ(call(verb::post, "/api/v1/principals", kAdmin,
                 {{"agency_code", kTax},
                  {"name", "sw-late"},
                  {"kind", "system"},
                  {"roles", {"agency_system"}}})
                .status,
            409)
      << "no new principal for a disabled agency";

  // Enabled again: admitted again (each node reloads its directory).
  ok(verb::patch, tax, kAdmin, {{"status", "active"}});
  const auto back = std::chrono::steady_clock::now();
  while (call(verb::get, "/api/v1/me", tax_).status != 200 &&
         std::chrono::steady_clock::now() - back < std::chrono::seconds(3)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(call(verb::get, "/api/v1/me", tax_).status, 200);
  EXPECT_EQ(sign_in(), 200);
}

// A merger (机构改革): market's duties pass to statistics (here the agency taking over). What it
// provides, the grants on it, the decisions it owes and the demands assigned to it move; market's
// people are refused; the ledger and past reports keep market as it was.
TEST_F(DemandTest, ASuccessorTakesOverResourcesGrantsAndPendingWork) {
  purpose_ = kTaxPurpose;
  auto granted =
      ok(verb::post, "/api/v1/applications", tax_, application(unconditional_, city_date(60)));
  const std::string grant = granted["grant_id"];
  const std::string pending = submit(tax_, application(conditional_, city_date(60)));
  auto d = ok(verb::post, "/api/v1/demands", tax_, demand_body());
  const std::string demand = d["id"];
  ok(verb::post, "/api/v1/demands/" + demand + "/assignment", coordinator_,
     {{"provider_code", kMarket}});
  const std::string records = "/api/v1/resources/" + unconditional_ + "/records";
  EXPECT_EQ(call(verb::get, records, tax_system_).status, 200);
  const auto ledger_before = count("SELECT count(*) FROM ledger_entries WHERE provider_code = $1",
                                   pg::Params().add(kMarket));
  ASSERT_GT(ledger_before, 0);
  const auto last_index = count("SELECT max(idx) FROM ledger_entries", pg::Params());

  // Refusals: hub_admin only, a real successor that is not the agency itself, both active.
  const std::string path = std::string("/api/v1/agencies/") + kMarket + "/succession";
  const json body = {{"successor_code", kStats}};
  EXPECT_EQ(call(verb::post, path, coordinator_, body).status, 403);
  EXPECT_EQ(call(verb::post, path, market_, body).status, 403);
  EXPECT_EQ(call(verb::post, "/api/v1/agencies/11440100D5NQWYF282/succession", kAdmin, body).status,
            404);
  for (const json& bad :
       {json::object(), json{{"successor_code", kMarket}},
        json{{"successor_code", "11440100D5NQWYF282"}}, json{{"successor_code", 7}},
        json{{"successor_code", kStats}, {"resources", "none"}}}) {
    EXPECT_EQ(call(verb::post, path, kAdmin, bad).status, 422) << bad.dump();
  }
  EXPECT_EQ(ok(verb::get, std::string("/api/v1/agencies/") + kMarket, kAdmin)["status"], "active")
      << "nothing refused changed it";

  auto out = ok(verb::post, path, kAdmin, body);
  EXPECT_EQ(out["status"], "disabled");
  EXPECT_EQ(out["successor_code"], kStats);
  EXPECT_EQ(out["moved"]["resources"], 2);
  EXPECT_EQ(out["moved"]["grants"], 1);
  EXPECT_EQ(out["moved"]["applications"], 1);
  EXPECT_EQ(out["moved"]["demands"], 1);
  EXPECT_EQ(call(verb::post, path, kAdmin, body).status, 409) << "once";
  EXPECT_EQ(call(verb::post, std::string("/api/v1/agencies/") + kTax + "/succession", kAdmin,
                 {{"successor_code", kMarket}})
                .status,
            409)
      << "not to a disabled agency";
  EXPECT_EQ(
      call(verb::patch, std::string("/api/v1/agencies/") + kMarket, kAdmin, {{"status", "active"}})
          .status,
      409)
      << "a succeeded agency stays disabled";

  // Market's people are refused; the resources are statistics' now, in the catalog and for
  // decisions; tax's grant still reads, now from statistics.
  EXPECT_EQ(call(verb::get, "/api/v1/me", market_).status, 401);
  auto resource = ok(verb::get, "/api/v1/resources/" + unconditional_, stats_);
  EXPECT_EQ(resource["provider_code"], kStats);
  EXPECT_EQ(ok(verb::get, "/api/v1/grants/" + grant, tax_)["provider_code"], kStats);
  EXPECT_EQ(ok(verb::get, "/api/v1/applications/" + pending, stats_)["provider_code"], kStats);
  EXPECT_EQ(ok(verb::get, "/api/v1/demands/" + demand, stats_)["provider_code"], kStats);
  // Reads go on under the same grant; once the node has reloaded (within a second) their
  // entries name statistics.
  auto stats_entries = [&] {
    return count("SELECT count(*) FROM ledger_entries WHERE provider_code = $1",
                 pg::Params().add(kStats));
  };
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (stats_entries() == 0 && std::chrono::steady_clock::now() < until) {
    EXPECT_EQ(call(verb::get, records, tax_system_).status, 200) << "the grant moved with it";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(stats_entries(), 0);
  EXPECT_EQ(decide(stats_, pending)["status"], "approved") << "the successor decides";

  // The ledger keeps what it recorded: the entries from before still name market.
  EXPECT_EQ(count("SELECT count(*) FROM ledger_entries WHERE provider_code = $1 AND idx <= $2",
                  pg::Params().add(kMarket).add(last_index)),
            ledger_before);

  // Reports: a period that ended before the succession keeps market's row with its resources;
  // this month has both rows (market was active in it), the resources under statistics; a
  // period after it has no row for market.
  sql("UPDATE resources SET created_at = now() - interval '40 days',"
      " published_at = now() - interval '40 days' WHERE code = ANY ($1::text[])",
      pg::Params().add("{" + conditional_ + "," + unconditional_ + "}"));
  auto row = [](const json& report, const std::string& code) {
    for (const auto& a : report["agencies"]) {
      if (a["agency_code"] == code) return a;
    }
    return json();
  };
  auto past = ok(verb::get,
                 "/api/v1/reports/sharing-status?from=" + city_date(-35) + "&to=" + city_date(-2),
                 coordinator_);
  EXPECT_EQ(row(past, kMarket)["resources_published"], 2) << past;
  EXPECT_EQ(row(past, kStats)["resources_published"], 0);
  auto now =
      ok(verb::get, "/api/v1/reports/sharing-status?from=" + city_date(0) + "&to=" + city_date(0),
         coordinator_);
  EXPECT_EQ(row(now, kMarket)["resources_published"], 0) << now;
  EXPECT_EQ(row(now, kStats)["resources_published"], 2);
  auto later =
      ok(verb::get, "/api/v1/reports/sharing-status?from=" + city_date(1) + "&to=" + city_date(2),
         coordinator_);
  EXPECT_TRUE(row(later, kMarket).is_null()) << "no row after the succession";
  EXPECT_FALSE(row(later, kStats).is_null());
}

// hubctl principals import: many accounts from a CSV, people with generated initial passwords
// (0600), re-runnable, refusals listed by line.
TEST_F(DemandTest, PrincipalsAreImportedFromCsv) {
  const auto csv = dir_.path() / "people.csv";
  const auto passwords = dir_.path() / "passwords.csv";
  std::ofstream(csv) << "agency_code,name,kind,roles,cert_sha256\n"
                     << kTax << ",sw-zhangsan,user,agency_cdo;agency_data_officer,\n"
                     << kStats << ",tj-gateway,system,agency_system,\n"
                     << kStats << ",tj-boss,user,hub_owner,\n";
  auto [rc, out, err] =
      hubctl({"principals", "import", csv.string(), "-o", passwords.string()}, kAdmin);
  EXPECT_EQ(rc, 1) << out << err;
  EXPECT_NE(out.find("2 created, 0 already there, 1 refused"), std::string::npos) << out;
  EXPECT_NE(err.find("line 4 (tj-boss)"), std::string::npos) << err;
  EXPECT_EQ(std::filesystem::status(passwords).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string written = read_text(passwords);
  const auto at = written.find("sw-zhangsan,");
  ASSERT_NE(at, std::string::npos) << written;
  const std::string password = written.substr(at + 12, written.find('\n', at) - at - 12);
  EXPECT_EQ(password.size(), 16u);
  EXPECT_EQ(written.find("tj-gateway"), std::string::npos) << "systems have no password";
  auto session = send(verb::post, "/api/v1/sessions", "",
                      json({{"name", "sw-zhangsan"}, {"password", password}}).dump());
  EXPECT_EQ(session.status, 200) << session.body;
  auto roster =
      ok(verb::get, "/api/v1/principals?role=agency_cdo&agency=" + std::string(kTax), coordinator_);
  EXPECT_EQ(roster["items"].size(), 2u);
  // Again: nothing new, the existing names skipped.
  auto [rc2, out2, err2] =
      hubctl({"principals", "import", csv.string(), "-o", passwords.string()}, kAdmin);
  EXPECT_NE(out2.find("0 created, 2 already there, 1 refused"), std::string::npos) << out2;
  // Only hub_admin and CDOs create principals; a CDO only its own agency's.
  auto [rc3, out3, err3] =
      hubctl({"principals", "import", csv.string(), "-o", passwords.string()}, stats_);
  EXPECT_NE(out3.find("0 created"), std::string::npos) << out3;
}

}  // namespace
}  // namespace hub::test
