#include "hub/sharing/consent.hpp"

#include <algorithm>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/members/credentials.hpp"
#include "hub/store/pg.hpp"

namespace hub::sharing {

namespace asio = boost::asio;
using Clock = std::chrono::system_clock;

namespace {

#define HUB_AUTHORIZATION_COLUMNS \
  "id, recorder_code, recorded_by, recipient_code, purpose, "                               \
  "array_to_string(resource_codes, ','), array_to_string(computation_codes, ','), "         \
  HUB_SQL_TS("valid_until") ", " HUB_SQL_TS("created_at") ", " HUB_SQL_TS_OPT("revoked_at") \
  ", CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN valid_until <= now() THEN "       \
  "'expired' ELSE 'active' END"

constexpr pg::Query kRecorder{
    "consent_recorder",
    "SELECT can_record_consent AND disabled_at IS NULL FROM agencies WHERE code = $1"};
constexpr pg::Query kRecipient{"consent_recipient",
                               "SELECT 1 FROM agencies WHERE code = $1 AND disabled_at IS NULL"};
// The codes of $1 (comma-separated) that are no resource of a kind other than computation, and
// those of $2 that are no computation: what the authorisation would name in vain.
constexpr pg::Query kUnknownCodes{
    "consent_unknown_codes",
    "SELECT 'resource_codes', c FROM unnest(string_to_array($1, ',')) AS c "
    " WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.code = c AND r.kind <> 'computation') "
    "UNION ALL SELECT 'computation_codes', c FROM unnest(string_to_array($2, ',')) AS c "
    " WHERE NOT EXISTS (SELECT 1 FROM computations m WHERE m.code = c)"};
constexpr pg::Query kInsert{
    "consent_insert",
    "INSERT INTO subject_authorizations (id, token_hash, subject, recorder_code, recorded_by, "
    "recipient_code, purpose, resource_codes, computation_codes, valid_until) VALUES ($1, $2, "
    "decode($3, 'hex'), $4, $5, $6, $7, string_to_array($8, ','), string_to_array($9, ','), "
    "$10::timestamptz) RETURNING " HUB_AUTHORIZATION_COLUMNS};
// Revokes and logs in one statement: the log's row exists only when an authorisation was found.
constexpr pg::Query kRevoke{
    "consent_revoke",
    "WITH r AS (UPDATE subject_authorizations SET revoked_at = coalesce(revoked_at, now()), "
    "revoked_by = coalesce(revoked_by, $2) WHERE id = $1 AND ($3 OR recorder_code = $4) "
    "RETURNING id) "
    "INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code) "
    "SELECT $2, 'revoke', 'subject_authorization', r.id::text, nullif($4, '') FROM r "
    "RETURNING object_id"};
// A subject's authorisations: all of them for the hub level ($2 NULL), else those the caller's
// agency recorded (another platform's clients are its business).
constexpr pg::Query kForSubject{
    "consent_for_subject",
    "SELECT " HUB_AUTHORIZATION_COLUMNS
    " FROM subject_authorizations WHERE subject = decode($1, 'hex') "
    "AND ($2::text IS NULL OR recorder_code = $2) ORDER BY created_at DESC, id LIMIT 1000"};
// The live authorisation of a token for this subject, recipient and code.
constexpr pg::Query kCheck{
    "consent_check",
    "SELECT id FROM subject_authorizations WHERE token_hash = $1 AND subject = decode($2, 'hex') "
    "AND recipient_code = $3 AND revoked_at IS NULL AND valid_until > now() "
    "AND CASE WHEN $5 THEN $4 = ANY (computation_codes) ELSE $4 = ANY (resource_codes) END"};
constexpr pg::Query kAdminLog{
    "consent_admin_log",
    "INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, detail) "
    "VALUES ($1, $2, 'subject_authorization', $3, $4, $5::jsonb)"};

SubjectAuthorization authorization_of(const pg::Result& r, int row) {
  SubjectAuthorization a;
  a.id = r.get(row, 0);
  a.recorder_code = r.get(row, 1);
  a.recorded_by = r.get(row, 2);
  a.recipient_code = r.get(row, 3);
  a.purpose = r.get(row, 4);
  a.resource_codes = split_csv(r.get(row, 5));
  a.computation_codes = split_csv(r.get(row, 6));
  a.valid_until = r.get(row, 7);
  a.created_at = r.get(row, 8);
  a.revoked_at = r.get_text(row, 9);
  a.status = r.get(row, 10);
  return a;
}

bool valid_code(const std::string& code) {
  return !code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
           c == '_' || c == '.';
  });
}

