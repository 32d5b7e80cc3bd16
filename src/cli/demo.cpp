// hubctl demo: loads the demo through the public API like any client (agencies, people,
// catalog, sharing, records), except for the month of ledger history, which no API may write
// (demo_history.cpp).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "command.hpp"
#include "hub/cli/demo_data.hpp"
#include "hub/core/dates.hpp"
#include "hub/core/embedded.hpp"
#include "hub/members/credentials.hpp"

namespace hub::cli {

// The demo's people all sign in with this; it is printed by `hubctl demo` and in the README.
const char* const kDemoPassword = "hub-demo-2026";

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

// A demo resource by its provider and name.
nlohmann::json demo_resource(Api& admin, const std::string& provider, const std::string& name) {
  for (const auto& r : admin.all("/api/v1/resources?provider=" + provider)) {
    if (r["name"] == name) return r;
  }
  throw std::runtime_error("demo resource missing: " + name);
}

namespace {

// The service item (政务服务事项编码) the demo's verify grant is bound to.
constexpr const char* kDemoServiceItem = "11440100MB2C92175P4442011017000";

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
  // About half a year on: within the renewal below, far from the grant_expiring warning.
  const std::string until = city_date(200);
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
    auto d1 = market->call(verb::post,
                           "/api/v1/applications/" + a1["id"].get<std::string>() + "/decision",
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
    // Statistics brings the rejection to the coordination group (an open escalation).
    stats->call(verb::post, "/api/v1/applications/" + a4["id"].get<std::string>() + "/escalation",
                {{"reason", "经济普查需按身份证号去重核对法定代表人，请协调小组裁定"}});
    // Pending, at a provider with a deadline: power supply asks human resources.
    power->call(verb::post, "/api/v1/applications",
                {{"resource_code", social},
                 {"items", {"person_id", "employer_uscc", "paid_months"}},
                 {"operations", {"aggregate"}},
                 {"purpose", "企业用工与用电关联分析（仅统计）"},
                 {"valid_until", until}});
    out << "sharing: 5 applications (approved, automatic, pending ×2, rejected and escalated)\n";

    // The grant's lifecycle: power supply's grant on the credit ratings ends in ten days (the
    // grant_expiring alert warns it); statistics' was revoked with a reason it is shown; tax
    // asks market regulation to renew its grant on the registrations (pending, the grant valid
    // meanwhile).
    power->call(verb::post, "/api/v1/applications",
                {{"resource_code", ratings},
                 {"items", {"uscc", "taxpayer_name", "credit_level"}},
                 {"operations", {"verify"}},
                 {"purpose", "大客户用电业务办理中核验企业纳税信用"},
                 {"valid_until", city_date(10)}});
    auto revoked = stats->call(verb::post, "/api/v1/applications",
                               {{"resource_code", ratings},
                                {"items", {"uscc", "credit_level", "year"}},
                                {"operations", {"aggregate"}},
                                {"purpose", "纳税信用等级分布统计"},
                                {"valid_until", until}});
    tax->call(verb::post,
              "/api/v1/grants/" + revoked["grant_id"].get<std::string>() + "/revocation",
              {{"reason", "统计局已改为按年度汇总表获取该数据，停止接口共享"}});
    tax->call(verb::post, "/api/v1/grants/" + d1["grant_id"].get<std::string>() + "/renewal",
              {{"valid_until", city_date(330)}, {"reason", "税收征管核查工作延续至下一年度"}});
    out << "grants: one ending in 10 days (grant_expiring), one revoked with a reason, one "
           "renewal pending\n";
  } catch (const std::exception& e) {
    err << "demo sharing: " << e.what() << "\n";
  }
}

// The demand list (需求清单), made once: a demand in each state, between the demo's agencies, as
// the coordination group would see them on a Monday morning.
void demo_demands(const Options& o, Api& admin, std::ostream& out, std::ostream& err) {
  if (!admin.all("/api/v1/demands").empty()) {
    out << "demands: already there\n";
    return;
  }
  try {
    auto coordinator = demo_person(o, "coordinator");
    auto post = [](Api& as, const std::string& title, const std::string& description,
                   const std::vector<std::string>& items, const std::string& purpose) {
      return as
          .call(verb::post, "/api/v1/demands",
                {{"title", title},
                 {"description", description},
                 {"items_wanted", items},
                 {"purpose", purpose}})["id"]
          .get<std::string>();
    };
    auto assign = [&](const std::string& id, const std::string& provider) {
      coordinator->call(verb::post, "/api/v1/demands/" + id + "/assignment",
                        {{"provider_code", provider}});
    };
    auto hr = demo_person(o, "gzrs-officer");
    auto tax = demo_person(o, "gzsw-officer");
    auto stats = demo_person(o, "gztj-cdo");
    auto police = demo_person(o, "gzga-officer");
    auto power = demo_person(o, "gdgz-cdo");
    auto market = demo_person(o, "gzsc-officer");
    auto planning = demo_person(o, "gzgh-officer");
    // Open: waiting for the coordination group.
    post(*hr, "新就业形态劳动者平台用工数据",
         "核定灵活就业人员社保补贴需要外卖、网约车平台的接单时长数据，目录中暂无此类资源",
         {"身份证号", "平台名称", "月接单时长"}, "灵活就业人员社会保险补贴审核");
    // Assigned to the power supply bureau, waiting for its answer.
    const std::string power_use =
        post(*tax, "企业月度用电量", "税收风险分析需要按月的企业用电量，与申报收入比对",
             {"统一社会信用代码", "月份", "用电量（千瓦时）"}, "税收风险分析");
    assign(power_use, "11440000B94HP7C595");
    // Answered: market regulation points to its registrations; statistics has yet to reply.
    const std::string enterprises =
        post(*stats, "全市企业名录", "经济普查需要全市企业的名录和行业",
             {"统一社会信用代码", "企业名称", "行业"}, "经济普查名录核对");
    assign(enterprises, "114401009P0Y2GG12L");
    market->call(
        verb::post, "/api/v1/demands/" + enterprises + "/response",
        {{"outcome", "catalogued"},
         {"resource_code", demo_resource(admin, "114401009P0Y2GG12L", "企业登记信息")["code"]}});
    // Closed: planning does not hold property registrations, and police accept that.
    const std::string property = post(*police, "不动产登记信息", "户籍迁入审核需要核验房屋产权",
                                      {"不动产权证号", "权利人", "坐落"}, "户籍迁入审核");
    assign(property, "11440100TN5YUXTM3J");
    planning->call(verb::post, "/api/v1/demands/" + property + "/response",
                   {{"outcome", "not_held"},
                    {"reason", "不动产登记由市不动产登记中心办理，本局不直接掌握登记簿数据"}});
    police->call(verb::post, "/api/v1/demands/" + property + "/acceptance",
                 {{"accepted", true}, {"note", "已转向不动产登记中心了解"}});
    // Disputed: tax refuses arrears to the power supply bureau, which disputes it.
    const std::string arrears = post(*power, "企业欠税信息", "大客户用电报装需要核查企业欠税情况",
                                     {"统一社会信用代码", "欠税金额"}, "用电报装信用核查");
    assign(arrears, "11440100XYDWCM5T1B");
    tax->call(verb::post, "/api/v1/demands/" + arrears + "/response",
              {{"outcome", "refused"}, {"reason", "欠税信息涉及纳税人隐私，仅依法向特定部门提供"}});
    power->call(verb::post, "/api/v1/demands/" + arrears + "/acceptance",
                {{"accepted", false},
                 {"note", "欠税公告信息依法公开，请提供已公告部分，建议协调小组裁定"}});
    out << "demands: 5 (open, assigned, answered, closed, disputed)\n";
  } catch (const std::exception& e) {
    err << "demo demands: " << e.what() << "\n";
  }
}

// A reorganisation (机构改革) as the city's 2019 one: 广州市国土资源和规划委员会 merged into
// 广州市规划和自然资源局. The old body is registered with a resource of its own, then succeeded:
// its resource is planning's now, and it is disabled, naming its successor. Done once.
void demo_succession(Api& admin, std::ostream& out, std::ostream& err) {
  constexpr const char* kOld = "11440100MB2D4K7G00";
  constexpr const char* kPlanning = "11440100TN5YUXTM3J";
  try {
    auto existing = admin.raw(verb::get, std::string("/api/v1/agencies/") + kOld);
    if (existing.status == 200 && nlohmann::json::parse(existing.body)["status"] == "disabled") {
      out << "succession: already done\n";
      return;
    }
    if (existing.status == 404) {
      admin.call(verb::post, "/api/v1/agencies",
                 {{"code", kOld}, {"name", "广州市国土资源和规划委员会"}, {"level", "city"}});
    }
    if (admin.all(std::string("/api/v1/resources?provider=") + kOld).empty()) {
      auto resources = nlohmann::json::parse(*embedded::file("demo/resources.json"));
      for (auto doc : resources) {
        if (doc["provider_code"] != kPlanning) continue;
        doc["provider_code"] = kOld;
        doc["name"] = "土地利用现状数据";
        doc["summary"] =
            "原市国土资源和规划委员会编目的土地利用现状数据，机构改革后由市规划和自然资源局承接。";
        auto created = admin.call(verb::post, "/api/v1/resources", doc);
        admin.call(verb::post,
                   "/api/v1/resources/" + created["code"].get<std::string>() + "/publish");
        break;
      }
    }
    auto done = admin.call(verb::post, std::string("/api/v1/agencies/") + kOld + "/succession",
                           {{"successor_code", kPlanning}});
    out << "succession: 广州市国土资源和规划委员会 → 广州市规划和自然资源局 ("
        << done["moved"]["resources"] << " resource moved)\n";
  } catch (const std::exception& e) {
    err << "demo succession: " << e.what() << "\n";
  }
}

// One issued 通报: last month's sharing-status report, frozen and signed by the coordination
// group (after the month of ledger history, so that it has numbers). Done once.
void demo_issue(const Options& o, Api& admin, std::ostream& out, std::ostream& err) {
  try {
    if (!admin.all("/api/v1/reports/issues").empty()) {
      out << "issued reports: already there\n";
      return;
    }
    const auto now = std::chrono::system_clock::now() + std::chrono::hours(8);
    const std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(now)};
    const std::chrono::year_month last =
        std::chrono::year_month{today.year(), today.month()} - std::chrono::months{1};
    const std::chrono::year_month_day first{last / 1};
    const std::chrono::year_month_day end{last / std::chrono::last};
    char from[16], to[16];
    std::snprintf(from, sizeof from, "%04d-%02u-01", static_cast<int>(first.year()),
                  static_cast<unsigned>(first.month()));
    std::snprintf(to, sizeof to, "%04d-%02u-%02u", static_cast<int>(end.year()),
                  static_cast<unsigned>(end.month()), static_cast<unsigned>(end.day()));
    const int year = static_cast<int>(last.year());
    const unsigned month = static_cast<unsigned>(last.month());
    auto coordinator = demo_person(o, "coordinator");
    auto issue = coordinator->call(
        verb::post, "/api/v1/reports/issues",
        {{"from", from},
         {"to", to},
         {"number", "穗数通〔" + std::to_string(year) + "〕" + std::to_string(month) + "号"},
         {"title",
          std::to_string(year) + "年" + std::to_string(month) + "月政务数据共享情况通报"}});
    out << "issued report: " << issue["number"].get<std::string>() << " (" << from << " to " << to
        << "), sha256 " << issue["sha256"].get<std::string>().substr(0, 16) << "…\n";
  } catch (const std::exception& e) {
    err << "demo issued report: " << e.what() << "\n";
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
    auto import_result = [&](const std::string& system, const std::string& code,
                             const std::string& body) {
      auto h = as(system);
      h.emplace_back("Content-Type", "application/x-ndjson");
      auto r = c.request(verb::post, "/api/v1/resources/" + code + "/imports", body, h);
      if (r.status != 200) throw std::runtime_error("demo import: " + Api::describe(r));
      return nlohmann::json::parse(r.body);
    };
    auto import = [&](const std::string& system, const std::string& code, const std::string& body) {
      return import_result(system, code, body)["accepted"].get<long long>();
    };
    const std::string enterprises = demo_enterprises_ndjson(3000);
    out << "records: " << import("gzsc-system", reg, enterprises) << " enterprises (企业登记信息), "
        << import("gzga-system", res, demo_residents_ndjson(2000))
        << " residents (户籍人口基本信息)\n";

    // Data quality: 企业用电量 is in quality_mode flag, so a year of readings with four faults
    // goes in whole, the faults flagged; 企业登记信息's names are unique, so a second enterprise
    // under a name already registered is refused.
    const auto power = demo_resource(admin, "11440000B94HP7C595", "企业用电量");
    const auto readings = import_result("gdgz-system", power["code"].get<std::string>(),
                                        demo_power_ndjson(enterprises, 40));
    const auto firm = nlohmann::json::parse(enterprises.substr(0, enterprises.find('\n')));
    auto json_as = as("gzsc-system");
    json_as.emplace_back("Content-Type", "application/json");
    const nlohmann::json twin = {
        {"name", firm["name"]}, {"legal_person", "陈一"}, {"status", "存续"}};
    const std::string first17 = "91440101MA5CXQ8R0";
    const std::string twin_key = first17 + members::uscc_check_character(first17);
    auto refused = c.request(verb::put, "/api/v1/resources/" + reg + "/records/" + twin_key,
                             twin.dump(), json_as);
    out << "quality: 企业用电量 took " << readings["accepted"].get<long long>() << " readings, "
        << readings["flagged"].get<long long>()
        << " flagged as breaking its rules (quality_mode flag); a second enterprise named "
        << firm["name"].get<std::string>() << " was "
        << (refused.status == 422 ? "refused" : "NOT refused") << " (rule unique)\n";

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
                                {"valid_until", city_date(365)}});
    police->call(verb::post,
                 "/api/v1/applications/" + verify_app["id"].get<std::string>() + "/decision",
                 {{"decision", "approve"}, {"opinion", "同意，仅限核验"}});
    const auto resident = nlohmann::json::parse(demo_residents_ndjson(1));
    auto agg_app = stats->call(verb::post, "/api/v1/applications",
                               {{"resource_code", reg},
                                {"items", {"district", "industry", "reg_capital"}},
                                {"operations", {"aggregate"}},
                                {"purpose", "经济运行分析（分区企业数和注册资本合计）"},
                                {"valid_until", city_date(365)}});
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
      // The resource's aggregate_policy: counts and sums with discrete Laplace noise, a daily
      // budget.
      out << " (differentially private: ε " << groups["privacy"]["epsilon_spent"].dump()
          << " spent, " << groups["privacy"]["epsilon_remaining"].dump() << " left today)";
    }
    out << "\n";
    // The subject log: who received that enterprise's registration, found by its credit code.
    const auto named =
        admin.all("/api/v1/ledger/entries?subject=" + url_encode(first["uscc"].get<std::string>()));
    out << "  subject log: " << named.size() << " entr" << (named.size() == 1 ? "y" : "ies")
        << " named " << first["uscc"].get<std::string>() << " (hubctl ledger subject "
        << first["uscc"].get<std::string>()
        << "; add --format xlsx -o access.xlsx for the citizen's report)\n";
  } catch (const std::exception& e) {
    err << "demo records: " << e.what() << "\n";
  }
}

