// The interface services' SSRF rules (API.md Part 2): which upstream hosts and which resolved
// addresses the hub may call.
#include <gtest/gtest.h>

#include "hub/gateway/upstream_policy.hpp"

namespace {

using boost::asio::ip::make_address;
using hub::gateway::UpstreamPolicy;

TEST(UpstreamPolicy, HostsMatchNamesWildcardsAndPorts) {
  const UpstreamPolicy p({"api.gzga.gov.cn", "*.gdgz.csg.cn:8443", "[fd00::5]:443", "10.1.2.3"},
                         {});
  EXPECT_TRUE(p.allows_host("api.gzga.gov.cn", 443));
  EXPECT_TRUE(p.allows_host("API.GZGA.gov.cn.", 8080));      // any case, a trailing dot, any port
  EXPECT_FALSE(p.allows_host("evil.api.gzga.gov.cn", 443));  // a name is not a wildcard
  EXPECT_FALSE(p.allows_host("api.gzga.gov.cn.evil.com", 443));
  EXPECT_TRUE(p.allows_host("svc.gdgz.csg.cn", 8443));
  EXPECT_TRUE(p.allows_host("a.b.gdgz.csg.cn", 8443));
  EXPECT_FALSE(p.allows_host("svc.gdgz.csg.cn", 443));  // the port is part of the pattern
  EXPECT_FALSE(p.allows_host("gdgz.csg.cn", 8443));     // a wildcard is not its domain
  EXPECT_FALSE(p.allows_host("xgdgz.csg.cn", 8443));    // nor a name ending like it
  EXPECT_TRUE(p.allows_host("[fd00::5]", 443));
  EXPECT_TRUE(p.allows_host("FD00::5", 443));
  EXPECT_TRUE(p.allows_host("10.1.2.3", 443));
  EXPECT_FALSE(p.allows_host("", 443));
  EXPECT_FALSE(UpstreamPolicy({}, {}).allows_host("api.gzga.gov.cn", 443));  // default: none
}

TEST(UpstreamPolicy, BadEntriesAreRefusedByName) {
  for (const char* bad :
       {"", "*.", "a:b", "a:0", "a:70000", "fd00::1", "[fd00::1", "x/y", "*.*.com", "a*b.com"}) {
    EXPECT_THROW(UpstreamPolicy({bad}, {}), std::invalid_argument) << bad;
  }
  EXPECT_THROW(UpstreamPolicy({}, {"10.0.0.0/33"}), std::invalid_argument);
  EXPECT_THROW(UpstreamPolicy({}, {"intranet"}), std::invalid_argument);
  EXPECT_NO_THROW(UpstreamPolicy({}, {"10.20.0.0/16", "fd00::/8", "192.0.2.7", "2001:db8::1"}));
}

TEST(UpstreamPolicy, InternalAddressesAreKnown) {
  for (const char* a : {"127.0.0.1", "10.9.8.7", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                        "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
                        "::1", "::", "fe80::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
                        "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "::127.0.0.1"}) {
    EXPECT_TRUE(UpstreamPolicy::is_internal(make_address(a))) << a;
  }
  for (const char* a : {"8.8.8.8", "172.32.0.1", "192.169.0.1", "100.128.0.1", "2001:4860::8888",
                        "::ffff:8.8.8.8", "64:ff9b::808:808"}) {
    EXPECT_FALSE(UpstreamPolicy::is_internal(make_address(a))) << a;
  }
}

TEST(UpstreamPolicy, ANameMayNotResolveInsideUnlessListed) {
  const UpstreamPolicy p({"*.gov.cn", "intranet.gzsc.gov.cn", "10.1.2.3"}, {"10.20.0.0/16"});
  // A wildcard match resolving to the cloud metadata address or loopback: refused at connect.
  EXPECT_FALSE(p.allows_address("x.gov.cn", make_address("169.254.169.254")));
  EXPECT_FALSE(p.allows_address("x.gov.cn", make_address("127.0.0.1")));
  EXPECT_FALSE(p.allows_address("x.gov.cn", make_address("::ffff:10.0.0.1")));
  EXPECT_TRUE(p.allows_address("x.gov.cn", make_address("203.0.113.9")));
  // The allowed networks, whoever resolves there.
  EXPECT_TRUE(p.allows_address("x.gov.cn", make_address("10.20.3.4")));
  EXPECT_FALSE(p.allows_address("x.gov.cn", make_address("10.21.3.4")));
  // A host listed by itself may be internal: the operator named it.
  EXPECT_TRUE(p.allows_address("intranet.gzsc.gov.cn", make_address("10.5.5.5")));
  EXPECT_TRUE(p.allows_address("10.1.2.3", make_address("10.1.2.3")));
}

}  // namespace
