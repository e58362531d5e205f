// AddressFilter (net/address_filter.h) on real listening sockets: connections from a
// blocked address are never established while the block lasts, others are, a connection
// made before the block goes on, and the block ends when Expire says so.
#include "net/address_filter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "tests/net/http_test_client.h"

namespace scimd::net {
namespace {

using namespace std::chrono_literals;
using testing::ConnectsWithin;
using Clock = AddressFilter::Clock;

// A listening socket on `host` (an IPv4 or IPv6 loopback literal), ephemeral port.
class Listener {
 public:
  explicit Listener(const std::string& host) {
    const bool v6 = host.find(':') != std::string::npos;
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    sockaddr_storage a{};
    socklen_t size = testing::SocketAddress(host, 0, v6, &a);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), size) != 0 ||
        ::listen(fd_, 64) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &size) != 0) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
      return;
    }
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port
                     : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  }
  ~Listener() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

TEST(AddressFilterTest, ABlockedIPv4AddressCannotConnectUntilTheBlockEnds) {
  Listener l("127.0.0.1");
  ASSERT_GE(l.fd(), 0);
  AddressFilter filter;
  filter.AddSocket(l.fd());
  // Connected before the block, and accepted: it goes on.
  testing::TestClient before(l.port(), 3s, "127.0.0.2");
  ASSERT_TRUE(before.connected());
  const int accepted = ::accept(l.fd(), nullptr, nullptr);
  ASSERT_GE(accepted, 0);

  const Clock::time_point t0 = Clock::now();
  ASSERT_TRUE(filter.Block("127.0.0.2", t0 + 1h));
  EXPECT_EQ(filter.blocked(), 1u);
  EXPECT_FALSE(ConnectsWithin("127.0.0.1", l.port(), "127.0.0.2", 300ms));
  EXPECT_TRUE(ConnectsWithin("127.0.0.1", l.port(), "127.0.0.3", 2s));
  EXPECT_TRUE(ConnectsWithin("127.0.0.1", l.port(), "127.0.0.1", 2s));
  ASSERT_TRUE(before.Send("ping"));
  char got[4] = {};
  EXPECT_EQ(::recv(accepted, got, sizeof(got), MSG_WAITALL), 4);
  EXPECT_EQ(std::string(got, 4), "ping");
  ::close(accepted);

  // A second address, blocked for less time; Expire lifts each at its end.
  ASSERT_TRUE(filter.Block("127.0.0.4", t0 + 10min));
  EXPECT_FALSE(ConnectsWithin("127.0.0.1", l.port(), "127.0.0.4", 300ms));
  EXPECT_EQ(filter.Expire(t0 + 5min), std::optional<Clock::time_point>(t0 + 10min));
  EXPECT_EQ(filter.Expire(t0 + 10min), std::optional<Clock::time_point>(t0 + 1h));
  EXPECT_EQ(filter.blocked(), 1u);
  EXPECT_TRUE(ConnectsWithin("127.0.0.1", l.port(), "127.0.0.4", 2s));
  EXPECT_FALSE(ConnectsWithin("127.0.0.1", l.port(), "127.0.0.2", 300ms));
  // Blocking again extends, never shortens.
  ASSERT_TRUE(filter.Block("127.0.0.2", t0 + 1min));
  EXPECT_EQ(filter.Expire(t0 + 2min), std::optional<Clock::time_point>(t0 + 1h));
  EXPECT_EQ(filter.Expire(t0 + 1h), std::nullopt);
  EXPECT_EQ(filter.blocked(), 0u);
  EXPECT_TRUE(ConnectsWithin("127.0.0.1", l.port(), "127.0.0.2", 2s));
}

