// The abuse test's attacker (tests/abuse/abuse.sh starts the real hubd with the demo loaded and
// runs this against it): all at once, for a bounded time,
//   - 20 imports that trickle a byte every 5 seconds (from 7 agencies' systems),
//   - a flood of 2,000 TCP connections that never say hello, from one address (127.0.0.2),
//   - 100 slowloris connections sending a header byte a second (127.0.0.3),
//   - a body nested 150,000 deep, and one with a member name twice, on every JSON route,
//   - the oracle probes of issue #15 (a masked name by eq, a withheld number by bisection),
//   - 64 KB values pushed against an item's catastrophic pattern ((a|aa)*b),
//   - quality measurements forced on every request, and pushes reusing a unique value,
//   - hostile registration workbooks (a zip bomb, entity expansion, deep nesting, a shared text
//     used a million times, junk, an endless CSV) from four officers' sessions at once, and
//     hostile return lists from the coordinator,
// while a normal client (tax's system) reads records and /readyz every 100 ms and must get 200
// every time. Prints PASS/FAIL per check and "N passed, M failed"; exits 1 on a failure.
//
//   hub_abuse HOST PORT ADMIN_TOKEN DEMO_TOKENS.json
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "../integration/support/workbook_builder.hpp"
#include "hub/client/https_client.hpp"
#include "hub/members/credentials.hpp"

namespace {

namespace asio = boost::asio;
namespace client = hub::client;
using boost::beast::http::verb;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string host;
std::uint16_t port = 0;
std::mutex out_mutex;
int passed = 0, failed = 0;

void check(const std::string& name, bool ok, const std::string& why = "") {
  std::lock_guard lock(out_mutex);
  std::cout << (ok ? "PASS  " : "FAIL  ") << name << (ok || why.empty() ? "" : ": " + why)
            << std::endl;
  (ok ? passed : failed)++;
}

client::ClientOptions options() {
  client::ClientOptions o;
  o.host = host;
  o.port = std::to_string(port);
  o.insecure = true;
  o.timeout = 20s;
  return o;
}

std::vector<std::pair<std::string, std::string>> as(const std::string& token) {
  return {{"Authorization", "Bearer " + token}, {"X-Purpose", "%E6%BC%94%E7%A4%BA"}};  // 演示
}

// A TLS connection writing exactly what it is given, from a chosen loopback address.
class Raw {
 public:
  explicit Raw(const std::string& source = "")
      : tls_(asio::ssl::context::tls_client), stream_(ioc_, tls_) {
    tls_.set_verify_mode(asio::ssl::verify_none);
    source_ = source;
  }
  bool tcp() {
    boost::system::error_code ec;
    auto& s = stream_.next_layer();
    s.open(asio::ip::tcp::v4(), ec);
    if (!source_.empty()) s.bind({asio::ip::make_address(source_), 0}, ec);
    s.connect({asio::ip::make_address(host), port}, ec);
    return !ec;
  }
  bool handshake() {
    boost::system::error_code ec;
    stream_.handshake(asio::ssl::stream_base::client, ec);
    return !ec;
  }
  bool write(const std::string& bytes) {
    boost::system::error_code ec;
    asio::write(stream_, asio::buffer(bytes), ec);
    return !ec;
  }
  // What the server answered before closing or `wait` passing; "" when nothing.
  std::string answer(std::chrono::milliseconds wait) {
    auto& s = stream_.next_layer();
    timeval tv{static_cast<long>(wait.count() / 1000),
               static_cast<long>(wait.count() % 1000) * 1000};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string out;
    char buf[4096];
    boost::system::error_code ec;
    while (true) {
      std::size_t n = stream_.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec || out.find("\r\n\r\n") != std::string::npos) break;
    }
    return out;
  }
  // Whether the server closed the plain TCP connection (a read returns at once with EOF).
  bool closed_by_server(std::chrono::milliseconds wait) {
    auto& s = stream_.next_layer();
    timeval tv{static_cast<long>(wait.count() / 1000),
               static_cast<long>(wait.count() % 1000) * 1000};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char byte;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context ioc_;
  asio::ssl::context tls_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  std::string source_;
};

int status_of(const std::string& response) {
  if (response.size() < 12 || response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::atoi(response.substr(9, 3).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: hub_abuse HOST PORT ADMIN_TOKEN DEMO_TOKENS.json\n";
    return 2;
  }
  host = argv[1];
  port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  const std::string admin = argv[3];
  json tokens;
  std::ifstream(argv[4]) >> tokens;
  // The flood needs descriptors: as many as this process may have, up to 2,000 connections.
  rlimit limit{};
  int flood_size = 2000;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur != RLIM_INFINITY) {
      flood_size = static_cast<int>(std::min<rlim_t>(2000, limit.rlim_cur - 300));
    }
  }

