#pragma once
// Workbooks for the tests of registration by spreadsheet, written with libxlsxwriter as an
// officer's spreadsheet program would save them.

#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "hub/catalog/spreadsheet.hpp"
#include "hub/core/workbook.hpp"

namespace hub::test {

using SheetRows = std::vector<std::vector<std::string>>;

// A workbook of the given sheets; a cell "=n:45000" is written as a number.
inline std::string workbook_of(const std::vector<std::pair<std::string, SheetRows>>& sheets) {
  return xlsx::write_workbook("", [&sheets](lxw_workbook* book) {
    for (const auto& [name, rows] : sheets) {
      lxw_worksheet* sheet = xlsx::add_sheet(book, name.c_str());
      for (std::size_t r = 0; r < rows.size(); ++r) {
        for (std::size_t c = 0; c < rows[r].size(); ++c) {
          const std::string& cell = rows[r][c];
          const auto row = static_cast<lxw_row_t>(r);
          const auto col = static_cast<lxw_col_t>(c);
          if (cell.starts_with("=n:")) {
            worksheet_write_number(sheet, row, col, std::atof(cell.c_str() + 3), nullptr);
          } else if (!cell.empty()) {
            worksheet_write_string(sheet, row, col, cell.c_str(), nullptr);
          }
        }
      }
    }
  });
}

using SheetCells = std::map<std::string, std::string>;  // field (without "items.") → cell

// 企业登记信息 of the market regulation bureau (广州市市场监督管理局), as an officer fills it in.
inline SheetCells market_resource(const std::string& name = "企业登记信息") {
  return {{"name", name},
          {"summary", "本市登记的市场主体基本信息"},
          {"provider_code", "114401009P0Y2GG12L"},
          {"category", "基础信息资源"},
          {"format", "数据库"},
          {"key", "uscc"},
          {"share_type", "有条件共享"},
          {"share_conditions", "用于行政审批"},
          {"legal_basis", "《政务信息资源共享管理暂行办法》"},
          {"share_methods", "接口、批量"},
          {"update_cycle", "每日"},
          {"release_date", "=n:45658"}};
}

// One row of a registration sheet: the cells in the columns' order.
inline std::vector<std::string> sheet_row(const std::vector<catalog::SheetColumn>& columns,
                                          const SheetCells& cells) {
  std::vector<std::string> row;
  for (const auto& c : columns) {
    std::string field(c.field);
    if (field.starts_with("items.")) field = field.substr(6);
    auto it = cells.find(field);
    row.push_back(it == cells.end() ? "" : it->second);
  }
  return row;
}

// A sheet as the template has it: headings, field names, then `rows`.
inline SheetRows registration_sheet(const std::vector<catalog::SheetColumn>& columns,
                                    const std::vector<SheetCells>& rows) {
  SheetRows out(2);
  for (const auto& c : columns) {
    out[0].emplace_back(c.heading);
    out[1].emplace_back(c.field);
  }
  for (const auto& r : rows) out.push_back(sheet_row(columns, r));
  return out;
}

// A filled-in registration template.
inline std::string registration_workbook(const std::vector<SheetCells>& resources,
                                         const std::vector<SheetCells>& items) {
  return workbook_of({{std::string(catalog::kResourceSheet),
                       registration_sheet(catalog::resource_sheet_columns(), resources)},
                      {std::string(catalog::kItemSheet),
                       registration_sheet(catalog::item_sheet_columns(), items)}});
}

// A zip package of the given parts, through a temporary file (libzip writes on close).
inline std::string zip_of(const std::vector<std::pair<std::string, std::string>>& parts) {
  char path[] = "/tmp/hub-zip-XXXXXX";
  const int fd = ::mkstemp(path);
  ::close(fd);
  int error = 0;
  zip_t* z = zip_open(path, ZIP_TRUNCATE, &error);
  for (const auto& [name, data] : parts) {
    zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
    zip_file_add(z, name.c_str(), s, ZIP_FL_OVERWRITE);
  }
  zip_close(z);
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  ::unlink(path);
  return bytes.str();
}

}  // namespace hub::test
