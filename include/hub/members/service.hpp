#pragma once

#include <libpq-fe.h>

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "hub/app/services.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/page.hpp"
#include "hub/core/principal.hpp"

namespace hub::members {

// Coroutine arguments are references to the caller's locals: GCC 12 destroys temporaries that
// live across a co_await twice, so no temporary with a destructor may appear in a co_await
// expression (docs/architecture.md).
//
// Agencies, principals, tokens, sessions and the administration log: the SQL and the rules
// (who may touch which agency's objects). Handlers in src/api/members_api.cpp parse and reply.
// A member agency (成员单位).
struct Agency {
  std::string code, name, level;
  std::optional<std::string> parent_code;
  std::string created_at;
  std::string status = "active";  // active | disabled (its principals are refused)
  std::optional<std::string> disabled_at;
  std::optional<std::string> successor_code;  // set by a succession, which disabled it
  // Joint computation (API.md Part 2), set by hub_admin: its systems record data subjects'
  // authorisations; its CDO registers computations.
  bool can_record_consent = false;
  bool can_register_computations = false;
};

// A principal as stored (never its password hash).
struct PrincipalRecord {
  std::string id;
  std::optional<std::string> agency_code;
  std::string name;
  std::string kind;  // user | system
  RoleSet roles = 0;
  std::optional<std::string> cert_sha256;
  std::string created_at;
  bool disabled = false;
  bool external = false;  // its agency is an external member (not shown: the agency's level says)
};

// A token as listed: never the secret.
struct TokenInfo {
  std::string id, prefix, kind, created_at, expires_at;
  std::optional<std::string> revoked_at;
};

// A token just issued: the secret, shown this once.
struct IssuedToken {
  std::string id, token, prefix, principal_id, expires_at;
};

// A session token from a sign-in.
struct Session {
  std::string token, expires_at;
};

struct AdminLogEntry {
  std::int64_t id = 0;
  std::string at;
  std::optional<std::string> actor_id;
  std::string action, object_type, object_id;
  std::optional<std::string> agency_code;
  nlohmann::json detail;
};

class MembersService {
 public:
  explicit MembersService(Services& services) : services_(services) {}

  struct NewAgency {
    std::string code, name, level;
    std::optional<std::string> parent_code;
  };
  boost::asio::awaitable<Agency> create_agency(const Caller& caller, const NewAgency& a);
  boost::asio::awaitable<Agency> get_agency(const Caller& caller, const std::string& code);
  // A reorganisation's change (hub_admin): renamed, moved (parent_code: a code, or null for
  // none), disabled or enabled again. A disabled agency's principals are refused (401) from the
  // next request on this node, and on the others once they have reloaded (within a second).
  struct AgencyChange {
    std::optional<std::string> name;
    std::optional<std::optional<std::string>> parent_code;
    std::optional<std::string> status;  // active | disabled
    std::optional<bool> can_record_consent;
    std::optional<bool> can_register_computations;
  };
  boost::asio::awaitable<Agency> change_agency(const Caller& caller, const std::string& code,
                                               const AgencyChange& change);
  // A reorganisation's succession (hub_admin): the predecessor's resources, live grants (both
  // sides), pending applications and open demands, escalations and objections move to the
  // successor in one transaction (019_succession_and_report.sql); the predecessor is disabled
  // (as by change_agency) and names its successor. The ledger and the rollups keep the codes they
  // recorded. 404 for an unknown agency, 422 for an unknown successor or itself, 409 when either
  // is disabled.
  struct Succession {
    Agency predecessor;
    std::int64_t resources = 0, grants = 0, applications = 0, demands = 0, escalations = 0,
                 objections = 0;
  };
  boost::asio::awaitable<Succession> succeed_agency(const Caller& caller, const std::string& code,
                                                    const std::string& successor_code);
  struct AgencyFilter {
    std::optional<std::string> level;  // national | provincial | city | district | external
    std::optional<std::string> parent;
  };
  boost::asio::awaitable<ListPage<Agency>> list_agencies(const Caller& caller,
                                                         const AgencyFilter& filter,
                                                         const PageRequest& page);

  struct NewPrincipal {
    std::string agency_code, name, kind;
    RoleSet roles = 0;
    std::optional<std::string> password, cert_sha256;
  };
  boost::asio::awaitable<PrincipalRecord> create_principal(const Caller& caller,
                                                           const NewPrincipal& p);
  boost::asio::awaitable<PrincipalRecord> get_principal(const Caller& caller,
                                                        const std::string& id);
  // `agency`: hub_admin and coordinator list any agency's (or all); anyone else its own (403 for
  // another). `role`: only principals holding it (the roster of CDOs: agency_cdo).
  boost::asio::awaitable<ListPage<PrincipalRecord>> list_principals(
      const Caller& caller, std::optional<std::string> agency, std::optional<Role> role,
      const PageRequest& page);
  struct PrincipalChange {
    std::optional<RoleSet> roles;
    std::optional<bool> disabled;
    std::optional<std::string> password;
    std::optional<std::string> cert_sha256;  // "" removes the binding
  };
  boost::asio::awaitable<PrincipalRecord> change_principal(const Caller& caller,
                                                           const std::string& id,
                                                           const PrincipalChange& change);

  boost::asio::awaitable<IssuedToken> issue_token(const Caller& caller,
                                                  const std::string& principal_id,
                                                  unsigned ttl_days);
  boost::asio::awaitable<ListPage<TokenInfo>> list_tokens(const Caller& caller,
                                                          const std::string& principal_id,
                                                          const PageRequest& page);
  boost::asio::awaitable<void> revoke_token(const Caller& caller, const std::string& token_id);

  // A person changes its own password, giving the current one. A wrong one counts as a failed
  // sign-in under its name and address (a stolen session cannot guess the password any faster
  // than the sign-in form); the principal's other sign-in sessions end, the one in use stays.
  // 422 for a system, a wrong current password or a new one equal to it; 429 while throttled.
  // Returns how many sessions ended.
  boost::asio::awaitable<std::int64_t> change_own_password(const Caller& caller,
                                                           const std::string& current,
                                                           const std::string& next);

  // `caller` has no principal yet: its remote address is what the sign-in throttle counts.
  boost::asio::awaitable<Session> sign_in(const Caller& caller, const std::string& name,
                                          const std::string& password);

  boost::asio::awaitable<ListPage<AdminLogEntry>> admin_log(
      const Caller& caller, std::optional<std::string> agency,
      const std::optional<std::string>& object_type, const PageRequest& page);

 private:
  // The principal row if the caller may see it (hub_admin, its agency's CDO, itself), else 404.
  boost::asio::awaitable<PrincipalRecord> visible_principal(const Caller& caller,
                                                            const std::string& id, bool for_change);

  Services& services_;
};

// Creates the first hub_admin with exactly `token` when no enabled hub_admin exists (blocking;
// run at start-up after migrations). Returns whether it created one.
bool bootstrap_admin(PGconn* conn, const std::string& token, unsigned ttl_days);

}  // namespace hub::members