// The demo's interface services (接口服务): public security's population check and market
// regulation's enterprise query, served by `hubctl demo-upstream` on loopback (scripts/run starts
// it; its CA and address are in DATA_DIR/demo-upstream). Registered and published, granted (tax
// at once for the unconditional enterprise query; human resources by application for the
// population check, approved by public security), and called a few times, so that calls show
// in the ledger and the report. Skipped, with a note, when the upstream is not running.
nlohmann::json demo_service_docs(const std::string& base_url, const std::string& ca_pem) {
  auto item = [](const char* name, const char* title, const char* type, const char* sensitivity,
                 const char* mask = nullptr) {
    nlohmann::json i = {
        {"name", name}, {"title", title}, {"type", type}, {"sensitivity", sensitivity}};
    if (mask) i["mask"] = mask;
    return i;
  };
  auto param = [](const char* name, const char* in) {
    return nlohmann::json{{"name", name}, {"in", in}, {"type", "string"}, {"required", true}};
  };
  nlohmann::json population = {
      {"kind", "service"},
      {"name", "人口基本信息核验"},
      {"summary",
       "核验公民身份号码与姓名是否一致，并返回是否健在与户籍所在区（不返回其他户籍信息）"},
      {"provider_code", "1144010024CNN5F90B"},
      {"category", "basic"},
      {"format", "JSON"},
      {"share_type", "conditional"},
      {"share_conditions", "仅用于依法履职中的身份核验，不得留存核验结果以外的信息。"},
      {"legal_basis", "《中华人民共和国居民身份证法》第十三条"},
      {"class_code", "1.01"},
      {"status", "published"},
      {"upstream",
       {{"base_url", base_url + "/population/v1"}, {"timeout_ms", 3000}, {"ca_pem", ca_pem}}},
      {"operations",
       {{{"id", "verify_person"},
         {"title", "人口核验（身份证号与姓名）"},
         {"method", "GET"},
         {"path", "/verify"},
         {"params", {param("id_number", "query"), param("name", "query")}},
         {"subject_param", "id_number"},
         {"response_items",
          {item("id_number", "公民身份号码", "string", "sensitive", "id_number"),
           item("name", "姓名", "string", "sensitive", "name"),
           item("match", "是否一致", "boolean", "public"),
           item("alive", "是否健在", "boolean", "internal"),
           item("household_district", "户籍所在区划代码", "string", "internal")}}}}}};
  nlohmann::json enterprise = {
      {"kind", "service"},
      {"name", "企业基本信息查询"},
      {"summary", "按统一社会信用代码查询市场主体登记的基本信息（实时查询登记系统）"},
      {"provider_code", "114401009P0Y2GG12L"},
      {"category", "basic"},
      {"format", "JSON"},
      {"share_type", "unconditional"},
      {"legal_basis", "《企业信息公示暂行条例》"},
      {"class_code", "1.02"},
      {"status", "published"},
      {"upstream",
       {{"base_url", base_url + "/market/v1"}, {"timeout_ms", 3000}, {"ca_pem", ca_pem}}},
      {"operations",
       {{{"id", "enterprise"},
         {"title", "企业基本信息"},
         {"method", "GET"},
         {"path", "/enterprises/{uscc}"},
         {"params", {param("uscc", "path")}},
         {"subject_param", "uscc"},
         {"response_items",
          {item("uscc", "统一社会信用代码", "string", "public"),
           item("name", "企业名称", "string", "public"),
           item("legal_representative", "法定代表人", "string", "sensitive", "name"),
           item("legal_representative_id", "法定代表人身份证号", "string", "sensitive",
                "id_number"),
           item("registered_capital", "注册资本", "string", "public"),
           item("established", "成立日期", "date", "public"),
           item("status", "登记状态", "string", "public"),
           item("address", "住所", "string", "sensitive", "address")}}}}}};
  return nlohmann::json::array({population, enterprise});
}

