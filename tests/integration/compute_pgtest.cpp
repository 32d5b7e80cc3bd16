// Joint computation for outside members (API.md Part 2, "Accountability and usable-but-invisible";
// docs/computations.md): an external member (a credit bureau) runs a reviewed computation over
// four providers' resources for an enterprise that authorised it, and sees only the outputs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "hub/store/pg.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

constexpr const char* kDataBureau = "11440100CWC9EE711D";  // 广州市政务服务和数据管理局
constexpr const char* kBureau = "91440101MA5CYD8X18";  // 广州地方征信有限公司 (external)
constexpr const char* kPurposeText = "%E4%BF%A1%E6%98%93%E8%B4%B7";  // 信易贷
// Enterprises (valid unified social credit codes).
constexpr const char* kFirm = "91440106MA5BBBBB1T";
constexpr const char* kOtherFirm = "91440104MA5CCCCC29";
constexpr const char* kUnknownFirm = "91440111MA5DDDDD3Q";

json item(const char* name, const char* type, const char* sensitivity = "internal") {
  return {{"name", name},
          {"title", name},
          {"type", type},
          {"sensitivity", sensitivity},
          {"required", std::string(name) == "uscc"}};
}

json summary_resource(const char* name, const char* provider, json items) {
  items.insert(items.begin(), item("uscc", "string", "public"));
  return {{"name", name},
          {"summary", std::string(name) + "（按企业汇总）"},
          {"provider_code", provider},
          {"category", "department"},
          {"format", "数据库"},
          {"key", "uscc"},
          {"items", items},
          {"share_type", "conditional"},
          {"share_conditions", "用于信易贷联合计算"},
          {"share_methods", {"api"}},
          {"update_cycle", "monthly"},
          {"legal_basis", "《广东省公共数据管理办法》"}};
}

constexpr const char* kProgram =
    "score = (if(tax.credit_level == \"A\", 40, if(tax.credit_level == \"B\", 25, 10)))"
    " + band(power.kwh_12m, [100000, 1000000], [0, 10, 20])"
    " + band(social.insured, [10, 50], [0, 10, 20])"
    " + band(property.area, [1, 1000], [0, 5, 10])\n"
    "grade = band(score, [40, 60, 80], [\"D\", \"C\", \"B\", \"A\"])\n"
    "eligible = score >= 60 and coalesce(social.arrears_months, 0) == 0\n";

class ComputeTest : public HubTest {
 protected:
  void SetUp() override {
    purpose_ = kPurposeText;
    start([this](Config& config) {
      config.exchange.compute_runs_per_subject_per_hour = per_subject_;
      config.ledger.seal_interval = std::chrono::milliseconds(50);
    });
    for (auto code : {kTax, kMarket, kStats, kPolice}) agency(code);
    agency(kDataBureau, "广州市政务服务和数据管理局");
    agency(kBureau, "广州地方征信有限公司", "external");
    ok(verb::patch, std::string("/api/v1/agencies/") + kDataBureau, kAdmin,
       {{"can_register_computations", true}, {"can_record_consent", true}});
    owner_cdo_ = person(kDataBureau, "sj-cdo", "agency_cdo");
    consent_system_ = person(kDataBureau, "sj-app", "agency_system", "system");
    bureau_cdo_ = person(kBureau, "zx-cdo", "agency_cdo");
    bureau_system_ = person(kBureau, "zx-system", "agency_system", "system");
    stats_officer_ = person(kStats, "tj-officer", "agency_data_officer");
    stats_system_ = person(kStats, "tj-system", "agency_system", "system");
    struct Provider {
      const char* agency;
      const char* prefix;
      const char* input;
      const char* name;
      json items;
      json firm, other;
    };
    const std::vector<Provider> providers = {
        {kTax,
         "sw",
         "tax",
         "企业纳税信用汇总",
         {item("credit_level", "string")},
         {{"credit_level", "A"}},
         {{"credit_level", "C"}}},
        {kMarket,
         "sc",
         "power",
         "企业用电汇总",
         {item("kwh_12m", "number")},
         {{"kwh_12m", 2500000}},
         {{"kwh_12m", 5000}}},
        {kStats,
         "tj2",
         "social",
         "企业社保参保汇总",
         {item("insured", "integer"), item("arrears_months", "integer")},
         {{"insured", 60}, {"arrears_months", 0}},
         {{"insured", 3}, {"arrears_months", 2}}},
        {kPolice,
         "ga",
         "property",
         "企业不动产汇总",
         {item("area", "number", "sensitive")},
         {{"area", 1200.5}},
         {{"area", 0}}},
    };
    for (const auto& p : providers) {
      const std::string code = resource(summary_resource(p.name, p.agency, p.items));
      const std::string system =
          person(p.agency, std::string(p.prefix) + "-system", "agency_system", "system");
      officers_[p.agency] =
          person(p.agency, std::string(p.prefix) + "-officer", "agency_data_officer");
      ok(verb::put, "/api/v1/resources/" + code + "/records/" + kFirm, system, p.firm);
      ok(verb::put, "/api/v1/resources/" + code + "/records/" + kOtherFirm, system, p.other);
      json names = json::array();
      for (const auto& i : p.items) names.push_back(i["name"]);
      inputs_.push_back({{"name", p.input}, {"resource_code", code}, {"items", names}});
      codes_[p.input] = code;
    }
  }

