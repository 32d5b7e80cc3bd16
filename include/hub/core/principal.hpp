#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

// The roles of API.md. A principal holds a set of them (a bitmask).
enum class Role : std::uint8_t {
  hub_admin,
  coordinator,
  agency_cdo,           // 首席数据官
  agency_data_officer,  // 首席数据执行官
  agency_operator,
  agency_system,
};
constexpr std::size_t kRoleCount = 6;

using RoleSet = std::uint32_t;
constexpr RoleSet role_bit(Role r) { return RoleSet{1} << static_cast<unsigned>(r); }
constexpr RoleSet kAgencyRoles = role_bit(Role::agency_cdo) | role_bit(Role::agency_data_officer) |
                                 role_bit(Role::agency_operator) | role_bit(Role::agency_system);
constexpr RoleSet kHubRoles = role_bit(Role::hub_admin) | role_bit(Role::coordinator);

std::string_view role_name(Role r);
std::optional<Role> parse_role(std::string_view name);
std::vector<std::string> role_names(RoleSet roles);

// Who is calling: set by authentication on every request that needs it.
struct Principal {
  std::string id;
  std::string name;
  std::string agency_code;  // empty for hub-level principals without an agency
  std::string kind;         // "user" or "system"
  RoleSet roles = 0;
  std::string token_id;  // the token used, when one was
  // Of an external member (level "external": a bank, a credit bureau): verify, aggregate and
  // compute only, each request about a subject under its authorisation (API.md Part 2).
  bool external = false;

  bool has(Role r) const { return (roles & role_bit(r)) != 0; }
  bool has_any(RoleSet set) const { return (roles & set) != 0; }
  // hub_admin or coordinator: sees every agency's objects (drafts, lists, the ledger).
  bool hub_level() const { return has_any(kHubRoles); }
  // Whether this principal acts for `agency` (its own agency).
  bool of_agency(std::string_view agency) const {
    return !agency_code.empty() && agency_code == agency;
  }
};

}  // namespace hub
