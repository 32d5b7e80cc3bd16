// Registration by spreadsheet, without a database: the template, a filled-in workbook and its
// CSV read into catalogue documents, every problem named by sheet, row and field, and the .xlsx
// reader's limits (a zip bomb, a document type, a file that is no workbook).
#include <gtest/gtest.h>
#include <iconv.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../integration/support/workbook_builder.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/catalog/spreadsheet.hpp"
#include "hub/core/workbook.hpp"
#include "hub/core/xlsx_reader.hpp"

namespace hub::catalog {
namespace {

using nlohmann::json;
using Rows = std::vector<std::vector<std::string>>;
using test::zip_of;

std::string workbook(const std::vector<std::pair<std::string, Rows>>& sheets) {
  return test::workbook_of(sheets);
}

std::vector<std::string> fields_of(const std::vector<SheetColumn>& columns) {
  std::vector<std::string> out;
  for (const auto& c : columns) out.emplace_back(c.field);
  return out;
}

std::vector<std::string> resource_row(const test::SheetCells& cells) {
  return test::sheet_row(resource_sheet_columns(), cells);
}
std::vector<std::string> item_row(const test::SheetCells& cells) {
  return test::sheet_row(item_sheet_columns(), cells);
}

const test::SheetCells kMarketResource = [] {
  auto cells = test::market_resource();
  cells["quality_mode"] = "接收并标记不合规记录";
  return cells;
}();

Rows filled_resources() {
  return {{"资源名称"}, fields_of(resource_sheet_columns()), resource_row(kMarketResource)};
}
Rows filled_items() {
  return {{"所属资源"},
          fields_of(item_sheet_columns()),
          item_row({{"resource", "企业登记信息"},
                    {"name", "uscc"},
                    {"title", "统一社会信用代码"},
                    {"type", "字符串"},
                    {"required", "是"},
                    {"sensitivity", "公开"},
                    {"check", "统一社会信用代码"}}),
          item_row({{"name", "legal_person"},
                    {"title", "法定代表人"},
                    {"type", "字符串"},
                    {"required", "否"},
                    {"sensitivity", "敏感"},
                    {"mask", "姓名"}}),
          item_row({{"resource", "企业登记信息"},
                    {"name", "staff"},
                    {"title", "从业人数"},
                    {"type", "integer"},
                    {"required", "false"},
                    {"sensitivity", "internal"},
                    {"enum", "10|20|50"},
                    {"min", "=n:0"},
                    {"max", "=n:100000"}})};
}

TEST(Spreadsheet, TheTemplateHasBothSheetsTheirFieldRowAndDropDowns) {
  const std::string book = resource_template_xlsx("");
  const auto read = xlsx::read_xlsx(book);
  ASSERT_NE(read.sheet("资源"), nullptr);
  ASSERT_NE(read.sheet("信息项"), nullptr);
  ASSERT_NE(read.sheet("填写说明"), nullptr);
  EXPECT_EQ(read.sheet("资源")->cell(1, 2), "资源名称 *");
  EXPECT_EQ(read.sheet("资源")->rows[1], fields_of(resource_sheet_columns()));
  EXPECT_EQ(read.sheet("信息项")->rows[1], fields_of(item_sheet_columns()));
  // The drop-downs are list validations in the sheet's XML, in Chinese.
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(book.data(), book.size(), 0, &error);
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  ASSERT_NE(archive, nullptr);
  zip_file_t* sheet = zip_fopen(archive, "xl/worksheets/sheet1.xml", 0);
  ASSERT_NE(sheet, nullptr);
  std::string xml(1 << 20, '\0');
  xml.resize(static_cast<std::size_t>(zip_fread(sheet, xml.data(), xml.size())));
  zip_fclose(sheet);
  zip_discard(archive);
  EXPECT_NE(xml.find("<dataValidation type=\"list\""), std::string::npos);
  EXPECT_NE(xml.find("基础信息资源,主题信息资源,部门信息资源"), std::string::npos);
  // An empty template registers nothing and has no errors.
  auto empty = read_registration_xlsx(book);
  EXPECT_TRUE(empty.errors.empty());
  EXPECT_TRUE(empty.resources.empty());
}

TEST(Spreadsheet, AFilledWorkbookBecomesValidDocuments) {
  const auto reg =
      read_registration_xlsx(workbook({{"资源", filled_resources()}, {"信息项", filled_items()}}));
  ASSERT_TRUE(reg.errors.empty()) << reg.errors.front().message;
  ASSERT_EQ(reg.resources.size(), 1u);
  const auto& r = reg.resources[0];
  EXPECT_EQ(r.row, 3);
  EXPECT_EQ(r.fields["category"], "basic");
  EXPECT_EQ(r.fields["share_type"], "conditional");
  EXPECT_EQ(r.fields["share_methods"], json({"api", "bulk"}));
  EXPECT_EQ(r.fields["update_cycle"], "daily");
  EXPECT_EQ(r.fields["release_date"], "2025-01-01");  // Excel's serial 45658
  EXPECT_EQ(r.fields["quality_mode"], "flag");
  EXPECT_TRUE(r.fields["class_code"].is_null());  // an empty cell clears its field
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.item_rows, (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(r.items[0]["check"], "uscc");
  EXPECT_EQ(r.items[0]["required"], true);
  EXPECT_EQ(r.items[1]["mask"], "name");  // under the row above's resource
  EXPECT_EQ(r.items[2]["enum"], json({10, 20, 50}));
  EXPECT_EQ(r.items[2]["max"], 100000);
  // What it reads is a document validate_resource takes.
  json doc = r.fields;
  for (auto it = doc.begin(); it != doc.end();) it = it->is_null() ? doc.erase(it) : ++it;
  doc["items"] = r.items;
  std::vector<FieldError> errors;
  EXPECT_TRUE(validate_resource(doc, errors).has_value())
      << (errors.empty() ? std::string() : errors[0].field + ": " + errors[0].message);
}

TEST(Spreadsheet, EveryCellProblemIsNamedBySheetRowAndField) {
  auto resources = filled_resources();
  auto bad = kMarketResource;
  bad["name"] = "第二个资源";
  bad["category"] = "其他资源";
  bad["share_methods"] = "接口、邮件";
  resources.push_back(resource_row(bad));
  auto items = filled_items();
  auto item = item_row({{"resource", "不存在的资源"}, {"name", "x"}, {"type", "字符串"}});
  items.push_back(item);
  items.push_back(item_row({{"resource", "第二个资源"}, {"name", "n"}, {"max_length", "十"}}));
  const auto reg = read_registration_xlsx(workbook({{"资源", resources}, {"信息项", items}}));
  auto has = [&reg](const std::string& sheet, int row, const std::string& field) {
    for (const auto& e : reg.errors) {
      if (e.sheet == sheet && e.row == row && e.field == field) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("资源", 4, "category"));
  EXPECT_TRUE(has("资源", 4, "share_methods"));
  EXPECT_TRUE(has("信息项", 6, "items.resource"));
  EXPECT_TRUE(has("信息项", 7, "items.max_length"));
  EXPECT_EQ(reg.errors.size(), 4u);

  // A validation error of an item is mapped back to its row.
  const auto& second = reg.resources.at(1);
  const auto e = sheet_error_of(second, "items[0].type", "is required");
  EXPECT_EQ(e.sheet, "信息项");
  EXPECT_EQ(e.row, 7);
  EXPECT_EQ(e.field, "items.type");
  EXPECT_EQ(sheet_error_of(second, "key", "x").row, 4);

  // Row 2 names fields: an unknown one, or a required column missing, is refused before any row.
  auto shifted = filled_resources();
  shifted[1][2] = "abstract";
  const auto refused =
      read_registration_xlsx(workbook({{"资源", shifted}, {"信息项", filled_items()}}));
  ASSERT_EQ(refused.errors.size(), 2u);
  EXPECT_EQ(refused.errors[0].field, "abstract");
  EXPECT_EQ(refused.errors[0].row, 2);
  EXPECT_EQ(refused.errors[1].field, "summary");
  EXPECT_TRUE(refused.resources.empty());

  auto missing = read_registration_xlsx(workbook({{"资源", filled_resources()}}));
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].sheet, "信息项");
}

TEST(Spreadsheet, ExcelDatesOfBothDateSystems) {
  EXPECT_EQ(excel_date("45658", false), "2025-01-01");
  EXPECT_EQ(excel_date("61", false), "1900-03-01");
  EXPECT_EQ(excel_date("2958465", false), "9999-12-31");
  EXPECT_EQ(excel_date("44196", true), "2025-01-01");  // Excel for the Mac's old default
  EXPECT_EQ(excel_date("60", false), std::nullopt);    // the 1900-02-29 that never was
  EXPECT_EQ(excel_date("45658.5", false), std::nullopt);
  EXPECT_EQ(excel_date("", false), std::nullopt);
  // The reader says which system a workbook uses.
  const std::string rels = "<Relationships/>";
  auto book = [&](const std::string& pr) {
    return xlsx::read_xlsx(zip_of({{"xl/workbook.xml", "<workbook>" + pr + "<sheets/></workbook>"},
                                   {"xl/_rels/workbook.xml.rels", rels}}));
  };
  EXPECT_TRUE(book("<workbookPr date1904=\"1\"/>").date1904);
  EXPECT_FALSE(book("<workbookPr/>").date1904);
}

std::string csv_of(const Rows& rows) {
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) out += ',';
      const bool quote = row[c].find_first_of(",\"\n") != std::string::npos;
      if (!quote) {
        out += row[c];
        continue;
      }
      out += '"';
      for (char ch : row[c]) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      out += '"';
    }
    out += "\r\n";
  }
  return out;
}

