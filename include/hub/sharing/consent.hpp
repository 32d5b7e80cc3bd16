#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hub/app/services.hpp"
#include "hub/core/caller.hpp"
#include "hub/sharing/calendar.hpp"
#include "hub/store/pg.hpp"

namespace hub::sharing {

// A data subject's authorisation (授权, API.md Part 2 "Accountability and usable-but-invisible";
// docs/computations.md): recorded by a consent-recording agency's system (the government service
// app, on the enterprise's or person's behalf), for one recipient, one purpose, named resources or
// computations, until a time. An external member's data request about that subject carries its
// token. The hub keeps the subject's keyed hash (the subject log's), never the key, and the
// token's SHA-256, never the token.
struct AuthorizationRequest {
  std::string subject_key;
  std::string recipient_code;
  std::string purpose;
  std::vector<std::string> resource_codes;
  std::vector<std::string> computation_codes;
  std::string valid_until;  // a date or an RFC 3339 time
};

struct SubjectAuthorization {
  std::string id;
  std::string recorder_code, recorded_by;
  std::string recipient_code;
  std::string purpose;
  std::vector<std::string> resource_codes, computation_codes;
  std::string valid_until, created_at;
  std::optional<std::string> revoked_at;
  std::string status;                // active | revoked | expired
  std::optional<std::string> token;  // only in the answer that recorded it: shown once
};

class ConsentService {
 public:
  ConsentService(Services& services, WorkingCalendar calendar)
      : services_(services), calendar_(std::move(calendar)) {}

  // POST /authorizations: an agency_system of an agency hub_admin marked can_record_consent.
  boost::asio::awaitable<SubjectAuthorization> record(const Caller& caller,
                                                      const AuthorizationRequest& request);
  // DELETE /authorizations/{id}: the recording agency's system or CDO, or hub_admin; 404 for
  // anyone else. Refused from the next request on.
  boost::asio::awaitable<void> revoke(const Caller& caller, const std::string& id);
  // Who may use this subject's data now, and who could before (GET /authorizations?subject=):
  // for a consent-recording agency's system or CDO, what that agency recorded; for hub_admin and
  // coordinator, everything.
  boost::asio::awaitable<std::vector<SubjectAuthorization>> for_subject(
      const Caller& caller, const std::string& subject_key);

  // The authorisation an external member's request about `subject_key` on `code` (a resource, or
  // a computation when `computation`) rests on: the caller's X-Subject-Authorization must be a
  // live authorisation naming that subject, the caller's agency and the code. Its id, for the
  // ledger entry; else 403 authorization_required, the same words whatever was wrong.
  boost::asio::awaitable<std::string> check(const Caller& caller, const std::string& subject_key,
                                            const std::string& code, bool computation);
  // check() in two halves, for a caller that sends its statement in a pipeline with others: the
  // statement (none when the request carries no usable token: refused without asking), then
  // the id from its result, else 403 authorization_required.
  std::optional<pg::Connection::Step> check_step(const Caller& caller,
                                                 const std::string& subject_key,
                                                 const std::string& code, bool computation) const;
  static std::string checked(const std::optional<pg::Result>& result);

 private:
  Services& services_;
  WorkingCalendar calendar_;
};

}  // namespace hub::sharing
