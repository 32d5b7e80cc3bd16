#pragma once

#include <cstdint>

#include "hub/exchange/service.hpp"
#include "hub/http/router.hpp"

namespace hub::api {

// The record routes under /api/v1/resources/{code}/records and the data requests on them.
void register_exchange_routes(http::Router& router, exchange::ExchangeService& service,
                              std::uint64_t import_body_limit);

}  // namespace hub::api
