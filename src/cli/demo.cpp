// hubctl demo: loads the demo through the public API like any client (agencies, people,
// catalog, sharing, records), except for the month of ledger history, which no API may write
// (demo_history.cpp).
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "command.hpp"
#include "hub/cli/demo_data.hpp"
#include "hub/core/embedded.hpp"

namespace hub::cli {

namespace {

// The demo's people all sign in with this; it is printed by `hubctl demo` and in the README.
constexpr const char* kDemoPassword = "hub-demo-2026";

// Signs a demo person in and returns an API client acting as them.
std::unique_ptr<Api> demo_person(const Options& o, const std::string& name) {
  client::HttpsClient c(client_options(o));
  auto r = c.request(verb::post, "/api/v1/sessions",
                     nlohmann::json{{"name", name}, {"password", kDemoPassword}}.dump());
  if (r.status != 200)
    throw std::runtime_error("demo sign-in of " + name + ": " + Api::describe(r));
  Options as = o;
  as.token = nlohmann::json::parse(r.body)["token"];
  return std::make_unique<Api>(as);
}

// The service item (政务服务事项编码) the demo's verify grant is bound to.
constexpr const char* kDemoServiceItem = "11440100MB2C92175P4442011017000";

// A demo resource by its provider and name.
nlohmann::json demo_resource(Api& admin, const std::string& provider, const std::string& name) {
  for (const auto& r : admin.all("/api/v1/resources?provider=" + provider)) {
    if (r["name"] == name) return r;
  }
  throw std::runtime_error("demo resource missing: " + name);
}

// The sharing part of the demo, made once: market regulation's enterprise registrations are
// applied for by tax (approved), human resources (pending) and statistics (rejected); market
// regulation takes tax's open credit ratings (granted at once); power supply waits on human
// resources; and tax has raised an objection on a registration record.
void demo_sharing(const Options& o, Api& admin, std::ostream& out, std::ostream& err) {
  auto existing = admin.all("/api/v1/applications");
  if (!existing.empty()) {
    out << "sharing: " << existing.size() << " applications already there\n";
    return;
  }
  auto code_of = [&](const std::string& provider, const std::string& name) {
    return demo_resource(admin, provider, name)["code"].get<std::string>();
  };
  const std::string registration = code_of("114401009P0Y2GG12L", "企业登记信息");
  const std::string ratings = code_of("11440100XYDWCM5T1B", "纳税信用等级评价结果");
  const std::string social = code_of("11440100FAJ0T55W64", "社会保险缴费信息");
  const std::string until = "2027-06-30";
  try {
    auto tax = demo_person(o, "gzsw-officer");
    auto market = demo_person(o, "gzsc-officer");
    auto hr = demo_person(o, "gzrs-officer");
    auto stats = demo_person(o, "gztj-cdo");
    auto power = demo_person(o, "gdgz-cdo");

    // Approved: tax reads and queries enterprise registrations for tax administration.
    auto a1 = tax->call(verb::post, "/api/v1/applications",
                        {{"resource_code", registration},
                         {"items", {"uscc", "name", "legal_person", "reg_capital", "status"}},
                         {"operations", {"read", "query", "changes"}},
                         {"purpose", "税收征管中核实纳税人登记信息"},
                         {"legal_basis", "《中华人民共和国税收征收管理法》"},
                         {"valid_until", until}});
    market->call(verb::post, "/api/v1/applications/" + a1["id"].get<std::string>() + "/decision",
                 {{"decision", "approve"}, {"opinion", "同意，用于税收征管"}});
    // Unconditional: market regulation takes the tax credit ratings at once.
    market->call(verb::post, "/api/v1/applications",
                 {{"resource_code", ratings},
                  {"items", {"uscc", "taxpayer_name", "credit_level", "year"}},
                  {"operations", {"read", "query", "aggregate"}},
                  {"purpose", "信用监管中的纳税信用联合奖惩"},
                  {"valid_until", until}});
    // Pending: human resources asks for registrations for talent policies.
    hr->call(verb::post, "/api/v1/applications",
             {{"resource_code", registration},
              {"items", {"uscc", "name", "status"}},
              {"operations", {"verify"}},
              {"purpose", "人才引进政策中核验用人单位登记状态"},
              {"valid_until", until}});
    // Rejected: statistics asks for the legal persons' ID numbers in clear.
    auto a4 = stats->call(verb::post, "/api/v1/applications",
                          {{"resource_code", registration},
                           {"items", {"uscc", "legal_person", "legal_person_id"}},
                           {"clear_items", {"legal_person_id"}},
                           {"operations", {"query"}},
                           {"purpose", "经济普查名录核对"},
                           {"valid_until", until}});
    market->call(verb::post, "/api/v1/applications/" + a4["id"].get<std::string>() + "/decision",
                 {{"decision", "reject"},
                  {"opinion", "统计用途不需要明文身份证号码，请改为核验或脱敏后申请"}});
    // Pending, at a provider with a deadline: power supply asks human resources.
    power->call(verb::post, "/api/v1/applications",
                {{"resource_code", social},
                 {"items", {"person_id", "employer_uscc", "paid_months"}},
                 {"operations", {"aggregate"}},
                 {"purpose", "企业用工与用电关联分析（仅统计）"},
                 {"valid_until", until}});
    out << "sharing: 5 applications (approved, automatic, pending ×2, rejected)\n";
  } catch (const std::exception& e) {
    err << "demo sharing: " << e.what() << "\n";
  }
}

// Records for the demo: 3,000 enterprises pushed by market regulation and 2,000 residents by
// public security (realistic and the same every run), then a masked read, a verify and an
// aggregate, each a data request in the ledger. Done once: skipped when records are there.
void demo_records(const Options& o, Api& admin, const nlohmann::json& tokens, std::ostream& out,
                  std::ostream& err) {
  try {
    const auto registration = demo_resource(admin, "114401009P0Y2GG12L", "企业登记信息");
    const auto residents = demo_resource(admin, "1144010024CNN5F90B", "户籍人口基本信息");
    const std::string reg = registration["code"], res = residents["code"];
    if (admin.call(verb::get, "/api/v1/resources/" + reg)["record_count"].get<long long>() > 0) {
      out << "records: already there\n";
      return;
    }
    client::HttpsClient c(client_options(o));
    auto as = [&](const std::string& system) {
      return std::vector<std::pair<std::string, std::string>>{
          {"Authorization", "Bearer " + tokens.at(system).get<std::string>()},
          {"X-Purpose", "%E6%BC%94%E7%A4%BA"}};  // 演示
    };
    auto import = [&](const std::string& system, const std::string& code, const std::string& body) {
      auto h = as(system);
      h.emplace_back("Content-Type", "application/x-ndjson");
      auto r = c.request(verb::post, "/api/v1/resources/" + code + "/imports", body, h);
      if (r.status != 200) throw std::runtime_error("demo import: " + Api::describe(r));
      return nlohmann::json::parse(r.body)["accepted"].get<long long>();
    };
    const std::string enterprises = demo_enterprises_ndjson(3000);
    out << "records: " << import("gzsc-system", reg, enterprises) << " enterprises (企业登记信息), "
        << import("gzga-system", res, demo_residents_ndjson(2000))
        << " residents (户籍人口基本信息)\n";

    // Usable but invisible: human resources may verify a resident's name against an ID number,
    // and statistics count enterprises by district, neither seeing a record.
    auto hr = demo_person(o, "gzrs-officer");
    auto police = demo_person(o, "gzga-officer");
    auto stats = demo_person(o, "gztj-cdo");
    auto market = demo_person(o, "gzsc-officer");
    // Bound to one service item (政务服务事项编码): each verify under the grant names it.
    auto verify_app = hr->call(verb::post, "/api/v1/applications",
                               {{"resource_code", res},
                                {"items", {"id_number", "name"}},
                                {"operations", {"verify"}},
                                {"purpose", "社保业务办理中核验参保人身份"},
                                {"purpose_codes", {kDemoServiceItem}},
                                {"legal_basis", "《社会保险法》"},
                                {"valid_until", "2027-06-30"}});
    police->call(verb::post,
                 "/api/v1/applications/" + verify_app["id"].get<std::string>() + "/decision",
                 {{"decision", "approve"}, {"opinion", "同意，仅限核验"}});
    const auto resident = nlohmann::json::parse(demo_residents_ndjson(1));
    auto agg_app = stats->call(verb::post, "/api/v1/applications",
                               {{"resource_code", reg},
                                {"items", {"district", "industry", "reg_capital"}},
                                {"operations", {"aggregate"}},
                                {"purpose", "经济运行分析（分区企业数和注册资本合计）"},
                                {"valid_until", "2027-06-30"}});
    market->call(verb::post,
                 "/api/v1/applications/" + agg_app["id"].get<std::string>() + "/decision",
                 {{"decision", "approve"}, {"opinion", "同意，仅限汇总统计"}});
    // The month of history comes before the demo's own requests below: the ledger's time never
    // goes backwards.
    demo_ledger_history(o, admin, out, err);

    // A masked read: tax reads a registration under its approved grant.
    const auto first = nlohmann::json::parse(enterprises.substr(0, enterprises.find('\n')));
    auto read = c.request(
        verb::get, "/api/v1/resources/" + reg + "/records/" + first["uscc"].get<std::string>(), {},
        as("gzsw-system"));
    out << "  tax reads " << first["uscc"].get<std::string>()
        << " (legal person masked): " << read.body << "\n";
    // An open objection: tax finds that registration's legal person out of date.
    auto tax = demo_person(o, "gzsw-officer");
    tax->call(
        verb::post,
        "/api/v1/resources/" + reg + "/records/" + first["uscc"].get<std::string>() + "/objections",
        {{"items", {"legal_person"}},
         {"description", "该企业法定代表人已于2026年9月变更，登记信息未更新"}});
    out << "  tax objects to that registration's legal person (an open objection)\n";

    auto verify_headers = as("gzrs-system");
    verify_headers.emplace_back("X-Purpose-Code", kDemoServiceItem);
    auto verify = c.request(
        verb::post, "/api/v1/resources/" + res + "/verify",
        nlohmann::json{{"key", resident["id_number"]}, {"claims", {{"name", resident["name"]}}}}
            .dump(),
        verify_headers);
    out << "  human resources verifies a resident's name: " << verify.body << "\n";
    auto agg = c.request(
        verb::post, "/api/v1/resources/" + reg + "/aggregate",
        nlohmann::json{{"group_by", {"district"}},
                       {"metrics", {{{"op", "count"}}, {{"op", "sum"}, {"item", "reg_capital"}}}}}
            .dump(),
        as("gztj-system"));
    const auto groups = nlohmann::json::parse(agg.body, nullptr, false);
    out << "  statistics counts enterprises by district: "
        << (groups.is_object() && groups.contains("groups") ? groups["groups"].size() : 0)
        << " districts";
    if (groups.is_object() && groups.contains("privacy")) {
      // The resource's aggregate_policy: counts and sums with Laplace noise, a daily budget.
      out << " (differentially private: ε " << groups["privacy"]["epsilon_spent"].dump()
          << " spent, " << groups["privacy"]["epsilon_remaining"].dump() << " left today)";
    }
    out << "\n";
  } catch (const std::exception& e) {
    err << "demo records: " << e.what() << "\n";
  }
}

}  // namespace

// The demo: the city's agencies, and for seven of them a CDO, a data officer and a system, plus
// a coordinator. People share one documented password; systems get tokens written to
// DATA_DIR/demo-tokens.json (0600), reused on the next run while they still work.
int cmd_demo(const Options& o, std::ostream& out, std::ostream& err) {
  Api api(o);
  auto csv = embedded::file("demo/agencies.csv");
  if (!csv) throw std::runtime_error("demo data missing from this build");
  auto [created, existing] = import_agencies(api, *csv, err);
  out << "agencies: " << created << " created, " << existing << " already there\n";

  struct DemoAgency {
    const char* prefix;
    const char* code;
  };
  static const DemoAgency kAgencies[] = {
      {"gzga", "1144010024CNN5F90B"},  // 广州市公安局
      {"gzsc", "114401009P0Y2GG12L"},  // 广州市市场监督管理局
      {"gzrs", "11440100FAJ0T55W64"},  // 广州市人力资源和社会保障局
      {"gzgh", "11440100TN5YUXTM3J"},  // 广州市规划和自然资源局
      {"gztj", "114401000UUY8XPWXH"},  // 广州市统计局
      {"gzsw", "11440100XYDWCM5T1B"},  // 国家税务总局广州市税务局
      {"gdgz", "11440000B94HP7C595"},  // 广东电网有限责任公司广州供电局
  };
  const std::string password = kDemoPassword;
  int people = 0;
  auto add = [&](const nlohmann::json& body) -> std::optional<std::string> {
    auto r = api.raw(verb::post, "/api/v1/principals", body);
    if (r.status == 201) {
      ++people;
      return nlohmann::json::parse(r.body)["id"].get<std::string>();
    }
    if (r.status != 409) err << body["name"].get<std::string>() << ": " << Api::describe(r) << "\n";
    return std::nullopt;
  };
  add({{"name", "coordinator"},
       {"kind", "user"},
       {"roles", {"coordinator"}},
       {"agency_code", "11440100CWC9EE711D"},
       {"password", password}});
  for (const auto& a : kAgencies) {
    add({{"name", std::string(a.prefix) + "-cdo"},
         {"kind", "user"},
         {"roles", {"agency_cdo"}},
         {"agency_code", a.code},
         {"password", password}});
    add({{"name", std::string(a.prefix) + "-officer"},
         {"kind", "user"},
         {"roles", {"agency_data_officer"}},
         {"agency_code", a.code},
         {"password", password}});
    add({{"name", std::string(a.prefix) + "-operator"},
         {"kind", "user"},
         {"roles", {"agency_operator"}},
         {"agency_code", a.code},
         {"password", password}});
    add({{"name", std::string(a.prefix) + "-system"},
         {"kind", "system"},
         {"roles", {"agency_system"}},
         {"agency_code", a.code}});
  }
  out << "principals: " << people << " created\n";

  // The catalog: the demo resources, published, and a licence resource from the template.
  auto resources = nlohmann::json::parse(*embedded::file("demo/resources.json"));
  for (auto& r : resources) r["status"] = "published";
  std::ostringstream quiet;
  auto counts = apply_resources(api, resources, false, quiet, err);
  out << "resources: " << counts.created << " created, " << counts.updated << " updated, "
      << counts.unchanged << " unchanged\n";
  bool has_licence = false;
  for (const auto& r : api.all("/api/v1/resources?provider=114401009P0Y2GG12L")) {
    if (r["kind"] == "licence") has_licence = true;
  }
  if (!has_licence) {
    auto licence = api.call(verb::post, "/api/v1/licence-resources",
                            {{"provider_code", "114401009P0Y2GG12L"},
                             {"type_name", "营业执照"},
                             {"type_code", "11100000000000127L001"},
                             {"share_type", "conditional"},
                             {"share_conditions", "用于政务服务中的营业执照免提交和核验。"},
                             {"legal_basis", "《国务院关于在线政务服务的若干规定》"}});
    api.call(verb::post, "/api/v1/resources/" + licence["code"].get<std::string>() + "/publish");
    out << "licence resource: 营业执照 " << licence["code"].get<std::string>() << "\n";
  }

  demo_sharing(o, api, out, err);

  // System tokens: reuse the saved ones that still work, issue the rest.
  const fs::path token_file = o.data_dir / "demo-tokens.json";
  nlohmann::json saved = nlohmann::json::object();
  if (std::ifstream in(token_file); in) saved = nlohmann::json::parse(in, nullptr, false);
  if (!saved.is_object()) saved = nlohmann::json::object();
  std::map<std::string, std::string> ids;
  for (const auto& p : api.all("/api/v1/principals")) ids[p["name"]] = p["id"];
  nlohmann::json tokens = nlohmann::json::object();
  client::HttpsClient probe(client_options(o));
  for (const auto& a : kAgencies) {
    const std::string name = std::string(a.prefix) + "-system";
    if (saved.contains(name)) {
      auto me = probe.request(verb::get, "/api/v1/me", {},
                              {{"Authorization", "Bearer " + saved[name].get<std::string>()}});
      if (me.status == 200) {
        tokens[name] = saved[name];
        continue;
      }
    }
    if (!ids.contains(name)) continue;
    auto t =
        api.call(verb::post, "/api/v1/principals/" + ids[name] + "/tokens", {{"ttl_days", 30}});
    tokens[name] = t["token"];
  }
  fs::create_directories(o.data_dir);
  {
    std::ofstream outf(token_file, std::ios::trunc);
    outf << tokens.dump(2) << "\n";
  }
  fs::permissions(token_file, fs::perms::owner_read | fs::perms::owner_write);
  demo_records(o, api, tokens, out, err);
  out << "demo people sign in with password '" << password << "'; system tokens are in "
      << token_file.string() << "\n";
  return 0;
}

}  // namespace hub::cli
