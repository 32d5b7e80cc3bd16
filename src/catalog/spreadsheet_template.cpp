// The registration template (libxlsxwriter): sheets 资源 and 信息项 with headings, field names,
// drop-downs and notes, and 填写说明.
#include <xlsxwriter.h>

#include <string>
#include <vector>

#include "hub/catalog/spreadsheet.hpp"
#include "hub/core/workbook.hpp"

namespace hub::catalog {

namespace {

using xlsx::check;

void write_sheet(lxw_workbook* book, std::string_view name, const std::vector<SheetColumn>& columns,
                 int rows, const xlsx::Styles& styles, lxw_format* required_head,
                 lxw_format* field) {
  lxw_worksheet* sheet = xlsx::add_sheet(book, std::string(name).c_str());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto c = static_cast<lxw_col_t>(i);
    const SheetColumn& col = columns[i];
    const std::string heading = std::string(col.heading) + (col.required ? " *" : "");
    check(worksheet_write_string(sheet, 0, c, heading.c_str(),
                                 col.required ? required_head : styles.head),
          "heading");
    check(worksheet_write_string(sheet, 1, c, std::string(col.field).c_str(), field), "field");
    worksheet_set_column(sheet, c, c, col.width, nullptr);
    if (!col.note.empty()) {
      check(worksheet_write_comment(sheet, 0, c, std::string(col.note).c_str()), "note");
    }
    if (col.choices.empty()) continue;
    // The drop-down: the Chinese labels (the import takes a label or the API's code).
    std::vector<std::string> labels;
    for (const auto& choice : col.choices) labels.emplace_back(choice.label);
    std::vector<char*> list;
    for (auto& l : labels) list.push_back(l.data());
    list.push_back(nullptr);
    lxw_data_validation v{};
    v.validate = LXW_VALIDATION_TYPE_LIST;
    v.value_list = list.data();
    v.ignore_blank = LXW_VALIDATION_ON;
    v.error_type = LXW_VALIDATION_ERROR_TYPE_STOP;
    check(worksheet_data_validation_range(sheet, kFirstDataRow - 1, c, kFirstDataRow - 2 + rows, c,
                                          &v),
          "drop-down");
  }
  worksheet_set_row(sheet, 0, 30, nullptr);
  worksheet_freeze_panes(sheet, kFirstDataRow - 1, 0);
}

}  // namespace

std::string resource_template_xlsx(const std::string& tmp_dir) {
  return xlsx::write_workbook(tmp_dir, [](lxw_workbook* book) {
    const xlsx::Styles styles = xlsx::common_styles(book);
    lxw_format* required_head = workbook_add_format(book);
    format_set_bold(required_head);
    format_set_text_wrap(required_head);
    format_set_align(required_head, LXW_ALIGN_CENTER);
    format_set_align(required_head, LXW_ALIGN_VERTICAL_CENTER);
    format_set_bg_color(required_head, 0xDDEBF7);
    format_set_font_color(required_head, 0xC00000);
    format_set_border(required_head, LXW_BORDER_THIN);
    lxw_format* field = workbook_add_format(book);
    format_set_italic(field);
    format_set_font_size(field, 9);
    format_set_font_color(field, 0x7F7F7F);
    format_set_border(field, LXW_BORDER_THIN);
    write_sheet(book, kResourceSheet, resource_sheet_columns(), kTemplateRows, styles,
                required_head, field);
    write_sheet(book, kItemSheet, item_sheet_columns(), kTemplateRows * 20, styles, required_head,
                field);

    lxw_worksheet* help = xlsx::add_sheet(book, "填写说明");
    worksheet_set_column(help, 0, 0, 110, nullptr);
    const char* lines[] = {
        "政务信息资源目录编制模板",
        "1. “资源”表每行一个资源，“信息项”表每行一个信息项；第 1 行为中文表头（带 * "
        "的必填），第 2 行为接口字段名，请勿修改；从第 3 行起填写。",
        "2. 信息项的“所属资源”填资源表中的资源名称；更新已登记的资源时，资源表填其资源代码，"
        "信息项须列出该资源的全部信息项（未列出的信息项将被删除，形成新版本）。",
        "3. 带下拉框的列请从下拉框中选择；“共享方式”可选接口、批量或两者。",
        "4. 上传：POST /api/v1/resources/imports?dry_run=true 先试导入，所有错误按表、行、列列出，"
        "无误后 dry_run=false 正式导入；同一模板重复导入不会重复登记。",
        "5. 示例（资源表）：企业登记信息 | 本市登记的市场主体基本信息 | 114401009P0Y2GG12L | "
        "基础信息资源 | 数据库 | uscc | 有条件共享 | … ",
        "   示例（信息项表）：企业登记信息 | uscc | 统一社会信用代码 | 字符串 | 是 | 公开 | | | | "
        "| | | | 统一社会信用代码 | ",
    };
    lxw_row_t row = 0;
    for (const char* line : lines) {
      check(worksheet_write_string(help, row, 0, line, row == 0 ? styles.title : nullptr), "help");
      ++row;
    }
  });
}

}  // namespace hub::catalog