  client::HttpsClient setup(options());
  auto resource_of = [&](const std::string& provider) {
    auto r = setup.request(
        verb::get, "/api/v1/resources?provider=" + provider + "&status=published", {}, as(admin));
    const json page = json::parse(r.body);
    for (const auto& item : page["items"]) {
      if (item.value("kind", "dataset") == "dataset") return item["code"].get<std::string>();
    }
    return std::string();
  };
  const std::string registrations = resource_of("114401009P0Y2GG12L");  // 企业登记信息
  const std::string tax = tokens["gzsw-system"];
  struct Provider {
    const char* system;
    const char* agency;
  };
  const std::vector<Provider> providers = {
      {"gzga-system", "1144010024CNN5F90B"}, {"gzsc-system", "114401009P0Y2GG12L"},
      {"gzrs-system", "11440100FAJ0T55W64"}, {"gzgh-system", "11440100TN5YUXTM3J"},
      {"gztj-system", "114401000UUY8XPWXH"}, {"gzsw-system", "11440100XYDWCM5T1B"},
      {"gdgz-system", "11440000B94HP7C595"}};
  std::vector<std::string> import_targets;
  for (const auto& p : providers) import_targets.push_back(resource_of(p.agency));

  // --- the normal client, throughout ------------------------------------------------------
  std::atomic<bool> stop{false};
  std::atomic<int> normal_ok{0}, normal_bad{0};
  std::string first_bad;
  std::atomic<long> slowest_ms{0};
  std::thread normal([&] {
    client::HttpsClient c(options());
    while (!stop) {
      const auto started = Clock::now();
      int status = 0;
      std::string body;
      try {
        auto r = c.request(verb::get, "/api/v1/resources/" + registrations + "/records?limit=5", {},
                           as(tax));
        status = r.status;
        body = r.body;
        if (status == 200) status = c.request(verb::get, "/readyz", {}, {}).status;
      } catch (const std::exception& e) {
        body = e.what();
      }
      const long ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
      if (ms > slowest_ms) slowest_ms = ms;
      if (status == 200) {
        ++normal_ok;
      } else {
        if (normal_bad++ == 0) first_bad = std::to_string(status) + " " + body.substr(0, 200);
      }
      std::this_thread::sleep_for(100ms);
    }
  });

  // --- 20 trickling imports -----------------------------------------------------------------
  std::vector<int> import_status(20, 0);
  std::thread imports([&] {
    std::vector<std::unique_ptr<Raw>> conns;
    for (int i = 0; i < 20; ++i) {
      const auto& p = providers[static_cast<std::size_t>(i) % providers.size()];
      auto c = std::make_unique<Raw>();
      if (!c->tcp() || !c->handshake()) {
        conns.push_back(nullptr);
        continue;
      }
      c->write("POST /api/v1/resources/" +
               import_targets[static_cast<std::size_t>(i) % providers.size()] +
               "/imports HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer " +
               tokens[p.system].get<std::string>() +
               "\r\nContent-Type: application/x-ndjson\r\nContent-Length: 1000000\r\n\r\n");
      conns.push_back(std::move(c));
    }
    // A byte every 5 seconds until each is answered (429 at once, or 408 when too slow).
    const auto deadline = Clock::now() + 75s;
    while (Clock::now() < deadline) {
      bool open = false;
      for (std::size_t i = 0; i < conns.size(); ++i) {
        if (!conns[i] || import_status[i] != 0) continue;
        auto answer = conns[i]->answer(100ms);
        if (!answer.empty()) {
          import_status[i] = status_of(answer);
          continue;
        }
        conns[i]->write("{");
        open = true;
      }
      if (!open) break;
      std::this_thread::sleep_for(5s);
    }
  });

