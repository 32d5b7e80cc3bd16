#pragma once

#include "hub/gateway/service.hpp"
#include "hub/http/router.hpp"

namespace hub::api {

// Interface services (API.md Part 2): the call route, a data request recorded in the ledger like
// every other, and the provider's health page.
void register_services_routes(http::Router& router, gateway::GatewayService& service);

}  // namespace hub::api
