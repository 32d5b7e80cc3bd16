#pragma once
// What the report's workbooks share (libxlsxwriter): a private temporary file in, bytes out.

#include <xlsxwriter.h>

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "hub/app/services.hpp"

namespace hub::report::xlsx {

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

// A workbook made by `write(tmp_dir)` on the services' CPU pool, so the I/O thread keeps
// serving; tmp_dir is <data_dir>/tmp (made when missing; the system's when it cannot be). Pass
// `write` as a named local (a temporary inside a co_await is what GCC 12 destroys twice).
boost::asio::awaitable<std::string> off_thread(
    Services& services, const std::function<std::string(const std::string&)>& write);

}  // namespace hub::report::xlsx
