// Registration by spreadsheet over HTTPS against a real PostgreSQL (docs/catalog.md
// "Registration by spreadsheet"): the template, a dry run that stores nothing, an import and
// its idempotent repeat, an update by code, every error by sheet, row and field with nothing
// stored, another agency's resources, CSV, the unique rule's claim, and hubctl.
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <set>

#include "hub/core/xlsx_reader.hpp"
#include "support/hub_fixture.hpp"
#include "support/workbook_builder.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

constexpr const char* kXlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

std::vector<SheetCells> market_items(const std::string& resource = "企业登记信息") {
  return {{{"resource", resource},
           {"name", "uscc"},
           {"title", "统一社会信用代码"},
           {"type", "字符串"},
           {"required", "是"},
           {"sensitivity", "公开"},
           {"check", "统一社会信用代码"}},
          {{"name", "entity_name"},
           {"title", "企业名称"},
           {"type", "字符串"},
           {"required", "是"},
           {"sensitivity", "公开"}},
          {{"name", "legal_person"},
           {"title", "法定代表人"},
           {"type", "字符串"},
           {"required", "否"},
           {"sensitivity", "敏感"},
           {"mask", "姓名"}}};
}

class RegistrationTest : public HubTest {
 protected:
  void SetUp() override {
    start();
    for (auto code : {kMarket, kTax}) agency(code);
    market_cdo_ = person(kMarket, "sc-cdo", "agency_cdo");
    market_officer_ = person(kMarket, "sc-officer", "agency_data_officer");
    tax_cdo_ = person(kTax, "sw-cdo", "agency_cdo");
    system_ = person(kMarket, "sc-system", "agency_system", "system");
  }
  client::ClientResponse upload(const std::string& token, const std::string& bytes,
                                bool dry_run = false, const std::string& type = kXlsx) {
    return send(verb::post,
                std::string("/api/v1/resources/imports?dry_run=") + (dry_run ? "true" : "false"),
                token, bytes, {{"Content-Type", type}});
  }
  json imported(const std::string& token, const std::string& bytes, bool dry_run = false,
                const std::string& type = kXlsx) {
    auto r = upload(token, bytes, dry_run, type);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }
  std::size_t market_resources() {
    return ok(verb::get, std::string("/api/v1/resources?provider=") + kMarket, kAdmin)["items"]
        .size();
  }
  std::string market_cdo_, market_officer_, tax_cdo_, system_;
};

