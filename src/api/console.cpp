#include "hub/api/console.hpp"

#include <zlib.h>

#include <fstream>
#include <sstream>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"

#include <openssl/evp.h>

namespace hub::api {

using boost::asio::awaitable;
using http::Access;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;

namespace {

std::string content_type_of(const std::filesystem::path& p) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  auto it = types.find(p.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

std::string gzip(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), n));
}

// The console's own rules for the browser: its scripts and styles only (no inline script or
// style: the charts draw their tooltips into the canvas), nothing framed, no referrer.
constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

}  // namespace

ConsoleSite ConsoleSite::load(const std::filesystem::path& dir) {
  ConsoleSite site;
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return site;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    File f;
    f.body = bytes.str();
    f.content_type = content_type_of(entry.path());
    f.etag = "\"" + sha256_hex(f.body).substr(0, 32) + "\"";
    const bool text = f.content_type.starts_with("text/") || f.content_type == "application/json" ||
                      f.content_type == "image/svg+xml";
    if (text && f.body.size() > 1024) {
      std::string z = gzip(f.body);
      if (!z.empty() && z.size() < f.body.size()) f.gzipped = std::move(z);
    }
    site.files_.emplace(entry.path().lexically_relative(dir).generic_string(), std::move(f));
  }
  return site;
}

const ConsoleSite::File* ConsoleSite::find(const std::string& path) const {
  auto it = files_.find(path.empty() ? std::string("index.html") : path);
  return it == files_.end() ? nullptr : &it->second;
}

void register_console_routes(http::Router& router, const ConsoleSite& site) {
  router.add(Verb::get, "/console", Access::anyone(), [](Request&) -> awaitable<Response> {
    Response res = Response::text(Status::moved_permanently, "", "text/plain; charset=utf-8");
    res.headers.emplace_back("Location", "/console/");
    co_return res;
  });
  router.add(Verb::get, "/console/{path*}", Access::anyone(),
             [&site](Request& req) -> awaitable<Response> {
               if (site.empty()) {
                 throw ApiError(ErrorCode::not_found,
                                "the console is not installed on this hub (see console_dir)");
               }
               const std::string path(req.param("path"));
               const ConsoleSite::File* f = site.find(path);
               if (f == nullptr) throw ApiError(ErrorCode::not_found, "no such console file");
               Response res;
               res.content_type = f->content_type;
               res.headers.emplace_back("ETag", f->etag);
               // Vite names built assets by their content: they never change under a name.
               res.headers.emplace_back("Cache-Control", path.starts_with("assets/")
                                                             ? "public, max-age=31536000, immutable"
                                                             : "no-cache");
               res.headers.emplace_back("Content-Security-Policy", kCsp);
               res.headers.emplace_back("X-Frame-Options", "DENY");
               res.headers.emplace_back("Referrer-Policy", "no-referrer");
               res.headers.emplace_back("Vary", "Accept-Encoding");
               if (req.header("If-None-Match") == f->etag) {
                 res.status = Status::not_modified;
                 co_return res;
               }
               res.status = Status::ok;
               if (!f->gzipped.empty() &&
                   req.header("Accept-Encoding").find("gzip") != std::string_view::npos) {
                 res.headers.emplace_back("Content-Encoding", "gzip");
                 res.body = f->gzipped;
               } else {
                 res.body = f->body;
               }
               co_return res;
             });
}

}  // namespace hub::api
