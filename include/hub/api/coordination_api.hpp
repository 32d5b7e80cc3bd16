#pragma once

#include "hub/coordination/demands.hpp"
#include "hub/coordination/escalations.hpp"
#include "hub/http/router.hpp"

namespace hub::api {

// /api/v1/demands, /escalations and an application's escalation (API.md Part 2,
// "Coordination").
void register_coordination_routes(http::Router& router, coordination::DemandService& demands,
                                  coordination::EscalationService& escalations,
                                  const CursorCodec& cursors);

}  // namespace hub::api
