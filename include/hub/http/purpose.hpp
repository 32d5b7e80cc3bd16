#pragma once

#include <optional>

#include "hub/core/caller.hpp"
#include "hub/http/message.hpp"

namespace hub::http {

// The purpose a request states, as sent: X-Purpose percent-decoded (marked undecodable when it
// is not), and X-Purpose-Code; nullopt without X-Purpose. The rules are the domain's
// (sharing/purpose.hpp).
std::optional<Purpose> purpose_of(const Request& request);

}  // namespace hub::http
