#pragma once

#include <cstdint>

#include "hub/core/cursor.hpp"
#include "hub/exchange/service.hpp"
#include "hub/http/router.hpp"

namespace hub::api {

// The record routes under /api/v1/resources/{code}/records, the data requests on them and the
// licence lookup: each parses its request into the exchange store's types, and renders what the
// store delivers as JSON straight into the response body.
void register_exchange_routes(http::Router& router, exchange::ExchangeService& service,
                              const CursorCodec& cursors, std::uint64_t import_body_limit);

}  // namespace hub::api
