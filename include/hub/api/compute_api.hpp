#pragma once

#include "hub/api/pagination.hpp"
#include "hub/compute/service.hpp"
#include "hub/exchange/service.hpp"
#include "hub/http/router.hpp"
#include "hub/sharing/consent.hpp"

namespace hub::api {

// Joint computation (API.md Part 2): /api/v1/computations (registration, review, the run, a data
// request) and /api/v1/authorizations (the data subject's authorisations). `exchange` records a
// run refused before the domain could parse it, as every data request is recorded.
void register_compute_routes(http::Router& router, compute::ComputeService& service,
                             sharing::ConsentService& consents, exchange::ExchangeService& exchange,
                             const CursorCodec& cursors);

}  // namespace hub::api
