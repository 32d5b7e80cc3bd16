// hubctl demo, joint computation (信易贷, docs/computations.md): a credit bureau, an external
// member, gets a small enterprise's loan assessment from four providers' enterprise summaries
// (tax, power supply, social insurance, property) without seeing one of their records.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "command.hpp"
#include "hub/cli/demo_data.hpp"
#include "hub/core/dates.hpp"

namespace hub::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDataBureau = "11440100CWC9EE711D";  // 广州市政务服务和数据管理局
constexpr const char* kBureau = "91440101MA5CYD8X18";      // 广州地方征信有限公司
constexpr const char* kDemoPurpose = "%E4%BF%A1%E6%98%93%E8%B4%B7";  // 信易贷
constexpr int kEnterprises = 300;

nlohmann::json item(const char* name, const char* title, const char* type,
                    const char* sensitivity = "internal") {
  return {{"name", name},
          {"title", title},
          {"type", type},
          {"sensitivity", sensitivity},
          {"required", std::string(name) == "uscc"}};
}

struct Summary {
  const char* provider;
  const char* system;  // the provider's demo system, which loads the records
  const char* input;
  const char* name;
  const char* summary;
  nlohmann::json items;  // besides uscc
};

const std::vector<Summary>& summaries() {
  static const std::vector<Summary> all = {
      {"11440100XYDWCM5T1B",
       "gzsw-system",
       "tax",
       "企业纳税信用与纳税汇总",
       "企业最近一个评价年度的纳税信用级别与近 12 个月纳税额，供信易贷等联合计算使用。",
       {item("credit_level", "纳税信用级别", "string"),
        item("tax_paid_12m", "近12个月纳税额（元）", "number", "sensitive")}},
      {"11440000B94HP7C595",
       "gdgz-system",
       "power",
       "企业用电汇总",
       "企业近 12 个月用电量与逾期缴费次数。",
       {item("kwh_12m", "近12个月用电量（千瓦时）", "number"),
        item("late_payments_12m", "近12个月逾期缴费次数", "integer")}},
      {"11440100FAJ0T55W64",
       "gzrs-system",
       "social",
       "企业社保参保汇总",
       "企业当前参保职工人数与欠缴月数。",
       {item("insured_employees", "参保职工人数", "integer"),
        item("arrears_months", "欠缴月数", "integer")}},
      {"11440100TN5YUXTM3J",
       "gzgh-system",
       "property",
       "企业不动产持有汇总",
       "企业名下不动产数量与总面积。",
       {item("property_count", "不动产数量", "integer"),
        item("property_area", "不动产总面积（平方米）", "number", "sensitive")}},
  };
  return all;
}

// The program the four providers review (docs/computations.md walks through it).
constexpr const char* kProgram =
    "score = if(tax.credit_level == \"A\", 40, if(tax.credit_level == \"B\", 28, "
    "if(tax.credit_level == \"M\", 20, if(tax.credit_level == \"C\", 8, 0))))"
    " + band(coalesce(tax.tax_paid_12m, 0), [50000, 500000, 2000000], [0, 5, 10, 15])"
    " + band(coalesce(power.kwh_12m, 0), [20000, 200000, 2000000], [0, 5, 10, 15])"
    " - 3 * band(coalesce(power.late_payments_12m, 0), [1, 3], [0, 1, 2])"
    " + band(coalesce(social.insured_employees, 0), [5, 20, 100], [0, 5, 10, 15])"
    " - if(coalesce(social.arrears_months, 0) > 0, 15, 0)"
    " + band(coalesce(property.property_area, 0), [1, 500, 5000], [0, 5, 10, 15])"
    " + band(coalesce(property.property_count, 0), [1, 3], [0, 2, 3])\n"
    "grade = band(score, [40, 60, 80], [\"D\", \"C\", \"B\", \"A\"])\n"
    "eligible = score >= 60 and coalesce(social.arrears_months, 0) == 0"
    " and coalesce(tax.credit_level, \"D\") != \"D\"\n"
    "limit_wan = if(eligible, band(score, [70, 85], [50, 100, 200]), 0)\n";

nlohmann::json computation_body(const nlohmann::json& inputs, const std::string& name,
                                const std::string& program) {
  return {{"name", name},
          {"description",
           "信易贷：按企业汇总纳税信用、用电、社保参保与不动产，输出信用评分、等级、是否准入与"
           "建议授信额度；银行和征信机构只得到结果，看不到任何原始数据（数据可用不可见）。"},
          {"subject", "enterprise"},
          {"inputs", inputs},
          {"outputs",
           {{{"name", "score"}, {"type", "integer"}, {"title", "信用评分"}},
            {{"name", "grade"}, {"type", "string"}, {"title", "信用等级"}},
            {{"name", "eligible"}, {"type", "boolean"}, {"title", "是否准入"}},
            {{"name", "limit_wan"}, {"type", "integer"}, {"title", "建议授信额度（万元）"}}}},
          {"program", program}};
}

}  // namespace

