// The demo's indicator reporting (指标报送): twenty indicators of the statistics, tax, power
// supply, market regulation and human resources bureaus in two themes (demo/indicators.json),
// defined by the coordination group, and the last twelve ended months (four ended quarters) of
// each reported by its bureau's data officer, but the newest two of one (城镇调查失业率), which
// are overdue. The values follow a fixed shape (a base, a growth, a seasonal swing), so a run
// on another day reports the same value for the same period.
#include <chrono>
#include <cmath>
#include <map>
#include <numbers>
#include <ostream>
#include <stdexcept>

#include "command.hpp"
#include "hub/core/embedded.hpp"
#include "hub/indicators/service.hpp"

namespace hub::cli {

namespace {

using indicators::Frequency;
using indicators::Period;

// The reporter agency's demo prefix (its data officer is PREFIX-officer).
const std::map<std::string, std::string>& reporters() {
  static const std::map<std::string, std::string> all = {{"114401000UUY8XPWXH", "gztj"},
                                                         {"11440100XYDWCM5T1B", "gzsw"},
                                                         {"11440000B94HP7C595", "gdgz"},
                                                         {"114401009P0Y2GG12L", "gzsc"},
                                                         {"11440100FAJ0T55W64", "gzrs"}};
  return all;
}

// The latest period of `frequency` that has ended, in the city (UTC+8).
Period last_ended(Frequency frequency) {
  using namespace std::chrono;
  const year_month_day today{floor<days>(system_clock::now() + hours{8})};
  const int year = static_cast<int>(today.year());
  const int month = static_cast<int>(static_cast<unsigned>(today.month()));
  Period current{frequency, year,
                 frequency == Frequency::monthly     ? month
                 : frequency == Frequency::quarterly ? (month - 1) / 3 + 1
                                                     : 1};
  return current.previous();
}

double rounded(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

// A period's value from the series' shape: months since January 2025 of growth, and a seasonal
// swing by the month (a quarter: its last month), so it depends on the period only.
double value_of(const nlohmann::json& series, const Period& p) {
  const int month = p.frequency == Frequency::quarterly ? p.index * 3 : p.index;
  const int months = (p.year - 2025) * 12 + (month - 1);
  const double base = series["base"].get<double>();
  const double growth = series["monthly_growth"].get<double>();
  const double season = series["season"].get<double>();
  const double v = base * std::pow(1 + growth, months) *
                   (1 + season * std::sin(2 * std::numbers::pi * (month - 2) / 12.0));
  return rounded(v, series["decimals"].get<int>());
}

// A breakdown of `value` by the indicator's dimensions, by fixed shares.
nlohmann::json breakdown(const nlohmann::json& doc, const nlohmann::json& dims, double value,
                         int decimals) {
  static const double kDistrictShares[] = {0.06, 0.10, 0.08, 0.17, 0.12, 0.14,
                                           0.11, 0.07, 0.07, 0.03, 0.05};
  static const double kIndustryShares[] = {0.02, 0.38, 0.12, 0.09, 0.07};
  nlohmann::json out = nlohmann::json::object();
  for (const auto& d : dims) {
    const bool district = d == "district";
    const auto& members = doc[district ? "districts" : "industries"];
    int i = 0;
    for (const auto& [code, name] : members.items()) {
      const double share = district ? kDistrictShares[i % 11] : kIndustryShares[i % 5];
      out[d.get<std::string>()][code] = rounded(value * share, decimals);
      ++i;
    }
  }
  return out;
}

}  // namespace

void demo_indicators(const Options& o, std::ostream& out, std::ostream& err) {
  auto text = embedded::file("demo/indicators.json");
  if (!text) throw std::runtime_error("demo data missing from this build: indicators.json");
  const auto doc = nlohmann::json::parse(*text);
  auto coordinator = demo_person(o, "coordinator");
  std::map<std::string, std::unique_ptr<Api>> officers;
  int defined = 0, reported = 0, kept = 0;
  std::vector<std::string> unreported;
  std::map<std::string, int> themes;
  for (const auto& entry : doc["indicators"]) {
    nlohmann::json body = entry["indicator"];
    const auto& series = entry["series"];
    const auto frequency = *indicators::frequency_of(body["frequency"].get<std::string>());
    const int count = frequency == Frequency::monthly ? 12 : 4;
    Period first = last_ended(frequency);
    for (int i = 1; i < count; ++i) first = first.previous();
    body["start_period"] = first.text();
    auto created = coordinator->raw(verb::post, "/api/v1/indicators", body);
    if (created.status == 201) {
      ++defined;
    } else if (created.status != 409) {
      throw std::runtime_error("indicator " + body["code"].get<std::string>() + ": " +
                               Api::describe(created));
    }
    ++themes[body["theme"].get<std::string>()];
    const std::string code = body["code"];
    // Periods from the indicator's first (as defined, perhaps on an earlier run) to the latest
    // ended one, but those the series leaves unreported.
    const auto indicator = coordinator->call(verb::get, "/api/v1/indicators/" + code);
    Period p = *indicators::parse_period(indicator["start_period"].get<std::string>(), frequency);
    Period last = last_ended(frequency);
    for (int skip = series.value("unreported_latest", 0); skip > 0; --skip) {
      unreported.push_back(code + " " + last.text());
      last = last.previous();
    }
    const std::string reporter = body["reporter_code"];
    auto& officer = officers[reporter];
    if (!officer) officer = demo_person(o, reporters().at(reporter) + "-officer");
    const int decimals = series["decimals"].get<int>();
    std::optional<double> previous;
    for (; p <= last; p = p.next()) {
      const double value = value_of(series, p);
      nlohmann::json report = {{"value", value}};
      if (body.contains("dimensions")) {
        report["dimensions"] = breakdown(doc, body["dimensions"], value, decimals);
      }
      const double ratio = body.value("max_change_ratio", 0.0);
      if (previous && ratio > 0 && *previous != 0 &&
          std::fabs(value - *previous) / std::fabs(*previous) > ratio) {
        report["note"] = "季节性因素：春节及年末集中结算影响当月数据。";
      }
      previous = value;
      auto r =
          officer->raw(verb::put, "/api/v1/indicators/" + code + "/values/" + p.text(), report);
      if (r.status == 201) {
        ++reported;
      } else if (r.status == 200) {
        ++kept;
      } else {
        err << "indicator " << code << " " << p.text() << ": " << Api::describe(r) << "\n";
      }
    }
  }
  out << "indicators: " << doc["indicators"].size() << " of five bureaus in " << themes.size()
      << " themes (" << defined << " defined now), " << reported << " values reported, " << kept
      << " already there; not reported (overdue once past due): ";
  for (std::size_t i = 0; i < unreported.size(); ++i) out << (i ? ", " : "") << unreported[i];
  out << "; GET /api/v1/indicators\n";
}

}  // namespace hub::cli
