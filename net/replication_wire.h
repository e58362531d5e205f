// The replication connection's wire (docs/DESIGN.md, "Replication"): blocking TCP sockets
// with a deadline on every read and write, and messages `u8 type, u32be length, payload`.
// A follower connects to its leader's replication address and says Hello (who it is, its
// term history and position); the leader answers Welcome (its term; frames follow from the
// follower's position), Reseed (the follower's store is not a prefix of the leader's log,
// or the log no longer reaches back to it) or Refuse (not the leader, or a format that
// differs). Then Frames and Heartbeats flow one way and Acks (the follower's durable
// position) the other. Each socket is used by one reading and one writing thread at most.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/replica_log.h"
#include "core/base/status.h"

namespace scimd::net {

enum class ReplicaMessage : uint8_t {
  kHello = 1,
  kWelcome = 2,
  kReseed = 3,
  kRefuse = 4,
  kFrames = 5,     // u64 term, then log frames (storage/replication_log.h)
  kHeartbeat = 6,  // u64 term, u64 leader's latest sequence
  kAck = 7,        // u64 position the follower holds durably
  kSeedFile = 8,   // a checkpoint file's name and size, then kSeedData pieces
  kSeedData = 9,
  kSeedDone = 10,     // u64 the checkpoint's sequence
  kSeedRequest = 11,  // instead of a Hello: a checkpoint, please (node id, MAC)
  kChallenge = 12,    // the leader's first message: a fresh nonce
  kIngestFile = 13,   // a file of an ingest: its name, then its bytes in kIngestData
  kIngestData = 14,   // pieces (for the follower's ReplicaLog::IngestInbox); inline before
                      // the ingest's frame, or staged ahead of it, between log messages
  kStageDone = 15,    // u64 a staged set's id: its files were all sent
  kStaged = 16,       // follower to leader, u64 the id: it holds the set's files
  kSealHeader = 17,   // on a sealed connection: a direction's secretstream header
  kSealed = 18,       // on a sealed connection: an encrypted message (type, payload)
};

// The handshake is authenticated with a key both ends derive from the group's secret
// (ReplicaKey; an empty secret gives the all-zero key, i.e. no authentication): the
// leader opens with a Challenge nonce, the follower's Hello (or SeedRequest) carries its
// own nonce and a MAC over the leader's nonce and the message, and the Welcome a MAC over
// the follower's nonce and the welcome. Neither end can be impersonated without the
// secret, and a recorded handshake cannot be replayed. What follows is sealed
// (ReplicaSocket::Seal) with a key of this connection's own, derived from the group's
// key and both nonces: encrypted and authenticated, so the log can be neither read nor
// altered on the way. Without a secret nothing is authenticated or encrypted.
inline constexpr size_t kReplicaNonceBytes = 16;
using ReplicaKey = std::string;  // 32 bytes
ReplicaKey MakeReplicaKey(std::string_view secret);
std::string ReplicaNonce();
std::string ReplicaMac(const ReplicaKey& key, std::string_view label, std::string_view nonce,
                       std::string_view body);
bool ReplicaMacMatches(const ReplicaKey& key, std::string_view label, std::string_view nonce,
                       std::string_view body, std::string_view mac);
// Whether `key` came from a secret (MakeReplicaKey of "" gives the all-zero key).
bool ReplicaKeyIsSet(const ReplicaKey& key);
// A connection's own key: from the group's key, the leader's challenge and the
// follower's nonce.
std::string ReplicaSessionKey(const ReplicaKey& key, std::string_view challenge,
                              std::string_view nonce);

// The most a message may carry: a page of frames (a few MiB) or a seed file's piece.
inline constexpr size_t kMaxReplicaMessageBytes = size_t{64} << 20;
// The most a handshake's first message (a Hello: ~16 bytes per term the node has seen, or a
// seed request) may carry, from a peer not yet authenticated.
inline constexpr size_t kMaxReplicaHandshakeBytes = size_t{1} << 20;

class ReplicaSocket {
 public:
  ReplicaSocket();
  explicit ReplicaSocket(int fd);
  ~ReplicaSocket();
  ReplicaSocket(ReplicaSocket&& other) noexcept;
  ReplicaSocket& operator=(ReplicaSocket&& other) noexcept;
  ReplicaSocket(const ReplicaSocket&) = delete;
  ReplicaSocket& operator=(const ReplicaSocket&) = delete;

