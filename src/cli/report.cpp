// hubctl report: the sharing-status report from /api/v1/reports/sharing-status.
#include <algorithm>
#include <fstream>
#include <ostream>

#include "command.hpp"

namespace hub::cli {

// The sharing-status report, as the hub renders it (JSON, CSV with a BOM, or XLSX).
int cmd_report(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string format = o.flag("format", false).empty() ? "json" : o.flag("format");
  if (format != "json" && format != "csv" && format != "xlsx") {
    err << "hubctl report: --format must be json, csv or xlsx\n";
    return 2;
  }
  const std::string file = o.flag("o", false);
  if (format == "xlsx" && file.empty()) {
    err << "hubctl report: an XLSX workbook needs -o FILE\n";
    return 2;
  }
  const std::string target = with_flags("/api/v1/reports/sharing-status?format=" + format, o,
                                        {{"from", "from"}, {"to", "to"}});
  Api api(o);
  auto r = api.raw(verb::get, target);
  if (r.status != 200) throw std::runtime_error("report: " + Api::describe(r));
  if (file.empty()) {
    out << r.body;
    if (format == "json") out << "\n";
    return 0;
  }
  std::ofstream(file, std::ios::binary | std::ios::trunc) << r.body;
  std::size_t rows = 0;
  if (format == "json") rows = nlohmann::json::parse(r.body)["agencies"].size();
  if (format == "csv")
    rows = static_cast<std::size_t>(std::count(r.body.begin(), r.body.end(), '\n')) - 1;
  out << "report written to " << file << " (" << r.body.size() << " bytes";
  if (rows > 0) out << ", " << rows << " agencies";
  out << ")\n";
  return 0;
}

}  // namespace hub::cli
