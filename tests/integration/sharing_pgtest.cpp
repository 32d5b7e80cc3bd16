// The sharing workflow between agencies: applications, decisions, grants, objections.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <thread>

#include "hub/store/pg.hpp"

#include "support/catalog_samples.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

// kMarket provides, kTax applies, kStats is a third agency.
class SharingTest : public HubTest {
 protected:
  void SetUp() override {
    start();
    for (auto code : {kMarket, kTax, kStats}) agency(code);
    market_ = person(kMarket, "sc-officer", "agency_data_officer");
    market_ops_ = person(kMarket, "sc-operator", "agency_operator");
    tax_ = person(kTax, "sw-officer", "agency_data_officer");
    tax_system_ = person(kTax, "sw-system", "agency_system", "system");
    stats_ = person(kStats, "tj-cdo", "agency_cdo");
    conditional_ = resource(sample_resource(kMarket));
    auto open = sample_resource(kMarket, "公开企业名录");
    open["share_type"] = "unconditional";
    unconditional_ = resource(open);
    auto closed = sample_resource(kMarket, "执法案件信息");
    closed["share_type"] = "none";
    none_ = resource(closed);
  }

  json application(const std::string& code, json extra = json::object()) {
    json body = {{"resource_code", code},
                 {"items", {"uscc", "legal_person"}},
                 {"operations", {"read", "query"}},
                 {"purpose", "税收征管中核实纳税人登记信息"},
                 {"valid_until", city_date(365)}};
    body.update(extra);
    return body;
  }

  std::string market_, market_ops_, tax_, tax_system_, stats_;
  std::string conditional_, unconditional_, none_;
};

// The workflow without HTTP: a caller other than the REST api (hubctl, the services gateway, a
// joint computation) applies, decides and lists through the domain with typed requests, gets
// typed errors, and what it did is what the REST api then shows.
TEST_F(SharingTest, TheDomainAppliesDecidesAndListsWithoutHttp) {
  auto& sharing = hub_->app().sharing();
  const Caller consumer = domain_caller(tax_, "domain-apply-1");
  sharing::ApplicationRequest asked;
  asked.resource_code = conditional_;
  asked.items = {"uscc", "legal_person"};
  asked.operations = {"read"};
  asked.purpose = "税收征管中核实纳税人登记信息";
  asked.purpose_codes = {"TAX-001", "TAX-001"};
  asked.valid_until = city_date(365);
  const sharing::Application pending = on_worker(consumer, sharing.apply(consumer, asked));
  EXPECT_EQ(pending.status, "pending");
  EXPECT_EQ(pending.purpose_codes, std::vector<std::string>{"TAX-001"});  // each once
  EXPECT_TRUE(pending.due_at.has_value());  // in working days, from the calendar
  const std::string id = pending.id;

  // The domain's rules hold whoever calls: another agency's application does not exist for it,
  // and a resource that is not shared is refused with the typed error the api maps to 403.
  const Caller third = domain_caller(stats_, "domain-apply-2");
  try {
    on_worker(third, sharing.application(third, id));
    ADD_FAILURE() << "another agency saw the application";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
  }
  sharing::ApplicationRequest far = asked;
  far.valid_until = "4052-10-01";  // past what a clock can hold: refused, never computed with
  try {
    on_worker(consumer, sharing.apply(consumer, far));
    ADD_FAILURE() << "a grant until 4052 was applied for";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::validation_failed);
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].field, "valid_until");
  }
  sharing::ApplicationRequest closed = asked;
  closed.resource_code = none_;
  try {
    on_worker(consumer, sharing.apply(consumer, closed));
    ADD_FAILURE() << "a resource that is not shared was applied for";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_shareable);
  }

  const Caller provider = domain_caller(market_, "domain-decide-1");
  sharing::DecisionRequest decision;
  decision.approve = true;
  decision.items = std::vector<std::string>{"uscc"};
  const sharing::Application approved = on_worker(provider, sharing.decide(provider, id, decision));
  EXPECT_EQ(approved.status, "approved");
  ASSERT_TRUE(approved.grant_id.has_value());
  const std::string grant_id = *approved.grant_id;
  auto g = ok(verb::get, "/api/v1/grants/" + grant_id, tax_);
  EXPECT_EQ(g["items"], json({"uscc"}));
  EXPECT_EQ(g["status"], "active");

  sharing::WorkflowFilter outgoing;
  outgoing.direction = "outgoing";
  PageRequest page;
  page.limit = 1;
  const auto first = on_worker(consumer, sharing.applications(consumer, outgoing, page));
  ASSERT_EQ(first.items.size(), 1u);
  EXPECT_EQ(first.items[0].id, id);
  EXPECT_TRUE(first.next.has_value());  // a full page: there may be more
  outgoing.agency = kStats;             // not the caller's agency: ignored for an agency principal
  const PageRequest all;
  const auto own = on_worker(consumer, sharing.applications(consumer, outgoing, all));
  ASSERT_EQ(own.items.size(), 1u);
  EXPECT_EQ(own.items[0].consumer_code, kTax);
}

