#pragma once

#include <optional>
#include <string>

#include "hub/core/principal.hpp"

namespace hub {

class Worker;
namespace pg {
class Pool;
}

// The purpose a data request states, as it was sent (the REST api's X-Purpose, percent-decoded,
// and X-Purpose-Code). Whether it says enough is the domain's rule (sharing/purpose.hpp).
struct Purpose {
  std::string text;
  std::optional<std::string> code;
  bool decodable = true;  // false: the transport could not decode the text (a bad escape)
};

// Who calls the domain, for what, and from where: everything the domain's rules need of a call,
// whatever carried it (the REST api, hubctl, a test, the services gateway later). The domain
// never sees a transport's request.
struct Caller {
  Principal principal;  // authenticated, with its agency and roles
  std::string request_id;
  std::string remote_address;
  bool remote_is_loopback = false;
  std::optional<Purpose> purpose;  // data requests: as sent, not yet checked
  // An external member's data request about a subject: the subject's authorisation token as
  // sent (the REST api's X-Subject-Authorization), not yet checked.
  std::optional<std::string> subject_authorization;
  Worker* worker = nullptr;  // the I/O thread the call runs on, whose database pool it uses

  pg::Pool& db() const;
};

}  // namespace hub
