// hubctl db: the embedded database under the data dir, offline (pg::EmbeddedPostgres).
#include <ostream>

#include "command.hpp"
#include "hub/store/embedded_pg.hpp"
#include "hub/store/migrations.hpp"
#include "hub/store/pg.hpp"

namespace hub::cli {

int cmd_db(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.rest.size() == 2 && o.rest[1] == "migrate") {
    // The schema, with the code hubd runs at start-up (pg::migrate under its advisory lock), for
    // an operator who migrates before rolling nodes out: --database-url, else
    // HUB_MIGRATE_DATABASE_URL, else HUB_DATABASE_URL, else the embedded database's owner.
    std::string conninfo = o.flag("database-url", false);
    if (conninfo.empty()) conninfo = env_or("HUB_MIGRATE_DATABASE_URL", "");
    if (conninfo.empty()) conninfo = env_or("HUB_DATABASE_URL", "");
    if (conninfo.empty()) {
      pg::EmbeddedPostgres embedded(o.data_dir / "postgres", "");
      if (!embedded.running()) {
        err << "hubctl: no database: give --database-url, set HUB_DATABASE_URL, or start the "
               "embedded one (hubctl db start)\n";
        return 2;
      }
      conninfo = embedded.owner_conninfo();
    }
    auto conn = pg::connect_blocking(conninfo, 10);
    const int applied = pg::migrate(conn.get(), pg::embedded_migrations());
    out << applied << " migration(s) applied; the schema is at version "
        << pg::latest_migration_version() << "\n";
    return 0;
  }
  if (o.rest.size() != 2) {
    err << "usage: hubctl db status|start|stop|migrate\n";
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