  json computation_body(const std::string& program = kProgram) const {
    return {{"name", "信易贷企业信用评估"},
            {"description", "按企业汇总纳税信用、用电、社保与不动产，输出评分、等级与是否准入"},
            {"subject", "enterprise"},
            {"inputs", inputs_},
            {"outputs",
             {{{"name", "score"}, {"type", "integer"}, {"title", "信用评分"}},
              {{"name", "grade"}, {"type", "string"}, {"title", "信用等级"}},
              {{"name", "eligible"}, {"type", "boolean"}, {"title", "是否准入"}}}},
            {"program", program}};
  }

  // Registered by the data bureau and approved by all four providers: its code.
  std::string active_computation() {
    auto c = ok(verb::post, "/api/v1/computations", owner_cdo_, computation_body());
    const std::string code = c["code"];
    for (const auto& [agency, officer] : officers_) {
      ok(verb::post, "/api/v1/computations/" + code + "/approval", officer,
         {{"approve", true}, {"opinion", "同意：输出不含原始数据"}});
    }
    return code;
  }

  // The bureau holds a compute grant on it (approved by the owner).
  std::string grant_bureau(const std::string& code) {
    return grant(bureau_cdo_, owner_cdo_,
                 {{"resource_code", code},
                  {"items", {"score", "grade", "eligible"}},
                  {"operations", {"compute"}},
                  {"purpose", "信易贷贷前评估"},
                  {"valid_until", city_date(200)}});
  }

  json authorize(const std::string& firm, json computations, json resources = json::array()) {
    return ok(verb::post, "/api/v1/authorizations", consent_system_,
              {{"subject_key", firm},
               {"recipient_code", kBureau},
               {"purpose", "申请信易贷贷款"},
               {"computation_codes", computations},
               {"resource_codes", resources},
               {"valid_until", city_date(30)}});
  }

  client::ClientResponse run(const std::string& code, const std::string& firm,
                             const std::string& token, const std::string& authorization = "",
                             const std::string& request_id = "") {
    Headers h = with_request_id(request_id.empty() ? "run-" + std::to_string(++runs_) : request_id);
    if (!authorization.empty()) h.push_back({"X-Subject-Authorization", authorization});
    return call(verb::post, "/api/v1/computations/" + code + "/run", token, {{"subject_key", firm}},
                h);
  }
  static std::string code_of(const client::ClientResponse& r) {
    return json::parse(r.body).value("code", "");
  }

