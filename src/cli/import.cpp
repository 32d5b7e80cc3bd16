// hubctl import: streams a file to /api/v1/resources/{code}/imports, with progress.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <ostream>

#include "command.hpp"

namespace hub::cli {

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

int cmd_import(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.rest.size() != 3) {
    err << "usage: hubctl import RESOURCE FILE [--atomic] [--format ndjson|csv]\n";
    return 2;
  }
  const std::string code = o.rest[1], file = o.rest[2];
  std::string format = o.flag("format", false);
  if (format.empty()) format = file.ends_with(".csv") ? "csv" : "ndjson";
  if (format != "csv" && format != "ndjson") throw std::runtime_error("--format is ndjson or csv");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file);
  const auto size = fs::file_size(file);
  if (o.token.empty()) throw std::runtime_error("no token: set HUB_TOKEN or HUB_TOKEN_FILE");
  client::HttpsClient c(client_options(o));
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  std::uint64_t rows = 0;
  // rows, rows/s and the time left, redrawn on one line a few times a second
  auto draw = [&](std::uint64_t sent, bool final) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = secs > 0 ? rows / secs : 0;
    const double left = sent > 0 && sent < size ? secs * (double(size) / sent - 1) : 0;
    char line[160];
    std::snprintf(line, sizeof line, "\r%12llu rows  %9.0f rows/s  %5.1f%%  %s %s",
                  static_cast<unsigned long long>(rows), rate, size ? 100.0 * sent / size : 100.0,
                  final ? "took" : "ETA", clock_text(final ? secs : left).c_str());
    err << line << std::flush;
  };
  auto r = c.upload(
      verb::post,
      "/api/v1/resources/" + url_encode(code) + "/imports" +
          (o.switches.contains("atomic") ? "?atomic=true" : ""),
      in, size,
      {{"Authorization", "Bearer " + o.token},
       {"Content-Type", format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson"}},
      [&](std::uint64_t sent, std::string_view chunk) {
        rows += static_cast<std::uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
        const auto now = std::chrono::steady_clock::now();
        if (now - last > std::chrono::milliseconds(250)) {
          last = now;
          draw(sent, false);
        }
      });
  draw(size, true);
  err << "\n";
  if (r.status >= 400) throw std::runtime_error(Api::describe(r));
  auto result = nlohmann::json::parse(r.body);
  out << result["accepted"].get<long long>() << " accepted, " << result["rejected"].get<long long>()
      << " rejected";
  if (result.value("flagged", 0LL) > 0) {
    out << " (" << result["flagged"].get<long long>() << " of the accepted flagged)";
  }
  out << "\n";
  for (const auto& e : result["errors"]) {
    out << "  line " << e["line"].get<long long>() << ": " << e["message"].get<std::string>()
        << "\n";
  }
  return result["rejected"].get<long long>() > 0 ? 1 : 0;
}

}  // namespace hub::cli