void demo_compute(const Options& o, Api& admin, const nlohmann::json& tokens, std::ostream& out,
                  std::ostream& err) {
  try {
    if (!admin.all("/api/v1/computations").empty()) {
      out << "joint computation: already there (hubctl demo made it earlier)\n";
      return;
    }
    // The credit bureau, an external member; the data bureau registers computations and records
    // the enterprises' authorisations (its government service app does, on their behalf).
    auto made =
        admin.raw(verb::post, "/api/v1/agencies",
                  {{"code", kBureau}, {"name", "广州地方征信有限公司"}, {"level", "external"}});
    if (made.status != 201 && made.status != 409) {
      throw std::runtime_error("the credit bureau: " + Api::describe(made));
    }
    admin.call(verb::patch, std::string("/api/v1/agencies/") + kDataBureau,
               {{"can_register_computations", true}, {"can_record_consent", true}});
    std::map<std::string, std::string> ids;
    for (const auto& p : admin.all("/api/v1/principals")) ids[p["name"]] = p["id"];
    auto person = [&](const char* name, const char* agency, const char* role, bool system) {
      if (ids.contains(name)) return ids[name];
      nlohmann::json body = {{"name", name},
                             {"kind", system ? "system" : "user"},
                             {"roles", {role}},
                             {"agency_code", agency}};
      if (!system) body["password"] = kDemoPassword;
      return ids[name] = admin.call(verb::post, "/api/v1/principals", body)["id"];
    };
    person("gzzs-cdo", kDataBureau, "agency_cdo", false);
    const std::string app_id = person("gzzs-app", kDataBureau, "agency_system", true);
    person("gzzx-cdo", kBureau, "agency_cdo", false);
    const std::string bureau_id = person("gzzx-system", kBureau, "agency_system", true);
    auto token_of = [&](const std::string& id) {
      return admin
          .call(verb::post, "/api/v1/principals/" + id + "/tokens", {{"ttl_days", 30}})["token"]
          .get<std::string>();
    };
    Options as_app = o, as_bureau = o;
    as_app.token = token_of(app_id);
    as_bureau.token = token_of(bureau_id);
    Api app(as_app);

    // The four providers' enterprise summaries, for the demo's first enterprises.
    std::vector<std::string> firms;
    {
      std::istringstream lines(demo_enterprises_ndjson(kEnterprises));
      std::string line;
      while (std::getline(lines, line)) {
        firms.push_back(nlohmann::json::parse(line)["uscc"].get<std::string>());
      }
    }
    std::mt19937 rng(20261205);
    auto between = [&rng](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(rng);
    };
    client::HttpsClient c(client_options(o));
    nlohmann::json inputs = nlohmann::json::array();
    for (const auto& s : summaries()) {
      nlohmann::json items = s.items;
      items.insert(items.begin(), item("uscc", "统一社会信用代码", "string", "public"));
      auto created =
          admin.call(verb::post, "/api/v1/resources",
                     {{"name", s.name},
                      {"summary", s.summary},
                      {"provider_code", s.provider},
                      {"category", "department"},
                      {"format", "数据库"},
                      {"key", "uscc"},
                      {"items", items},
                      {"share_type", "conditional"},
                      {"share_conditions", "仅用于经审核的联合计算（信易贷），不提供明细。"},
                      {"share_methods", {"api"}},
                      {"update_cycle", "monthly"},
                      {"legal_basis", "《广东省公共数据管理办法》"}});
      const std::string code = created["code"];
      admin.call(verb::post, "/api/v1/resources/" + code + "/publish");
      std::string body;
      for (const auto& firm : firms) {
        nlohmann::json rec = {{"uscc", firm}};
        const std::string input = s.input;
        if (input == "tax") {
          static const char* levels[] = {"A", "A", "B", "B", "B", "M", "C", "D"};
          rec["credit_level"] = levels[between(0, 7)];
          rec["tax_paid_12m"] = between(0, 3000) * 1000;
        } else if (input == "power") {
          rec["kwh_12m"] = between(1, 3000) * 1000;
          rec["late_payments_12m"] = between(0, 10) < 8 ? 0 : between(1, 4);
        } else if (input == "social") {
          rec["insured_employees"] = between(1, 300);
          rec["arrears_months"] = between(0, 10) < 9 ? 0 : between(1, 6);
        } else {
          rec["property_count"] = between(0, 4);
          rec["property_area"] = rec["property_count"].get<int>() * between(50, 3000);
        }
        body += rec.dump() + "\n";
      }
      auto r = c.request(verb::post, "/api/v1/resources/" + code + "/imports", body,
                         {{"Authorization", "Bearer " + tokens.at(s.system).get<std::string>()},
                          {"Content-Type", "application/x-ndjson"}});
      if (r.status != 200) throw std::runtime_error("demo import: " + Api::describe(r));
      nlohmann::json names = nlohmann::json::array();
      for (const auto& i : s.items) names.push_back(i["name"]);
      inputs.push_back({{"name", s.input}, {"resource_code", code}, {"items", names}});
    }

    // Registered by the data bureau, reviewed by the four providers' CDOs.
    auto owner = demo_person(o, "gzzs-cdo");
    auto computation = owner->call(verb::post, "/api/v1/computations",
                                   computation_body(inputs, "信易贷企业信用评估", kProgram));
    const std::string code = computation["code"];
    const std::vector<std::pair<const char*, const char*>> reviewers = {
        {"gzsw-cdo", "同意：纳税信用级别只参与评分，不单独输出"},
        {"gdgz-cdo", "同意：用电量分档粗于原值，不能反推"},
        {"gzrs-cdo", "同意：社保欠缴只影响准入，不输出月数"},
        {"gzgh-cdo", "同意：不动产面积与数量仅参与分档"}};
    for (const auto& [name, opinion] : reviewers) {
      demo_person(o, name)->call(verb::post, "/api/v1/computations/" + code + "/approval",
                                 {{"approve", true}, {"opinion", opinion}});
    }
    // A revision waiting on the same four providers (the console's review screen shows it).
    std::string revised = kProgram;
    revised.replace(revised.find("[70, 85]"), 8, "[65, 85]");
    owner->call(verb::post, "/api/v1/computations",
                computation_body(inputs, "信易贷企业信用评估（修订）", revised));

    // The credit bureau applies; the data bureau grants it.
    auto bureau = demo_person(o, "gzzx-cdo");
    auto application = bureau->call(verb::post, "/api/v1/applications",
                                    {{"resource_code", code},
                                     {"items", {"score", "grade", "eligible", "limit_wan"}},
                                     {"operations", {"compute"}},
                                     {"purpose", "信易贷：小微企业贷款贷前评估"},
                                     {"legal_basis", "《征信业管理条例》；企业书面授权"},
                                     {"valid_until", city_date(200)}});
    owner->call(verb::post,
                "/api/v1/applications/" + application["id"].get<std::string>() + "/decision",
                {{"decision", "approve"}, {"opinion", "同意，限信易贷贷前评估使用"}});

    // Three enterprises authorise the bureau through the government service app; one run.
    std::string token;
    for (int i = 0; i < 3; ++i) {
      auto a = app.call(verb::post, "/api/v1/authorizations",
                        {{"subject_key", firms[static_cast<std::size_t>(i)]},
                         {"recipient_code", kBureau},
                         {"purpose", "申请信易贷贷款，授权征信机构获取评估结果"},
                         {"computation_codes", {code}},
                         {"valid_until", city_date(90)}});
      if (i == 0) token = a["token"];
    }
    const std::string request_id = "demo-xyd-" + std::to_string(between(100000, 999999));
    auto run = c.request(verb::post, "/api/v1/computations/" + code + "/run",
                         nlohmann::json{{"subject_key", firms[0]}}.dump(),
                         {{"Authorization", "Bearer " + as_bureau.token},
                          {"X-Purpose", kDemoPurpose},
                          {"X-Request-Id", request_id},
                          {"X-Subject-Authorization", token},
                          {"Content-Type", "application/json"}});
    if (run.status != 200) throw std::runtime_error("demo run: " + Api::describe(run));
    // What a newcomer needs to run it again with curl (README): 0600, like demo-tokens.json.
    {
      const fs::path file = fs::path(o.data_dir) / "demo-computation.json";
      fs::create_directories(o.data_dir);
      std::ofstream f(file, std::ios::trunc);
      f << nlohmann::json{{"code", code},
                          {"subject_key", firms[0]},
                          {"token", as_bureau.token},
                          {"authorization", token}}
               .dump(2)
        << "\n";
      f.close();
      fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    }
    out << "joint computation: 信易贷企业信用评估 " << code
        << " approved by tax, power supply, human resources and planning; 广州地方征信有限公司 "
           "ran it for "
        << firms[0] << ": " << nlohmann::json::parse(run.body)["outputs"].dump() << "\n";
    for (const auto& e : admin.all("/api/v1/ledger/entries?request_id=" + request_id)) {
      out << "  ledger #" << e["index"].get<long long>() << " " << e["operation"].get<std::string>()
          << " provider " << e["provider_code"].get<std::string>() << " resource "
          << e["resource_code"].get<std::string>() << "\n";
    }
  } catch (const std::exception& e) {
    err << "joint computation demo: " << e.what() << "\n";
  }
}

}  // namespace hub::cli