  // --- a flood of silent connections from one address ---------------------------------------
  int flood_open = 0, flood_refused = 0;
  std::thread flood([&] {
    std::vector<std::unique_ptr<Raw>> conns;
    for (int i = 0; i < flood_size; ++i) {
      auto c = std::make_unique<Raw>("127.0.0.2");
      if (c->tcp()) conns.push_back(std::move(c));
    }
    // The hub closes all but its per-address share at once; the rest at the handshake timeout.
    for (auto& c : conns) {
      if (c->closed_by_server(20ms)) {
        ++flood_refused;
      } else {
        ++flood_open;
      }
    }
    std::this_thread::sleep_for(8s);
  });

  // --- slowloris ------------------------------------------------------------------------------
  int loris_closed = 0;
  std::thread loris([&] {
    std::vector<std::unique_ptr<Raw>> conns;
    for (int i = 0; i < 100; ++i) {
      auto c = std::make_unique<Raw>("127.0.0.3");
      if (c->tcp() && c->handshake()) conns.push_back(std::move(c));
    }
    const std::string header = "GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Slow: ";
    std::vector<bool> closed(conns.size(), false);
    const auto deadline = Clock::now() + 40s;
    for (std::size_t k = 0; Clock::now() < deadline; ++k) {
      int still = 0;
      for (std::size_t i = 0; i < conns.size(); ++i) {
        if (closed[i]) continue;
        if (!conns[i]->write(k < header.size() ? header.substr(k, 1) : std::string("a"))) {
          closed[i] = true;
          ++loris_closed;
        } else {
          ++still;
        }
      }
      if (still == 0) break;
      std::this_thread::sleep_for(1s);
    }
  });

  // --- deep and ambiguous JSON on every JSON route --------------------------------------------
  int deep_routes = 0, deep_5xx = 0;
  std::string deep_first;
  int indicator_values = 0, indicator_values_refused = 0;
  std::string indicator_first;
  std::thread deep([&] {
    client::HttpsClient c(options());
    auto doc = json::parse(c.request(verb::get, "/openapi.json", {}, {}).body);
    const std::string nested = std::string(150000, '[') + std::string(150000, ']');
    const std::string twice = R"({"name":"a","name":"b"})";
    for (auto it = doc["paths"].begin(); it != doc["paths"].end(); ++it) {
      for (const char* method : {"post", "put", "patch"}) {
        // JSON routes: those whose documented body is JSON (not imports, not the bodiless
        // publish, retire or withdraw, which would act).
        if (!it->contains(method)) continue;
        const json& op = (*it)[method];
        if (!op.contains("requestBody") ||
            !op["requestBody"]["content"].contains("application/json")) {
          continue;
        }
        std::string path = it.key();
        for (auto [param, value] :
             std::vector<std::pair<std::string, std::string>>{{"{code}", registrations},
                                                              {"{key}", "91440101MA59ABCD1X"},
                                                              {"{id}", "x"},
                                                              {"{period}", "2025-01"}}) {
          for (auto at = path.find(param); at != std::string::npos; at = path.find(param)) {
            path.replace(at, param.size(), value);
          }
        }
        ++deep_routes;
        const verb v = std::string(method) == "post"  ? verb::post
                       : std::string(method) == "put" ? verb::put
                                                      : verb::patch;
        for (const auto& token : {admin, tokens["gzsc-system"].get<std::string>(), tax}) {
          for (const auto& body : {nested, twice}) {
            try {
              auto r = c.request(v, path, body, as(token));
              if (r.status >= 500) {
                if (deep_5xx++ == 0) deep_first = it.key() + " " + std::to_string(r.status);
              }
            } catch (const std::exception&) {
              // refused on its header, the body unread: the hub closed; no answer to judge
            }
          }
        }
      }
    }
    // Hostile indicator values (指标报送): numbers past a double, a breakdown of 50,000
    // members, a member of 100 KB: each refused as it is read, before any indicator is looked
    // up (422; 400 where the JSON reader itself refuses a number past a double).
    std::string members;
    for (int i = 0; i < 50000; ++i) members += (i ? ",\"" : "\"") + std::to_string(i) + "\":1";
    const std::vector<std::string> hostile_values = {
        R"({"value":1e999})",
        R"({"value":-1e400,"note":"x"})",
        R"({"value":1,"dimensions":{"district":{)" + members + "}}}",
        R"({"value":1,"dimensions":{"district":{"440106":1e999}}})",
        R"({"value":1,"dimensions":{"a":{},"b":{},"c":{}}})",
        R"({"value":1,"dimensions":{"district":{")" + std::string(100000, 'x') + R"(":1}}})"};
    for (const std::string& body : hostile_values) {
      auto r = c.request(verb::put, "/api/v1/indicators/ANY/values/2025-01", body,
                         as(tokens["gzsc-system"].get<std::string>()));
      ++indicator_values;
      if (r.status == 422 || r.status == 400) {
        ++indicator_values_refused;
      } else if (indicator_first.empty()) {
        indicator_first = std::to_string(r.status) + " " + r.body.substr(0, 200);
      }
    }
  });

