#pragma once

#include "hub/exchange/service.hpp"
#include "hub/http/router.hpp"

namespace hub::api {

// The record routes under /api/v1/resources/{code}/records and the data requests on them.
void register_exchange_routes(http::Router& router, exchange::ExchangeService& service);

}  // namespace hub::api
