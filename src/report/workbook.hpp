#pragma once
// What the report's workbooks share: the hub's workbook helpers (hub/core/workbook.hpp), and
// writing on the CPU pool.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "hub/app/services.hpp"
#include "hub/core/workbook.hpp"

namespace hub::report::xlsx {

using hub::xlsx::add_sheet;
using hub::xlsx::check;
using hub::xlsx::common_styles;
using hub::xlsx::Styles;
using hub::xlsx::write_workbook;

// A workbook made by `write(tmp_dir)` on the services' CPU pool, so the I/O thread keeps
// serving; tmp_dir is <data_dir>/tmp (made when missing; the system's when it cannot be). Pass
// `write` as a named local (a temporary inside a co_await is what GCC 12 destroys twice).
boost::asio::awaitable<std::string> off_thread(
    Services& services, const std::function<std::string(const std::string&)>& write);

}  // namespace hub::report::xlsx
