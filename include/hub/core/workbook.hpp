#pragma once
// What the hub's workbooks share (libxlsxwriter): the common styles, and a private temporary
// file in, bytes out. The reports and the registration template write through these.

#include <xlsxwriter.h>

#include <functional>
#include <string>

namespace hub::xlsx {

// Throws std::runtime_error naming `what` unless `e` is LXW_NO_ERROR.
void check(lxw_error e, const char* what);

// The formats every report's sheet starts from: a 14-point bold title, a grey note, and bold,
// centred, wrapped header cells on light blue with thin borders.
struct Styles {
  lxw_format* title;
  lxw_format* note;
  lxw_format* head;
};
Styles common_styles(lxw_workbook* book);

// A sheet named `name` (throws when libxlsxwriter cannot add it).
lxw_worksheet* add_sheet(lxw_workbook* book, const char* name);

// A workbook filled by `fill` on a private temporary file in `tmp_dir` (the system's when
// empty), closed and read back; the file is removed however this returns, and the workbook
// freed when `fill` throws.
std::string write_workbook(const std::string& tmp_dir,
                           const std::function<void(lxw_workbook*)>& fill);

}  // namespace hub::xlsx
