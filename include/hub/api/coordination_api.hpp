#pragma once

#include "hub/coordination/demands.hpp"
#include "hub/coordination/escalations.hpp"
#include "hub/coordination/returns.hpp"
#include "hub/http/router.hpp"

namespace hub::api {

// /api/v1/demands, /escalations and an application's escalation (API.md Part 2,
// "Coordination"); /api/v1/return-tasks and /api/v1/reports/returns (API.md Part 2, "Returned
// data").
void register_coordination_routes(http::Router& router, coordination::DemandService& demands,
                                  coordination::EscalationService& escalations,
                                  coordination::ReturnService& returns, const CursorCodec& cursors);

}  // namespace hub::api
