// The interface services' SSRF rules: patterns and networks from configuration, then a host and
// a resolved address as a provider's registration and DNS would give them. Lines: the allowed
// hosts (comma-separated), the allowed addresses (comma-separated), the host, the address.
// Refused with std::invalid_argument or answered; and an IPv4 address and its IPv4-mapped IPv6
// form are always judged alike.
#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hub/core/text.hpp"
#include "hub/gateway/upstream_policy.hpp"

namespace {

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  while (out.size() < 4) {
    const auto nl = text.find('\n');
    out.emplace_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  out.resize(4);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ip = boost::asio::ip;
  const auto lines = lines_of(std::string_view(reinterpret_cast<const char*>(data), size));
  const auto hosts = lines[0].empty() ? std::vector<std::string>{} : hub::split_csv(lines[0]);
  const auto networks = lines[1].empty() ? std::vector<std::string>{} : hub::split_csv(lines[1]);
  try {
    const hub::gateway::UpstreamPolicy policy(hosts, networks);
    (void)policy.allows_host(lines[2], 443);
    boost::system::error_code ec;
    const auto address = ip::make_address(lines[3], ec);
    if (ec) return 0;
    const bool allowed = policy.allows_address(lines[2], address);
    if (address.is_v4()) {
      const auto mapped = ip::make_address_v6(ip::v4_mapped, address.to_v4());
      if (hub::gateway::UpstreamPolicy::is_internal(address) !=
          hub::gateway::UpstreamPolicy::is_internal(mapped)) {
        __builtin_trap();
      }
    }
    // Without allowed networks, an internal address passes only for a host listed by itself.
    if (networks.empty() && allowed && hub::gateway::UpstreamPolicy::is_internal(address) &&
        !policy.allows_host(lines[2], 443) && hosts.size() == 1 &&
        hosts[0].find(':') == std::string::npos) {
      __builtin_trap();
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
