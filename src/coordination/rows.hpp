#pragma once
// What the coordination services share (private to src/coordination/).

#include <optional>
#include <string>

#include "hub/store/pg.hpp"

namespace hub::coordination {

// A step of the sharing history: $1 actor, $2 object type, $3 object id, $4 action, $5 provider
// (NULL: none yet), $6 consumer, $7 detail (JSON).
inline constexpr pg::Query kSharingEvent{
    "coordination_event",
    "INSERT INTO sharing_events (actor_id, object_type, object_id, action, provider_code,"
    " consumer_code, detail) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)"};

inline std::optional<std::string> optional_text(const pg::Result& r, int row, int col) {
  if (r.is_null(row, col)) return std::nullopt;
  return std::string(r.get(row, col));
}

}  // namespace hub::coordination
