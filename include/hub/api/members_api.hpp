#pragma once

#include "hub/app/services.hpp"
#include "hub/http/router.hpp"
#include "hub/members/service.hpp"

namespace hub::api {

// /api/v1/sessions, /me, /agencies, /principals, /tokens, /admin-log.
void register_members_routes(http::Router& router, members::MembersService& service,
                             Services& services);

}  // namespace hub::api
