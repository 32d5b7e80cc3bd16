// hubctl status and version: is the hub up and ready, and which hubctl is this.
#include <ostream>

#include "command.hpp"

namespace hub::cli {

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

int cmd_version(const Options&, std::ostream& out, std::ostream&) {
  out << "hubctl " << HUB_VERSION << "\n";
  return 0;
}

}  // namespace hub::cli
