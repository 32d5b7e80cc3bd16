#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "hub/http/router.hpp"

namespace hub::api {

// The web console's built files (console/, built by npm at build time), read into memory once at
// start-up and served at /console/: the files are few and small, and a request never touches
// the disk or a path a client chose. Text files are gzipped once, for clients that take it.
class ConsoleSite {
 public:
  struct File {
    std::string body;
    std::string gzipped;  // empty when not worth it
    std::string content_type;
    std::string etag;
  };

  // Loads every regular file under `dir`; an empty or missing dir gives an empty site (hubd then
  // answers /console/ with 404 and says why in its log).
  static ConsoleSite load(const std::filesystem::path& dir);

  bool empty() const { return files_.empty(); }
  std::size_t size() const { return files_.size(); }
  const File* find(const std::string& path) const;

 private:
  std::map<std::string, File, std::less<>> files_;
};

// GET /console (redirects to /console/) and GET /console/{path*} ("" is index.html).
void register_console_routes(http::Router& router, const ConsoleSite& site);

}  // namespace hub::api