Rows csv_rows() {
  // Chinese headings (as a person exports them) for the resource columns, field names for items.
  std::vector<std::string> head;
  for (const auto& c : resource_sheet_columns()) head.emplace_back(c.heading);
  for (const auto& c : item_sheet_columns()) {
    if (c.field != "items.resource") head.emplace_back(c.field);
  }
  auto line = [](std::map<std::string, std::string> resource,
                 const std::map<std::string, std::string>& item) {
    resource.erase("release_date");
    auto row = resource_row(resource);
    auto items = item_row(item);
    row.insert(row.end(), items.begin() + 1, items.end());
    return row;
  };
  auto market = kMarketResource;
  market["summary"] = "本市登记的市场主体基本信息，\n含\"吊销\"状态";
  return {head,
          line(market, {{"name", "uscc"},
                        {"title", "统一社会信用代码"},
                        {"type", "字符串"},
                        {"required", "是"},
                        {"sensitivity", "公开"}}),
          line({}, {{"name", "legal_person"},
                    {"title", "法定代表人"},
                    {"type", "字符串"},
                    {"required", "否"},
                    {"sensitivity", "公开"}}),
          line({{"name", "企业年报"}, {"summary", "年报"}}, {{"name", "year"}, {"type", "整数"}})};
}

TEST(Spreadsheet, ACsvIsOneTableOfItemsWithTheirResourcesColumns) {
  const std::string text = "\xEF\xBB\xBF" + csv_of(csv_rows());
  const auto reg = read_registration_csv(text);
  ASSERT_TRUE(reg.errors.empty()) << reg.errors.front().field << ": " << reg.errors.front().message;
  ASSERT_EQ(reg.resources.size(), 2u);
  EXPECT_EQ(reg.resources[0].items.size(), 2u);
  EXPECT_EQ(reg.resources[0].fields["summary"], "本市登记的市场主体基本信息，\n含\"吊销\"状态");
  EXPECT_EQ(reg.resources[0].item_rows, (std::vector<int>{2, 3}));
  EXPECT_EQ(reg.resources[1].row, 4);
  EXPECT_EQ(reg.resources[1].items[0]["type"], "integer");

  // The same file as Excel saves "CSV" on a Chinese system (GB18030).
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  ASSERT_NE(cd, reinterpret_cast<iconv_t>(-1));
  const std::string utf8 = csv_of(csv_rows());
  std::string gb(utf8.size() * 2, '\0');
  char* in = const_cast<char*>(utf8.data());
  std::size_t in_left = utf8.size(), out_left = gb.size();
  char* out = gb.data();
  ASSERT_NE(iconv(cd, &in, &in_left, &out, &out_left), static_cast<std::size_t>(-1));
  iconv_close(cd);
  gb.resize(gb.size() - out_left);
  const auto from_gb = read_registration_csv(gb);
  ASSERT_TRUE(from_gb.errors.empty());
  EXPECT_EQ(from_gb.resources[0].fields, reg.resources[0].fields);

  // A later line of a resource giving another value for its fields is an error on that line.
  auto rows = csv_rows();
  rows[2][0] = "";
  rows[2][1] = "企业登记信息";
  rows[2][2] = "另一个摘要";
  const auto differs = read_registration_csv(csv_of(rows));
  ASSERT_EQ(differs.errors.size(), 1u);
  EXPECT_EQ(differs.errors[0].row, 3);
  EXPECT_EQ(differs.errors[0].field, "summary");

  // The code on the first line, the name repeated below: still one resource.
  auto coded = csv_rows();
  coded[1][0] = "114401009P0Y2GG12L-00001";
  coded[2][1] = "企业登记信息";
  const auto one = read_registration_csv(csv_of(coded));
  ASSERT_TRUE(one.errors.empty()) << one.errors.front().message;
  EXPECT_EQ(one.resources[0].items.size(), 2u);
  EXPECT_EQ(one.resources[0].code, "114401009P0Y2GG12L-00001");

  // Bounded: columns a line, bytes a cell, errors listed.
  EXPECT_NE(read_registration_csv(std::string(100, ',') + "\n")
                .errors.at(0)
                .message.find("more than 64 columns"),
            std::string::npos);
  EXPECT_NE(read_registration_csv("name\n" + std::string(70000, 'x') + "\n")
                .errors.at(0)
                .message.find("longer than 65536"),
            std::string::npos);
  std::string many = csv_of({csv_rows()[0]});
  for (int i = 0; i < 1500; ++i) many += "," + std::to_string(i) + ",摘要,,其他资源\r\n";
  const auto capped = read_registration_csv(many);
  ASSERT_EQ(capped.errors.size(), kMaxSheetErrors + 1);
  EXPECT_NE(capped.errors.back().message.find("at most 1000 errors"), std::string::npos);
  EXPECT_TRUE(capped.errors.front().message.starts_with("“其他资源” is not one of"))
      << capped.errors.front().message;

  EXPECT_FALSE(read_registration_csv("name,summary\n\"open").errors.empty());
  EXPECT_FALSE(read_registration_csv("\xff\xfe\xfd").errors.empty());
  EXPECT_FALSE(read_registration_csv("").errors.empty());
}

