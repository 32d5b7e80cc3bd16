#pragma once
// What the report's workbooks share: the hub's workbook helpers (hub/core/workbook.hpp), and
// writing on the CPU pool (hub/app/workbooks.hpp).

#include "hub/app/workbooks.hpp"
#include "hub/core/workbook.hpp"

namespace hub::report::xlsx {

using hub::xlsx::add_sheet;
using hub::xlsx::check;
using hub::xlsx::common_styles;
using hub::xlsx::Styles;
using hub::xlsx::write_workbook;

}  // namespace hub::report::xlsx