  unsigned per_subject_ = 30;
  int runs_ = 0;
  std::string owner_cdo_, consent_system_, bureau_cdo_, bureau_system_, stats_officer_,
      stats_system_;
  std::map<std::string, std::string> officers_;  // provider agency → its data officer
  std::map<std::string, std::string> codes_;     // input name → resource code
  json inputs_ = json::array();
};

TEST_F(ComputeTest, RegistrationIsCheckedAndEachProviderReviews) {
  // Only a registering agency's CDO (or hub_admin) registers.
  EXPECT_EQ(call(verb::post, "/api/v1/computations", officers_[kTax], computation_body()).status,
            403);
  // An output that hands over an input unchanged is refused before anyone reviews it.
  auto revealing = call(verb::post, "/api/v1/computations", owner_cdo_,
                        computation_body("score = property.area\ngrade = \"A\"\n"
                                         "eligible = tax.credit_level == \"A\" and "
                                         "power.kwh_12m > 0 and social.insured > 0 and "
                                         "social.arrears_months == 0\n"));
  ASSERT_EQ(revealing.status, 422) << revealing.body;
  EXPECT_NE(revealing.body.find("output score"), std::string::npos) << revealing.body;
  // An unknown item, and a bad program, name what is wrong.
  json unknown = computation_body();
  unknown["inputs"][0]["items"] = {"credit_level", "no_such_item"};
  EXPECT_EQ(call(verb::post, "/api/v1/computations", owner_cdo_, unknown).status, 422);
  EXPECT_EQ(
      call(verb::post, "/api/v1/computations", owner_cdo_, computation_body("score = (")).status,
      422);

  auto c = ok(verb::post, "/api/v1/computations", owner_cdo_, computation_body());
  const std::string code = c["code"];
  EXPECT_EQ(c["status"], "review");
  EXPECT_EQ(c["owner_code"], kDataBureau);
  ASSERT_EQ(c["reviews"].size(), 4u);
  for (const auto& r : c["reviews"]) EXPECT_EQ(r["decision"], "pending");
  // What a reviewing provider looks at: each output's input items.
  EXPECT_EQ(c["dependence"]["grade"],
            json({"power.kwh_12m", "property.area", "social.insured", "tax.credit_level"}));
  EXPECT_EQ(c["dependence"]["eligible"].size(), 5u);

  // Its catalog entry follows the review: not published or changed through the catalog.
  EXPECT_EQ(call(verb::post, "/api/v1/resources/" + code + "/publish", owner_cdo_).status, 409);
  EXPECT_EQ(call(verb::get, "/api/v1/resources/" + code + "/records", kAdmin).status, 404);
  // While in review, an agency that neither owns nor provides it does not see it.
  EXPECT_EQ(call(verb::get, "/api/v1/computations/" + code, bureau_cdo_).status, 404);
  EXPECT_EQ(ok(verb::get, "/api/v1/computations", bureau_cdo_)["items"].size(), 0u);
  EXPECT_EQ(ok(verb::get, "/api/v1/computations", officers_[kTax])["items"].size(), 1u);
  // And cannot be applied for.
  EXPECT_EQ(call(verb::post, "/api/v1/applications", bureau_cdo_,
                 {{"resource_code", code},
                  {"items", {"score"}},
                  {"operations", {"compute"}},
                  {"purpose", "信易贷贷前评估"},
                  {"valid_until", city_date(200)}})
                .status,
            404);

  // A provider that is not an input's does not review; one that is, once.
  EXPECT_EQ(call(verb::post, "/api/v1/computations/" + code + "/approval", stats_officer_,
                 {{"approve", true}})
                .status,
            200);  // statistics provides the social insurance input here
  EXPECT_EQ(call(verb::post, "/api/v1/computations/" + code + "/approval", stats_officer_,
                 {{"approve", true}})
                .status,
            409);
  EXPECT_EQ(call(verb::post, "/api/v1/computations/" + code + "/approval", bureau_cdo_,
                 {{"approve", true}})
                .status,
            404);
  // A rejection says why.
  EXPECT_EQ(call(verb::post, "/api/v1/computations/" + code + "/approval", officers_[kTax],
                 {{"approve", false}})
                .status,
            422);
  ok(verb::post, "/api/v1/computations/" + code + "/approval", officers_[kTax],
     {{"approve", true}, {"opinion", "同意"}});
  ok(verb::post, "/api/v1/computations/" + code + "/approval", officers_[kMarket],
     {{"approve", true}, {"opinion", "同意"}});
  auto last = ok(verb::post, "/api/v1/computations/" + code + "/approval", officers_[kPolice],
                 {{"approve", true}, {"opinion", "同意，不动产面积只参与分档"}});
  EXPECT_EQ(last["status"], "active");
  EXPECT_EQ(ok(verb::get, "/api/v1/computations/" + code, bureau_cdo_)["status"], "active");

  // A new version is reviewed again, and is not run meanwhile.
  auto revised = ok(verb::put, "/api/v1/computations/" + code, owner_cdo_, computation_body());
  EXPECT_EQ(revised["version"], 2);
  EXPECT_EQ(revised["status"], "review");
  ok(verb::post, "/api/v1/computations/" + code + "/approval", officers_[kPolice],
     {{"approve", false}, {"opinion", "请说明不动产面积分档依据"}});
  EXPECT_EQ(ok(verb::get, "/api/v1/computations/" + code, owner_cdo_)["status"], "rejected");
}