constexpr const char* kRequired =
    "this request is about a data subject: it needs the subject's live authorisation for your "
    "agency and this resource or computation (X-Subject-Authorization)";

}  // namespace

asio::awaitable<SubjectAuthorization> ConsentService::record(const Caller& caller,
                                                             const AuthorizationRequest& request) {
  const Principal& me = caller.principal;
  if (!me.has(Role::agency_system)) {
    throw ApiError(ErrorCode::forbidden,
                   "authorisations are recorded by the systems of a consent-recording agency");
  }
  const pg::Params agency = pg::Params().add(me.agency_code);
  const pg::Result recorder = co_await caller.db().exec(kRecorder, agency);
  if (recorder.rows() == 0 || !recorder.get_bool(0, 0)) {
    throw ApiError(ErrorCode::forbidden,
                   "your agency does not record data subjects' authorisations (can_record_consent "
                   "is set by hub_admin)");
  }
  std::vector<FieldError> errors;
  if (request.subject_key.empty() || request.subject_key.size() > 512) {
    errors.push_back({"subject_key", "must be 1 to 512 bytes"});
  }
  if (request.purpose.empty() || request.purpose.size() > 500) {
    errors.push_back({"purpose", "must be 1 to 500 bytes"});
  }
  if (request.resource_codes.empty() && request.computation_codes.empty()) {
    errors.push_back({"resource_codes", "name at least one resource or computation"});
  }
  if (request.resource_codes.size() + request.computation_codes.size() > 50) {
    errors.push_back({"resource_codes", "at most 50 resources and computations"});
  }
  for (const auto* list : {&request.resource_codes, &request.computation_codes}) {
    for (const auto& code : *list) {
      if (!valid_code(code)) {
        errors.push_back({list == &request.resource_codes ? "resource_codes" : "computation_codes",
                          "a code is 1 to 64 of [A-Za-z0-9._-]"});
        break;
      }
    }
  }
  const auto now = Clock::now();
  const auto until = parse_until(request.valid_until, calendar_);
  const auto max_until = now + std::chrono::days{services_.config.sharing.max_valid_days};
  if (!until) {
    errors.push_back({"valid_until", "must be a date YYYY-MM-DD or an RFC 3339 time"});
  } else if (*until <= now) {
    errors.push_back({"valid_until", "must be in the future"});
  } else if (*until > max_until) {
    errors.push_back({"valid_until", "must be at most " +
                                         std::to_string(services_.config.sharing.max_valid_days) +
                                         " days ahead"});
  }
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "the authorisation has errors", errors, 422);
  }
  const pg::Params recipient = pg::Params().add(request.recipient_code);
  if ((co_await caller.db().exec(kRecipient, recipient)).rows() == 0) {
    throw ApiError(ErrorCode::validation_failed, "the authorisation has errors",
                   {{"recipient_code", "no active agency has this code"}}, 422);
  }
  const pg::Params codes =
      pg::Params().add(join_csv(request.resource_codes)).add(join_csv(request.computation_codes));
  const pg::Result unknown = co_await caller.db().exec(kUnknownCodes, codes);
  for (int i = 0; i < unknown.rows(); ++i) {
    errors.push_back(
        {std::string(unknown.get(i, 0)), "'" + std::string(unknown.get(i, 1)) + "' is not one"});
  }
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "the authorisation has errors", errors, 422);
  }
  const std::string token = "hsa_" + members::base64url(members::random_bytes(32));
  const std::string id = random_uuid();
  const std::string subject = to_hex(services_.subjects.hash(request.subject_key));
  const nlohmann::json detail = {{"recipient_code", request.recipient_code},
                                 {"resource_codes", request.resource_codes},
                                 {"computation_codes", request.computation_codes}};
  auto steps = pg::batch(
      pg::step(kInsert, pg::Params()
                            .add(id)
                            .add(members::token_hash(token))
                            .add(subject)
                            .add(me.agency_code)
                            .add(me.id)
                            .add(request.recipient_code)
                            .add(request.purpose)
                            .add(join_csv(request.resource_codes))
                            .add(join_csv(request.computation_codes))
                            .add(format_time(*until))),
      pg::step(
          kAdminLog,
          pg::Params().add(me.id).add("record").add(id).add(me.agency_code).add(detail.dump())));
  auto lease = co_await caller.db().acquire();
  const auto results = co_await lease->pipeline(steps);
  SubjectAuthorization out = authorization_of(results[0], 0);
  out.token = token;
  co_return out;
}

