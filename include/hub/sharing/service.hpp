#pragma once

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "hub/app/services.hpp"
#include "hub/http/message.hpp"
#include "hub/sharing/calendar.hpp"
#include "hub/sharing/grants.hpp"

namespace hub::sharing {

// Applications, decisions, grants and objections (docs/sharing.md). Arguments of coroutines
// are the caller's named locals (the GCC 12 note in docs/architecture.md).
class SharingService {
 public:
  SharingService(Services& services, GrantDirectory& grants, WorkingCalendar calendar)
      : services_(services), grants_(grants), calendar_(std::move(calendar)) {}

  boost::asio::awaitable<nlohmann::json> apply(http::Request& req, const nlohmann::json& body);
  boost::asio::awaitable<nlohmann::json> decide(http::Request& req, const std::string& id,
                                                const nlohmann::json& body);
  boost::asio::awaitable<nlohmann::json> withdraw(http::Request& req, const std::string& id);
  boost::asio::awaitable<nlohmann::json> application(http::Request& req, const std::string& id);
  boost::asio::awaitable<std::string> applications(http::Request& req);

  boost::asio::awaitable<std::string> grants(http::Request& req);
  boost::asio::awaitable<nlohmann::json> grant(http::Request& req, const std::string& id);
  boost::asio::awaitable<void> revoke(http::Request& req, const std::string& id);

  // An objection to a record: named by `key` (the path's), or, when that is nullopt, by `key` or
  // `ref` in the body.
  boost::asio::awaitable<nlohmann::json> object(http::Request& req, const std::string& resource,
                                                const std::optional<std::string>& key,
                                                const nlohmann::json& body);
  boost::asio::awaitable<nlohmann::json> resolve(http::Request& req, const std::string& id,
                                                 const nlohmann::json& body);
  boost::asio::awaitable<nlohmann::json> objection(http::Request& req, const std::string& id);
  boost::asio::awaitable<std::string> objections(http::Request& req);

  const WorkingCalendar& calendar() const { return calendar_; }

 private:
  Services& services_;
  GrantDirectory& grants_;
  WorkingCalendar calendar_;
};

}  // namespace hub::sharing
