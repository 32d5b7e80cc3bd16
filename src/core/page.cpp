#include "hub/core/page.hpp"

#include "hub/core/error.hpp"

namespace hub {

std::optional<std::int64_t> PageRequest::after_number() const {
  if (!after) return std::nullopt;
  if (!after->is_number_integer()) bad_query_param("cursor", "is not a cursor of this list");
  return after->get<std::int64_t>();
}

std::string PageRequest::after_id() const {
  if (!after) return {};
  if (!after->is_string()) bad_query_param("cursor", "is not a cursor of this list");
  return after->get<std::string>();
}

}  // namespace hub
