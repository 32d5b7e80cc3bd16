// An interface service's base_url, as a provider registers it: refused with a reason or taken
// apart into a host, port and path that the strict rules allow; and what is taken apart reads
// back the same when written again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hub/gateway/upstream_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  std::string why;
  const auto up = hub::gateway::parse_base_url(url, why);
  if (!up) {
    if (why.empty()) __builtin_trap();  // a refusal always says why
    return 0;
  }
  if (url.size() > 2000 || up->host.empty() || up->port == 0) __builtin_trap();
  for (char c : up->host) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':';
    if (!ok) __builtin_trap();
  }
  for (char c : up->base_path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '?' || c == '#' || c == '@' || c == '\\') __builtin_trap();
  }
  if (!up->base_path.empty() && (up->base_path.front() != '/' || up->base_path.back() == '/' ||
                                 up->base_path.find("//") != std::string::npos ||
                                 up->base_path.find("/./") != std::string::npos ||
                                 up->base_path.find("/../") != std::string::npos)) {
    __builtin_trap();
  }
  // key() + base_path is a base_url again (when the port it adds keeps it within 2000
  // characters), and it reads back the same.
  const std::string again = up->key() + up->base_path;
  if (again.size() > 2000) return 0;
  std::string why2;
  const auto back = hub::gateway::parse_base_url(again, why2);
  if (!back || back->host != up->host || back->port != up->port || back->tls != up->tls ||
      back->base_path != up->base_path || back->key() != up->key()) {
    __builtin_trap();
  }
  return 0;
}
