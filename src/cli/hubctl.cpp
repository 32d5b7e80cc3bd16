#include "hub/cli/hubctl.hpp"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "hub/client/https_client.hpp"
#include "hub/store/embedded_pg.hpp"

namespace hub::cli {

namespace {

namespace fs = std::filesystem;

const char* kUsage =
    "usage: hubctl [options] COMMAND\n"
    "\n"
    "commands:\n"
    "  status               ask a running hub for /healthz and /readyz\n"
    "  db status|start|stop control the embedded database under the data dir\n"
    "  version              print the version\n"
    "\n"
    "options (or environment):\n"
    "  --url URL            the hub (HUB_URL, default https://localhost:8443)\n"
    "  --ca FILE            CA certificate to verify the hub (HUB_CA; default: the development\n"
    "                       certificate in the data dir, when there is one)\n"
    "  --insecure           do not verify the hub's certificate\n"
    "  --data-dir DIR       the hub's data dir (HUB_DATA_DIR, default ./data)\n";

struct Options {
  std::string url;
  std::string ca;
  bool insecure = false;
  fs::path data_dir;
  std::vector<std::string> rest;
};

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

client::ClientOptions client_options(const Options& o) {
  client::ClientOptions c;
  std::string url = o.url;
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0) throw std::runtime_error("--url must start with https://");
  url = url.substr(scheme.size());
  if (auto slash = url.find('/'); slash != std::string::npos) url = url.substr(0, slash);
  if (!url.empty() && url.front() == '[') {
    auto close = url.find(']');
    c.host = url.substr(1, close - 1);
    c.port = close + 2 <= url.size() ? url.substr(close + 2) : "443";
  } else if (auto colon = url.rfind(':'); colon != std::string::npos) {
    c.host = url.substr(0, colon);
    c.port = url.substr(colon + 1);
  } else {
    c.host = url;
    c.port = "443";
  }
  c.insecure = o.insecure;
  c.ca_file = o.ca;
  if (c.ca_file.empty() && !c.insecure) {
    auto dev = o.data_dir / "tls" / "dev-cert.pem";
    if (fs::exists(dev)) c.ca_file = dev.string();
  }
  return c;
}

int cmd_status(const Options& o, std::ostream& out, std::ostream& err) {
  client::HttpsClient client(client_options(o));
  auto health = client.request(boost::beast::http::verb::get, "/healthz");
  auto ready = client.request(boost::beast::http::verb::get, "/readyz");
  out << "healthz: " << health.status << "\nreadyz:  " << ready.status << "\n";
  if (ready.status != 200) {
    try {
      err << "not ready: " << nlohmann::json::parse(ready.body).value("detail", "") << "\n";
    } catch (const std::exception&) {
    }
  }
  return health.status == 200 && ready.status == 200 ? 0 : 1;
}

int cmd_db(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.rest.size() != 2) {
    err << "usage: hubctl db status|start|stop\n";
    return 2;
  }
  pg::EmbeddedPostgres db(o.data_dir / "postgres", "");
  const std::string& action = o.rest[1];
  if (action == "status") {
    bool up = db.running();
    out << "embedded database in " << db.data_directory().string() << ": "
        << (up ? "running" : "stopped") << "\n";
    return up ? 0 : 3;
  }
  if (action == "start") {
    db.start();
    db.detach();  // leave it running after hubctl exits
    out << "started\n";
    return 0;
  }
  if (action == "stop") {
    db.stop();
    out << "stopped\n";
    return 0;
  }
  err << "unknown db action '" << action << "'\n";
  return 2;
}

}  // namespace

int hubctl_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options o;
  o.url = env_or("HUB_URL", "https://localhost:8443");
  o.ca = env_or("HUB_CA", "");
  o.data_dir = env_or("HUB_DATA_DIR", "data");
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::runtime_error(a + " needs a value");
      return args[++i];
    };
    if (a == "--url") {
      o.url = value();
    } else if (a == "--ca") {
      o.ca = value();
    } else if (a == "--insecure") {
      o.insecure = true;
    } else if (a == "--data-dir") {
      o.data_dir = value();
    } else if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else {
      o.rest.push_back(a);
    }
  }
  if (o.rest.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string& command = o.rest.front();
  try {
    if (command == "version") {
      out << "hubctl " << HUB_VERSION << "\n";
      return 0;
    }
    if (command == "status") return cmd_status(o, out, err);
    if (command == "db") return cmd_db(o, out, err);
  } catch (const std::exception& e) {
    err << "hubctl: " << e.what() << "\n";
    return 1;
  }
  err << "hubctl: unknown command '" << command << "'\n" << kUsage;
  return 2;
}

}  // namespace hub::cli
