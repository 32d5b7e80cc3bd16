// hubctl applications and grants: clients of /api/v1/applications and /api/v1/grants.
#include <ostream>

#include "command.hpp"
#include "hub/core/text.hpp"

namespace hub::cli {

int cmd_applications(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  Api api(o);
  if (action == "list") {
    const std::string target = with_flags("/api/v1/applications?x=1", o,
                                          {{"direction", "direction"}, {"status", "status"}});
    for (const auto& a : api.all(target)) {
      out << a["id"].get<std::string>() << "  " << a["status"].get<std::string>()
          << (a["overdue"].get<bool>() ? " (overdue)" : "") << "  "
          << a["consumer_code"].get<std::string>() << " → " << a["resource_code"].get<std::string>()
          << "  due " << (a["due_at"].is_null() ? "-" : a["due_at"].get<std::string>()) << "  "
          << a["purpose"].get<std::string>() << "\n";
    }
    return 0;
  }
  if (action == "decide") {
    if (o.rest.size() != 4) {
      err << "usage: hubctl applications decide ID approve|reject [--opinion TEXT]\n";
      return 2;
    }
    nlohmann::json body = {{"decision", o.rest[3]}};
    if (auto op = o.flag("opinion", false); !op.empty()) body["opinion"] = op;
    if (auto i = o.flag("items", false); !i.empty()) body["items"] = split(i, ',');
    if (auto p = o.flag("operations", false); !p.empty()) body["operations"] = split(p, ',');
    auto a = api.call(verb::post, "/api/v1/applications/" + o.rest[2] + "/decision", body);
    out << a["status"].get<std::string>()
        << (a["grant_id"].is_null() ? "" : " grant " + a["grant_id"].get<std::string>()) << "\n";
    return 0;
  }
  err << "usage: hubctl applications list|decide\n";
  return 2;
}

int cmd_grants(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  Api api(o);
  if (action == "list") {
    const std::string target = with_flags(
        "/api/v1/grants?x=1", o, {{"resource", "resource_code"}, {"consumer", "consumer"}});
    for (const auto& g : api.all(target)) {
      const std::string items = join_csv(g["items"].get<std::vector<std::string>>());
      const std::string ops = join_csv(g["operations"].get<std::vector<std::string>>());
      out << g["id"].get<std::string>() << "  " << g["status"].get<std::string>() << "  "
          << g["consumer_code"].get<std::string>() << " → " << g["resource_code"].get<std::string>()
          << "  [" << ops << "] " << items << "  until " << g["valid_until"].get<std::string>()
          << "\n";
    }
    return 0;
  }
  if (action == "revoke" && o.rest.size() == 3) {
    // With a reason (shown to the consumer), or without one as before.
    if (auto reason = o.flag("reason", false); !reason.empty()) {
      api.call(verb::post, "/api/v1/grants/" + o.rest[2] + "/revocation", {{"reason", reason}});
    } else {
      api.call(verb::delete_, "/api/v1/grants/" + o.rest[2]);
    }
    out << "revoked\n";
    return 0;
  }
  if (action == "renew" && o.rest.size() == 3) {
    auto r = api.call(verb::post, "/api/v1/grants/" + o.rest[2] + "/renewal",
                      {{"valid_until", o.flag("until")}, {"reason", o.flag("reason")}});
    if (r["status"] == "approved") {
      out << "approved: valid until " << r["grant"]["valid_until"].get<std::string>() << "\n";
    } else {
      out << "pending: application " << r["application_id"].get<std::string>() << ", due "
          << (r["due_at"].is_null() ? "-" : r["due_at"].get<std::string>()) << "\n";
    }
    return 0;
  }
  err << "usage: hubctl grants list [--resource CODE] [--consumer AGENCY]"
         " | grants revoke ID [--reason TEXT] | grants renew ID --until DATE --reason TEXT\n";
  return 2;
}

}  // namespace hub::cli