TEST_F(SharingTest, UnconditionalIsGrantedAtOnce) {
  auto a = call(verb::post, "/api/v1/applications", tax_, application(unconditional_));
  ASSERT_EQ(a.status, 201) << a.body;
  auto app = json::parse(a.body);
  EXPECT_EQ(app["status"], "approved");
  EXPECT_FALSE(app["grant_id"].is_null());
  EXPECT_TRUE(app["due_at"].is_null());
  auto grant = ok(verb::get, "/api/v1/grants/" + app["grant_id"].get<std::string>(), tax_);
  EXPECT_EQ(grant["status"], "active");
  EXPECT_EQ(grant["consumer_code"], kTax);
  EXPECT_EQ(grant["items"], json({"uscc", "legal_person"}));
  // The lists of grants received and given, as the console reads them a page at a time.
  const std::string given = "/api/v1/grants?provider=" + std::string(kMarket);
  const std::string received = "/api/v1/grants?consumer=" + std::string(kTax);
  EXPECT_EQ(ok(verb::get, given, tax_)["items"].size(), 1u);
  EXPECT_EQ(ok(verb::get, received, tax_)["items"].size(), 1u);
  EXPECT_EQ(ok(verb::get, given, market_)["items"].size(), 1u);
  EXPECT_TRUE(ok(verb::get, "/api/v1/grants?provider=" + std::string(kTax), tax_)["items"].empty());
  // A third agency sees none of them, whatever it filters by.
  EXPECT_TRUE(ok(verb::get, given, stats_)["items"].empty());
  // The authorization function sees it at once, without the database.
  Principal system;
  system.id = "x";
  system.agency_code = kTax;
  auto d =
      hub_->app().grants().authorize(system, unconditional_, sharing::Operation::read, {"uscc"});
  EXPECT_TRUE(d.allowed) << d.reason;
  EXPECT_EQ(d.grant_id, app["grant_id"]);
  EXPECT_FALSE(hub_->app()
                   .grants()
                   .authorize(system, unconditional_, sharing::Operation::verify, {"uscc"})
                   .allowed);
  EXPECT_FALSE(hub_->app()
                   .grants()
                   .authorize(system, unconditional_, sharing::Operation::read, {"reg_capital"})
                   .allowed);
}

TEST_F(SharingTest, NoneIsNotShareable) {
  auto r = call(verb::post, "/api/v1/applications", tax_, application(none_));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(json::parse(r.body)["code"], "not_shareable");
}

