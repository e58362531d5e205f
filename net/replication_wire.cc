// The replication connection's sockets and messages (replication_wire.h).
#include "net/replication_wire.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "core/base/clock.h"

namespace scimd::net {
using core::Status;

namespace {

constexpr size_t kFilePieceBytes = size_t{1} << 20;
// Once a message has begun, the rest must arrive within this long.
constexpr int kMessageBodyTimeoutMs = 10'000;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutBytes(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

// Big-endian reads with bounds checks.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U32(uint32_t* v) {
    if (in_.size() < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v = *v << 8 | static_cast<uint8_t>(in_[static_cast<size_t>(i)]);
    in_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v = *v << 8 | static_cast<uint8_t>(in_[static_cast<size_t>(i)]);
    in_.remove_prefix(8);
    return true;
  }
  bool Bytes(std::string* out) {
    uint32_t n = 0;
    if (!U32(&n) || in_.size() < n) return false;
    out->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool AtEnd() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

struct ReplicaSocket::SealState {
  std::string push_key, pull_key;
  bool plain_refusal = false;
  bool push_open = false;  // Send's side (one thread at a time)
  crypto_secretstream_xchacha20poly1305_state push;
  bool pull_open = false;  // Receive's side
  crypto_secretstream_xchacha20poly1305_state pull;
  std::string buffer;  // Send's plaintext and ciphertext
};

ReplicaSocket::ReplicaSocket() = default;
ReplicaSocket::ReplicaSocket(int fd) : fd_(fd) {}
ReplicaSocket::ReplicaSocket(ReplicaSocket&& other) noexcept
    : fd_(other.fd_), seal_(std::move(other.seal_)) {
  other.fd_ = -1;
}

ReplicaSocket::~ReplicaSocket() {
  if (fd_ >= 0) ::close(fd_);
}

ReplicaSocket& ReplicaSocket::operator=(ReplicaSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    seal_ = std::move(other.seal_);
    other.fd_ = -1;
  }
  return *this;
}

namespace {

// One direction's key: BLAKE2b keyed by the connection's key over the direction's name.
std::string DirectionKey(const std::string& session, std::string_view direction) {
  std::string key(crypto_secretstream_xchacha20poly1305_KEYBYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                     reinterpret_cast<const unsigned char*>(direction.data()), direction.size(),
                     reinterpret_cast<const unsigned char*>(session.data()), session.size());
  return key;
}

}  // namespace

void ReplicaSocket::Seal(const std::string& session, bool leader_side, bool plain_refusal) {
  seal_ = std::make_unique<SealState>();
  const std::string to_follower = DirectionKey(session, "leader to follower");
  const std::string to_leader = DirectionKey(session, "follower to leader");
  seal_->push_key = leader_side ? to_follower : to_leader;
  seal_->pull_key = leader_side ? to_leader : to_follower;
  seal_->plain_refusal = plain_refusal;
}

Status ReplicaSocket::Send(ReplicaMessage type, std::string_view payload, int timeout_ms) {
  if (!seal_) return SendRaw(type, payload, timeout_ms);
  SealState& s = *seal_;
  if (!s.push_open) {
    unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(
        &s.push, header, reinterpret_cast<const unsigned char*>(s.push_key.data()));
    SCIMD_RETURN_IF_ERROR(SendRaw(ReplicaMessage::kSealHeader,
                                  std::string_view(reinterpret_cast<char*>(header), sizeof(header)),
                                  timeout_ms));
    s.push_open = true;
  }
  const size_t plain = 1 + payload.size();
  s.buffer.resize(plain + plain + crypto_secretstream_xchacha20poly1305_ABYTES);
  auto* p = reinterpret_cast<unsigned char*>(s.buffer.data());
  p[0] = static_cast<unsigned char>(type);
  std::memcpy(p + 1, payload.data(), payload.size());
  unsigned long long sealed = 0;
  crypto_secretstream_xchacha20poly1305_push(&s.push, p + plain, &sealed, p, plain, nullptr, 0,
                                             crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  return SendRaw(ReplicaMessage::kSealed,
                 std::string_view(s.buffer.data() + plain, static_cast<size_t>(sealed)),
                 timeout_ms);
}

Status ReplicaSocket::Receive(ReplicaMessage* type, std::string* payload, int timeout_ms) {
  if (!seal_) return ReceiveRaw(type, payload, timeout_ms);
  SealState& s = *seal_;
  std::string raw;
  for (;;) {
    SCIMD_RETURN_IF_ERROR(ReceiveRaw(type, &raw, timeout_ms));
    if (!s.pull_open) {
      // A refusal may come before the other side sealed (the leader's AcceptLoop answering
      // a seed request): it carries no data.
      if (*type == ReplicaMessage::kRefuse && s.plain_refusal) {
        *payload = std::move(raw);
        return Status::Ok();
      }
      if (*type != ReplicaMessage::kSealHeader ||
          raw.size() != crypto_secretstream_xchacha20poly1305_HEADERBYTES ||
          crypto_secretstream_xchacha20poly1305_init_pull(
              &s.pull, reinterpret_cast<const unsigned char*>(raw.data()),
              reinterpret_cast<const unsigned char*>(s.pull_key.data())) != 0) {
        return Status::IoError("the replication peer did not open an encrypted stream");
      }
      s.pull_open = true;
      continue;
    }
    if (*type != ReplicaMessage::kSealed ||
        raw.size() < 1 + crypto_secretstream_xchacha20poly1305_ABYTES) {
      return Status::IoError("an unencrypted message on an encrypted replication connection");
    }
    std::string plain(raw.size() - crypto_secretstream_xchacha20poly1305_ABYTES, '\0');
    unsigned long long length = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(
            &s.pull, reinterpret_cast<unsigned char*>(plain.data()), &length, &tag,
            reinterpret_cast<const unsigned char*>(raw.data()), raw.size(), nullptr, 0) != 0 ||
        length < 1) {
      return Status::IoError(
          "a replication message failed authentication (altered, out of order, or another "
          "key)");
    }
    *type = static_cast<ReplicaMessage>(plain[0]);
    payload->assign(plain.data() + 1, static_cast<size_t>(length) - 1);
    return Status::Ok();
  }
}

core::Result<ReplicaSocket> ReplicaSocket::Connect(const std::string& host, uint16_t port,
                                                   int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return Status::IoError("cannot resolve " + host);
  }
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return Status::IoError("cannot make a socket");
  }
  ReplicaSocket socket(fd);
  const int rc = ::connect(fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (rc != 0 && errno != EINPROGRESS) {
    return Status::IoError("cannot connect to " + host + ":" + service + ": " +
                           std::strerror(errno));
  }
  SCIMD_RETURN_IF_ERROR(socket.WaitFor(POLLOUT, timeout_ms));
  int error = 0;
  socklen_t length = sizeof(error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    return Status::IoError("cannot connect to " + host + ":" + service + ": " +
                           std::strerror(error));
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return socket;
}

Status ReplicaSocket::WaitFor(short events, int timeout_ms) {
  pollfd p{fd_, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) {
      if ((p.revents & (POLLERR | POLLNVAL)) != 0 && (p.revents & events) == 0) {
        return Status::IoError("the replication connection failed");
      }
      return Status::Ok();
    }
    if (n == 0) return Status::Unavailable("quiet", 1);
    if (errno != EINTR) return Status::IoError("poll failed");
  }
}

Status ReplicaSocket::SendRaw(ReplicaMessage type, std::string_view payload, int timeout_ms) {
  std::string head;
  head.push_back(static_cast<char>(type));
  PutU32(&head, static_cast<uint32_t>(payload.size()));
  const int64_t deadline = core::SteadyMillis() + timeout_ms;
  for (std::string_view part : {std::string_view(head), payload}) {
    while (!part.empty()) {
      const ssize_t n = ::send(fd_, part.data(), part.size(), MSG_NOSIGNAL);
      if (n > 0) {
        part.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return Status::IoError("the replication peer is gone");
      }
      const int64_t left = deadline - core::SteadyMillis();
      if (left <= 0) return Status::Unavailable("the replication peer does not read", 1);
      SCIMD_RETURN_IF_ERROR(WaitFor(POLLOUT, static_cast<int>(left)));
    }
  }
  return Status::Ok();
}

Status ReplicaSocket::ReceiveHandshake(ReplicaMessage* type, std::string* payload, int timeout_ms) {
  if (seal_) return Status::Internal("a handshake is read before the connection is sealed");
  Status s = ReceiveRaw(type, payload, timeout_ms, kMaxReplicaHandshakeBytes, /*strict=*/true);
  if (s.code() == Status::Code::kUnavailable) {
    return Status::IoError("no replication handshake within " + std::to_string(timeout_ms) + " ms");
  }
  return s;
}

Status ReplicaSocket::ReceiveRaw(ReplicaMessage* type, std::string* payload, int timeout_ms,
                                 size_t max_bytes, bool strict) {
  char head[5];
  size_t have = 0;
  int64_t deadline = core::SteadyMillis() + timeout_ms;
  auto read_into = [&](char* into, size_t want, size_t* got) -> Status {
    while (*got < want) {
      const ssize_t n = ::recv(fd_, into + *got, want - *got, 0);
      if (n > 0) {
        if (*got == 0 && into == head && !strict) {
          deadline = core::SteadyMillis() + kMessageBodyTimeoutMs;
        }
        *got += static_cast<size_t>(n);
        continue;
      }
      if (n == 0) return Status::IoError("the replication peer closed the connection");
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return Status::IoError("the replication connection failed");
      }
      const bool begun = !(*got == 0 && into == head);
      const int64_t left = deadline - core::SteadyMillis();
      if (left <= 0) {
        if (!begun) return Status::Unavailable("quiet", 1);
        return Status::IoError("a replication message stalled");
      }
      // Quiet before a message: "quiet". Once begun, a message must come whole.
      if (Status w = WaitFor(POLLIN, static_cast<int>(left)); !w.ok()) {
        if (begun && w.code() == core::Status::Code::kUnavailable) {
          return Status::IoError("a replication message stalled");
        }
        return w;
      }
    }
    return Status::Ok();
  };
  SCIMD_RETURN_IF_ERROR(read_into(head, sizeof(head), &have));
  *type = static_cast<ReplicaMessage>(head[0]);
  uint32_t length = 0;
  Reader(std::string_view(head + 1, 4)).U32(&length);
  if (length > max_bytes) return Status::IoError("a replication message too big");
  payload->resize(length);
  size_t got = 0;
  if (!strict) deadline = core::SteadyMillis() + kMessageBodyTimeoutMs;
  return read_into(payload->data(), length, &got);
}