TEST_F(RegistrationTest, TheTemplateIsTheWorkbookOfficersFillIn) {
  auto r = send(verb::get, "/api/v1/resources/template.xlsx", market_officer_, "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), kXlsx);
  EXPECT_NE(r.header("Content-Disposition").find("resource-template.xlsx"), std::string::npos);
  const auto book = xlsx::read_xlsx(r.body);
  ASSERT_NE(book.sheet("资源"), nullptr);
  EXPECT_EQ(book.sheet("资源")->cell(2, 2), "name");
  EXPECT_EQ(book.sheet("信息项")->cell(2, 4), "items.type");
  // Systems do not register resources; the template is for people.
  EXPECT_EQ(send(verb::get, "/api/v1/resources/template.xlsx", system_, "").status, 403);
}

TEST_F(RegistrationTest, ADryRunStoresNothingAndTheSameWorkbookTwiceChangesNothing) {
  const std::string book = registration_workbook({market_resource()}, market_items());
  auto dry = imported(market_cdo_, book, true);
  EXPECT_EQ(dry["created"], 1);
  EXPECT_EQ(dry["dry_run"], true);
  EXPECT_EQ(dry["resources"][0]["action"], "create");
  EXPECT_TRUE(dry["resources"][0]["code"].is_null());
  EXPECT_EQ(market_resources(), 0u);

  auto done = imported(market_officer_, book);
  EXPECT_EQ(done["created"], 1);
  EXPECT_EQ(done["errors"].size(), 0u);
  const std::string code = done["resources"][0]["code"];
  auto stored = ok(verb::get, "/api/v1/resources/" + code, market_cdo_);
  EXPECT_EQ(stored["status"], "draft");
  EXPECT_EQ(stored["category"], "basic");
  EXPECT_EQ(stored["share_methods"], json({"api", "bulk"}));
  EXPECT_EQ(stored["release_date"], "2025-01-01");
  EXPECT_EQ(stored["items"][2]["mask"], "name");
  EXPECT_EQ(stored["items"][0]["check"], "uscc");

  auto again = imported(market_cdo_, book);
  EXPECT_EQ(again["created"], 0);
  EXPECT_EQ(again["updated"], 0);
  EXPECT_EQ(again["unchanged"], 1);
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code, market_cdo_)["version"], 1);

  // A changed summary and a new item by the resource's code: one new version; fields the
  // workbook does not carry (min_group_size) are kept.
  auto doc = ok(verb::get, "/api/v1/resources/" + code, market_cdo_);
  ok(verb::post, "/api/v1/resources/" + code + "/publish", market_cdo_);
  auto changed = market_resource();
  changed["code"] = code;
  changed["summary"] = "本市登记的市场主体基本信息（含个体工商户）";
  auto items = market_items(code);
  items.push_back({{"name", "district"},
                   {"title", "所在区"},
                   {"type", "字符串"},
                   {"required", "否"},
                   {"sensitivity", "公开"},
                   {"code_list", "行政区划代码 GB/T 2260"}});
  auto update = imported(market_cdo_, registration_workbook({changed}, items));
  EXPECT_EQ(update["updated"], 1);
  EXPECT_EQ(update["resources"][0]["fields"], json({"summary", "items"}));
  auto after = ok(verb::get, "/api/v1/resources/" + code, market_cdo_);
  EXPECT_EQ(after["version"], 2);
  EXPECT_EQ(after["status"], "published");
  EXPECT_EQ(after["items"].size(), 4u);
  EXPECT_EQ(after["items"][3]["code_list"], "gb2260");
  EXPECT_EQ(after["min_group_size"], doc["min_group_size"]);
  EXPECT_EQ(imported(market_cdo_, registration_workbook({changed}, items))["unchanged"], 1);
}

