#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hub/app/services.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/page.hpp"
#include "hub/sharing/calendar.hpp"

namespace hub::coordination {

// A data need nothing in the catalog meets (需求清单), as stored: posted by an agency, assigned
// by the coordination group to the agency that holds the data, answered by it, and accepted or
// disputed by the asker (docs/coordination.md). Times are RFC 3339 text in UTC.
struct Demand {
  std::string id;
  std::string status;  // open | assigned | answered | closed | disputed
  std::string consumer_code;
  std::string title, description;
  std::vector<std::string> items_wanted;
  std::string purpose;
  std::optional<std::string> legal_basis;
  std::optional<std::string> suggested_provider_code;
  std::optional<std::string> provider_code;  // the agency it is assigned to
  std::optional<std::string> assigned_at, due_at;
  std::optional<std::string> outcome;  // catalogued | not_held | refused
  std::optional<std::string> resource_code, reason;
  std::optional<std::string> answered_at;
  std::optional<bool> accepted;
  std::optional<std::string> acceptance_note;
  std::optional<std::string> closed_at;
  std::string created_at, created_by;
  bool overdue = false;  // assigned and not answered by due_at
};

struct DemandRequest {
  std::string title;
  std::string description;
  std::vector<std::string> items_wanted;
  std::string purpose;
  std::optional<std::string> legal_basis;
  std::optional<std::string> suggested_provider_code;
};

struct DemandAnswer {
  std::string outcome;  // catalogued | not_held | refused
  std::optional<std::string> resource_code;
  std::optional<std::string> reason;
};

struct DemandFilter {
  std::optional<std::string> direction;  // incoming (assigned to the agency) | outgoing (posted)
  std::optional<std::string> status;     // a status, or "overdue"
  std::optional<std::string> agency;     // hub-level callers only
};

// The demand list's workflow. Every step is a row of sharing_events (object_type 'demand'), in
// the transaction of the change; nothing here is a data request, so nothing goes to the ledger.
class DemandService {
 public:
  DemandService(Services& services, sharing::WorkingCalendar calendar)
      : services_(services), calendar_(std::move(calendar)) {}

  boost::asio::awaitable<Demand> post(const Caller& caller, const DemandRequest& request);
  boost::asio::awaitable<Demand> assign(const Caller& caller, const std::string& id,
                                        const std::string& provider_code);
  boost::asio::awaitable<Demand> answer(const Caller& caller, const std::string& id,
                                        const DemandAnswer& answer);
  boost::asio::awaitable<Demand> accept(const Caller& caller, const std::string& id, bool accepted,
                                        const std::optional<std::string>& note);
  boost::asio::awaitable<Demand> demand(const Caller& caller, const std::string& id);
  boost::asio::awaitable<ListPage<Demand>> demands(const Caller& caller, const DemandFilter& filter,
                                                   const PageRequest& page);

 private:
  Services& services_;
  sharing::WorkingCalendar calendar_;
};

}  // namespace hub::coordination
