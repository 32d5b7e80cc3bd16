// The PROXY protocol v2 header a trusted load balancer sends before TLS (docs/operations.md).
#include "hub/net/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hub::net {
namespace {

const std::string kSig("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);

std::string header(char ver_cmd, char family, const std::string& block) {
  std::string h = kSig;
  h.push_back(ver_cmd);
  h.push_back(family);
  h.push_back(static_cast<char>(block.size() >> 8));
  h.push_back(static_cast<char>(block.size() & 0xff));
  return h + block;
}

const std::string kV4Block("\xCB\x00\x71\x07\x7F\x00\x00\x01\xC3\x50\x20\xFB", 12);

TEST(ProxyProtocol, AnIpv4ClientIsTakenFromAProxyCommand) {
  const auto h = header('\x21', '\x11', kV4Block);
  ASSERT_EQ(proxy_header_length(h.substr(0, 16)), h.size());
  auto parsed = parse_proxy_header(h);
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(parsed->source);
  EXPECT_EQ(parsed->source->to_string(), "203.0.113.7");
}

TEST(ProxyProtocol, Ipv6AndV4MappedAddressesAndTlvs) {
  std::string block(36, '\0');
  block[0] = '\x20';
  block[1] = '\x01';
  block[2] = '\x0d';
  block[3] = '\xb8';
  block[15] = '\x09';
  auto parsed = parse_proxy_header(header('\x21', '\x21', block));
  ASSERT_TRUE(parsed && parsed->source);
  EXPECT_EQ(parsed->source->to_string(), "2001:db8::9");
  std::string mapped(36, '\0');
  mapped[10] = mapped[11] = '\xff';
  mapped[12] = '\xc6';
  mapped[13] = '\x33';
  mapped[14] = '\x64';
  mapped[15] = '\x09';
  parsed = parse_proxy_header(header('\x21', '\x21', mapped + std::string("\x05\x00\x02id", 5)));
  ASSERT_TRUE(parsed && parsed->source);
  EXPECT_EQ(parsed->source->to_string(), "198.51.100.9") << "counted as the IPv4 client";
}

TEST(ProxyProtocol, LocalAndNonTcpCarryNoClient) {
  auto local = parse_proxy_header(header('\x20', '\x00', ""));
  ASSERT_TRUE(local);
  EXPECT_FALSE(local->source);
  auto udp = parse_proxy_header(header('\x21', '\x12', kV4Block));
  ASSERT_TRUE(udp);
  EXPECT_FALSE(udp->source);
  auto unix_socket = parse_proxy_header(header('\x21', '\x31', std::string(216, 'x')));
  ASSERT_TRUE(unix_socket);
  EXPECT_FALSE(unix_socket->source);
}

TEST(ProxyProtocol, AnythingElseIsRefused) {
  EXPECT_FALSE(proxy_header_length("PROXY TCP4 203.0.113.7 127.0.0.1 50000 8443\r\n"))
      << "version 1 (text) is not accepted";
  EXPECT_FALSE(proxy_header_length(header('\x11', '\x11', kV4Block))) << "version 1 in binary";
  EXPECT_FALSE(proxy_header_length(kSig + "\x21\x11")) << "short";
  EXPECT_FALSE(parse_proxy_header(header('\x22', '\x11', kV4Block))) << "an unknown command";
  EXPECT_FALSE(parse_proxy_header(header('\x21', '\x11', kV4Block.substr(0, 8))))
      << "an address block shorter than its family needs";
  EXPECT_FALSE(parse_proxy_header(header('\x21', '\x21', kV4Block)));
  EXPECT_FALSE(parse_proxy_header(header('\x21', '\x31', std::string(100, 'x'))));
  EXPECT_FALSE(proxy_header_length(header('\x21', '\x11', std::string(1025, 'x'))))
      << "longer than the hub takes";
  EXPECT_TRUE(proxy_header_length(header('\x21', '\x11', std::string(1024, 'x'))));
  const auto h = header('\x21', '\x11', kV4Block);
  EXPECT_FALSE(parse_proxy_header(h + "x")) << "only exactly the announced length";
  EXPECT_FALSE(parse_proxy_header(h.substr(0, h.size() - 1)));
}

}  // namespace
}  // namespace hub::net