asio::awaitable<void> ConsentService::revoke(const Caller& caller, const std::string& id) {
  const Principal& me = caller.principal;
  const bool admin = me.has(Role::hub_admin);
  const bool recorder = me.has_any(role_bit(Role::agency_system) | role_bit(Role::agency_cdo));
  if (!admin && !recorder) throw ApiError(ErrorCode::not_found, "authorisation not found");
  const pg::Result r = co_await caller.db().exec(
      kRevoke, pg::Params().add(id).add(me.id).add(admin).add(me.agency_code));
  if (r.rows() == 0) {
    throw ApiError(ErrorCode::not_found, "authorisation not found");
  }
}

asio::awaitable<std::vector<SubjectAuthorization>> ConsentService::for_subject(
    const Caller& caller, const std::string& subject_key) {
  const Principal& me = caller.principal;
  bool allowed = me.hub_level();
  if (!allowed && !me.agency_code.empty() &&
      me.has_any(role_bit(Role::agency_system) | role_bit(Role::agency_cdo))) {
    const pg::Params agency = pg::Params().add(me.agency_code);
    const pg::Result r = co_await caller.db().exec(kRecorder, agency);
    allowed = r.rows() > 0 && r.get_bool(0, 0);
  }
  if (!allowed) {
    throw ApiError(ErrorCode::forbidden,
                   "a subject's authorisations are listed for a consent-recording agency's "
                   "system and CDO, hub_admin and coordinator");
  }
  if (subject_key.empty() || subject_key.size() > 512) {
    throw ApiError(ErrorCode::validation_failed, "bad subject key",
                   {{"subject", "must be 1 to 512 bytes"}}, 400);
  }
  const pg::Params p =
      pg::Params()
          .add(to_hex(services_.subjects.hash(subject_key)))
          .add(me.hub_level() ? std::optional<std::string>() : std::optional(me.agency_code));
  const pg::Result r = co_await caller.db().exec(kForSubject, p);
  std::vector<SubjectAuthorization> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(authorization_of(r, i));
  co_return out;
}

std::optional<pg::Connection::Step> ConsentService::check_step(const Caller& caller,
                                                               const std::string& subject_key,
                                                               const std::string& code,
                                                               bool computation) const {
  if (!caller.subject_authorization || caller.subject_authorization->size() > 200) {
    return std::nullopt;
  }
  return pg::step(kCheck, pg::Params()
                              .add(members::token_hash(*caller.subject_authorization))
                              .add(to_hex(services_.subjects.hash(subject_key)))
                              .add(caller.principal.agency_code)
                              .add(code)
                              .add(computation));
}

std::string ConsentService::checked(const std::optional<pg::Result>& result) {
  if (!result || result->rows() == 0) throw ApiError(ErrorCode::authorization_required, kRequired);
  return std::string(result->get(0, 0));
}

asio::awaitable<std::string> ConsentService::check(const Caller& caller,
                                                   const std::string& subject_key,
                                                   const std::string& code, bool computation) {
  auto step = check_step(caller, subject_key, code, computation);
  std::optional<pg::Result> result;
  if (step) result = co_await caller.db().exec(*step->query, step->params);
  co_return checked(result);
}

}  // namespace hub::sharing
