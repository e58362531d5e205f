// libFuzzer target: what a replication peer sends (net/replication_wire.h,
// storage/replication_log.h). The first byte picks the part; the rest is the peer's bytes.
//   0: the handshake's messages (Hello, Welcome) and the term list: each decodes or is
//      refused, and what decodes encodes back to the same bytes;
//   1: a page of log frames: read frame by frame until the end or a refusal; every frame
//      read encodes back to the bytes it was read from;
//   2: a byte stream on a non-blocking connection (a socketpair), read as a leader reads a
//      stranger: its first message by ReceiveHandshake, then message by message, until the
//      stream ends or is refused (the top bit of the first byte: the peer closed after its
//      bytes; else every read is strict and the stream runs dry);
//   3: the same stream read as a sealed connection (a forged or garbled secretstream must
//      be refused, never crash);
//   4: messages (type byte, 16-bit length, payload) sent over a sealed connection and read
//      back: each arrives whole and unchanged.
// Any crash, leak, sanitizer report or a round trip that differs aborts.
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/replication_wire.h"
#include "storage/replication_log.h"

namespace {

using scimd::net::ReplicaMessage;
using scimd::net::ReplicaSocket;

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_replica: %s\n", what);
  std::abort();
}

void Decoders(std::string_view in) {
  if (auto h = scimd::net::DecodeHello(in); h.ok()) {
    Check(scimd::net::EncodeHello(*h) == in, "a hello does not encode back to itself");
  }
  if (auto w = scimd::net::DecodeWelcome(in); w.ok()) {
    Check(scimd::net::EncodeWelcome(*w) == in, "a welcome does not encode back to itself");
  }
  if (auto t = scimd::storage::DecodeTerms(in); t.ok()) {
    Check(scimd::storage::EncodeTerms(*t) == in, "terms do not encode back to themselves");
  }
  uint64_t a = 0, b = 0;
  (void)scimd::net::DecodeU64Pair(in, &a, &b);
  (void)scimd::net::DecodeU64(in);
}

void Frames(std::string_view in) {
  std::string_view rest = in;
  while (!rest.empty()) {
    const std::string_view before = rest;
    scimd::storage::LogFrame frame;
    if (!scimd::storage::NextLogFrame(&rest, &frame).ok()) return;
    Check(rest.size() < before.size(), "a frame read nothing");
    std::string again;
    scimd::storage::AppendLogFrame(&again, frame.first, frame.data);
    Check(again == before.substr(0, before.size() - rest.size()),
          "a frame does not encode back to its bytes");
  }
}

// A connected pair: [0] the peer's end (written here), [1] ours (read).
struct Pair {
  int fd[2] = {-1, -1};
  explicit Pair(int flags = 0) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0, fd) != 0) std::abort();
    int big = 1 << 20;
    ::setsockopt(fd[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    ::setsockopt(fd[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
  }
};

const std::string& Session() {
  static const std::string session(32, 's');
  return session;
}

void Stream(std::string_view in, bool sealed, bool peer_closes) {
  Pair p(SOCK_NONBLOCK);  // as the server's sockets: reads that would wait say so
  ReplicaSocket ours(p.fd[1]);
  size_t written = 0;
  while (written < in.size()) {
    const ssize_t n = ::write(p.fd[0], in.data() + written, in.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  // A message once begun has 10 s to come whole (Receive): only strict reads may find the
  // stream run dry, so a sealed stream always ends.
  if (peer_closes || sealed) ::close(p.fd[0]);
  ReplicaMessage type;
  std::string payload;
  // A deadline of 0: whatever is not there already is late (no input waits).
  if (sealed) {
    ours.Seal(Session(), /*leader_side=*/true);
  } else if (!ours.ReceiveHandshake(&type, &payload, 0).ok()) {
    if (!peer_closes) ::close(p.fd[0]);
    return;
  }
  for (int i = 0; i < 10000; ++i) {
    const bool ok = peer_closes || sealed ? ours.Receive(&type, &payload, 0).ok()
                                          : ours.ReceiveHandshake(&type, &payload, 0).ok();
    if (!ok) break;
  }
  if (!peer_closes && !sealed) ::close(p.fd[0]);
}

void SealedRoundTrip(std::string_view in) {
  Pair p;
  ReplicaSocket theirs(p.fd[0]);
  ReplicaSocket ours(p.fd[1]);
  theirs.Seal(Session(), /*leader_side=*/false);
  ours.Seal(Session(), /*leader_side=*/true);
  for (int sent = 0; in.size() >= 3 && sent < 256; ++sent) {  // one at a time: buffers never fill
    const auto type = static_cast<ReplicaMessage>(in[0]);
    const size_t size = std::min<size_t>(
        in.size() - 3, (static_cast<uint8_t>(in[1]) << 8) | static_cast<uint8_t>(in[2]));
    const std::string payload(in.substr(3, size));
    in.remove_prefix(3 + size);
    Check(theirs.Send(type, payload, 1000).ok(), "a sealed message could not be sent");
    ReplicaMessage got_type;
    std::string got;
    Check(ours.Receive(&got_type, &got, 1000).ok(), "a sealed message did not arrive");
    Check(got_type == type && got == payload, "a sealed message arrived changed");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (sodium_init() < 0) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > (64u << 10)) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool peer_closes = (data[0] & 0x80) != 0;
  switch ((data[0] & 0x7f) % 5) {
    case 0: Decoders(in); break;
    case 1: Frames(in); break;
    case 2: Stream(in, /*sealed=*/false, peer_closes); break;
    case 3: Stream(in, /*sealed=*/true, peer_closes); break;
    default: SealedRoundTrip(in); break;
  }
  return 0;
}