TEST_F(RegistrationTest, EveryErrorIsListedBySheetRowAndFieldAndNothingIsStored) {
  auto bad = market_resource("企业年报信息");
  bad["share_type"] = "有条件共享";
  bad.erase("legal_basis");  // required for conditional sharing
  auto items = market_items();
  auto report_items = market_items("企业年报信息");
  report_items[2]["sensitivity"] = "公开";  // a mask on an item that is not sensitive
  items.insert(items.end(), report_items.begin(), report_items.end());
  auto r = upload(market_cdo_, registration_workbook({market_resource(), bad}, items));
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  const json body = json::parse(r.body);
  EXPECT_EQ(body["code"], "validation_failed");
  EXPECT_EQ(body["created"], 1);  // what the good resource would do
  std::set<std::tuple<std::string, int, std::string>> where;
  for (const auto& e : body["errors"]) {
    where.insert(
        {e["sheet"].get<std::string>(), e["row"].get<int>(), e["field"].get<std::string>()});
  }
  EXPECT_TRUE(where.contains({"资源", 4, "legal_basis"})) << r.body;
  EXPECT_TRUE(where.contains({"信息项", 8, "items.mask"})) << r.body;
  EXPECT_EQ(market_resources(), 0u);  // the good resource was not stored either

  // Another agency's provider code, and a resource of another agency by its code.
  auto as_tax = upload(tax_cdo_, registration_workbook({market_resource()}, market_items()));
  ASSERT_EQ(as_tax.status, 422);
  EXPECT_EQ(json::parse(as_tax.body)["errors"][0]["field"], "provider_code");
  const std::string code =
      imported(market_cdo_,
               registration_workbook({market_resource()}, market_items()))["resources"][0]["code"];
  auto theirs = market_resource();
  theirs["code"] = code;
  auto draft = upload(tax_cdo_, registration_workbook({theirs}, market_items(code)));
  ASSERT_EQ(draft.status, 422);
  EXPECT_EQ(json::parse(draft.body)["errors"][0]["message"], "resource not found");

  // Naming another agency's draft by its provider and name tells nothing of it: the same words
  // as a name it does not have.
  const auto named = upload(tax_cdo_, registration_workbook({market_resource()}, market_items()));
  const auto unnamed = upload(tax_cdo_, registration_workbook({market_resource("不存在的资源")},
                                                              market_items("不存在的资源")));
  EXPECT_EQ(json::parse(named.body)["errors"], json::parse(unnamed.body)["errors"]);

  // One resource changed by two rows (its code, and its name): an error on the second.
  auto by_code = market_resource("企业登记信息（新名称）");
  by_code["code"] = code;
  auto twice =
      upload(market_cdo_, registration_workbook({by_code, market_resource()}, market_items(code)));
  ASSERT_EQ(twice.status, 422) << twice.body;
  EXPECT_EQ(json::parse(twice.body)["errors"][0]["row"], 4);
  EXPECT_NE(json::parse(twice.body)["errors"][0]["message"].get<std::string>().find(
                "already listed on row 3"),
            std::string::npos);

  // Not a workbook; a wrong content type; a dry_run that is not a boolean; a system.
  auto junk = upload(market_cdo_, "PK\x03\x04 not really");
  ASSERT_EQ(junk.status, 422);
  EXPECT_EQ(json::parse(junk.body)["errors"][0]["sheet"], "");
  EXPECT_EQ(upload(market_cdo_, "{}", false, "application/json").status, 422);
  EXPECT_EQ(send(verb::post, "/api/v1/resources/imports?dry_run=yes", market_cdo_, "a",
                 {{"Content-Type", "text/csv"}})
                .status,
            400);
  EXPECT_EQ(upload(system_, registration_workbook({market_resource()}, market_items())).status,
            403);
}

TEST_F(RegistrationTest, TheSameNewWorkbookSentTwiceAtOnceRegistersOnce) {
  const std::string book = registration_workbook({market_resource()}, market_items());
  auto first = std::async(std::launch::async, [&] {
    client::HttpsClient c(hub_->client_options());
    return c.request(verb::post, "/api/v1/resources/imports", book,
                     {{"Authorization", "Bearer " + market_cdo_}, {"Content-Type", kXlsx}});
  });
  auto second = upload(market_cdo_, book);
  auto other = first.get();
  std::multiset<unsigned> statuses = {other.status, second.status};
  // Both created it (200 and 200 unchanged is fine too, when the second came after).
  EXPECT_TRUE(statuses == std::multiset<unsigned>({200, 409}) ||
              statuses == std::multiset<unsigned>({200, 200}))
      << other.body << "\n"
      << second.body;
  EXPECT_EQ(market_resources(), 1u);
  EXPECT_EQ(imported(market_cdo_, book)["unchanged"], 1);
}

TEST_F(RegistrationTest, ACsvTableRegistersAsTheWorkbookDoes) {
  std::string csv = "\xEF\xBB\xBF";
  std::vector<std::string> head;
  for (const auto& c : catalog::resource_sheet_columns()) head.emplace_back(c.field);
  for (const auto& c : catalog::item_sheet_columns()) {
    if (c.field != "items.resource") head.emplace_back(c.field);
  }
  auto line = [](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i];
    return out + "\r\n";
  };
  csv += line(head);
  auto resource = market_resource();
  resource.erase("release_date");
  const auto items = market_items();
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto cells = sheet_row(catalog::resource_sheet_columns(), i == 0 ? resource : SheetCells{});
    auto item = sheet_row(catalog::item_sheet_columns(), items[i]);
    cells.insert(cells.end(), item.begin() + 1, item.end());
    csv += line(cells);
  }
  auto done = imported(market_cdo_, csv, false, "text/csv");
  EXPECT_EQ(done["created"], 1);
  EXPECT_EQ(imported(market_cdo_, csv, false, "text/csv")["unchanged"], 1);
  // The CSV and the workbook describe the same resource: the workbook changes only what the CSV
  // left out (its release date).
  auto book = imported(market_cdo_, registration_workbook({market_resource()}, market_items()));
  EXPECT_EQ(book["updated"], 1);
  EXPECT_EQ(book["resources"][0]["fields"], json({"release_date"}));
}

