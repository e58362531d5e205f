// AddressFilter: new connections from addresses told to wait are dropped by the kernel, not
// accepted and closed by a reactor. An address over its refused-input limit has been
// answered 429 with Retry-After (net/http_worker.cc); until that wait is over each new
// connection of it was still accepted and closed on a reactor, ~30 us of its core: a client
// flooding ~7,000 connections a second took a fifth of a core from everyone else
// (docs/RELIABILITY.md, "Hostile clients"). Here the listening sockets carry a classic BPF
// socket filter (SO_ATTACH_FILTER) that drops the packets of the blocked source addresses,
// IPv4 and IPv6, before a connection exists; the client's TCP resends its SYN after 1 s, 2 s,
// ..., so a flood turns into a trickle at no cost to the server. Detached when no address is
// blocked. An address that cannot be added (the list is full, or the filter cannot be set)
// is closed at accept as before. Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scimd::net {

class AddressFilter {
 public:
  using Clock = std::chrono::steady_clock;
  // Addresses of each family the filter holds at once (its program is ~2 instructions per
  // IPv4 address and ~9 per IPv6 one, run for every packet that reaches a listener).
  static constexpr size_t kMaxAddresses = 64;

  // A listening socket the filter is attached to from now on (its current filter replaced).
  void AddSocket(int fd);
  // No longer (before the socket is closed: its number may be reused).
  void RemoveSocket(int fd);
  // Drops new connections from `address` (text, as PeerAddress gives it) until `until` (a
  // later `until` extends a block). False when it is not dropped: not an IP address, the
  // list full, or the kernel refused the filter.
  bool Block(std::string_view address, Clock::time_point until);
  // Lifts the blocks that ended by `now`. Returns when the next one ends, if any is left.
  std::optional<Clock::time_point> Expire(Clock::time_point now);
  // Addresses blocked now.
  size_t blocked() const;

  // The filter program that drops packets from these addresses (network byte order) and
  // keeps every other one; an Instruction has struct sock_filter's layout.
  struct Instruction {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
  };
  static std::vector<Instruction> Program(const std::vector<std::array<uint8_t, 4>>& v4,
                                          const std::vector<std::array<uint8_t, 16>>& v6);

 private:
  struct Entry {
    bool v4 = true;
    std::array<uint8_t, 16> bytes{};  // the first 4 for IPv4
    Clock::time_point until;
  };
  // Attaches the program for entries_ to every socket (detaches it when there is none).
  // REQUIRES: mu_ held.
  bool Apply();

  mutable std::mutex mu_;
  std::vector<int> fds_;
  std::vector<Entry> entries_;
};

}  // namespace scimd::net