TEST_F(ComputeTest, AnExternalMemberRunsOnlyUnderAGrantAndTheSubjectsAuthorisation) {
  const std::string code = active_computation();
  // An external member holds verify, aggregate and compute grants only.
  auto read = call(verb::post, "/api/v1/applications", bureau_cdo_,
                   {{"resource_code", codes_["tax"]},
                    {"items", {"uscc", "credit_level"}},
                    {"operations", {"read"}},
                    {"purpose", "信易贷贷前评估"},
                    {"valid_until", city_date(200)}});
  EXPECT_EQ(read.status, 422) << read.body;
  // Not granted yet.
  auto r = run(code, kFirm, bureau_system_);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code_of(r), "no_grant");
  grant_bureau(code);
  // Granted, but no authorisation of the subject.
  r = run(code, kFirm, bureau_system_);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code_of(r), "authorization_required");
  // Only a consent-recording agency's system records one.
  EXPECT_EQ(call(verb::post, "/api/v1/authorizations", stats_system_,
                 {{"subject_key", kFirm},
                  {"recipient_code", kBureau},
                  {"purpose", "x"},
                  {"computation_codes", {code}},
                  {"valid_until", city_date(30)}})
                .status,
            403);
  const json auth = authorize(kFirm, {code});
  const std::string token = auth["token"];
  EXPECT_EQ(auth["status"], "active");
  EXPECT_FALSE(auth.dump().find(kFirm) != std::string::npos) << "the key is not echoed back";

  // The run: the outputs and nothing else.
  r = run(code, kFirm, bureau_system_, token, "run-firm");
  ASSERT_EQ(r.status, 200) << r.body;
  const json answer = json::parse(r.body);
  EXPECT_EQ(
      answer,
      json({{"outputs", {{"score", 40 + 20 + 20 + 10}, {"grade", "A"}, {"eligible", true}}}}));
  // The token names one subject and one recipient.
  r = run(code, kOtherFirm, bureau_system_, token);
  EXPECT_EQ(code_of(r), "authorization_required");
  r = run(code, kFirm, stats_system_, token);
  EXPECT_EQ(code_of(r), "no_grant");
  // Another subject, authorised: its missing records are nulls, not errors.
  const std::string other = authorize(kOtherFirm, {code})["token"];
  r = run(code, kOtherFirm, bureau_system_, other);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["outputs"],
            json({{"score", 10}, {"grade", "D"}, {"eligible", false}}));
  const std::string unknown = authorize(kUnknownFirm, {code})["token"];
  r = run(code, kUnknownFirm, bureau_system_, unknown);
  ASSERT_EQ(r.status, 200) << r.body;
  // Nothing known: the sum is null, and so is what is made of it (docs/computations.md).
  EXPECT_EQ(json::parse(r.body)["outputs"],
            json({{"score", nullptr}, {"grade", nullptr}, {"eligible", nullptr}}));

  // Each input read is an entry for its provider, the run one for the consumer, all under the
  // authorisation, naming the subject.
  const std::string auth_id = auth["id"];
  std::set<std::string> providers;
  int computes = 0;
  std::string subject;
  const json entries = ok(verb::get, "/api/v1/ledger/entries?limit=1000", kAdmin)["items"];
  for (const auto& e : entries) {
    if (e["request_id"] != "run-firm") continue;
    EXPECT_EQ(e["authorization_id"], auth_id) << e;
    EXPECT_EQ(e["consumer_code"], kBureau);
    EXPECT_EQ(e["status"], 200);
    ASSERT_EQ(e["subjects"].size(), 1u) << e;
    if (subject.empty()) subject = e["subjects"][0];
    EXPECT_EQ(e["subjects"][0], subject);
    if (e["operation"] == "compute_input") {
      providers.insert(e["provider_code"].get<std::string>());
      EXPECT_EQ(e["record_count"], 1);
    } else {
      EXPECT_EQ(e["operation"], "compute");
      EXPECT_EQ(e["resource_code"], code);
      EXPECT_EQ(e["items"], json({"score", "grade", "eligible"}));
      ++computes;
    }
  }
  EXPECT_EQ(providers, (std::set<std::string>{kTax, kMarket, kStats, kPolice}));
  EXPECT_EQ(computes, 1);
  // The tax bureau sees its input's entry in the subject log, the statistics bureau (another
  // provider) only its own.
  const auto tax_log = ok(verb::get, std::string("/api/v1/ledger/entries?subject=") + kFirm,
                          officers_[kTax])["items"];
  ASSERT_FALSE(tax_log.empty());
  for (const auto& e : tax_log) EXPECT_EQ(e["provider_code"], kTax) << e;

  // Who may use this enterprise's data now.
  auto listed = ok(verb::get, std::string("/api/v1/authorizations?subject=") + kFirm,
                   consent_system_)["items"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["id"], auth_id);
  EXPECT_FALSE(listed[0].contains("token"));
  EXPECT_EQ(
      call(verb::get, std::string("/api/v1/authorizations?subject=") + kFirm, bureau_cdo_).status,
      403);
  // Another consent-recording agency sees only what it recorded itself: none of these.
  ok(verb::patch, std::string("/api/v1/agencies/") + kStats, kAdmin,
     {{"can_record_consent", true}});
  EXPECT_TRUE(
      ok(verb::get, std::string("/api/v1/authorizations?subject=") + kFirm, stats_system_)["items"]
          .empty());
  EXPECT_EQ(call(verb::get, std::string("/api/v1/authorizations?subject=") + kFirm, stats_officer_)
                .status,
            403);
  EXPECT_EQ(
      ok(verb::get, std::string("/api/v1/authorizations?subject=") + kFirm, kAdmin)["items"].size(),
      1u);

  // Revoked: refused from the next run on; another agency cannot revoke it, and its attempt
  // leaves no line in the administration log (only the revocation itself does).
  pg::BlockingConnection su = pg::connect_blocking(db_.superuser_conninfo(), 5);
  const auto revocations_logged = [&] {
    return pg::exec_blocking(su.get(),
                             "SELECT count(*) FROM admin_log WHERE action = 'revoke' AND "
                             "object_type = 'subject_authorization' AND object_id = $1",
                             pg::Params().add(auth_id))
        .get_int(0, 0);
  };
  EXPECT_EQ(call(verb::delete_, "/api/v1/authorizations/" + auth_id, stats_system_).status, 404);
  EXPECT_EQ(revocations_logged(), 0);
  EXPECT_EQ(call(verb::delete_, "/api/v1/authorizations/" + auth_id, consent_system_).status, 204);
  EXPECT_EQ(revocations_logged(), 1);
  EXPECT_EQ(code_of(run(code, kFirm, bureau_system_, token)), "authorization_required");
  EXPECT_EQ(ok(verb::get, std::string("/api/v1/authorizations?subject=") + kFirm,
               consent_system_)["items"][0]["status"],
            "revoked");

  // Expired: refused the same way.
  pg::exec_blocking(su.get(),
                    "UPDATE subject_authorizations SET valid_until = now() - interval '1 second' "
                    "WHERE id <> $1",
                    pg::Params().add(auth_id));
  EXPECT_EQ(code_of(run(code, kOtherFirm, bureau_system_, other)), "authorization_required");
}

