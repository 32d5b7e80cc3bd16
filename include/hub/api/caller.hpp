#pragma once

#include "hub/core/caller.hpp"
#include "hub/http/message.hpp"

namespace hub::api {

// The domain's Caller of an authenticated request: its principal, request id, remote address,
// worker, and the purpose it states (X-Purpose decoded, X-Purpose-Code), unchecked.
Caller caller_of(const http::Request& request);
// The Caller of a request nobody authenticated yet (sign-in): no principal, its remote address.
Caller anonymous_caller_of(const http::Request& request);

}  // namespace hub::api
