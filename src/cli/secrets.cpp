// hubctl secrets: the hub's shared secrets file (secrets.file, docs/operations.md).
#include <ostream>

#include "command.hpp"
#include "hub/members/secrets.hpp"

namespace hub::cli {

int cmd_secrets(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.rest.size() == 3 && o.rest[1] == "add") {
    const auto added = members::SecretsFile::add_missing(o.rest[2]);
    members::SecretsFile::load(o.rest[2]);
    if (added.empty()) {
      out << o.rest[2] << " has every secret already\n";
    } else {
      out << "added";
      for (const auto& name : added) out << " " << name;
      out << " to " << o.rest[2] << ": copy it to every node of the hub, then restart them\n";
    }
    return 0;
  }
  if (o.rest.size() != 3 || o.rest[1] != "init") {
    err << "usage: hubctl secrets init|add FILE\n";
    return 2;
  }
  members::SecretsFile::create(o.rest[2]);
  members::SecretsFile::load(o.rest[2]);  // reads back what it wrote
  out << "wrote " << o.rest[2]
      << " (mode 0600): give every node of the hub this file as secrets.file\n";
  return 0;
}

}  // namespace hub::cli
