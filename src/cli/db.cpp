// hubctl db: the embedded database under the data dir, offline (pg::EmbeddedPostgres).
#include <ostream>

#include "command.hpp"
#include "hub/store/embedded_pg.hpp"

namespace hub::cli {

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

}  // namespace hub::cli