Status SendFilePieces(ReplicaSocket& socket, ReplicaMessage data, const std::string& path,
                      int timeout_ms, const std::function<void(std::string_view)>& each) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path);
  std::string piece;
  while (in) {
    piece.resize(kFilePieceBytes);
    in.read(piece.data(), static_cast<std::streamsize>(piece.size()));
    piece.resize(static_cast<size_t>(in.gcount()));
    if (piece.empty()) break;
    if (each) each(piece);
    SCIMD_RETURN_IF_ERROR(socket.Send(data, piece, timeout_ms));
  }
  return Status::Ok();
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void ReplicaSocket::Shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

ReplicaListener::~ReplicaListener() { Close(); }

Status ReplicaListener::Listen(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return Status::IoError("cannot resolve " + host);
  }
  fd_ = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool ok =
      fd_ >= 0 && ::bind(fd_, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd_, 16) == 0;
  freeaddrinfo(found);
  if (!ok) {
    const std::string why = std::strerror(errno);
    Close();
    return Status::IoError("cannot listen on " + host + ":" + service + " (replication): " + why);
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return Status::Ok();
}

core::Result<std::optional<ReplicaSocket>> ReplicaListener::Accept(int timeout_ms) {
  if (fd_ < 0) return Status::IoError("the replication listener is closed");
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return std::optional<ReplicaSocket>();
  const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return std::optional<ReplicaSocket>();
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return std::optional<ReplicaSocket>(ReplicaSocket(fd));
}

