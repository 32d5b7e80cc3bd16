#pragma once
// A workbook (libxlsxwriter writes files only) made on the services' CPU pool, so that the I/O
// thread keeps serving: the reports, the registration template, the returns report.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "hub/app/services.hpp"

namespace hub {

// The bytes `write(tmp_dir)` returns, run on the CPU pool; tmp_dir is <data_dir>/tmp (made when
// missing; the system's, "", when it cannot be). Pass `write` as a named local (a temporary
// inside a co_await is what GCC 12 destroys twice).
boost::asio::awaitable<std::string> workbook_off_thread(
    Services& services, const std::function<std::string(const std::string&)>& write);

}  // namespace hub