  // --- the oracle probes ------------------------------------------------------------------------
  int probes = 0, probes_refused = 0;
  std::thread oracle([&] {
    client::HttpsClient c(options());
    // Tax's grant on registrations shows legal_person masked: 64 name guesses, all refused.
    const char* surnames[] = {"%E5%88%98", "%E9%99%88", "%E6%9D%8E", "%E7%8E%8B"};  // 刘陈李王
    for (int i = 0; i < 64; ++i) {
      auto r = c.request(verb::get,
                         "/api/v1/resources/" + registrations +
                             "/records?filter=legal_person%20eq%20%22" + surnames[i % 4] +
                             "%E6%99%93%E4%B8%9C%22",
                         {}, as(tax));
      ++probes;
      if (r.status == 403) ++probes_refused;
    }
    // ...and a bisection on a number it does not see.
    for (int i = 0; i < 30; ++i) {
      auto r =
          c.request(verb::get,
                    "/api/v1/resources/" + registrations + "/records?filter=reg_capital%20ge%20" +
                        std::to_string(1000 * i) + "&fields=legal_person",
                    {}, as(tax));
      ++probes;
      if (r.status == 403) ++probes_refused;
    }
  });

  // --- a catastrophic pattern -------------------------------------------------------------------
  // A data officer registers an item whose pattern a backtracking engine takes exponential time
  // on, and the provider's system pushes 64 KB values at it: each push must be refused (422), not
  // hold a thread (with std::regex one such push would never end, or would overflow the stack).
  int redos_pushes = 0, redos_refused = 0;
  long redos_slowest_ms = 0;
  std::string redos_first;
  std::thread redos([&] {
    client::HttpsClient c(options());
    const json doc = {{"name", "正则压力测试"},
                      {"summary", "abuse test"},
                      {"provider_code", "114401009P0Y2GG12L"},
                      {"category", "department"},
                      {"format", "数据库"},
                      {"key", "id"},
                      {"items",
                       {{{"name", "id"},
                         {"title", "编号"},
                         {"type", "string"},
                         {"required", true},
                         {"sensitivity", "public"}},
                        {{"name", "text"},
                         {"title", "文本"},
                         {"type", "string"},
                         {"required", false},
                         {"sensitivity", "public"},
                         {"pattern", "^(a|aa)*b$"}}}},
                      {"share_type", "unconditional"},
                      {"share_methods", {"api"}},
                      {"update_cycle", "daily"}};
    try {
      auto created =
          c.request(verb::post, "/api/v1/resources", doc.dump(),
                    {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}});
      const std::string code = json::parse(created.body).value("code", "");
      c.request(verb::post, "/api/v1/resources/" + code + "/publish", {},
                {{"Authorization", "Bearer " + admin}});
      const std::string body = json({{"text", std::string(65000, 'a')}}).dump();
      for (int i = 0; i < 20; ++i) {
        const auto started = Clock::now();
        auto r = c.request(verb::put,
                           "/api/v1/resources/" + code + "/records/R" + std::to_string(i), body,
                           {{"Authorization", "Bearer " + tokens["gzsc-system"].get<std::string>()},
                            {"Content-Type", "application/json"}});
        redos_slowest_ms = std::max<long>(
            redos_slowest_ms,
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
        ++redos_pushes;
        if (r.status == 422) {
          ++redos_refused;
        } else if (redos_first.empty()) {
          redos_first = std::to_string(r.status) + " " + r.body.substr(0, 200);
        }
      }
    } catch (const std::exception& e) {
      redos_first = e.what();
    }
  });