void ReplicaListener::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ReplicaKey MakeReplicaKey(std::string_view secret) {
  ReplicaKey key(crypto_auth_KEYBYTES, '\0');
  if (!secret.empty()) {
    crypto_generichash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                       reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                       nullptr, 0);
  }
  return key;
}

bool ReplicaKeyIsSet(const ReplicaKey& key) {
  return key.find_first_not_of('\0') != std::string::npos;
}

std::string ReplicaSessionKey(const ReplicaKey& key, std::string_view challenge,
                              std::string_view nonce) {
  std::string message;
  PutBytes(&message, "scimd-replication-session");
  PutBytes(&message, challenge);
  PutBytes(&message, nonce);
  std::string session(crypto_secretstream_xchacha20poly1305_KEYBYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(session.data()), session.size(),
                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size());
  return session;
}

std::string ReplicaNonce() {
  std::string nonce(kReplicaNonceBytes, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  return nonce;
}

std::string ReplicaMac(const ReplicaKey& key, std::string_view label, std::string_view nonce,
                       std::string_view body) {
  std::string message;
  PutBytes(&message, label);
  PutBytes(&message, nonce);
  message.append(body);
  std::string mac(crypto_auth_BYTES, '\0');
  crypto_auth(reinterpret_cast<unsigned char*>(mac.data()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(),
              reinterpret_cast<const unsigned char*>(key.data()));
  return mac;
}

bool ReplicaMacMatches(const ReplicaKey& key, std::string_view label, std::string_view nonce,
                       std::string_view body, std::string_view mac) {
  if (mac.size() != crypto_auth_BYTES || key.size() != crypto_auth_KEYBYTES) return false;
  std::string message;
  PutBytes(&message, label);
  PutBytes(&message, nonce);
  message.append(body);
  return crypto_auth_verify(reinterpret_cast<const unsigned char*>(mac.data()),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                            reinterpret_cast<const unsigned char*>(key.data())) == 0;
}

std::string HelloBody(const ReplicaHello& hello) {
  std::string out;
  PutU32(&out, hello.node);
  PutU64(&out, hello.term_seen);
  PutU64(&out, hello.latest);
  PutU32(&out, static_cast<uint32_t>(hello.terms.size()));
  for (const core::TermStart& t : hello.terms) {
    PutU64(&out, t.term);
    PutU64(&out, t.sequence);
  }
  PutBytes(&out, hello.format);
  PutBytes(&out, hello.nonce);
  return out;
}

std::string EncodeHello(const ReplicaHello& hello) {
  std::string out = HelloBody(hello);
  PutBytes(&out, hello.mac);
  return out;
}

core::Result<ReplicaHello> DecodeHello(std::string_view bytes) {
  Reader in(bytes);
  ReplicaHello hello;
  uint32_t terms = 0;
  if (!in.U32(&hello.node) || !in.U64(&hello.term_seen) || !in.U64(&hello.latest) ||
      !in.U32(&terms) || terms > kMaxReplicaHandshakeBytes / 16) {
    return Status::InvalidValue("a malformed replication hello");
  }
  for (uint32_t i = 0; i < terms; ++i) {
    core::TermStart t;
    if (!in.U64(&t.term) || !in.U64(&t.sequence)) {
      return Status::InvalidValue("a malformed replication hello");
    }
    hello.terms.push_back(t);
  }
  if (!in.Bytes(&hello.format) || !in.Bytes(&hello.nonce) || !in.Bytes(&hello.mac) || !in.AtEnd()) {
    return Status::InvalidValue("a malformed replication hello");
  }
  return hello;
}

std::string WelcomeBody(const ReplicaWelcome& welcome) {
  std::string out;
  PutU64(&out, welcome.term);
  PutU32(&out, welcome.leader);
  PutU64(&out, welcome.leader_latest);
  return out;
}

std::string EncodeWelcome(const ReplicaWelcome& welcome) {
  std::string out = WelcomeBody(welcome);
  PutBytes(&out, welcome.mac);
  return out;
}

core::Result<ReplicaWelcome> DecodeWelcome(std::string_view bytes) {
  Reader in(bytes);
  ReplicaWelcome w;
  if (!in.U64(&w.term) || !in.U32(&w.leader) || !in.U64(&w.leader_latest) || !in.Bytes(&w.mac) ||
      !in.AtEnd()) {
    return Status::InvalidValue("a malformed replication welcome");
  }
  return w;
}

std::string EncodeU64(uint64_t v) {
  std::string out;
  PutU64(&out, v);
  return out;
}

std::string EncodeU64Pair(uint64_t a, uint64_t b) {
  std::string out;
  PutU64(&out, a);
  PutU64(&out, b);
  return out;
}

core::Result<uint64_t> DecodeU64(std::string_view bytes) {
  uint64_t v = 0;
  if (!Reader(bytes).U64(&v)) return Status::InvalidValue("a malformed replication message");
  return v;
}

Status DecodeU64Pair(std::string_view bytes, uint64_t* a, uint64_t* b) {
  Reader in(bytes);
  if (!in.U64(a) || !in.U64(b)) return Status::InvalidValue("a malformed replication message");
  return Status::Ok();
}

Status SplitHostPort(const std::string& address, std::string* host, uint16_t* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 >= address.size()) {
    return Status::InvalidValue("\"" + address + "\" is not host:port");
  }
  std::string h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = address.substr(colon + 1);
  char* end = nullptr;
  const unsigned long n = std::strtoul(p.c_str(), &end, 10);
  if (*end != '\0' || n > 65535) return Status::InvalidValue("\"" + address + "\" has a bad port");
  *host = h;
  *port = static_cast<uint16_t>(n);
  return Status::Ok();
}

}  // namespace scimd::net
