// Many indicator values at once: the lines of a CSV file or an XLSX workbook's first sheet
// (pure: no database; IndicatorService::report_upload reports them).
#include <charconv>
#include <cmath>

#include "hub/core/csv_table.hpp"
#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/core/xlsx_reader.hpp"
#include "hub/indicators/service.hpp"

namespace hub::indicators {

namespace {

// The column of each field in the header, by its English or Chinese name; -1 when absent.
struct Header {
  int code = -1, period = -1, value = -1, note = -1;
};

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

Header header_of(const std::vector<std::string>& cells, std::vector<LineError>& errors) {
  Header h;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const std::string name = trimmed(cells[i]);
    int* slot = name == "indicator_code" || name == "指标代码" ? &h.code
                : name == "period" || name == "报告期"         ? &h.period
                : name == "value" || name == "数值"            ? &h.value
                : name == "note" || name == "说明"             ? &h.note
                                                               : nullptr;
    if (slot == nullptr) {
      if (!name.empty()) {
        errors.push_back({1, "header",
                          "the header has a column " + name +
                              " that is none of indicator_code, period, value, note"});
      }
      continue;
    }
    if (*slot >= 0) errors.push_back({1, "header", "the header names " + name + " twice"});
    *slot = static_cast<int>(i);
  }
  for (auto [column, name] :
       {std::pair{h.code, "indicator_code"}, {h.period, "period"}, {h.value, "value"}}) {
    if (column < 0)
      errors.push_back({1, "header", std::string("the header has no column ") + name});
  }
  return h;
}

std::vector<ValueLine> lines_of(const std::vector<std::vector<std::string>>& rows,
                                std::vector<LineError>& errors) {
  std::vector<ValueLine> out;
  if (rows.empty()) {
    errors.push_back({0, "file",
                      "the file is empty: its first line is the header indicator_code,"
                      "period,value,note"});
    return out;
  }
  const Header h = header_of(rows[0], errors);
  if (!errors.empty()) return out;
  if (rows.size() - 1 > kMaxValueLines) {
    errors.push_back(
        {0, "file",
         "an upload holds at most " + std::to_string(kMaxValueLines) + " lines: split it"});
    return out;
  }
  auto cell = [](const std::vector<std::string>& row, int column) {
    return column >= 0 && static_cast<std::size_t>(column) < row.size() ? trimmed(row[column])
                                                                        : std::string();
  };
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    ValueLine line{static_cast<int>(r + 1), cell(row, h.code), cell(row, h.period),
                   cell(row, h.value), cell(row, h.note)};
    if (line.indicator_code.empty() && line.period.empty() && line.value.empty() &&
        line.note.empty()) {
      continue;  // a blank line
    }
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace

std::optional<double> number_of(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !storable(v)) {
    return std::nullopt;
  }
  return v;
}

std::vector<ValueLine> read_value_lines_csv(std::string_view csv, std::vector<LineError>& errors) {
  CsvLimits limits;
  limits.max_records = kMaxValueLines + 2;  // the header, and one more to say it is too many
  limits.max_fields = 16;
  limits.max_field_bytes = 4000;
  std::string why;
  auto table = read_csv_table(csv, limits, why);
  if (!table) {
    errors.push_back({0, "file", why});
    return {};
  }
  return lines_of(*table, errors);
}

std::vector<ValueLine> read_value_lines_xlsx(std::string_view bytes,
                                             std::vector<LineError>& errors) {
  xlsx::XlsxWorkbook book;
  try {
    xlsx::XlsxLimits limits;
    limits.max_rows = kMaxValueLines + 2;
    limits.max_columns = 16;
    limits.max_cell_bytes = 4000;
    book = xlsx::read_xlsx(bytes, limits);
  } catch (const xlsx::XlsxError& e) {
    errors.push_back({0, "file", e.what()});
    return {};
  }
  if (book.sheets.empty()) {
    errors.push_back({0, "file", "the workbook has no sheet"});
    return {};
  }
  return lines_of(book.sheets.front().rows, errors);
}

}  // namespace hub::indicators