  // --- quality measurements and unique values ---------------------------------------------------
  // The provider's own systems force a fresh quality measurement of a 3,000-record resource on
  // every request (a write, then GET quality, from four clients at once), while another pushes
  // twenty enterprises, each under the name of one already registered (a unique item): the
  // measurements are bounded per node (429 beyond), the pushes refused (422), nothing 5xx.
  std::atomic<int> quality_ok{0}, quality_busy{0}, quality_bad{0};
  std::atomic<int> twins{0}, twins_refused{0};
  std::string quality_first;
  std::mutex quality_mutex;
  std::thread quality([&] {
    try {
      client::HttpsClient c(options());
      const std::string system = tokens["gzsc-system"];
      auto found = c.request(verb::get, "/api/v1/resources?q=%E4%BC%81%E4%B8%9A%E7%99%BB%E8%AE%B0",
                             {}, as(system));
      const std::string code = json::parse(found.body)["items"][0]["code"];
      // A name registered here first, under the market bureau's own credit code.
      const std::string taken = "广州市唯一名称压力测试有限公司";
      {
        auto h = as(system);
        h.emplace_back("Content-Type", "application/json");
        c.request(verb::put, "/api/v1/resources/" + code + "/records/91440101MA5CXQ8R0Q",
                  json({{"name", taken}, {"legal_person", "王五"}, {"status", "存续"}}).dump(), h);
      }
      std::vector<std::thread> clients;
      for (int t = 0; t < 4; ++t) {
        clients.emplace_back([&, t] {
          client::HttpsClient own(options());
          for (int i = 0; i < 10; ++i) {
            auto h = as(system);
            h.emplace_back("Content-Type", "application/json");
            // The same (valid) enterprise rewritten: its version changes, so a measurement is due.
            own.request(verb::put, "/api/v1/resources/" + code + "/records/114401009P0Y2GG12L",
                        json({{"name", "广州市质量压力测试" + std::to_string(t) + "有限公司"},
                              {"legal_person", "张三"},
                              {"status", "存续"}})
                            .dump(),
                        h);
            auto r =
                own.request(verb::get, "/api/v1/resources/" + code + "/quality", {}, as(system));
            if (r.status == 200) {
              ++quality_ok;
            } else if (r.status == 429) {
              ++quality_busy;
            } else {
              ++quality_bad;
              std::lock_guard lock(quality_mutex);
              if (quality_first.empty()) {
                quality_first = std::to_string(r.status) + " " + r.body.substr(0, 200);
              }
            }
          }
        });
      }
      // Twenty new, valid credit codes, one name already taken.
      for (int i = 0; i < 20; ++i) {
        auto h = as(system);
        h.emplace_back("Content-Type", "application/json");
        const std::string first17 = "91440101MA5CX" + std::to_string(1000 + i);
        auto r = c.request(
            verb::put,
            "/api/v1/resources/" + code + "/records/" + first17 +
                hub::members::uscc_check_character(first17),
            json({{"name", taken}, {"legal_person", "李四"}, {"status", "存续"}}).dump(), h);
        ++twins;
        if (r.status == 422) ++twins_refused;
      }
      for (auto& t : clients) t.join();
    } catch (const std::exception& e) {
      std::lock_guard lock(quality_mutex);
      quality_first = e.what();
    }
  });