const std::string kWorkbookXml =
    "<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<sheets><sheet name=\"资源\" r:id=\"rId1\"/></sheets></workbook>";
const std::string kRelsXml =
    "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>";

TEST(Spreadsheet, TheReaderRefusesWhatIsNoWorkbookABombAndADocumentType) {
  auto error_of = [](const std::string& bytes) {
    const auto reg = read_registration_xlsx(bytes);
    return reg.errors.empty() ? std::string() : reg.errors[0].message;
  };
  EXPECT_NE(error_of("name,summary\n").find("not a zip"), std::string::npos);
  EXPECT_NE(error_of(zip_of({{"a.txt", "x"}})).find("no xl/workbook.xml"), std::string::npos);
  // 100 MiB of one repeated cell compresses to a few hundred KiB: refused while inflating.
  std::string huge = "<worksheet><sheetData><row r=\"1\">";
  while (huge.size() < (100u << 20)) huge += "<c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c>";
  huge += "</row></sheetData></worksheet>";
  const std::string bomb = zip_of({{"xl/workbook.xml", kWorkbookXml},
                                   {"xl/_rels/workbook.xml.rels", kRelsXml},
                                   {"xl/worksheets/sheet1.xml", huge}});
  EXPECT_LT(bomb.size(), 2u << 20);
  EXPECT_NE(error_of(bomb).find("larger than 32 MiB"), std::string::npos) << error_of(bomb);
  // Entities are never expanded: a document type is refused.
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
      "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
      "<sst><si><t>&lol2;</t></si></sst>";
  const std::string entity = zip_of({{"xl/workbook.xml", kWorkbookXml},
                                     {"xl/_rels/workbook.xml.rels", kRelsXml},
                                     {"xl/sharedStrings.xml", laughs}});
  EXPECT_NE(error_of(entity).find("document type"), std::string::npos) << error_of(entity);
  // One shared text used by many cells counts each time it is used.
  std::string many = "<worksheet><sheetData>";
  for (int r = 1; r <= 20000; ++r) {
    many += "<row r=\"" + std::to_string(r) + "\">";
    for (int c = 0; c < 10; ++c) many += "<c t=\"s\"><v>0</v></c>";
    many += "</row>";
  }
  many += "</sheetData></worksheet>";
  const std::string shared = zip_of(
      {{"xl/workbook.xml", kWorkbookXml},
       {"xl/_rels/workbook.xml.rels", kRelsXml},
       {"xl/sharedStrings.xml", "<sst><si><t>" + std::string(60000, 'x') + "</t></si></sst>"},
       {"xl/worksheets/sheet1.xml", many}});
  EXPECT_NE(error_of(shared).find("MiB of text"), std::string::npos) << error_of(shared);
  // A value past column 64 is refused; an empty, formatted cell past it (or a formatted row past
  // the last one read) is not, as spreadsheet programs write them.
  auto sheet_with = [&](const std::string& rows) {
    return zip_of({{"xl/workbook.xml", kWorkbookXml},
                   {"xl/_rels/workbook.xml.rels", kRelsXml},
                   {"xl/worksheets/sheet1.xml",
                    "<worksheet><sheetData>" + rows + "</sheetData></worksheet>"}});
  };
  EXPECT_NE(
      error_of(sheet_with("<row r=\"1\"><c r=\"BM1\" t=\"inlineStr\"><is><t>x</t></is></c></row>"))
          .find("column 65"),
      std::string::npos);
  const auto styled = xlsx::read_xlsx(sheet_with(
      "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c><c r=\"BZ1\" s=\"1\"/></row>"
      "<row r=\"90000\" s=\"2\"><c r=\"A90000\" s=\"1\"/></row>"));
  ASSERT_EQ(styled.sheets.size(), 1u);
  EXPECT_EQ(styled.sheets[0].rows.size(), 1u);
  EXPECT_EQ(styled.sheets[0].rows[0].size(), 1u);
  // A value in the last column of every row costs that row's empty cells too.
  std::string wide;
  for (int r = 1; r <= 20000; ++r) {
    wide += "<row r=\"" + std::to_string(r) + "\"><c r=\"BL" + std::to_string(r) +
            "\" t=\"inlineStr\"><is><t>1</t></is></c></row>";
  }
  EXPECT_NE(error_of(sheet_with(wide)).find("more than 1000000 cells"), std::string::npos);
  // One part listed as two sheets is not read twice.
  const std::string twice =
      "<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
      "<sheets><sheet name=\"资源\" r:id=\"rId1\"/><sheet name=\"信息项\" r:id=\"rId1\"/>"
      "</sheets></workbook>";
  EXPECT_NE(error_of(zip_of({{"xl/workbook.xml", twice},
                             {"xl/_rels/workbook.xml.rels", kRelsXml},
                             {"xl/worksheets/sheet1.xml", "<worksheet/>"}}))
                .find("twice"),
            std::string::npos);
  // Deep nesting is bounded.
  std::string deep = "<worksheet>";
  for (int i = 0; i < 100; ++i) deep += "<x>";
  const std::string nested = zip_of({{"xl/workbook.xml", kWorkbookXml},
                                     {"xl/_rels/workbook.xml.rels", kRelsXml},
                                     {"xl/worksheets/sheet1.xml", deep}});
  EXPECT_NE(error_of(nested).find("deeper"), std::string::npos) << error_of(nested);
}

}  // namespace
}  // namespace hub::catalog
