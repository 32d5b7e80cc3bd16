#include "hub/core/principal.hpp"

#include <array>

namespace hub {

namespace {
constexpr std::array<std::string_view, kRoleCount> kNames = {
    "hub_admin",           "coordinator",     "agency_cdo",
    "agency_data_officer", "agency_operator", "agency_system"};
}

std::string_view role_name(Role r) { return kNames[static_cast<std::size_t>(r)]; }

std::optional<Role> parse_role(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Role>(i);
  }
  return std::nullopt;
}

std::vector<std::string> role_names(RoleSet roles) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (roles & (RoleSet{1} << i)) out.emplace_back(kNames[i]);
  }
  return out;
}

}  // namespace hub