TEST_F(ComputeTest, AnExternalMembersVerifyNeedsTheSubjectsAuthorisationAndReadIsRefused) {
  const std::string tax = codes_["tax"];
  grant(bureau_cdo_, officers_[kTax],
        {{"resource_code", tax},
         {"items", {"uscc", "credit_level"}},
         {"operations", {"verify"}},
         {"purpose", "信易贷贷前核验纳税信用"},
         {"valid_until", city_date(200)}});
  const json claim = {{"key", kFirm}, {"claims", {{"credit_level", "A"}}}};
  auto v = call(verb::post, "/api/v1/resources/" + tax + "/verify", bureau_system_, claim);
  EXPECT_EQ(v.status, 403);
  EXPECT_EQ(code_of(v), "authorization_required");
  // An authorisation for a computation does not cover a resource.
  const std::string code = active_computation();
  const std::string for_run = authorize(kFirm, {code})["token"];
  Headers h = {purpose_header(), {"X-Subject-Authorization", for_run}};
  EXPECT_EQ(
      code_of(call(verb::post, "/api/v1/resources/" + tax + "/verify", bureau_system_, claim, h)),
      "authorization_required");
  const std::string for_tax = authorize(kFirm, json::array(), {tax})["token"];
  h = {purpose_header(), {"X-Subject-Authorization", for_tax}};
  v = call(verb::post, "/api/v1/resources/" + tax + "/verify", bureau_system_, claim, h);
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_EQ(json::parse(v.body)["match"], true);
  // Reading, querying or looking up licences is refused whatever the external member holds.
  EXPECT_EQ(code_of(call(verb::get, "/api/v1/resources/" + tax + "/records/" + kFirm,
                         bureau_system_, nullptr, h)),
            "no_grant");
  EXPECT_EQ(
      code_of(call(verb::get, "/api/v1/resources/" + tax + "/records", bureau_system_, nullptr, h)),
      "no_grant");
}

