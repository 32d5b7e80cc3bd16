#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hub::gateway {

// Where the hub may send a call of an interface service (API.md Part 2, "Interface services"):
// the SSRF rules, as data and pure functions, so that registration (a base_url) and every
// connect (the addresses a name resolved to, at that moment) ask the same questions.
//
// - An upstream host must match `services.allowed_hosts`: "host", "host:port", "*.domain" or
//   "*.domain:port" (a wildcard matches one or more labels under the domain, never the domain
//   itself); no port in a pattern allows any port. Empty: nothing is allowed.
// - At connect time each resolved address must be allowed: an address in
//   `services.allowed_addresses` (CIDRs) always is; otherwise loopback, link-local, private
//   (RFC 1918, 100.64/10, fc00::/7), unspecified, multicast and reserved addresses, and the
//   IPv4-mapped and NAT64 forms of those, are refused unless the host itself is listed in
//   allowed_hosts (its name or literal address; a wildcard is not enough).
class UpstreamPolicy {
 public:
  struct HostPattern {
    std::string host;  // lower-case; for a wildcard, the domain without "*."
    bool wildcard = false;
    std::optional<std::uint16_t> port;
  };
  using Network = std::variant<boost::asio::ip::network_v4, boost::asio::ip::network_v6>;

  // Throws std::invalid_argument naming the bad entry.
  UpstreamPolicy(const std::vector<std::string>& allowed_hosts,
                 const std::vector<std::string>& allowed_addresses);

  // Is `host` (a DNS name or a literal address, any case) on `port` an allowed upstream?
  bool allows_host(std::string_view host, std::uint16_t port) const;
  // May a connection to `host` go to `address`, one of the addresses the host resolved to now?
  bool allows_address(std::string_view host, const boost::asio::ip::address& address) const;

  // Loopback, link-local, private, unspecified or multicast (IPv4-mapped IPv6 looked through).
  static bool is_internal(const boost::asio::ip::address& address);

 private:
  bool in_allowed_networks(const boost::asio::ip::address& address) const;

  std::vector<HostPattern> hosts_;
  std::vector<Network> networks_;
};

}  // namespace hub::gateway
