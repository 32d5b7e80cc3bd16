#include "hub/api/members_api.hpp"

#include <algorithm>
#include <cctype>

#include "hub/api/caller.hpp"
#include "hub/api/json_body.hpp"
#include "hub/api/pagination.hpp"
#include "hub/members/credentials.hpp"

namespace hub::api {

namespace {

using boost::asio::awaitable;
using http::Access;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;
using nlohmann::json;

json agency_json(const members::Agency& a) {
  return {{"code", a.code},
          {"name", a.name},
          {"level", a.level},
          {"parent_code", nullable(a.parent_code)},
          {"created_at", a.created_at},
          {"status", a.status},
          {"disabled_at", nullable(a.disabled_at)},
          {"successor_code", nullable(a.successor_code)},
          {"can_record_consent", a.can_record_consent},
          {"can_register_computations", a.can_register_computations}};
}

json principal_json(const members::PrincipalRecord& p) {
  return {{"id", p.id},
          {"agency_code", nullable(p.agency_code)},
          {"name", p.name},
          {"kind", p.kind},
          {"roles", role_names(p.roles)},
          {"cert_sha256", nullable(p.cert_sha256)},
          {"created_at", p.created_at},
          {"disabled", p.disabled}};
}

json token_json(const members::TokenInfo& t) {
  return {{"id", t.id},
          {"prefix", t.prefix},
          {"kind", t.kind},
          {"created_at", t.created_at},
          {"expires_at", t.expires_at},
          {"revoked_at", nullable(t.revoked_at)}};
}

json issued_json(const members::IssuedToken& t) {
  return {{"id", t.id},
          {"token", t.token},
          {"prefix", t.prefix},
          {"principal_id", t.principal_id},
          {"expires_at", t.expires_at}};
}

json log_json(const members::AdminLogEntry& e) {
  return {{"id", std::to_string(e.id)},  // a string, as API.md has it
          {"at", e.at},
          {"actor_id", nullable(e.actor_id)},
          {"action", e.action},
          {"object_type", e.object_type},
          {"object_id", e.object_id},
          {"agency_code", nullable(e.agency_code)},
          {"detail", e.detail}};
}

// Roles from a body field, each known; an empty or unknown one is a field error.
std::optional<RoleSet> read_roles(JsonBody& body, bool required) {
  auto names = body.strings("roles", required, kRoleCount, 40);
  if (!names) return std::nullopt;
  if (names->empty()) {
    body.error("roles", "must hold at least one role");
    return std::nullopt;
  }
  RoleSet roles = 0;
  for (const auto& n : *names) {
    auto r = parse_role(n);
    if (!r) {
      body.error("roles", "unknown role '" + n + "'");
      return std::nullopt;
    }
    roles |= role_bit(*r);
  }
  return roles;
}

// A certificate fingerprint as hex, with or without colons, any case; stored lower-case.
std::optional<std::string> read_fingerprint(JsonBody& body) {
  auto v = body.string("cert_sha256", false, 95);
  if (!v) return std::nullopt;
  std::string hex;
  for (char c : *v) {
    if (c == ':') continue;
    hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (hex.empty()) return std::string();
  const bool ok = hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
                    return std::isxdigit(static_cast<unsigned char>(c));
                  });
  if (!ok) {
    body.error("cert_sha256", "must be the certificate's SHA-256 fingerprint (64 hex digits)");
    return std::nullopt;
  }
  return hex;
}

void check_password(JsonBody& body, const std::optional<std::string>& password) {
  if (password && (utf8_chars(*password) < 12 || utf8_chars(*password) > 200)) {
    body.error("password", "must be 12 to 200 characters");
  }
}

}  // namespace

