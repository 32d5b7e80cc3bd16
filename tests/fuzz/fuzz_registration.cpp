// Registration by spreadsheet (docs/catalog.md): what an officer uploads. Input: either a whole
// file (first byte 'Z': the rest as an .xlsx package, zip level), or the XML parts of a workbook
// separated by lines "----" (workbook.xml, its relationships, the shared strings, the sheets),
// zipped here so that the fuzzer reaches the XML readers, and also read as a CSV table. Whatever
// the bytes, reading ends, within its limits, with documents or errors that say where.
#include <zip.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hub/catalog/spreadsheet.hpp"
#include "hub/coordination/returns.hpp"

namespace {

// The parts as a zip package, made in memory (stored, not compressed).
std::string zip_in_memory(const std::vector<std::pair<std::string, std::string>>& parts) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (buffer == nullptr) return {};
  zip_source_keep(buffer);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    zip_source_free(buffer);
    return {};
  }
  for (const auto& [name, data] : parts) {
    zip_source_t* s = zip_source_buffer(archive, data.data(), data.size(), 0);
    const zip_int64_t index = zip_file_add(archive, name.c_str(), s, ZIP_FL_OVERWRITE);
    if (index < 0) {
      zip_source_free(s);
      continue;
    }
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  std::string out;
  if (zip_close(archive) != 0) {
    zip_discard(archive);
  } else if (zip_source_open(buffer) == 0) {
    zip_source_seek(buffer, 0, SEEK_END);
    const zip_int64_t size = zip_source_tell(buffer);
    zip_source_seek(buffer, 0, SEEK_SET);
    if (size > 0) {
      out.resize(static_cast<std::size_t>(size));
      const zip_int64_t n = zip_source_read(buffer, out.data(), out.size());
      out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    }
    zip_source_close(buffer);
  }
  zip_source_free(buffer);
  return out;
}

void check(const hub::catalog::SheetRegistration& reg) {
  for (const auto& e : reg.errors) {
    if (e.row < 0 || e.message.empty()) __builtin_trap();
  }
  for (const auto& r : reg.resources) {
    if (r.items.size() != r.item_rows.size() || !r.fields.is_object()) __builtin_trap();
    for (const auto& row : r.item_rows) {
      if (row < 1) __builtin_trap();
    }
    // Every validation path maps to a cell.
    const auto e = hub::catalog::sheet_error_of(r, "items[0].type", "x");
    if (e.sheet.empty() || e.row < 1) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  if (!input.empty() && input[0] == 'Z') {
    check(hub::catalog::read_registration_xlsx(std::string_view(input).substr(1)));
    return 0;
  }
  check(hub::catalog::read_registration_csv(input));
  std::vector<hub::coordination::ReturnListError> errors;
  const auto lines = hub::coordination::parse_return_tasks(input, errors);
  if (lines.size() > hub::coordination::kMaxReturnTasks) __builtin_trap();
  for (const auto& l : lines) {
    if (l.line < 2) __builtin_trap();
  }
  if (errors.size() > hub::coordination::kMaxReturnListErrors) __builtin_trap();
  std::vector<std::string> texts;
  std::size_t start = 0;
  while (texts.size() < 5) {
    const auto end = input.find("\n----\n", start);
    texts.push_back(
        input.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 6;
  }
  static const char* const names[] = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                      "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml",
                                      "xl/worksheets/sheet2.xml"};
  std::vector<std::pair<std::string, std::string>> parts;
  for (std::size_t i = 0; i < texts.size(); ++i) parts.emplace_back(names[i], texts[i]);
  check(hub::catalog::read_registration_xlsx(zip_in_memory(parts)));
  return 0;
}
