#pragma once
// Registration by spreadsheet (API.md Part 2, docs/catalog.md "Registration by spreadsheet"):
// the workbook's columns, the template an agency's officers fill in (sheets 资源 and 信息项: row
// 1 Chinese headings, row 2 the API field each column fills, data from row 3; drop-downs for
// controlled fields, in Chinese), and the reading of a filled-in workbook (or its CSV) into
// catalogue documents, every problem named by sheet, row and field. Pure: no database; the
// catalog service matches, validates and stores (CatalogService::import_registration).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub::catalog {

// A value of a controlled field: what the API takes, and what a person picks in the drop-down.
struct SheetChoice {
  std::string_view code;
  std::string_view label;
};

struct SheetColumn {
  std::string_view heading;  // row 1
  std::string_view field;    // row 2: the API field it fills ("name", "items.type")
  bool required = false;
  std::vector<SheetChoice> choices;  // a drop-down when not empty
  std::string_view note;             // the heading's comment: how to fill it
  double width = 14;
};

// The columns of sheet 资源 (one resource a row) and of sheet 信息项 (one item a row, tied to
// its resource by the resource's name in the same workbook, or its code).
const std::vector<SheetColumn>& resource_sheet_columns();
const std::vector<SheetColumn>& item_sheet_columns();

constexpr std::string_view kResourceSheet = "资源";
constexpr std::string_view kItemSheet = "信息项";
constexpr int kFirstDataRow = 3;  // 1-based, as a person counts rows
constexpr int kTemplateRows = 1000;
constexpr std::size_t kMaxSheetResources = 1000;  // a workbook's resources
constexpr std::size_t kMaxSheetItems = 20000;     // a workbook's items
constexpr std::size_t kMaxSheetErrors = 1000;     // errors listed (then one saying so)

// The template as an .xlsx workbook: the two sheets with their headings, field names,
// drop-downs and notes, and a third, 填写说明, explaining them with an example. Written through a
// private temporary file in `tmp_dir` (libxlsxwriter writes files only), removed before
// returning.
std::string resource_template_xlsx(const std::string& tmp_dir);

// A problem of a workbook: where an officer finds it.
struct SheetError {
  std::string sheet;  // 资源, 信息项, or "" for the file as a whole
  int row = 0;        // 1-based, as the officer sees it; 0 for the file
  std::string field;  // the API field of the column ("items.type"), or ""
  std::string message;
};

// A resource as a workbook gives it.
struct SheetResource {
  int row = 0;        // in 资源 (in a CSV: the resource's first line)
  std::string code;   // the 资源代码 cell: the registered resource it updates
  std::string sheet;  // where its resource cells are (资源, or the CSV's name)
  std::string item_sheet;
  // The resource's fields whose columns the workbook has (an empty cell: null, so that the
  // field is cleared); code and items are not among them.
  nlohmann::json fields = nlohmann::json::object();
  nlohmann::json items = nlohmann::json::array();  // the 信息项 rows naming it, in order
  std::vector<int> item_rows;                      // their rows, in the same order
};

struct SheetRegistration {
  std::vector<SheetResource> resources;
  std::vector<SheetError> errors;
};

// Reads a registration workbook (.xlsx): every cell problem (an unknown choice, a number that is
// not one, an item naming no resource, a missing column) is an error; the documents' own rules
// are checked afterwards by validate_resource. A file that is not a readable workbook, or
// passes its limits (docs/catalog.md), is one error on sheet "".
SheetRegistration read_registration_xlsx(std::string_view bytes);

// The same from one CSV table (UTF-8, or GB18030 as Excel saves it on a Chinese system): the
// header row names fields by API name or by the template's heading, each line is one item with
// its resource's columns, and consecutive lines naming the same resource are one resource
// (its fields from its first line; a later line giving another value is an error).
SheetRegistration read_registration_csv(std::string_view text);

// An Excel date serial as YYYY-MM-DD (the 1900 date system: day 1 is 1900-01-01, 60 the
// 1900-02-29 that never was; in a workbook of the 1904 system, day 0 is 1904-01-01); nullopt
// when the text is not the serial of a date from 1900-03-01 to 9999-12-31.
std::optional<std::string> excel_date(const std::string& text, bool date1904);

// Keeps the first kMaxSheetErrors errors and adds one saying there were more; true when it did.
bool cap_errors(std::vector<SheetError>& errors);

// Maps a validate_resource error path ("items[3].type", "key") of resource `r` to the cell it
// came from.
SheetError sheet_error_of(const SheetResource& r, const std::string& path,
                          const std::string& message);

}  // namespace hub::catalog
