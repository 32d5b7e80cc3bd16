// The demo's returned data (数据回流): the coordination group's return list (demo/return-tasks.csv,
// ten tasks from six ministries), four of them carried on by their agencies' data officers (one
// sharing through the tax bureau's 纳税信用等级评价结果, whose catalogue entry carries its source),
// and the returns report that counts them.
#include <map>
#include <ostream>
#include <stdexcept>

#include "command.hpp"
#include "hub/core/embedded.hpp"

namespace hub::cli {

void demo_returns(const Options& o, Api& admin, std::ostream& out) {
  auto csv = embedded::file("demo/return-tasks.csv");
  if (!csv) throw std::runtime_error("demo data missing from this build: return-tasks.csv");
  auto imported =
      admin.send(verb::post, "/api/v1/return-tasks/imports", std::string(*csv), "text/csv");
  if (imported.status != 200) {
    throw std::runtime_error("return list: " + Api::describe(imported));
  }
  const auto counts = nlohmann::json::parse(imported.body);
  std::map<std::string, std::string> ids;
  for (const auto& t : admin.all("/api/v1/return-tasks")) ids[t["task_no"]] = t["id"];
  struct Progress {
    const char* task_no;
    const char* person;
    const char* status;
    const char* provider;
    const char* resource;  // the demo resource that holds the returned data, if any
  };
  static const Progress kProgress[] = {
      {"HL-2026-005", "gzsw-officer", "sharing", "11440100XYDWCM5T1B", "纳税信用等级评价结果"},
      {"HL-2026-003", "gzsc-officer", "connected", "114401009P0Y2GG12L", "企业登记信息"},
      {"HL-2026-007", "gzrs-officer", "connected", "11440100FAJ0T55W64", "社会保险缴费信息"},
      {"HL-2026-001", "gzga-officer", "path_identified", nullptr, nullptr},
  };
  for (const auto& p : kProgress) {
    auto id = ids.find(p.task_no);
    if (id == ids.end()) throw std::runtime_error(std::string("return task missing: ") + p.task_no);
    nlohmann::json change = {{"status", p.status}};
    if (p.resource) {
      change["resource_codes"] = {demo_resource(admin, p.provider, p.resource)["code"]};
    }
    auto officer = demo_person(o, p.person);
    officer->call(verb::patch, "/api/v1/return-tasks/" + id->second, change);
  }
  const auto report = admin.call(verb::get, "/api/v1/reports/returns");
  int tasks = 0, sharing = 0, overdue = 0;
  for (const auto& m : report["ministries"]) {
    tasks += m["tasks"].get<int>();
    sharing += m["sharing"].get<int>();
    overdue += m["overdue"].get<int>();
  }
  out << "returned data: " << tasks << " return tasks from " << report["ministries"].size()
      << " ministries (" << counts["created"].get<int>() << " created, "
      << counts["updated"].get<int>() << " updated, " << counts["unchanged"].get<int>()
      << " unchanged), " << sharing << " sharing, " << overdue
      << " past due; GET /api/v1/reports/returns\n";
}

}  // namespace hub::cli