TEST_F(SharingTest, ConditionalWaitsForTheProviderWithADeadline) {
  auto app = ok(verb::post, "/api/v1/applications", tax_, application(conditional_));
  EXPECT_EQ(app["status"], "pending");
  EXPECT_FALSE(app["due_at"].is_null());
  EXPECT_TRUE(app["grant_id"].is_null());
  auto again = call(verb::post, "/api/v1/applications", tax_, application(conditional_));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(json::parse(again.body)["code"], "conflict");

  const std::string id = app["id"];
  auto incoming = ok(verb::get, "/api/v1/applications?direction=incoming", market_);
  ASSERT_EQ(incoming["items"].size(), 1u);
  EXPECT_EQ(ok(verb::get, "/api/v1/applications?direction=incoming", tax_)["items"].size(), 0u);
  EXPECT_EQ(ok(verb::get, "/api/v1/applications?direction=outgoing", tax_)["items"].size(), 1u);

  // A third agency sees neither side; the consumer cannot decide its own application.
  EXPECT_EQ(call(verb::get, "/api/v1/applications/" + id, stats_).status, 404);
  EXPECT_TRUE(ok(verb::get, "/api/v1/applications", stats_)["items"].empty());
  EXPECT_EQ(call(verb::post, "/api/v1/applications/" + id + "/decision", stats_,
                 {{"decision", "approve"}})
                .status,
            404);
  EXPECT_EQ(
      call(verb::post, "/api/v1/applications/" + id + "/decision", tax_, {{"decision", "approve"}})
          .status,
      403);

  auto no_reason = call(verb::post, "/api/v1/applications/" + id + "/decision", market_,
                        {{"decision", "reject"}});
  EXPECT_EQ(no_reason.status, 422) << "a rejection without an opinion";

  // Approve a subset: one item, one operation.
  auto decided = ok(verb::post, "/api/v1/applications/" + id + "/decision", market_,
                    {{"decision", "approve"},
                     {"opinion", "同意，仅限统一社会信用代码"},
                     {"items", {"uscc"}},
                     {"operations", {"read"}}});
  EXPECT_EQ(decided["status"], "approved");
  EXPECT_FALSE(decided["decided_by"].is_null());
  auto grant = ok(verb::get, "/api/v1/grants/" + decided["grant_id"].get<std::string>(), tax_);
  EXPECT_EQ(grant["items"], json({"uscc"}));
  EXPECT_EQ(grant["operations"], json({"read"}));
  EXPECT_EQ(call(verb::post, "/api/v1/applications/" + id + "/decision", market_,
                 {{"decision", "reject"}, {"opinion", "x"}})
                .status,
            409)
      << "decided once";
  EXPECT_EQ(call(verb::get, "/api/v1/grants/" + grant["id"].get<std::string>(), stats_).status,
            404);
}

TEST_F(SharingTest, RacingDecisionsLeaveOneOutcomeAndNoStrayGrant) {
  for (int round = 0; round < 5; ++round) {
    auto app = ok(verb::post, "/api/v1/applications", tax_, application(conditional_));
    const std::string id = app["id"];
    auto decide = [&](const json& body) {
      client::HttpsClient c(hub_->client_options());
      return c
          .request(verb::post, "/api/v1/applications/" + id + "/decision", body.dump(),
                   {{"Authorization", "Bearer " + market_}})
          .status;
    };
    unsigned a = 0, b = 0;
    std::thread t1([&] { a = decide({{"decision", "approve"}}); });
    std::thread t2([&] { b = decide({{"decision", "reject"}, {"opinion", "不同意"}}); });
    t1.join();
    t2.join();
    EXPECT_EQ(std::min(a, b), 200u);
    EXPECT_EQ(std::max(a, b), 409u);
    auto conn = pg::connect_blocking(db_.superuser_conninfo(), 5);
    auto grants = pg::exec_blocking(
        conn.get(), "SELECT count(*) FROM grants WHERE application_id = $1", pg::Params().add(id));
    auto final_state = ok(verb::get, "/api/v1/applications/" + id, market_);
    EXPECT_EQ(grants.get_int(0, 0), final_state["status"] == "approved" ? 1 : 0)
        << "a losing approval left a grant behind";
  }
}

TEST_F(SharingTest, RejectionAndWithdrawal) {
  auto app = ok(verb::post, "/api/v1/applications", tax_, application(conditional_));
  auto rejected =
      ok(verb::post, "/api/v1/applications/" + app["id"].get<std::string>() + "/decision", market_,
         {{"decision", "reject"}, {"opinion", "用途与共享条件不符"}});
  EXPECT_EQ(rejected["status"], "rejected");
  EXPECT_EQ(rejected["opinion"], "用途与共享条件不符");
  auto second = ok(verb::post, "/api/v1/applications", tax_, application(conditional_));
  auto withdrawn =
      ok(verb::post, "/api/v1/applications/" + second["id"].get<std::string>() + "/withdraw", tax_);
  EXPECT_EQ(withdrawn["status"], "withdrawn");
  EXPECT_EQ(call(verb::post,
                 "/api/v1/applications/" + second["id"].get<std::string>() + "/withdraw", tax_)
                .status,
            409);
}

