#include "net/address_filter.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace scimd::net {

namespace {

static_assert(sizeof(AddressFilter::Instruction) == sizeof(sock_filter));
// The jump over the IPv4 block (a load, two instructions per address, a keep) is 8 bits.
static_assert(2 * AddressFilter::kMaxAddresses + 2 <= 255);

constexpr uint32_t kKeep = 0xffffffffu;  // the whole packet
constexpr uint32_t kDrop = 0;

AddressFilter::Instruction Stmt(uint16_t code, uint32_t k) { return {code, 0, 0, k}; }
AddressFilter::Instruction Jump(uint32_t k, uint8_t jt, uint8_t jf) {
  return {BPF_JMP | BPF_JEQ | BPF_K, jt, jf, k};
}
// A 32-bit word of the network header at `offset` (as the kernel loads it: host order of
// the big-endian bytes).
AddressFilter::Instruction LoadWord(uint32_t offset) {
  return Stmt(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(SKF_NET_OFF) + offset);
}
uint32_t Word(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

std::vector<AddressFilter::Instruction> AddressFilter::Program(
    const std::vector<std::array<uint8_t, 4>>& v4, const std::vector<std::array<uint8_t, 16>>& v6) {
  // Every jump is short and forward (classic BPF offsets are 8 bits): each address is
  // followed by its own "drop".
  std::vector<Instruction> v4_block;  // A = the source address
  v4_block.push_back(LoadWord(12));
  for (const auto& a : v4) {
    v4_block.push_back(Jump(Word(a.data()), 0, 1));
    v4_block.push_back(Stmt(BPF_RET | BPF_K, kDrop));
  }
  v4_block.push_back(Stmt(BPF_RET | BPF_K, kKeep));

  std::vector<Instruction> program;
  program.push_back(Stmt(BPF_LD | BPF_B | BPF_ABS, static_cast<uint32_t>(SKF_NET_OFF)));
  program.push_back(Stmt(BPF_ALU | BPF_RSH | BPF_K, 4));  // the IP version
  program.push_back(Jump(4, 0, static_cast<uint8_t>(v4_block.size())));
  program.insert(program.end(), v4_block.begin(), v4_block.end());
  program.push_back(Jump(6, 1, 0));  // neither version: kept
  program.push_back(Stmt(BPF_RET | BPF_K, kKeep));
  // The source address (bytes 8-23 of the header) loaded once into scratch words M[0..3]:
  // a load from the packet is a helper call, a load from M[] is not.
  for (uint32_t w = 0; w < 4; ++w) {
    program.push_back(LoadWord(8 + 4 * w));
    program.push_back(Stmt(BPF_ST, w));
  }
  for (const auto& a : v6) {
    for (uint32_t w = 0; w < 4; ++w) {
      program.push_back(Stmt(BPF_LD | BPF_MEM, w));
      // On a mismatch, past the rest of this address (two per word left, and its drop).
      program.push_back(Jump(Word(a.data() + 4 * w), 0, static_cast<uint8_t>(2 * (3 - w) + 1)));
    }
    program.push_back(Stmt(BPF_RET | BPF_K, kDrop));
  }
  program.push_back(Stmt(BPF_RET | BPF_K, kKeep));
  return program;
}

void AddressFilter::AddSocket(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  fds_.push_back(fd);
  if (!entries_.empty()) (void)Apply();
}

void AddressFilter::RemoveSocket(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
}

bool AddressFilter::Block(std::string_view address, Clock::time_point until) {
  Entry e;
  const std::string text(address);
  if (inet_pton(AF_INET, text.c_str(), e.bytes.data()) == 1) {
    e.v4 = true;
  } else if (inet_pton(AF_INET6, text.c_str(), e.bytes.data()) == 1) {
    // An IPv4 client of a dual-stack listener (`::ffff:a.b.c.d`): its packets carry an
    // IPv4 header, so it is blocked as the IPv4 address it is.
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    e.v4 = std::memcmp(e.bytes.data(), kMapped, sizeof(kMapped)) == 0;
    if (e.v4) {
      std::memmove(e.bytes.data(), e.bytes.data() + 12, 4);
      std::memset(e.bytes.data() + 4, 0, 12);
    }
  } else {
    return false;
  }
  e.until = until;
  std::lock_guard<std::mutex> lock(mu_);
  if (fds_.empty()) return false;
  for (Entry& have : entries_) {
    if (have.v4 == e.v4 && have.bytes == e.bytes) {
      have.until = std::max(have.until, until);
      return true;
    }
  }
  const size_t same_family =
      std::count_if(entries_.begin(), entries_.end(), [&](const Entry& x) { return x.v4 == e.v4; });
  if (same_family >= kMaxAddresses) return false;
  entries_.push_back(e);
  if (Apply()) return true;
  entries_.pop_back();
  (void)Apply();
  return false;
}

std::optional<AddressFilter::Clock::time_point> AddressFilter::Expire(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t before = entries_.size();
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.until <= now; }),
                 entries_.end());
  if (entries_.size() != before) (void)Apply();
  std::optional<Clock::time_point> next;
  for (const Entry& e : entries_) {
    if (!next || e.until < *next) next = e.until;
  }
  return next;
}

size_t AddressFilter::blocked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

bool AddressFilter::Apply() {
  std::vector<Instruction> program;
  if (!entries_.empty()) {
    std::vector<std::array<uint8_t, 4>> v4;
    std::vector<std::array<uint8_t, 16>> v6;
    for (const Entry& e : entries_) {
      if (e.v4) {
        v4.push_back({e.bytes[0], e.bytes[1], e.bytes[2], e.bytes[3]});
      } else {
        v6.push_back(e.bytes);
      }
    }
    program = Program(v4, v6);
  }
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(program.size());
  fprog.filter = reinterpret_cast<sock_filter*>(program.data());
  bool all = true;
  for (int fd : fds_) {
    // The old program goes first: the kernel charges a new one against the socket's
    // option memory before it frees the old, and a listener whose attach fails is left
    // with none (every address let in, to be closed at accept), never with a stale one.
    int unused = 0;
    (void)setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(unused));
    if (!program.empty() &&
        setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) != 0) {
      all = false;
    }
  }
  return all;
}

}  // namespace scimd::net