void demo_services(const Options& o, Api& admin, const nlohmann::json& tokens, std::ostream& out,
                   std::ostream& err) {
  const fs::path dir = o.data_dir / "demo-upstream";
  std::ifstream ca_in(dir / "ca.pem"), url_in(dir / "base_url");
  std::string base_url;
  std::getline(url_in, base_url);
  std::ostringstream ca;
  ca << ca_in.rdbuf();
  if (base_url.empty() || ca.str().empty()) {
    out << "services: no demo upstream in " << dir.string()
        << " (start it with `hubctl demo-upstream`): skipped\n";
    return;
  }
  try {
    std::ostringstream quiet;
    auto counts = apply_resources(admin, demo_service_docs(base_url, ca.str()), false, quiet, err);
    out << "services: " << counts.created << " created, " << counts.updated << " updated, "
        << counts.unchanged << " unchanged (upstream " << base_url << ")\n";
    if (counts.failed > 0) return;
    const std::string population =
        demo_resource(admin, "1144010024CNN5F90B", "人口基本信息核验")["code"];
    const std::string enterprise =
        demo_resource(admin, "114401009P0Y2GG12L", "企业基本信息查询")["code"];
    // Grants, once.
    bool granted = false;
    for (const auto& g : admin.all("/api/v1/grants?resource_code=" + enterprise)) {
      if (g["status"] == "active") granted = true;
    }
    if (!granted) {
      auto tax = demo_person(o, "gzsw-officer");
      tax->call(verb::post, "/api/v1/applications",
                {{"resource_code", enterprise},
                 {"items",
                  {"uscc", "name", "legal_representative", "registered_capital", "established",
                   "status", "address"}},
                 {"operations", {"enterprise"}},
                 {"purpose", "税务登记中实时核验纳税人的市场主体登记状态"},
                 {"legal_basis", "《中华人民共和国税收征收管理法》"},
                 {"valid_until", city_date(365)}});
      auto hr = demo_person(o, "gzrs-officer");
      auto application = hr->call(verb::post, "/api/v1/applications",
                                  {{"resource_code", population},
                                   {"items", {"id_number", "name", "match", "alive"}},
                                   {"operations", {"verify_person"}},
                                   {"purpose", "社会保险待遇资格认证中核验参保人身份与生存状态"},
                                   {"legal_basis", "《中华人民共和国社会保险法》"},
                                   {"valid_until", city_date(365)}});
      auto police = demo_person(o, "gzga-officer");
      police->call(verb::post,
                   "/api/v1/applications/" + application["id"].get<std::string>() + "/decision",
                   {{"decision", "approve"}, {"opinion", "同意，仅限待遇资格认证使用"}});
      out << "services: tax holds the enterprise query, human resources the population check\n";
    }
    // A few calls, each a ledger entry of operation "call".
    client::HttpsClient c(client_options(o));
    auto as = [&](const std::string& system, const char* purpose) {
      return std::vector<std::pair<std::string, std::string>>{
          {"Authorization", "Bearer " + tokens.at(system).get<std::string>()},
          {"X-Purpose", purpose}};
    };
    int calls = 0, ok = 0;
    for (const char* first17 : {"91440106MA59C3T8K", "91440104MA5AL6W2P", "91440105MA5CT0R4X"}) {
      const std::string uscc = std::string(first17) + members::uscc_check_character(first17);
      auto r =
          c.request(verb::get, "/api/v1/services/" + enterprise + "/call/enterprise?uscc=" + uscc,
                    {}, as("gzsw-system", "%E7%A8%8E%E5%8A%A1%E7%99%BB%E8%AE%B0"));  // 税务登记
      ++calls;
      ok += r.status == 200;
    }
    const std::string id = citizen_id("44010619850312431");
    auto r = c.request(verb::get,
                       "/api/v1/services/" + population + "/call/verify_person?id_number=" + id +
                           "&name=%E9%99%88%E5%BF%97%E5%BC%BA",                         // 陈志强
                       {}, as("gzrs-system", "%E5%BE%85%E9%81%87%E8%AE%A4%E8%AF%81"));  // 待遇认证
    ++calls;
    ok += r.status == 200;
    out << "services: " << calls << " calls, " << ok << " answered 200\n";
  } catch (const std::exception& e) {
    err << "demo services: " << e.what() << "\n";
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
  demo_demands(o, api, out, err);
  demo_succession(api, out, err);
  demo_registration(o, out);
  demo_returns(o, api, out);

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
  demo_services(o, api, tokens, out, err);
  demo_compute(o, api, tokens, out, err);
  // After the month of ledger history (demo_records): each reported value is a ledger entry.
  demo_indicators(o, out, err);
  demo_issue(o, api, out, err);
  out << "demo people sign in with password '" << password << "'; system tokens are in "
      << token_file.string() << "\n";
  return 0;
}

}  // namespace hub::cli
