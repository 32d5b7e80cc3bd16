#pragma once
// Reads the cells of an .xlsx workbook (Office Open XML, ECMA-376): the sheets' names and their
// cells as text, nothing else (no formulas evaluated, no styles). libzip opens the package,
// expat reads its XML parts as a stream. Everything a client sends is bounded (entries, sizes
// before and while inflating, rows, columns, cell bytes, XML depth) and a document type
// declaration is refused, so a zip bomb or an entity expansion ends as an error, not as memory.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hub::xlsx {

struct XlsxLimits {
  std::size_t max_entries = 200;
  std::size_t max_entry_bytes = 32u << 20;  // one part, inflated
  std::size_t max_total_bytes = 64u << 20;  // all parts read, inflated
  std::size_t max_rows = 20000;             // a sheet
  std::size_t max_columns = 64;
  std::size_t max_cell_bytes = 65536;
  std::size_t max_depth = 64;
  std::size_t max_shared_strings = 200000;
  std::size_t max_cell_text_bytes = 64u << 20;  // all cells' text (a shared text counts each use)
  std::size_t max_cells = 1000000;  // slots held: rows, and cells up to a row's last value
  std::size_t max_sheets = 256;
};

class XlsxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct XlsxSheet {
  std::string name;
  // rows[r][c]: the cell of row r+1, column c+1 as text ("" when empty); rows are as long as
  // their last non-empty cell.
  std::vector<std::vector<std::string>> rows;
  const std::string& cell(std::size_t row, std::size_t column) const;  // 1-based; "" outside
};

struct XlsxWorkbook {
  std::vector<XlsxSheet> sheets;  // in the workbook's order
  bool date1904 = false;          // dates are days since 1904-01-01 (workbookPr date1904)
  const XlsxSheet* sheet(std::string_view name) const;
};

// Throws XlsxError saying what is wrong (not a zip, no workbook part, a limit passed, bad XML,
// a sheet or part listed twice). With `only`, just the sheets of those names are read.
XlsxWorkbook read_xlsx(std::string_view bytes, const XlsxLimits& limits = {},
                       const std::vector<std::string>& only = {});

// "AB12" → column 28 (1-based), 0 when not a cell reference.
std::size_t column_of_reference(std::string_view reference);

}  // namespace hub::xlsx
