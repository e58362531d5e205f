// ProxyTrust (net/proxy_trust.h): which peers may name the client in X-Forwarded-For, and
// which hop is the client.
#include "net/proxy_trust.h"

#include <gtest/gtest.h>

namespace scimd::net {
namespace {

TEST(ProxyTrustTest, AddressesAndNetworks) {
  auto trust = ProxyTrust::Parse({"127.0.0.1", "10.0.0.0/8", "fd00::/8", "192.168.1.0/25"});
  ASSERT_TRUE(trust.ok()) << trust.status().ToString();
  EXPECT_TRUE(trust->Trusts("127.0.0.1"));
  EXPECT_FALSE(trust->Trusts("127.0.0.2"));
  EXPECT_TRUE(trust->Trusts("10.200.3.4"));
  EXPECT_FALSE(trust->Trusts("11.0.0.1"));
  EXPECT_TRUE(trust->Trusts("fd12::1"));
  EXPECT_FALSE(trust->Trusts("fe80::1"));
  EXPECT_TRUE(trust->Trusts("192.168.1.127"));
  EXPECT_FALSE(trust->Trusts("192.168.1.128"));   // /25
  EXPECT_TRUE(trust->Trusts("::ffff:10.1.2.3"));  // IPv4-mapped is the IPv4 address
  EXPECT_FALSE(trust->Trusts("not an address"));
  EXPECT_FALSE(ProxyTrust().Trusts("127.0.0.1"));
}

TEST(ProxyTrustTest, BadEntriesAreRefused) {
  EXPECT_FALSE(ProxyTrust::Parse({"proxy.example.com"}).ok());
  EXPECT_FALSE(ProxyTrust::Parse({"10.0.0.0/33"}).ok());
  EXPECT_FALSE(ProxyTrust::Parse({"10.0.0.0/"}).ok());
  EXPECT_FALSE(ProxyTrust::Parse({"10.0.0.0/8x"}).ok());
}

TEST(ProxyTrustTest, TheClientIsTheRightMostHopThatIsNotOurs) {
  auto trust = ProxyTrust::Parse({"127.0.0.1", "10.0.0.0/8"});
  ASSERT_TRUE(trust.ok());
  // From a trusted proxy: the hop it saw.
  EXPECT_EQ(trust->ClientOf("127.0.0.1", "203.0.113.5"), "203.0.113.5");
  // A client that sends its own header: only the right-most untrusted hop counts.
  EXPECT_EQ(trust->ClientOf("127.0.0.1", "1.2.3.4, 203.0.113.5"), "203.0.113.5");
  // Through two of our proxies.
  EXPECT_EQ(trust->ClientOf("127.0.0.1", "203.0.113.5, 10.1.1.1"), "203.0.113.5");
  EXPECT_EQ(trust->ClientOf("127.0.0.1", " 203.0.113.5 ,10.1.1.1 "), "203.0.113.5");
  // Nothing usable: the peer.
  EXPECT_EQ(trust->ClientOf("127.0.0.1", ""), "127.0.0.1");
  EXPECT_EQ(trust->ClientOf("127.0.0.1", "10.2.2.2"), "127.0.0.1");
  EXPECT_EQ(trust->ClientOf("127.0.0.1", "garbage"), "127.0.0.1");
  // From a peer that is not trusted, the header is ignored.
  EXPECT_EQ(trust->ClientOf("198.51.100.9", "203.0.113.5"), "198.51.100.9");
}

}  // namespace
}  // namespace scimd::net
