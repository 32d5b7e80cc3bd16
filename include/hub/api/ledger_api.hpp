#pragma once

#include "hub/http/router.hpp"
#include "hub/ledger/service.hpp"

namespace hub::api {

// /api/v1/ledger/...: entries, the latest checkpoint, the public key, and proofs.
void register_ledger_routes(http::Router& router, ledger::LedgerService& service,
                            const CursorCodec& cursors);

}  // namespace hub::api
