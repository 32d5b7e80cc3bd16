#include "hub/net/proxy_protocol.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace hub::net {

namespace {

constexpr char kSignature[12] = {'\x0D', '\x0A', '\x0D', '\x0A', '\x00', '\x0D',
                                 '\x0A', '\x51', '\x55', '\x49', '\x54', '\x0A'};

std::uint8_t byte_at(std::string_view s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }

}  // namespace

std::optional<std::size_t> proxy_header_length(std::string_view fixed) {
  if (fixed.size() < kProxyFixedBytes) return std::nullopt;
  if (std::memcmp(fixed.data(), kSignature, sizeof kSignature) != 0) return std::nullopt;
  if ((byte_at(fixed, 12) & 0xF0) != 0x20) return std::nullopt;  // version 2
  const std::size_t rest = (std::size_t{byte_at(fixed, 14)} << 8) | byte_at(fixed, 15);
  if (kProxyFixedBytes + rest > kProxyMaxBytes) return std::nullopt;
  return kProxyFixedBytes + rest;
}

std::optional<ProxyHeader> parse_proxy_header(std::string_view header) {
  const auto length = proxy_header_length(header);
  if (!length || *length != header.size()) return std::nullopt;
  const std::uint8_t command = byte_at(header, 12) & 0x0F;
  const std::uint8_t family = byte_at(header, 13) >> 4;
  const std::uint8_t transport = byte_at(header, 13) & 0x0F;
  const std::string_view block = header.substr(kProxyFixedBytes);
  ProxyHeader out;
  if (command == 0x0) return out;  // LOCAL: the proxy speaks for itself
  if (command != 0x1) return std::nullopt;
  if (transport != 0x1) return out;  // not a stream: no address of a TCP client to take
  if (family == 0x1) {               // AF_INET: src, dst, src port, dst port
    if (block.size() < 12) return std::nullopt;
    boost::asio::ip::address_v4::bytes_type b{};
    std::memcpy(b.data(), block.data(), b.size());
    out.source = boost::asio::ip::address_v4(b);
  } else if (family == 0x2) {  // AF_INET6
    if (block.size() < 36) return std::nullopt;
    boost::asio::ip::address_v6::bytes_type b{};
    std::memcpy(b.data(), block.data(), b.size());
    boost::asio::ip::address_v6 v6(b);
    if (v6.is_v4_mapped()) {
      out.source = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6);
    } else {
      out.source = v6;
    }
  } else if (family == 0x3) {  // AF_UNIX: no IP address to take
    if (block.size() < 216) return std::nullopt;
  }
  return out;
}

}  // namespace hub::net