TEST_F(RegistrationTest, AnItemMadeUniqueClaimsTheStoredValuesOrIsRefusedWhereItSays) {
  const std::string code =
      imported(market_cdo_,
               registration_workbook({market_resource()}, market_items()))["resources"][0]["code"];
  ok(verb::post, "/api/v1/resources/" + code + "/publish", market_cdo_);
  for (auto [key, name] :
       {std::pair{"91440101MA59ABCD1D", "同名公司"}, std::pair{"91440101MA59XYTW2U", "同名公司"}}) {
    auto r = call(verb::put, "/api/v1/resources/" + code + "/records/" + key, system_,
                  {{"uscc", key}, {"entity_name", name}});
    ASSERT_LT(r.status, 300) << r.body;
  }
  auto resource = market_resource();
  resource["code"] = code;
  auto items = market_items(code);
  items[1]["unique"] = "是";
  auto refused = upload(market_cdo_, registration_workbook({resource}, items));
  ASSERT_EQ(refused.status, 422) << refused.body;
  const json e = json::parse(refused.body)["errors"][0];
  EXPECT_EQ(e["sheet"], "信息项");
  EXPECT_EQ(e["row"], 4);
  EXPECT_EQ(e["field"], "items.unique");
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code, market_cdo_)["version"], 1);
  // Once the names differ, the same workbook is taken and the names are claimed.
  auto r = call(verb::put, "/api/v1/resources/" + code + "/records/91440101MA59XYTW2U", system_,
                {{"uscc", "91440101MA59XYTW2U"}, {"entity_name", "另一家公司"}});
  ASSERT_LT(r.status, 300) << r.body;
  EXPECT_EQ(imported(market_cdo_, registration_workbook({resource}, items))["updated"], 1);
  auto taken = call(verb::put, "/api/v1/resources/" + code + "/records/91440101MA5AAAAA3G", system_,
                    {{"uscc", "91440101MA5AAAAA3G"}, {"entity_name", "另一家公司"}});
  EXPECT_EQ(taken.status, 422) << taken.body;
}

TEST_F(RegistrationTest, HubctlImportsAWorkbookAndListsItsErrors) {
  const std::string file = (dir_.path() / "registration.xlsx").string();
  std::ofstream(file, std::ios::binary)
      << registration_workbook({market_resource()}, market_items());
  auto [dry_code, dry_out, dry_err] =
      hubctl({"resources", "import", file, "--dry-run"}, market_cdo_);
  EXPECT_EQ(dry_code, 0) << dry_err;
  EXPECT_NE(dry_out.find("dry run: 1 created"), std::string::npos) << dry_out;
  EXPECT_EQ(market_resources(), 0u);
  auto [code, out, err] = hubctl({"resources", "import", file}, market_cdo_);
  EXPECT_EQ(code, 0) << err;
  EXPECT_NE(out.find("1 created"), std::string::npos) << out;
  EXPECT_EQ(market_resources(), 1u);

  auto bad = market_resource("企业年报信息");
  bad["category"] = "其他";
  std::ofstream(file, std::ios::binary)
      << registration_workbook({bad}, market_items("企业年报信息"));
  auto [bad_code, bad_out, bad_err] = hubctl({"resources", "import", file}, market_cdo_);
  EXPECT_EQ(bad_code, 1);
  EXPECT_NE(bad_err.find("资源 row 3 category"), std::string::npos) << bad_err;
  EXPECT_NE(bad_out.find("nothing was stored"), std::string::npos) << bad_out;
}

}  // namespace
}  // namespace hub::test