TEST(AddressFilterTest, ABlockedIPv6AddressCannotConnectAndIPv4IsNotConfusedWithIt) {
  Listener l("::1");
  if (l.fd() < 0) GTEST_SKIP() << "no IPv6 loopback here";
  AddressFilter filter;
  filter.AddSocket(l.fd());
  ASSERT_TRUE(filter.Block("127.0.0.1", Clock::now() + 1h));  // another family: no effect
  EXPECT_TRUE(ConnectsWithin("::1", l.port(), "::1", 2s));
  ASSERT_TRUE(filter.Block("::1", Clock::now() + 1h));
  EXPECT_FALSE(ConnectsWithin("::1", l.port(), "::1", 300ms));
  EXPECT_EQ(filter.Expire(Clock::now() + 2h), std::nullopt);
  EXPECT_TRUE(ConnectsWithin("::1", l.port(), "::1", 2s));
}

TEST(AddressFilterTest, AnIPv6EntryBlocksOnlyItsOwnAddress) {
  Listener l("::1");
  if (l.fd() < 0) GTEST_SKIP() << "no IPv6 loopback here";
  AddressFilter filter;
  filter.AddSocket(l.fd());
  // Addresses that differ from ::1 in each of its four words, and a mapped IPv4 one.
  for (const char* other : {"1::1", "0:1::1", "::1:0:0:1", "::2", "::ffff:0.0.0.1"}) {
    ASSERT_TRUE(filter.Block(other, Clock::now() + 1h)) << other;
  }
  EXPECT_TRUE(ConnectsWithin("::1", l.port(), "::1", 2s));
  ASSERT_TRUE(filter.Block("::1", Clock::now() + 1h));
  EXPECT_FALSE(ConnectsWithin("::1", l.port(), "::1", 300ms));
}

// A dual-stack listener names an IPv4 client `::ffff:a.b.c.d`; its packets have an IPv4
// header, and the block must still hold.
TEST(AddressFilterTest, AMappedIPv4ClientOfADualStackListenerIsBlocked) {
  Listener l("::");
  if (l.fd() < 0) GTEST_SKIP() << "no IPv6 here";
  if (!ConnectsWithin("127.0.0.1", l.port(), "127.0.0.3", 2s)) GTEST_SKIP() << "not dual-stack";
  AddressFilter filter;
  filter.AddSocket(l.fd());
  ASSERT_TRUE(filter.Block("::ffff:127.0.0.2", Clock::now() + 1h));
  EXPECT_FALSE(ConnectsWithin("127.0.0.1", l.port(), "127.0.0.2", 300ms));
  EXPECT_TRUE(ConnectsWithin("127.0.0.1", l.port(), "127.0.0.3", 2s));
  EXPECT_TRUE(ConnectsWithin("::1", l.port(), "::1", 2s));
}

TEST(AddressFilterTest, WhatCannotBeBlockedIsSaid) {
  AddressFilter filter;
  EXPECT_FALSE(filter.Block("127.0.0.2", Clock::now() + 1h));  // no socket to filter yet
  Listener l("127.0.0.1");
  ASSERT_GE(l.fd(), 0);
  filter.AddSocket(l.fd());
  EXPECT_FALSE(filter.Block("not an address", Clock::now() + 1h));
  for (size_t i = 0; i < AddressFilter::kMaxAddresses; ++i) {
    ASSERT_TRUE(filter.Block("10.0.0." + std::to_string(i + 1), Clock::now() + 1h)) << i;
  }
  EXPECT_FALSE(filter.Block("10.0.1.1", Clock::now() + 1h));   // full: closed at accept instead
  for (size_t i = 0; i < AddressFilter::kMaxAddresses; ++i) {  // IPv6 has its own room
    ASSERT_TRUE(filter.Block("fd00::" + std::to_string(i + 1), Clock::now() + 1h)) << i;
  }
  EXPECT_FALSE(filter.Block("fd00::1:1", Clock::now() + 1h));
  // The largest program is taken, and lets everyone else in.
  EXPECT_EQ(filter.blocked(), 2 * AddressFilter::kMaxAddresses);
  EXPECT_TRUE(ConnectsWithin("127.0.0.1", l.port(), "127.0.0.1", 2s));
  filter.RemoveSocket(l.fd());
  EXPECT_FALSE(filter.Block("127.0.0.9", Clock::now() + 1h));
}

}  // namespace
}  // namespace scimd::net