  // --- hostile registration workbooks ------------------------------------------------------------
  // The market bureau's data officer uploads, from four sessions at once, workbooks made to
  // exhaust the reader: each must be refused with 422 (or 429, two at once per node), within
  // seconds, never 5xx, while the normal client keeps being served.
  std::atomic<int> books{0}, books_refused{0}, books_busy{0}, books_bad{0};
  std::atomic<long> books_slowest_ms{0};
  std::atomic<int> return_lists{0}, return_lists_refused{0};
  std::atomic<int> uploads{0}, uploads_refused{0};
  std::string uploads_first;
  std::string books_first;
  std::mutex books_mutex;
  std::thread workbooks([&] {
    try {
      const std::string wb =
          "<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/"
          "relationships\"><sheets><sheet name=\"资源\" r:id=\"rId1\"/><sheet name=\"信息项\" "
          "r:id=\"rId1\"/></sheets></workbook>";
      const std::string rels =
          "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/>"
          "</Relationships>";
      auto book = [&](const std::string& sheet, const std::string& shared) {
        std::vector<std::pair<std::string, std::string>> parts = {
            {"xl/workbook.xml", wb}, {"xl/_rels/workbook.xml.rels", rels}};
        if (!sheet.empty()) parts.emplace_back("xl/worksheets/sheet1.xml", sheet);
        if (!shared.empty()) parts.emplace_back("xl/sharedStrings.xml", shared);
        return hub::test::zip_of(parts);
      };
      std::string bomb = "<worksheet><sheetData><row r=\"1\">";
      while (bomb.size() < (200u << 20))
        bomb += "<c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c>";
      bomb += "</row></sheetData></worksheet>";
      std::string nested = "<worksheet>";
      for (int i = 0; i < 100000; ++i) nested += "<a>";
      std::string many = "<worksheet><sheetData>";
      for (int r = 1; r <= 20000; ++r) {
        many += "<row r=\"" + std::to_string(r) + "\">";
        for (int c = 0; c < 50; ++c) many += "<c t=\"s\"><v>0</v></c>";
        many += "</row>";
      }
      many += "</sheetData></worksheet>";
      std::string junk(19u << 20, '\0');
      for (std::size_t i = 0; i < junk.size(); ++i)
        junk[i] = static_cast<char>((i * 2654435761u) >> 13);
      junk.replace(0, 4, "PK\x03\x04");
      std::string endless = "name,summary\n";
      while (endless.size() < (19u << 20)) endless += "\"企业\",\"摘要\"\n";
      const std::string xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
      const std::vector<std::pair<std::string, std::string>> hostile = {
          {book(bomb, ""), xlsx},
          {book("",
                "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
                "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><sst><si><t>&b;</t></si></sst>"),
           xlsx},
          {book(nested, ""), xlsx},
          {book(many, "<sst><si><t>" + std::string(60000, 'x') + "</t></si></sst>"), xlsx},
          {junk, xlsx},
          {endless, "text/csv"}};
      client::HttpsClient c(options());
      auto session =
          c.request(verb::post, "/api/v1/sessions",
                    json({{"name", "gzsc-officer"}, {"password", "hub-demo-2026"}}).dump(),
                    {{"Content-Type", "application/json"}});
      const std::string officer = json::parse(session.body).value("token", "");
      std::vector<std::thread> senders;
      for (int t = 0; t < 4; ++t) {
        senders.emplace_back([&, t] {
          client::HttpsClient own(options());
          for (std::size_t i = 0; i < hostile.size(); ++i) {
            const auto& [bytes, type] = hostile[(i + static_cast<std::size_t>(t)) % hostile.size()];
            auto h = as(officer);
            h.emplace_back("Content-Type", type);
            const auto start = std::chrono::steady_clock::now();
            auto r = own.request(verb::post, "/api/v1/resources/imports?dry_run=true", bytes, h);
            const long ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::steady_clock::now() - start)
                                                  .count());
            long seen = books_slowest_ms.load();
            while (ms > seen && !books_slowest_ms.compare_exchange_weak(seen, ms)) {
            }
            ++books;
            if (r.status == 422) {
              ++books_refused;
            } else if (r.status == 429) {
              ++books_busy;
            } else {
              ++books_bad;
              std::lock_guard lock(books_mutex);
              if (books_first.empty()) {
                books_first = std::to_string(r.status) + " " + r.body.substr(0, 200);
              }
            }
          }
        });
      }
      for (auto& t : senders) t.join();
      // Hostile return lists (回流清单) from the coordinator: a million short lines, a cell of
      // 100 KB, 5 MiB (over the route's 4 MiB), and bytes that are no text: 422 or 413 each.
      auto coordinator_session =
          c.request(verb::post, "/api/v1/sessions",
                    json({{"name", "coordinator"}, {"password", "hub-demo-2026"}}).dump(),
                    {{"Content-Type", "application/json"}});
      const std::string coordinator = json::parse(coordinator_session.body).value("token", "");
      std::string lines = "task_no,title,ministry,responsible_agency_code,due_date\n";
      while (lines.size() < (3u << 20)) lines += "a,b,c,d,e\n";
      const std::vector<std::string> lists = {
          lines, "task_no,title\n" + std::string(100000, 'x') + "\n", std::string(5u << 20, 'y'),
          std::string("\xff\xfe\x00\x01\x80", 5)};
      for (const auto& list : lists) {
        auto h = as(coordinator);
        h.emplace_back("Content-Type", "text/csv");
        client::HttpsClient own(options());
        client::ClientResponse r;
        try {
          r = own.request(verb::post, "/api/v1/return-tasks/imports", list, h);
        } catch (const std::exception&) {
          // A body over the route's limit is answered 413 and the connection closed while the
          // client still sends: it may see the reset before the answer. Only that one.
          if (list.size() <= (4u << 20)) throw;
          r.status = 413;
        }
        ++return_lists;
        if (r.status == 422 || r.status == 413) {
          ++return_lists_refused;
        } else {
          std::lock_guard lock(books_mutex);
          if (books_first.empty()) books_first = "return list: " + std::to_string(r.status);
        }
      }
      // Hostile indicator uploads (指标报送) from the statistics bureau's system: 5 MiB (over
      // the route's 4 MiB), 5,001 lines, bytes that are no workbook, and a thousand lines of an
      // indicator that does not exist: 413, 422, 422, and 200 with every line rejected.
      std::string too_many = "indicator_code,period,value\n";
      for (int i = 0; i < 5001; ++i) too_many += "X,2025-01,1\n";
      std::string unknown = "indicator_code,period,value\n";
      for (int i = 0; i < 1000; ++i) unknown += "NO-SUCH-" + std::to_string(i) + ",2025-01,1\n";
      const std::string xlsx_type =
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
      const std::vector<std::tuple<std::string, std::string, unsigned>> hostile_uploads = {
          {std::string(5u << 20, 'z'), "text/csv", 413},
          {too_many, "text/csv", 422},
          {std::string("PK\x03\x04\x14\x00\x00\x00", 8) + std::string(4096, '\xff'), xlsx_type,
           422},
          {unknown, "text/csv", 200}};
      const std::string system = tokens["gztj-system"].get<std::string>();
      for (const auto& [body, type, expected] : hostile_uploads) {
        auto h = as(system);
        h.emplace_back("Content-Type", type);
        client::HttpsClient own(options());
        client::ClientResponse r;
        try {
          r = own.request(verb::post, "/api/v1/indicators/values", body, h);
        } catch (const std::exception&) {
          if (body.size() <= (4u << 20)) throw;
          r.status = 413;  // answered while the client still sent, as above
        }
        ++uploads;
        bool as_expected = r.status == expected;
        if (as_expected && expected == 200) {
          const auto answer = json::parse(r.body);
          as_expected = answer["accepted"] == 0 && answer["rejected"] == 1000;
        }
        if (as_expected) {
          ++uploads_refused;
        } else {
          std::lock_guard lock(books_mutex);
          if (uploads_first.empty()) {
            uploads_first = std::to_string(r.status) + " " + r.body.substr(0, 200);
          }
        }
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(books_mutex);
      books_first = e.what();
    }
  });

  for (auto* t : {&imports, &flood, &loris, &deep, &oracle, &redos, &quality, &workbooks})
    t->join();
  std::this_thread::sleep_for(2s);
  stop = true;
  normal.join();

  int too_slow = 0, too_many = 0, other = 0;
  for (int s : import_status) {
    if (s == 408) {
      ++too_slow;
    } else if (s == 429) {
      ++too_many;
    } else {
      ++other;
    }
  }
  check(
      "trickling imports: 4 ended with 408, 16 refused with 429 (limits.imports_per_node 4, "
      "per agency 2)",
      too_slow == 4 && too_many == 16 && other == 0,
      std::to_string(too_slow) + " × 408, " + std::to_string(too_many) + " × 429, " +
          std::to_string(other) + " other");
  check("a flood of " + std::to_string(flood_size) +
            " silent connections from one address: at most 256 held",
        flood_size > 512 && flood_open <= 256 && flood_open + flood_refused >= flood_size * 3 / 4,
        std::to_string(flood_open) + " held, " + std::to_string(flood_refused) + " closed at once");
  check("100 slowloris connections are all closed", loris_closed >= 100,
        std::to_string(loris_closed) + " closed");
  check("deep and ambiguous JSON on every JSON route: no 5xx", deep_routes > 15 && deep_5xx == 0,
        std::to_string(deep_routes) + " routes, " + std::to_string(deep_5xx) + " × 5xx, first " +
            deep_first);
  check("oracle probes on a masked name and a withheld number are all refused",
        probes == 94 && probes_refused == probes,
        std::to_string(probes_refused) + " of " + std::to_string(probes) + " refused");
  check("64 KB values against a catastrophic pattern: every push refused with 422",
        redos_pushes == 20 && redos_refused == 20,
        std::to_string(redos_refused) + " of " + std::to_string(redos_pushes) + " refused; " +
            redos_first);
  std::cout << "  (the slowest of those pushes: " << redos_slowest_ms << " ms)" << std::endl;
  check("forced quality measurements: each answered 200 or 429, never 5xx",
        quality_ok > 0 && quality_bad == 0 && quality_ok + quality_busy == 40,
        std::to_string(quality_ok) + " × 200, " + std::to_string(quality_busy) + " × 429, " +
            std::to_string(quality_bad) + " other; " + quality_first);
  check("pushes reusing a registered enterprise's unique name: all refused with 422",
        twins == 20 && twins_refused == 20,
        std::to_string(twins_refused) + " of " + std::to_string(twins.load()) + " refused");
  check("hostile registration workbooks: each refused with 422 (or 429), never 5xx",
        books == 24 && books_bad == 0 && books_refused > 0 && books_refused + books_busy == 24,
        std::to_string(books_refused) + " × 422, " + std::to_string(books_busy) + " × 429, " +
            std::to_string(books_bad) + " other; " + books_first);
  std::cout << "  (the slowest workbook's answer: " << books_slowest_ms << " ms)" << std::endl;
  check("hostile return lists: each refused with 422 or 413",
        return_lists == 4 && return_lists_refused == 4,
        std::to_string(return_lists_refused) + " of " + std::to_string(return_lists.load()) +
            " refused; " + books_first);
  check(
      "hostile indicator uploads (5 MiB, 5,001 lines, no workbook, 1,000 unknown): 413, 422, "
      "422, 200 with every line rejected",
      uploads == 4 && uploads_refused == 4,
      std::to_string(uploads_refused) + " of " + std::to_string(uploads.load()) + " as expected" +
          (uploads_first.empty() ? "" : "; first other: " + uploads_first));
  check("hostile indicator values (past a double, 50,000 members, 100 KB names): each refused",
        indicator_values == 6 && indicator_values_refused == 6,
        std::to_string(indicator_values_refused) + " of " + std::to_string(indicator_values) +
            (indicator_first.empty() ? "" : ", first other: " + indicator_first));
  check("the normal client's requests answered 200 throughout", normal_bad == 0 && normal_ok > 50,
        std::to_string(normal_ok) + " ok, " + std::to_string(normal_bad) +
            " not; first: " + first_bad);
  std::cout << "  (the normal client's slowest request and readiness check: " << slowest_ms
            << " ms)" << std::endl;
  std::cout << passed << " passed, " << failed << " failed" << std::endl;
  return failed == 0 ? 0 : 1;
}
