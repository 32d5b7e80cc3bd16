#pragma once

#include "hub/http/router.hpp"
#include "hub/sharing/service.hpp"

namespace hub::api {

// /api/v1/applications, /grants, /objections and the objection route under records.
void register_sharing_routes(http::Router& router, sharing::SharingService& service,
                             const CursorCodec& cursors);

}  // namespace hub::api