void register_members_routes(http::Router& router, members::MembersService& service,
                             Services& services) {
  router.add(Verb::post, "/api/v1/sessions", Access::anyone(),
             [&service](Request& req) -> awaitable<Response> {
               JsonBody body(req);
               auto name = body.string("name", true, 100);
               auto password = body.string("password", true, 200);
               body.finish();
               const Caller caller = anonymous_caller_of(req);
               auto out = co_await service.sign_in(caller, *name, *password);
               const json session = {{"token", out.token}, {"expires_at", out.expires_at}};
               co_return Response::json(Status::ok, json_text(session));
             });

  router.add(Verb::get, "/api/v1/me", Access::principal(), [](Request& req) -> awaitable<Response> {
    const auto& p = *req.principal;
    json out = {{"principal_id", p.id},
                {"name", p.name},
                {"agency_code", p.agency_code.empty() ? json(nullptr) : json(p.agency_code)},
                {"kind", p.kind},
                {"roles", role_names(p.roles)},
                // The token this request came with (its session), to end it or tell it apart.
                {"token_id", p.token_id.empty() ? json(nullptr) : json(p.token_id)}};
    co_return Response::json(Status::ok, json_text(out));
  });

  // A person's own password (API.md Part 2): the current one is asked again, the other sessions
  // end.
  router.add(Verb::post, "/api/v1/me/password", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               JsonBody body(req);
               auto current = body.string("current_password", true, 200);
               auto next = body.string("new_password", true, 200);
               if (next && (utf8_chars(*next) < 12 || utf8_chars(*next) > 200)) {
                 body.error("new_password", "must be 12 to 200 characters");
               }
               body.finish();
               const Caller caller = caller_of(req);
               const auto ended = co_await service.change_own_password(caller, *current, *next);
               const json out = {{"sessions_ended", ended}};
               co_return Response::json(Status::ok, json_text(out));
             });

  router.add(Verb::post, "/api/v1/agencies", Access::roles({Role::hub_admin}),
             [&service](Request& req) -> awaitable<Response> {
               JsonBody body(req);
               members::MembersService::NewAgency a;
               auto code = body.string("code", true, 18);
               auto name = body.line("name", true, 200);
               auto level = body.string("level", true, 20);
               a.parent_code = body.string("parent_code", false, 18);
               if (code && !members::valid_uscc(*code)) {
                 body.error("code",
                            "must be an 18-character unified social credit code with a valid "
                            "check character (GB 32100)");
               }
               static const std::vector<std::string> levels = {"national", "provincial", "city",
                                                               "district", "external"};
               if (level && std::find(levels.begin(), levels.end(), *level) == levels.end()) {
                 body.error("level",
                            "must be one of national, provincial, city, district, external");
               }
               if (a.parent_code && a.parent_code->empty()) a.parent_code.reset();
               if (a.parent_code && code && *a.parent_code == *code) {
                 body.error("parent_code", "an agency cannot be its own parent");
               }
               body.finish();
               a.code = *code;
               a.name = *name;
               a.level = *level;
               const Caller caller = caller_of(req);
               auto out = co_await service.create_agency(caller, a);
               co_return Response::json(Status::created, json_text(agency_json(out)));
             });

  router.add(
      Verb::get, "/api/v1/agencies", Access::principal(),
      [&service, &services](Request& req) -> awaitable<Response> {
        const Caller caller = caller_of(req);
        const auto page = page_request(req, services.cursors, "agencies");
        const members::MembersService::AgencyFilter filter{
            req.query_choice("level", {"national", "provincial", "city", "district", "external"}),
            req.query_filter("parent")};
        auto out = co_await service.list_agencies(caller, filter, page);
        co_return Response::json(Status::ok,
                                 list_body(out, agency_json, services.cursors, "agencies"));
      });

  router.add(Verb::get, "/api/v1/agencies/{code}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const Caller caller = caller_of(req);
               auto out = co_await service.get_agency(caller, code);
               co_return Response::json(Status::ok, json_text(agency_json(out)));
             });

  // A reorganisation (机构改革): renamed, moved, disabled or enabled again (API.md Part 2).
  router.add(Verb::patch, "/api/v1/agencies/{code}", Access::roles({Role::hub_admin}),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               // parent_code: null moves the agency to the top (JsonBody reads null as absent).
               const nlohmann::json raw = body_object(req);
               const auto parent_field = raw.find("parent_code");
               const bool to_top = parent_field != raw.end() && parent_field->is_null();
               JsonBody body{nlohmann::json(raw)};
               members::MembersService::AgencyChange change;
               if (to_top) change.parent_code = std::optional<std::string>();
               change.name = body.line("name", false, 200);
               if (change.name && change.name->empty()) body.error("name", "must not be empty");
               if (const nlohmann::json* parent = body.raw("parent_code")) {
                 if (parent->is_string() && !parent->get<std::string>().empty() &&
                     parent->get<std::string>().size() <= 18) {
                   if (parent->get<std::string>() == code) {
                     body.error("parent_code", "an agency cannot be its own parent");
                   }
                   change.parent_code = std::optional(parent->get<std::string>());
                 } else {
                   body.error("parent_code", "must be an agency's code, or null for none");
                 }
               }
               change.status = body.string("status", false, 10);
               if (change.status && *change.status != "active" && *change.status != "disabled") {
                 body.error("status", "must be active or disabled");
               }
               change.can_record_consent = body.boolean("can_record_consent", false);
               change.can_register_computations = body.boolean("can_register_computations", false);
               if (!change.name && !change.parent_code && !change.status &&
                   !change.can_record_consent && !change.can_register_computations && body.ok()) {
                 body.error("name",
                            "nothing to change: give name, parent_code, status, "
                            "can_record_consent or can_register_computations");
               }
               body.finish();
               const Caller caller = caller_of(req);
               auto out = co_await service.change_agency(caller, code, change);
               co_return Response::json(Status::ok, json_text(agency_json(out)));
             });
  // A merger (机构改革): what the agency holds passes to its successor (API.md Part 2).
  router.add(Verb::post, "/api/v1/agencies/{code}/succession", Access::roles({Role::hub_admin}),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               JsonBody body(body_object(req));
               const auto successor = body.string("successor_code", true, 18);
               body.finish();
               const Caller caller = caller_of(req);
               auto out = co_await service.succeed_agency(caller, code, *successor);
               nlohmann::json answer = agency_json(out.predecessor);
               answer["moved"] = {
                   {"resources", out.resources},       {"grants", out.grants},
                   {"applications", out.applications}, {"demands", out.demands},
                   {"escalations", out.escalations},   {"objections", out.objections}};
               co_return Response::json(Status::ok, json_text(answer));
             });

  router.add(Verb::post, "/api/v1/principals", Access::roles({Role::hub_admin, Role::agency_cdo}),
             [&service](Request& req) -> awaitable<Response> {
               JsonBody body(req);
               members::MembersService::NewPrincipal p;
               auto agency = body.string("agency_code", false, 18);
               auto name = body.line("name", true, 100);
               auto kind = body.string("kind", true, 10);
               auto roles = read_roles(body, true);
               p.password = body.string("password", false, 200);
               p.cert_sha256 = read_fingerprint(body);
               if (p.cert_sha256 && p.cert_sha256->empty()) p.cert_sha256.reset();
               if (kind && *kind != "user" && *kind != "system") {
                 body.error("kind", "must be user or system");
               }
               check_password(body, p.password);
               if (p.password && kind && *kind != "user") {
                 body.error("password", "only people (kind user) sign in with a password");
               }
               if (p.cert_sha256 && kind && *kind != "system") {
                 body.error("cert_sha256", "only systems (kind system) are bound to certificates");
               }
               if (roles && (*roles & kAgencyRoles) && (!agency || agency->empty())) {
                 body.error("agency_code", "is required for agency_* roles");
               }
               body.finish();
               p.agency_code = agency.value_or("");
               p.name = *name;
               p.kind = *kind;
               p.roles = *roles;
               const Caller caller = caller_of(req);
               auto out = co_await service.create_principal(caller, p);
               co_return Response::json(Status::created, json_text(principal_json(out)));
             });

  // The hub's staff list every agency's principals (a roster of CDOs: role=agency_cdo); an
  // agency's CDO its own agency's.
  router.add(Verb::get, "/api/v1/principals",
             Access::roles({Role::hub_admin, Role::coordinator, Role::agency_cdo}),
             [&service, &services](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, services.cursors, "principals");
               const auto agency = req.query_filter("agency");
               std::optional<Role> role;
               if (const auto r = req.query_filter("role")) {
                 role = parse_role(*r);
                 if (!role) bad_query_param("role", "is not a role of the hub");
               }
               auto out = co_await service.list_principals(caller, agency, role, page);
               co_return Response::json(
                   Status::ok, list_body(out, principal_json, services.cursors, "principals"));
             });

  router.add(Verb::get, "/api/v1/principals/{id}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               auto out = co_await service.get_principal(caller, id);
               co_return Response::json(Status::ok, json_text(principal_json(out)));
             });

  router.add(Verb::patch, "/api/v1/principals/{id}",
             Access::roles({Role::hub_admin, Role::agency_cdo}),
             [&service](Request& req) -> awaitable<Response> {
               JsonBody body(req);
               members::MembersService::PrincipalChange change;
               change.roles = read_roles(body, false);
               change.disabled = body.boolean("disabled", false);
               change.password = body.string("password", false, 200);
               change.cert_sha256 = read_fingerprint(body);
               check_password(body, change.password);
               body.finish();
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               auto out = co_await service.change_principal(caller, id, change);
               co_return Response::json(Status::ok, json_text(principal_json(out)));
             });

  router.add(Verb::post, "/api/v1/principals/{id}/tokens",
             Access::roles({Role::hub_admin, Role::agency_cdo}),
             [&service, &services](Request& req) -> awaitable<Response> {
               const auto& auth = services.config.auth;
               std::optional<std::int64_t> ttl;
               if (!req.message.body().empty()) {
                 JsonBody body(req);
                 ttl = body.integer("ttl_days", false, 1, auth.token_ttl_days_max);
                 body.finish();
               }
               const std::string id(req.param("id"));
               const auto days = static_cast<unsigned>(ttl.value_or(auth.token_ttl_days_default));
               const Caller caller = caller_of(req);
               auto out = co_await service.issue_token(caller, id, days);
               co_return Response::json(Status::created, json_text(issued_json(out)));
             });

  router.add(Verb::get, "/api/v1/principals/{id}/tokens", Access::principal(),
             [&service, &services](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               const auto page = page_request(req, services.cursors, "tokens");
               auto out = co_await service.list_tokens(caller, id, page);
               co_return Response::json(Status::ok,
                                        list_body(out, token_json, services.cursors, "tokens"));
             });

  router.add(Verb::delete_, "/api/v1/tokens/{id}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string id(req.param("id"));
               const Caller caller = caller_of(req);
               co_await service.revoke_token(caller, id);
               Response r;
               r.status = Status::no_content;
               r.content_type = "application/json";
               co_return r;
             });

  router.add(Verb::get, "/api/v1/admin-log", Access::roles({Role::hub_admin, Role::agency_cdo}),
             [&service, &services](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, services.cursors, "admin_log");
               const auto agency = req.query_param("agency");
               const auto object_type = req.query_param("object_type");
               auto out = co_await service.admin_log(caller, agency, object_type, page);
               co_return Response::json(Status::ok,
                                        list_body(out, log_json, services.cursors, "admin_log"));
             });
}

}  // namespace hub::api
