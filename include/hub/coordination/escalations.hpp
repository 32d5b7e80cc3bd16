#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "hub/app/services.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/page.hpp"
#include "hub/sharing/calendar.hpp"

namespace hub::coordination {

// An application brought to the coordination group (协调): refused, or left undecided past its
// deadline, and ruled on by a coordinator (docs/coordination.md).
struct Escalation {
  std::string id;
  std::string status;  // open | ruled
  std::string application_id;
  std::string consumer_code, provider_code, resource_code;
  std::string reason;
  std::optional<std::string> outcome;  // upheld | reconsider
  std::optional<std::string> note;
  std::string created_at, created_by;
  std::optional<std::string> ruled_at, ruled_by;
};

struct EscalationFilter {
  std::optional<std::string> status;  // open | ruled
  std::optional<std::string> agency;  // hub-level callers only
};

class EscalationService {
 public:
  EscalationService(Services& services, sharing::WorkingCalendar calendar)
      : services_(services), calendar_(std::move(calendar)) {}

  // The consumer's officers escalate their agency's application, when it was rejected or is
  // past its deadline undecided.
  boost::asio::awaitable<Escalation> escalate(const Caller& caller,
                                              const std::string& application_id,
                                              const std::string& reason);
  // A coordinator rules: "upheld" leaves the application as it is; "reconsider" puts it back to
  // pending with a fresh deadline, for its provider to decide again.
  boost::asio::awaitable<Escalation> rule(const Caller& caller, const std::string& id,
                                          const std::string& outcome, const std::string& note);
  boost::asio::awaitable<Escalation> escalation(const Caller& caller, const std::string& id);
  boost::asio::awaitable<ListPage<Escalation>> escalations(const Caller& caller,
                                                           const EscalationFilter& filter,
                                                           const PageRequest& page);

 private:
  Services& services_;
  sharing::WorkingCalendar calendar_;
};

}  // namespace hub::coordination
