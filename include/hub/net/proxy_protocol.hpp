#pragma once

// The PROXY protocol, version 2 (HAProxy's proxy-protocol.txt, section 2.2): a load balancer that
// passes TCP through (HAProxy `mode tcp` with `send-proxy-v2`) sends it first on each connection,
// to say which client the connection is for. Only a connection from a configured trusted proxy
// may carry it (limits.trusted_proxies); from anyone else it would be a forged address.

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

namespace hub::net {

// The fixed part: the 12-byte signature, version and command, family, and the length of what
// follows.
inline constexpr std::size_t kProxyFixedBytes = 16;
// The longest header accepted: the addresses (216 bytes for AF_UNIX) and some TLVs.
inline constexpr std::size_t kProxyMaxBytes = kProxyFixedBytes + 1024;

struct ProxyHeader {
  // The client's address, when the proxy says it (command PROXY over TCP/IPv4 or IPv6). Empty for
  // command LOCAL (the proxy's own connection: its health checks) and for other families.
  std::optional<boost::asio::ip::address> source;
};

// The whole header's length (fixed part included) from its first kProxyFixedBytes bytes, or
// nullopt when they are not a version 2 header or announce more than kProxyMaxBytes.
std::optional<std::size_t> proxy_header_length(std::string_view fixed);

// Parses a whole header of exactly proxy_header_length() bytes. nullopt when it is malformed: an
// unknown command, or an address block shorter than its family needs.
std::optional<ProxyHeader> parse_proxy_header(std::string_view header);

}  // namespace hub::net
