#pragma once
// What the coordination services share (private to src/coordination/).

#include <optional>
#include <string>

#include "hub/core/principal.hpp"
#include "hub/store/pg.hpp"

namespace hub::coordination {

// A step of the sharing history: $1 actor, $2 object type, $3 object id, $4 action, $5 provider
// (NULL: none yet), $6 consumer, $7 detail (JSON).
inline constexpr pg::Query kSharingEvent{
    "coordination_event",
    "INSERT INTO sharing_events (actor_id, object_type, object_id, action, provider_code,"
    " consumer_code, detail) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)"};

// Whose objects a list shows: the hub's staff every agency's (or the one they ask for), anyone
// else its own agency's ("-", which no agency is, for a principal of none).
inline std::optional<std::string> listed_agency(const Principal& me,
                                                const std::optional<std::string>& asked) {
  if (me.hub_level()) return asked;
  return me.agency_code.empty() ? std::string("-") : me.agency_code;
}

}  // namespace hub::coordination
