// What every command group shares: the environment, the HTTPS client of the public API, CSV
// and file helpers.
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "command.hpp"

namespace hub::cli {

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

Api::Api(const Options& o) : client_(client_options(o)), token_(o.token) {
  if (token_.empty()) {
    throw std::runtime_error("no token: set HUB_TOKEN or HUB_TOKEN_FILE, or pass --token-file");
  }
}

client::ClientResponse Api::raw(verb method, const std::string& target,
                                const nlohmann::json& body) {
  return client_.request(method, target, body.is_null() ? std::string() : body.dump(),
                         {{"Authorization", "Bearer " + token_}});
}

client::ClientResponse Api::send(verb method, const std::string& target, std::string body,
                                 const std::string& content_type) {
  return client_.request(method, target, std::move(body),
                         {{"Authorization", "Bearer " + token_}, {"Content-Type", content_type}});
}

nlohmann::json Api::call(verb method, const std::string& target, const nlohmann::json& body) {
  auto r = raw(method, target, body);
  if (r.status >= 400) throw std::runtime_error(describe(r));
  return r.body.empty() ? nlohmann::json() : nlohmann::json::parse(r.body);
}

void Api::each(const std::string& target, const std::function<void(nlohmann::json&)>& fn) {
  std::string cursor;
  const char sep = target.find('?') == std::string::npos ? '?' : '&';
  do {
    auto page =
        call(verb::get, target + sep + "limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor));
    for (auto& item : page["items"]) fn(item);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
  } while (!cursor.empty());
}

std::vector<nlohmann::json> Api::all(const std::string& target) {
  std::vector<nlohmann::json> items;
  each(target, [&](nlohmann::json& item) { items.push_back(std::move(item)); });
  return items;
}

std::string Api::describe(const client::ClientResponse& r) {
  std::string out = "HTTP " + std::to_string(r.status);
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_object()) {
    out += " " + body.value("code", "") + ": " + body.value("detail", "");
    for (const auto& e : body.value("errors", nlohmann::json::array())) {
      out += "\n  " + e.value("field", "") + ": " + e.value("message", "");
    }
  }
  return out;
}
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// RFC 4180 CSV: quoted fields with "" escapes; a UTF-8 BOM at the start is dropped.
std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));
      row.clear();
    } else {
      field.push_back(c);
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

// Writes to -o FILE, or to `out` when there is none.
void write_output(const Options& o, std::ostream& out, const std::string& text) {
  const std::string file = o.flag("o", false);
  if (file.empty()) {
    out << text;
    return;
  }
  std::ofstream f(file, std::ios::binary | std::ios::trunc);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + file);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string with_flags(std::string target, const Options& o,
                       std::initializer_list<std::pair<std::string_view, std::string_view>> flags) {
  for (const auto& [flag, parameter] : flags) {
    const std::string value = o.flag(std::string(flag), false);
    if (value.empty()) continue;
    target += target.find('?') == std::string::npos ? '?' : '&';
    target += parameter;
    target += '=' + url_encode(value);
  }
  return target;
}

}  // namespace hub::cli
