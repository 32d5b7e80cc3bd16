#include "hub/gateway/upstream_policy.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace hub::gateway {

namespace ip = boost::asio::ip;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  });
  return out;
}

// A DNS name or literal compared as the hub compares hosts: lower case, one trailing dot dropped,
// an IPv6 literal without its brackets.
std::string normal_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return lower(host);
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

UpstreamPolicy::HostPattern parse_pattern(const std::string& entry) {
  auto bad = [&](const char* why) -> UpstreamPolicy::HostPattern {
    throw std::invalid_argument("services.allowed_hosts: '" + entry + "' " + why);
  };
  std::string_view text = entry;
  UpstreamPolicy::HostPattern p;
  std::string_view host = text;
  if (!text.empty() && text.front() == '[') {  // [v6]:port
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad("has no closing ]");
    host = text.substr(0, close + 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || !(p.port = parse_port(rest.substr(1))))
        return bad("has a bad port");
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) return bad("is an IPv6 address without [brackets]");
    host = text.substr(0, colon);
    if (!(p.port = parse_port(text.substr(colon + 1)))) return bad("has a bad port");
  }
  if (host.starts_with("*.")) {
    p.wildcard = true;
    host.remove_prefix(2);
  }
  p.host = normal_host(host);
  if (p.host.empty() || p.host.find('*') != std::string::npos ||
      p.host.find('/') != std::string::npos) {
    return bad("is not a host, host:port or *.domain pattern");
  }
  return p;
}

UpstreamPolicy::Network parse_network(const std::string& entry) {
  boost::system::error_code ec;
  std::string text = entry;
  if (text.find('/') == std::string::npos) {  // a single address
    const auto a = ip::make_address(text, ec);
    if (!ec) text += a.is_v4() ? "/32" : "/128";
  }
  if (text.find(':') == std::string::npos) {
    auto n = ip::make_network_v4(text, ec);
    if (!ec) return n;
  } else {
    auto n = ip::make_network_v6(text, ec);
    if (!ec) return n;
  }
  throw std::invalid_argument("services.allowed_addresses: '" + entry +
                              "' is not an address or CIDR");
}

bool in_v4(const ip::address_v4& a, const char* cidr) {
  const auto n = ip::make_network_v4(cidr);
  return (a.to_uint() & n.netmask().to_uint()) == n.network().to_uint();
}

bool in_v6(const ip::address_v6& a, const ip::address_v6& prefix, unsigned bits) {
  const auto x = a.to_bytes(), p = prefix.to_bytes();
  for (unsigned i = 0; i < bits; ++i) {
    const unsigned byte = i / 8, bit = 7 - i % 8;
    if (((x[byte] >> bit) & 1) != ((p[byte] >> bit) & 1)) return false;
  }
  return true;
}

}  // namespace

UpstreamPolicy::UpstreamPolicy(const std::vector<std::string>& allowed_hosts,
                               const std::vector<std::string>& allowed_addresses) {
  for (const auto& h : allowed_hosts) hosts_.push_back(parse_pattern(h));
  for (const auto& a : allowed_addresses) networks_.push_back(parse_network(a));
}

bool UpstreamPolicy::allows_host(std::string_view host_text, std::uint16_t port) const {
  const std::string host = normal_host(host_text);
  if (host.empty()) return false;
  for (const auto& p : hosts_) {
    if (p.port && *p.port != port) continue;
    if (!p.wildcard && host == p.host) return true;
    if (p.wildcard && host.size() > p.host.size() + 1 && host.ends_with(p.host) &&
        host[host.size() - p.host.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

bool UpstreamPolicy::in_allowed_networks(const ip::address& address) const {
  for (const auto& n : networks_) {
    if (const auto* v4 = std::get_if<ip::network_v4>(&n)) {
      if (address.is_v4() &&
          (address.to_v4().to_uint() & v4->netmask().to_uint()) == v4->network().to_uint()) {
        return true;
      }
    } else {
      const auto& v6 = std::get<ip::network_v6>(n);
      if (address.is_v6() && in_v6(address.to_v6(), v6.network(), v6.prefix_length())) return true;
    }
  }
  return false;
}

bool UpstreamPolicy::is_internal(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return is_internal(ip::make_address_v4(ip::v4_mapped, address.to_v6()));
  }
  if (address.is_v4()) {
    const auto a = address.to_v4();
    for (const char* cidr : {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
                             "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3"}) {
      if (in_v4(a, cidr)) return true;  // 224/3: multicast, reserved and broadcast
    }
    return false;
  }
  const auto a = address.to_v6();
  if (in_v6(a, ip::make_address_v6("64:ff9b::"), 96)) {  // NAT64: judge the IPv4 inside
    const auto b = a.to_bytes();
    return is_internal(ip::address_v4(ip::address_v4::bytes_type{b[12], b[13], b[14], b[15]}));
  }
  if (a.is_loopback() || a.is_unspecified() || a.is_multicast()) return true;
  return in_v6(a, ip::make_address_v6("fe80::"), 10) ||  // link-local
         in_v6(a, ip::make_address_v6("fec0::"), 10) ||  // site-local (deprecated)
         in_v6(a, ip::make_address_v6("fc00::"), 7) ||   // unique local
         in_v6(a, ip::make_address_v6("::"), 96);        // IPv4-compatible (deprecated)
}

bool UpstreamPolicy::allows_address(std::string_view host_text, const ip::address& address) const {
  if (in_allowed_networks(address)) return true;
  if (!is_internal(address)) return true;
  // An internal address only for a host listed by itself (not through a wildcard): the name an
  // operator wrote down, or the literal address.
  const std::string host = normal_host(host_text);
  for (const auto& p : hosts_) {
    if (!p.wildcard && p.host == host) return true;
  }
  return false;
}

}  // namespace hub::gateway
