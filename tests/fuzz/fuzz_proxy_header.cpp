// A PROXY protocol v2 header, as the bytes a trusted load balancer (or anything on its address)
// sends first: the announced length is bounded, a header is parsed only at exactly that length,
// and an address comes out only for command PROXY over TCP, never from a header that is cut
// short.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hub/net/proxy_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto length = hub::net::proxy_header_length(bytes);
  if (length) {
    if (*length < hub::net::kProxyFixedBytes || *length > hub::net::kProxyMaxBytes) {
      __builtin_trap();
    }
    if (bytes.size() >= *length) {
      const auto header = hub::net::parse_proxy_header(bytes.substr(0, *length));
      if (header && header->source && (bytes[12] & 0x0F) != 0x1) __builtin_trap();
    }
  }
  // A header of any other length than it announces is refused.
  const auto whole = hub::net::parse_proxy_header(bytes);
  if (whole && (!length || *length != size)) __builtin_trap();
  return 0;
}
