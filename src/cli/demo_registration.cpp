// The demo's registration by spreadsheet: the human resources bureau's data officer fills in the
// template (here, written by the demo) with two resources, checks it with a dry run, imports it
// and publishes what it created. Saved as DATA_DIR/demo-registration.xlsx for a newcomer to open.
#include <xlsxwriter.h>

#include <fstream>
#include <map>
#include <ostream>
#include <stdexcept>

#include "command.hpp"
#include "hub/catalog/spreadsheet.hpp"
#include "hub/core/workbook.hpp"

namespace hub::cli {

namespace {

using Cells = std::map<std::string, std::string>;  // field (without "items.") → cell

constexpr const char* kHumanResources = "11440100FAJ0T55W64";  // 广州市人力资源和社会保障局

const std::vector<Cells>& demo_resources() {
  static const std::vector<Cells> rows = {
      {{"name", "就业登记信息"},
       {"summary", "本市劳动者就业登记、失业登记及用人单位招用备案信息"},
       {"provider_code", kHumanResources},
       {"category", "主题信息资源"},
       {"format", "数据库"},
       {"key", "registration_no"},
       {"share_type", "有条件共享"},
       {"share_conditions", "用于就业补贴审核、社会保险参保核验等政务服务"},
       {"share_methods", "接口、批量"},
       {"update_cycle", "每日"},
       {"legal_basis", "《就业服务与就业管理规定》"},
       {"class_code", "2.05.01"},
       {"quality_mode", "拒收不合规记录"}},
      {{"name", "职业技能等级证书信息"},
       {"summary", "本市职业技能等级认定机构颁发的职业技能等级证书"},
       {"provider_code", kHumanResources},
       {"category", "部门信息资源"},
       {"format", "数据库"},
       {"key", "certificate_no"},
       {"share_type", "无条件共享"},
       {"share_methods", "接口"},
       {"update_cycle", "每周"},
       {"legal_basis", "《国家职业技能标准编制技术规程》"},
       {"class_code", "2.05.03"}},
  };
  return rows;
}

const std::vector<Cells>& demo_items() {
  static const std::vector<Cells> rows = {
      {{"resource", "就业登记信息"},
       {"name", "registration_no"},
       {"title", "就业登记编号"},
       {"type", "字符串"},
       {"required", "是"},
       {"sensitivity", "公开"},
       {"pattern", "^JY[0-9]{12}$"}},
      {{"name", "citizen_id"},
       {"title", "公民身份号码"},
       {"type", "字符串"},
       {"required", "是"},
       {"sensitivity", "敏感"},
       {"mask", "证件号码"},
       {"check", "公民身份号码"}},
      {{"name", "person_name"},
       {"title", "姓名"},
       {"type", "字符串"},
       {"required", "是"},
       {"sensitivity", "敏感"},
       {"mask", "姓名"}},
      {{"name", "employer_uscc"},
       {"title", "用人单位统一社会信用代码"},
       {"type", "字符串"},
       {"required", "否"},
       {"sensitivity", "公开"},
       {"check", "统一社会信用代码"}},
      {{"name", "employment_type"},
       {"title", "就业类型"},
       {"type", "字符串"},
       {"required", "是"},
       {"sensitivity", "内部"},
       {"enum", "单位就业|灵活就业|自主创业"}},
      {{"name", "district"},
       {"title", "就业地所在区"},
       {"type", "字符串"},
       {"required", "否"},
       {"sensitivity", "公开"},
       {"code_list", "行政区划代码 GB/T 2260"}},
      {{"name", "registered_on"},
       {"title", "登记日期"},
       {"type", "日期"},
       {"required", "是"},
       {"sensitivity", "公开"}},
      {{"resource", "职业技能等级证书信息"},
       {"name", "certificate_no"},
       {"title", "证书编号"},
       {"type", "字符串"},
       {"required", "是"},
       {"sensitivity", "公开"},
       {"max_length", "30"}},
      {{"name", "person_name"},
       {"title", "姓名"},
       {"type", "字符串"},
       {"required", "是"},
       {"sensitivity", "敏感"},
       {"mask", "姓名"}},
      {{"name", "occupation"},
       {"title", "职业（工种）"},
       {"type", "字符串"},
       {"required", "是"},
       {"sensitivity", "公开"}},
      {{"name", "skill_level"},
       {"title", "技能等级"},
       {"type", "整数"},
       {"required", "是"},
       {"sensitivity", "公开"},
       {"enum", "1|2|3|4|5"}},
      {{"name", "issued_on"},
       {"title", "发证日期"},
       {"type", "日期"},
       {"required", "是"},
       {"sensitivity", "公开"}},
  };
  return rows;
}

// The two sheets as the template lays them out: headings, field names, then the rows.
void write_sheet(lxw_workbook* book, std::string_view name,
                 const std::vector<catalog::SheetColumn>& columns, const std::vector<Cells>& rows) {
  lxw_worksheet* sheet = xlsx::add_sheet(book, std::string(name).c_str());
  const auto styles = xlsx::common_styles(book);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const auto col = static_cast<lxw_col_t>(c);
    std::string field(columns[c].field);
    xlsx::check(
        worksheet_write_string(sheet, 0, col, std::string(columns[c].heading).c_str(), styles.head),
        "heading");
    xlsx::check(worksheet_write_string(sheet, 1, col, field.c_str(), nullptr), "field");
    worksheet_set_column(sheet, col, col, columns[c].width, nullptr);
    if (field.starts_with("items.")) field = field.substr(6);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      auto it = rows[r].find(field);
      if (it == rows[r].end()) continue;
      xlsx::check(worksheet_write_string(sheet, static_cast<lxw_row_t>(r + 2), col,
                                         it->second.c_str(), nullptr),
                  "cell");
    }
  }
}

}  // namespace

void demo_registration(const Options& o, std::ostream& out) {
  const std::string book = xlsx::write_workbook("", [](lxw_workbook* b) {
    write_sheet(b, catalog::kResourceSheet, catalog::resource_sheet_columns(), demo_resources());
    write_sheet(b, catalog::kItemSheet, catalog::item_sheet_columns(), demo_items());
  });
  const auto file = o.data_dir / "demo-registration.xlsx";
  std::ofstream(file, std::ios::binary) << book;
  auto officer = demo_person(o, "gzrs-officer");
  const std::string type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  auto dry = officer->send(verb::post, "/api/v1/resources/imports?dry_run=true", book, type);
  auto done = officer->send(verb::post, "/api/v1/resources/imports?dry_run=false", book, type);
  if (dry.status != 200 || done.status != 200) {
    throw std::runtime_error("registration by spreadsheet: " +
                             Api::describe(done.status != 200 ? done : dry));
  }
  const auto result = nlohmann::json::parse(done.body);
  for (const auto& r : result["resources"]) {
    if (r["action"] != "create") continue;
    officer->call(verb::post, "/api/v1/resources/" + r["code"].get<std::string>() + "/publish");
  }
  out << "registration by spreadsheet: gzrs-officer checked " << file.string()
      << " (dry run: " << nlohmann::json::parse(dry.body)["created"].get<int>()
      << " to create) and imported it: " << result["created"].get<int>() << " created, "
      << result["updated"].get<int>() << " updated, " << result["unchanged"].get<int>()
      << " unchanged; the template is GET /api/v1/resources/template.xlsx\n";
}

}  // namespace hub::cli
