#pragma once

#include "hub/core/cursor.hpp"
#include "hub/http/router.hpp"
#include "hub/indicators/service.hpp"

namespace hub::api {

// /api/v1/indicators: indicators, their values by period and each period's versions (API.md
// Part 2, "Indicator reporting and theme dashboards").
void register_indicator_routes(http::Router& router, indicators::IndicatorService& service,
                               const CursorCodec& cursors);

}  // namespace hub::api