class ComputeLimitTest : public ComputeTest {
 protected:
  void SetUp() override {
    per_subject_ = 3;
    ComputeTest::SetUp();
  }
};

TEST_F(ComputeLimitTest, RunsAreLimitedPerSubjectAndGrantAndNotApprovedOnesRefused) {
  const std::string code = active_computation();
  grant_bureau(code);
  const std::string token = authorize(kFirm, {code})["token"];
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run(code, kFirm, bureau_system_, token).status, 200);
  auto limited = run(code, kFirm, bureau_system_, token);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(code_of(limited), "rate_limited");
  EXPECT_FALSE(limited.header("Retry-After").empty());
  // Another subject has its own count.
  const std::string other = authorize(kOtherFirm, {code})["token"];
  EXPECT_EQ(run(code, kOtherFirm, bureau_system_, other).status, 200);
  // A new version under review: runs are refused until it is approved again.
  ok(verb::put, "/api/v1/computations/" + code, owner_cdo_, computation_body());
  auto pending = run(code, kOtherFirm, bureau_system_, other);
  EXPECT_EQ(pending.status, 409) << pending.body;
  // A run without a body's subject_key is refused and still recorded.
  auto bad =
      call(verb::post, "/api/v1/computations/" + code + "/run", bureau_system_, {{"subject", 1}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_FALSE(bad.header("X-Ledger-Index").empty());
}

}  // namespace
}  // namespace hub::test