TEST_F(SharingTest, ApplicationsAreCheckedFieldByField) {
  auto r = call(verb::post, "/api/v1/applications", tax_,
                application(conditional_, {{"items", {"uscc", "nonexistent"}},
                                           {"clear_items", {"uscc"}},
                                           {"operations", {"read", "delete"}},
                                           {"valid_until", "2020-01-01"}}));
  ASSERT_EQ(r.status, 422);
  std::set<std::string> fields;
  const json problem = json::parse(r.body);
  for (const auto& e : problem["errors"]) fields.insert(e["field"].get<std::string>());
  EXPECT_TRUE(fields.contains("items[1]")) << r.body;
  EXPECT_TRUE(fields.contains("clear_items[0]")) << "uscc is not sensitive: never masked";
  EXPECT_TRUE(fields.contains("operations"));
  EXPECT_TRUE(fields.contains("valid_until"));
  // A purpose of white space only (an ideographic space among it) says nothing.
  auto blank = call(verb::post, "/api/v1/applications", tax_,
                    application(conditional_, {{"purpose", " \u3000 "}}));
  ASSERT_EQ(blank.status, 422) << blank.body;
  EXPECT_NE(blank.body.find("\"purpose\""), std::string::npos) << blank.body;
  auto far = call(verb::post, "/api/v1/applications", tax_,
                  application(conditional_, {{"valid_until", "2099-01-01"}}));
  EXPECT_EQ(far.status, 422) << "at most a year ahead by default";
  auto own = call(verb::post, "/api/v1/applications", market_, application(conditional_));
  EXPECT_EQ(own.status, 422);
  auto clear_ok = call(verb::post, "/api/v1/applications", tax_,
                       application(conditional_, {{"clear_items", {"legal_person"}}}));
  EXPECT_EQ(clear_ok.status, 201) << clear_ok.body;
}

TEST_F(SharingTest, ABreakingNewVersionIsReportedToGrantHolders) {
  auto app = ok(verb::post, "/api/v1/applications", tax_, application(unconditional_));
  const std::string grant = app["grant_id"];
  EXPECT_TRUE(ok(verb::get, "/api/v1/grants/" + grant, tax_)["resource_changes"].empty());
  auto doc = sample_resource(kMarket, "公开企业名录");
  doc["share_type"] = "unconditional";
  doc["items"].erase(1);  // legal_person removed
  ok(verb::put, "/api/v1/resources/" + unconditional_, market_, doc);
  auto changes = ok(verb::get, "/api/v1/grants/" + grant, tax_)["resource_changes"];
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0]["version"], 2);
  EXPECT_EQ(changes[0]["breaking"]["removed"], json({"legal_person"}));
}

TEST_F(SharingTest, RevocationIsRefusedFromTheNextRequest) {
  auto app = ok(verb::post, "/api/v1/applications", tax_, application(unconditional_));
  const std::string grant = app["grant_id"];
  Principal system;
  system.id = "x";
  system.agency_code = kTax;
  auto& grants = hub_->app().grants();
  EXPECT_TRUE(grants.authorize(system, unconditional_, sharing::Operation::read, {"uscc"}).allowed);
  EXPECT_EQ(call(verb::delete_, "/api/v1/grants/" + grant, tax_).status, 403)
      << "the consumer cannot revoke";
  EXPECT_EQ(call(verb::delete_, "/api/v1/grants/" + grant, stats_).status, 404);
  EXPECT_EQ(call(verb::delete_, "/api/v1/grants/" + grant, market_).status, 204);
  EXPECT_FALSE(
      grants.authorize(system, unconditional_, sharing::Operation::read, {"uscc"}).allowed);
  EXPECT_EQ(ok(verb::get, "/api/v1/grants/" + grant, tax_)["status"], "revoked");
}