  // Connects to host:port within `timeout_ms`.
  static core::Result<ReplicaSocket> Connect(const std::string& host, uint16_t port,
                                             int timeout_ms);
  bool valid() const { return fd_ >= 0; }
  // Unavailable when the whole message was not written within `timeout_ms`, IoError when
  // the peer is gone.
  core::Status Send(ReplicaMessage type, std::string_view payload, int timeout_ms);
  // One whole message. Unavailable ("quiet") when none began within `timeout_ms`; IoError
  // when the peer closed or a message is over kMaxReplicaMessageBytes or took more than
  // 10 s to arrive once begun.
  core::Status Receive(ReplicaMessage* type, std::string* payload, int timeout_ms);
  // A peer's first message, before it proved anything: the whole of it within
  // `timeout_ms` (a message that trickles in is not given more time) and at most
  // kMaxReplicaHandshakeBytes (refused before it is read). IoError otherwise.
  core::Status ReceiveHandshake(ReplicaMessage* type, std::string* payload, int timeout_ms);
  // Wakes a thread blocked in Send or Receive (they fail); the socket stays open.
  void Shutdown();
  // From now on each message is sealed with `session` (ReplicaSessionKey): each direction
  // a libsodium secretstream (XChaCha20-Poly1305; the sending side opens it with a header
  // before its first message), so a message cannot be read, altered, dropped, reordered
  // or replayed unnoticed (Receive says IoError). Both ends call it at the same point of
  // the exchange; one thread may Send while another Receives, as before.
  // `leader_side`: which end this is (each direction has a key of its own, derived from
  // `session`); `plain_refusal`: a plaintext Refuse may still come before the peer's
  // stream opens (a seed request, answered by a leader that has not sealed yet).
  void Seal(const std::string& session, bool leader_side, bool plain_refusal = false);
  bool sealed() const { return seal_ != nullptr; }

 private:
  struct SealState;
  core::Status SendRaw(ReplicaMessage type, std::string_view payload, int timeout_ms);
  // `max_bytes`: the largest payload taken; `strict`: the whole message within timeout_ms
  // (else a message, once begun, has kMessageBodyTimeoutMs to come whole).
  core::Status ReceiveRaw(ReplicaMessage* type, std::string* payload, int timeout_ms,
                          size_t max_bytes = kMaxReplicaMessageBytes, bool strict = false);
  core::Status WaitFor(short events, int timeout_ms);
  int fd_ = -1;
  std::unique_ptr<SealState> seal_;
};

// A file sent as `data` messages of at most 1 MiB, so memory stays one piece; each piece
// goes to `each` first when given (a digest). IoError when the file cannot be read.
core::Status SendFilePieces(ReplicaSocket& socket, ReplicaMessage data, const std::string& path,
                            int timeout_ms,
                            const std::function<void(std::string_view)>& each = nullptr);
// All of `bytes` written to `fd`; false on a short write (a full disk).
bool WriteAll(int fd, std::string_view bytes);

class ReplicaListener {
 public:
  ~ReplicaListener();
  // Binds host:port (port 0: any; read port()).
  core::Status Listen(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  // A new connection, or nullopt after `timeout_ms` without one.
  core::Result<std::optional<ReplicaSocket>> Accept(int timeout_ms);
  void Close();

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

struct ReplicaHello {
  uint32_t node = 0;
  uint64_t term_seen = 0;  // the highest term the follower knows of
  uint64_t latest = 0;
  std::vector<core::TermStart> terms;
  std::string format;  // ReplicaLog::LogFormat
  std::string nonce;   // the follower's, for the Welcome's MAC
  std::string mac;     // over the leader's challenge and the fields above
};
struct ReplicaWelcome {
  uint64_t term = 0;
  uint32_t leader = 0;
  uint64_t leader_latest = 0;
  std::string mac;  // over the follower's nonce and the fields above
};

// The fields a MAC covers (everything but the MAC itself).
std::string HelloBody(const ReplicaHello& hello);
std::string WelcomeBody(const ReplicaWelcome& welcome);
std::string EncodeHello(const ReplicaHello& hello);
core::Result<ReplicaHello> DecodeHello(std::string_view bytes);
std::string EncodeWelcome(const ReplicaWelcome& welcome);
core::Result<ReplicaWelcome> DecodeWelcome(std::string_view bytes);
std::string EncodeU64(uint64_t v);
std::string EncodeU64Pair(uint64_t a, uint64_t b);
// The first 8 (and 16) bytes as big-endian numbers; InvalidValue when too short.
core::Result<uint64_t> DecodeU64(std::string_view bytes);
core::Status DecodeU64Pair(std::string_view bytes, uint64_t* a, uint64_t* b);

// "host:port" split; InvalidValue without a port.
core::Status SplitHostPort(const std::string& address, std::string* host, uint16_t* port);

}  // namespace scimd::net