TEST_F(SharingTest, RevocationReachesAnotherNodeWithinASecond) {
  auto app = ok(verb::post, "/api/v1/applications", tax_, application(unconditional_));
  TempDir other_dir;
  TestHub other(another_node(other_dir));
  Principal system;
  system.id = "x";
  system.agency_code = kTax;
  auto allowed = [&] {
    return other.app()
        .grants()
        .authorize(system, unconditional_, sharing::Operation::read, {"uscc"})
        .allowed;
  };
  for (int i = 0; i < 100 && !allowed(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(allowed());
  ok(verb::delete_, "/api/v1/grants/" + app["grant_id"].get<std::string>(), market_);
  const auto at = std::chrono::steady_clock::now();
  while (allowed() && std::chrono::steady_clock::now() - at < std::chrono::seconds(1)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(allowed()) << "node 2 still allowed the grant a second after revocation";
}

TEST_F(SharingTest, ObjectionsFromGrantHoldersAnsweredByTheProvider) {
  auto app = ok(verb::post, "/api/v1/applications", tax_, application(unconditional_));
  auto missing = "/api/v1/resources/" + unconditional_ + "/records/91440101MA59NONE1X/objections";
  auto path = "/api/v1/resources/" + unconditional_ + "/records/91440101MA59ABCD1X/objections";
  auto gone = call(verb::post, missing, tax_system_,
                   {{"items", {"legal_person"}}, {"description", "法定代表人已变更"}});
  EXPECT_EQ(gone.status, 404) << "an objection names an existing record: " << gone.body;
  ok(verb::put, "/api/v1/resources/" + unconditional_ + "/records/91440101MA59ABCD1X", market_ops_,
     {{"legal_person", "张三"}});
  auto none = call(verb::post, path, stats_, {{"items", {"uscc"}}, {"description", "不一致"}});
  EXPECT_EQ(none.status, 403) << "no grant, no objection";
  EXPECT_EQ(json::parse(none.body)["code"], "no_grant");
  auto beyond = call(verb::post, path, tax_system_,
                     {{"items", {"reg_capital"}}, {"description", "注册资本有误"}});
  EXPECT_EQ(beyond.status, 403) << "only items the grant covers";
  auto opened = call(verb::post, path, tax_system_,
                     {{"items", {"legal_person"}}, {"description", "法定代表人已变更"}});
  ASSERT_EQ(opened.status, 201) << opened.body;
  auto objection = json::parse(opened.body);
  EXPECT_EQ(objection["status"], "open");
  EXPECT_FALSE(objection["due_at"].is_null());
  const std::string id = objection["id"];

  EXPECT_EQ(ok(verb::get, "/api/v1/objections?direction=incoming", market_)["items"].size(), 1u);
  EXPECT_EQ(ok(verb::get, "/api/v1/objections?direction=outgoing", tax_)["items"].size(), 1u);
  EXPECT_EQ(call(verb::get, "/api/v1/objections/" + id, stats_).status, 404);
  EXPECT_EQ(call(verb::post, "/api/v1/objections/" + id + "/resolution", tax_,
                 {{"outcome", "corrected"}, {"note", "x"}})
                .status,
            403);
  // Corrected needs a corrected record: the objected items' values changed. Writing the same
  // values again (a routine reload) is no correction.
  const std::string record = "/api/v1/resources/" + unconditional_ + "/records/91440101MA59ABCD1X";
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto unchanged = call(verb::post, "/api/v1/objections/" + id + "/resolution", market_ops_,
                          {{"outcome", "corrected"}, {"note", "已更正"}});
    EXPECT_EQ(unchanged.status, 409) << unchanged.body;
    EXPECT_NE(unchanged.body.find("hold the values"), std::string::npos) << unchanged.body;
    ok(verb::put, record, market_ops_, {{"legal_person", attempt == 0 ? "张三" : "李四"}});
  }
  auto resolved = ok(verb::post, "/api/v1/objections/" + id + "/resolution", market_ops_,
                     {{"outcome", "corrected"}, {"note", "已按最新登记信息更正"}});
  EXPECT_EQ(resolved["status"], "resolved");
  EXPECT_EQ(ok(verb::get, "/api/v1/objections?status=resolved", tax_)["items"].size(), 1u);
  EXPECT_EQ(ok(verb::get, "/api/v1/objections?status=open", tax_)["items"].size(), 0u);
}

TEST_F(SharingTest, OverdueApplicationsAndObjectionsShowInTheirLists) {
  auto app = ok(verb::post, "/api/v1/applications", tax_, application(conditional_));
  EXPECT_FALSE(app["overdue"].get<bool>());
  EXPECT_TRUE(ok(verb::get, "/api/v1/applications?status=overdue", market_)["items"].empty());
  // Move the deadline into the past, as ten working days going by would.
  auto conn = pg::connect_blocking(db_.superuser_conninfo(), 5);
  pg::exec_blocking(conn.get(), "UPDATE applications SET due_at = now() - interval '1 day'");
  auto overdue = ok(verb::get, "/api/v1/applications?status=overdue", market_);
  ASSERT_EQ(overdue["items"].size(), 1u);
  EXPECT_TRUE(overdue["items"][0]["overdue"].get<bool>());
}

// --- Applications and grants on interface services (API.md Part 2) ------------------------------

json service_resource(const std::string& provider, const std::string& name,
                      const std::string& share_type) {
  return {
      {"kind", "service"},
      {"name", name},
      {"summary", "按统一社会信用代码实时查询市场主体登记信息"},
      {"provider_code", provider},
      {"category", "basic"},
      {"format", "接口"},
      {"share_type", share_type},
      {"legal_basis", "《市场主体登记管理条例》"},
      {"upstream", {{"base_url", "https://api.scj.gz.gov.cn/open/v1"}}},
      {"operations",
       {{{"id", "get_enterprise"},
         {"title", "查询企业登记信息"},
         {"method", "GET"},
         {"path", "/enterprises/{uscc}"},
         {"params", {{{"name", "uscc"}, {"in", "path"}, {"type", "string"}}}},
         {"response_items",
          {{{"name", "uscc"},
            {"title", "统一社会信用代码"},
            {"type", "string"},
            {"sensitivity", "public"}},
           {{"name", "legal_person"},
            {"title", "法定代表人"},
            {"type", "string"},
            {"sensitivity", "sensitive"},
            {"mask", "name"}},
           {{"name", "reg_capital"},
            {"title", "注册资本"},
            {"type", "number"},
            {"sensitivity", "internal"}}}},
         {"subject_param", "uscc"}},
        {{"id", "search_enterprises"},
         {"title", "按名称检索企业"},
         {"method", "POST"},
         {"path", "/enterprises/search"},
         {"params", {{{"name", "name"}, {"in", "body"}, {"type", "string"}, {"required", true}}}},
         {"response_items",
          {{{"name", "uscc"},
            {"title", "统一社会信用代码"},
            {"type", "string"},
            {"sensitivity", "public"}},
           {{"name", "ent_name"},
            {"title", "企业名称"},
            {"type", "string"},
            {"sensitivity", "public"}}}}}}},
  };
}

class ServiceSharingTest : public HubTest {
 protected:
  void SetUp() override {
    start([](Config& c) { c.services.allowed_hosts = {"api.scj.gz.gov.cn"}; });
    for (auto code : {kMarket, kTax, kStats}) agency(code);
    market_ = person(kMarket, "sc-officer", "agency_data_officer");
    tax_ = person(kTax, "sw-officer", "agency_data_officer");
    stats_ = person(kStats, "tj-cdo", "agency_cdo");
    open_ = resource(service_resource(kMarket, "企业登记信息查询（公开）", "unconditional"));
    conditional_ = resource(service_resource(kMarket, "企业登记信息查询", "conditional"));
    tax_system_.id = "tax-system";
    tax_system_.agency_code = kTax;
  }

  json application(const std::string& code, json extra = json::object()) {
    json body = {{"resource_code", code},
                 {"items", {"uscc", "legal_person", "ent_name"}},
                 {"clear_items", {"legal_person"}},
                 {"operations", {"get_enterprise", "search_enterprises"}},
                 {"purpose", "税收征管中核实纳税人登记信息"},
                 {"valid_until", city_date(365)}};
    body.update(extra);
    return body;
  }

  sharing::Decision call_decision(const std::string& code, const std::string& op,
                                  const std::optional<std::string>& purpose_code = {}) {
    return hub_->app().grants().authorize_call(tax_system_, code, op, purpose_code);
  }

  std::string market_, tax_, stats_;
  std::string open_, conditional_;
  Principal tax_system_;
};

TEST_F(ServiceSharingTest, AnUnconditionalServiceIsGrantedAtOnceForItsOperations) {
  auto app = ok(verb::post, "/api/v1/applications", tax_, application(open_));
  EXPECT_EQ(app["status"], "approved");
  EXPECT_EQ(app["operations"], json({"get_enterprise", "search_enterprises"}));
  const std::string grant_id = app["grant_id"];
  auto grant = ok(verb::get, "/api/v1/grants/" + grant_id, tax_);
  EXPECT_EQ(grant["operations"], json({"get_enterprise", "search_enterprises"}));
  EXPECT_EQ(grant["items"], json({"uscc", "legal_person", "ent_name"}));
  EXPECT_EQ(grant["clear_items"], json({"legal_person"}));

  auto d = call_decision(open_, "get_enterprise");
  EXPECT_TRUE(d.allowed) << d.reason;
  EXPECT_EQ(d.grant_id, grant_id);
  EXPECT_EQ(d.items, (std::vector<std::string>{"uscc", "legal_person", "ent_name"}));
  EXPECT_EQ(d.clear_items, std::vector<std::string>{"legal_person"});
  EXPECT_FALSE(call_decision(open_, "delete_enterprise").allowed);
  EXPECT_FALSE(call_decision(conditional_, "get_enterprise").allowed);
  // A service grant is no dataset grant, and another agency holds nothing.
  EXPECT_FALSE(hub_->app()
                   .grants()
                   .authorize(tax_system_, open_, sharing::Operation::read, {"uscc"})
                   .allowed);
  Principal stats;
  stats.id = "stats";
  stats.agency_code = kStats;
  EXPECT_FALSE(hub_->app().grants().authorize_call(stats, open_, "get_enterprise").allowed);

  // Revoked: refused from the next call.
  ok(verb::delete_, "/api/v1/grants/" + grant_id, market_);
  EXPECT_FALSE(call_decision(open_, "get_enterprise").allowed);
}

TEST_F(ServiceSharingTest, AConditionalServiceWaitsAndIsApprovedForLess) {
  auto app = ok(verb::post, "/api/v1/applications", tax_, application(conditional_));
  EXPECT_EQ(app["status"], "pending");
  EXPECT_FALSE(call_decision(conditional_, "get_enterprise").allowed);
  auto not_asked =
      call(verb::post, "/api/v1/applications/" + app["id"].get<std::string>() + "/decision",
           market_, {{"decision", "approve"}, {"opinion", "同意"}, {"operations", {"read"}}});
  EXPECT_EQ(not_asked.status, 422);
  auto decided =
      ok(verb::post, "/api/v1/applications/" + app["id"].get<std::string>() + "/decision", market_,
         {{"decision", "approve"},
          {"opinion", "同意查询单户企业"},
          {"items", {"uscc", "legal_person"}},
          {"operations", {"get_enterprise"}}});
  EXPECT_EQ(decided["status"], "approved");
  auto grant = ok(verb::get, "/api/v1/grants/" + decided["grant_id"].get<std::string>(), tax_);
  EXPECT_EQ(grant["operations"], json({"get_enterprise"}));
  EXPECT_EQ(grant["items"], json({"uscc", "legal_person"}));
  EXPECT_EQ(grant["clear_items"], json({"legal_person"}));
  auto d = call_decision(conditional_, "get_enterprise");
  EXPECT_TRUE(d.allowed) << d.reason;
  EXPECT_EQ(d.items, (std::vector<std::string>{"uscc", "legal_person"}));
  EXPECT_FALSE(call_decision(conditional_, "search_enterprises").allowed);

  // Retiring the service ends the grant (every node hears of it, this one included).
  ok(verb::post, "/api/v1/resources/" + conditional_ + "/retire", market_);
  EXPECT_EQ(ok(verb::get, "/api/v1/grants/" + grant["id"].get<std::string>(), tax_)["status"],
            "ended");
  for (int i = 0; i < 300 && call_decision(conditional_, "get_enterprise").allowed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(call_decision(conditional_, "get_enterprise").allowed);
}

TEST_F(ServiceSharingTest, ApplicationsNameTheServicesOperationsAndResponseItems) {
  auto expect_field = [&](const json& extra, const std::string& field) {
    auto r = call(verb::post, "/api/v1/applications", tax_, application(open_, extra));
    ASSERT_EQ(r.status, 422) << extra.dump();
    auto body = json::parse(r.body);
    ASSERT_EQ(body["code"], "validation_failed");
    std::set<std::string> fields;
    for (const auto& e : body["errors"]) fields.insert(e["field"]);
    EXPECT_TRUE(fields.contains(field)) << r.body;
  };
  expect_field({{"operations", {"get_enterprise", "delete_enterprise"}}}, "operations[1]");
  expect_field({{"operations", {"read"}}}, "operations[0]");  // a dataset operation
  expect_field({{"items", {"uscc", "phone"}}, {"clear_items", json::array()}}, "items[1]");
  expect_field({{"clear_items", {"uscc"}}}, "clear_items[0]");         // not sensitive
  expect_field({{"clear_items", {"reg_capital"}}}, "clear_items[0]");  // not asked
  // A dataset's operations on a service are refused too; and a dataset keeps its own rules.
  auto dataset = resource(sample_resource(kMarket));
  auto r = call(verb::post, "/api/v1/applications", tax_,
                {{"resource_code", dataset},
                 {"items", {"uscc"}},
                 {"operations", {"get_enterprise"}},
                 {"purpose", "核验"},
                 {"valid_until", city_date(365)}});
  EXPECT_EQ(r.status, 422);
}

TEST_F(ServiceSharingTest, AuthorizeCallChecksPurposeCodesAndExpiry) {
  auto app = ok(verb::post, "/api/v1/applications", tax_,
                application(open_, {{"purpose_codes", {"TAX-001", "TAX-002"}}}));
  ASSERT_EQ(app["status"], "approved");
  auto none = call_decision(open_, "get_enterprise");
  EXPECT_FALSE(none.allowed);
  EXPECT_TRUE(none.purpose_mismatch);
  auto wrong = call_decision(open_, "get_enterprise", "OTHER");
  EXPECT_FALSE(wrong.allowed);
  EXPECT_TRUE(wrong.purpose_mismatch);
  auto right = call_decision(open_, "get_enterprise", "TAX-002");
  EXPECT_TRUE(right.allowed) << right.reason;
  EXPECT_FALSE(right.purpose_mismatch);

  // Expiry is checked on every call: a grant past its valid_until allows nothing.
  sharing::Grant expired;
  expired.id = "expired-service-grant";
  expired.resource_code = open_;
  expired.provider_code = kMarket;
  expired.consumer_code = kStats;
  expired.items = {"uscc"};
  expired.set_operations({"get_enterprise"});
  expired.valid_until = std::chrono::system_clock::now() - std::chrono::seconds(1);
  hub_->app().grants().put(expired.id, expired);
  Principal stats;
  stats.id = "stats";
  stats.agency_code = kStats;
  EXPECT_FALSE(hub_->app().grants().authorize_call(stats, open_, "get_enterprise").allowed);
  expired.valid_until = std::chrono::system_clock::now() + std::chrono::hours(1);
  hub_->app().grants().put(expired.id, expired);
  EXPECT_TRUE(hub_->app().grants().authorize_call(stats, open_, "get_enterprise").allowed);
  hub_->app().grants().put(expired.id, std::nullopt);
}

TEST(SharingConfig, AMalformedCalendarStopsStartUp) {
  TempDir dir;
  const auto file = dir.path() / "calendar.json";
  std::ofstream(file) << R"({"holidays":["2026-13-01"]})";
  Config config;
  config.listen = "127.0.0.1:0";
  config.data_dir = dir.path() / "data";
  config.database.url = "host=/nonexistent";
  config.sharing.calendar_file = file.string();
  config.log.level = "off";
  App app(config);
  EXPECT_THROW(app.start(), ConfigError);
}

}  // namespace
}  // namespace hub::test
