// The follower's side of replication (replication_follower.h).
#include "net/replication_follower.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>

#include "core/base/clock.h"

namespace scimd::net {
using core::Status;

namespace {
constexpr int kPollMs = 200;
constexpr int64_t kInboxSweepMs = 60'000;
// Staged files whose ingest never came (it failed, or the leader went away before it)
// go after this long; the leader keeps an ingest's own files as long.
constexpr auto kInboxKeep = std::chrono::hours(1);

void SweepInbox(const std::string& inbox) {
  std::error_code ec;
  const auto now = std::filesystem::file_time_type::clock::now();
  for (const auto& entry : std::filesystem::directory_iterator(inbox, ec)) {
    const auto written = entry.last_write_time(ec);
    if (!ec && now - written > kInboxKeep) std::filesystem::remove(entry.path(), ec);
  }
}
constexpr int kSendTimeoutMs = 5000;
}  // namespace

FollowEnd FollowLeader(core::ReplicaLog& log, const FollowOptions& options,
                       const std::atomic<bool>& stop, std::string* why,
                       const std::function<void(uint64_t, uint64_t)>& on_progress) {
  auto connected =
      ReplicaSocket::Connect(options.leader_host, options.leader_port, options.connect_timeout_ms);
  if (!connected.ok()) {
    *why = connected.status().detail();
    return FollowEnd::kLost;
  }
  ReplicaSocket socket = std::move(connected).value();
  ReplicaMessage type;
  std::string payload;
  Status s = socket.ReceiveHandshake(&type, &payload, options.quiet_timeout_ms);
  if (!s.ok() || type != ReplicaMessage::kChallenge) {
    *why = s.ok() ? "the leader did not open with a challenge" : "no challenge: " + s.detail();
    return FollowEnd::kLost;
  }
  const std::string challenge = payload;
  ReplicaHello hello;
  hello.node = options.node_id;
  hello.term_seen = options.term_seen;
  hello.latest = log.LatestSequence();
  auto terms = log.ReadTerms();
  if (!terms.ok()) {
    *why = terms.status().detail();
    return FollowEnd::kApplyFailed;
  }
  hello.terms = *terms;
  hello.format = log.LogFormat();
  hello.nonce = ReplicaNonce();
  hello.mac = ReplicaMac(options.key, "hello", challenge, HelloBody(hello));
  if (s = socket.Send(ReplicaMessage::kHello, EncodeHello(hello), kSendTimeoutMs); !s.ok()) {
    *why = s.detail();
    return FollowEnd::kLost;
  }
  s = socket.ReceiveHandshake(&type, &payload, options.quiet_timeout_ms);  // not yet vouched for
  if (!s.ok()) {
    *why = "no answer to hello: " + s.detail();
    return FollowEnd::kLost;
  }
  if (type == ReplicaMessage::kReseed) {
    *why = payload;
    return FollowEnd::kReseed;
  }
  if (type != ReplicaMessage::kWelcome) {
    *why = type == ReplicaMessage::kRefuse ? payload : "an unexpected answer to hello";
    return FollowEnd::kRefused;
  }
  auto welcome = DecodeWelcome(payload);
  if (welcome.ok() && !ReplicaMacMatches(options.key, "welcome", hello.nonce, WelcomeBody(*welcome),
                                         welcome->mac)) {
    *why = "the leader failed authentication (a different replication secret?)";
    return FollowEnd::kRefused;
  }
  if (!welcome.ok() || welcome->term < options.term_seen) {
    *why = welcome.ok() ? "the leader's term " + std::to_string(welcome->term) +
                              " is older than term " + std::to_string(options.term_seen)
                        : welcome.status().detail();
    return FollowEnd::kRefused;
  }
  if (ReplicaKeyIsSet(options.key)) {
    socket.Seal(ReplicaSessionKey(options.key, challenge, hello.nonce), /*leader_side=*/false);
  }
  const uint64_t term = welcome->term;
  if (on_progress) on_progress(term, welcome->leader_latest);
  int quiet_ms = 0;
  int64_t swept_ms = 0;
  // An ingest's files, written to the inbox as they come (before the ingest's frame).
  int ingest_fd = -1;
  auto close_ingest = [&]() {
    if (ingest_fd < 0) return true;
    const bool synced = ::fsync(ingest_fd) == 0;
    ::close(ingest_fd);
    ingest_fd = -1;
    return synced;
  };
  struct Closer {
    std::function<bool()> close;
    ~Closer() { close(); }
  } closer{close_ingest};
  while (!stop) {
    if (const int64_t now = core::SteadyMillis(); now - swept_ms > kInboxSweepMs) {
      swept_ms = now;
      SweepInbox(log.IngestInbox());
    }
    s = socket.Receive(&type, &payload, kPollMs);
    if (s.code() == core::Status::Code::kUnavailable) {
      quiet_ms += kPollMs;
      if (quiet_ms >= options.quiet_timeout_ms) {
        *why = "the leader went quiet";
        return FollowEnd::kLost;
      }
      continue;
    }
    if (!s.ok()) {
      *why = s.detail();
      return FollowEnd::kLost;
    }
    quiet_ms = 0;
    if (type == ReplicaMessage::kIngestFile) {
      const std::string name = std::filesystem::path(payload).filename().string();
      if (!close_ingest() || name.empty() || name[0] == '.' || name != payload) {
        *why = "a bad ingest file from the leader";
        return FollowEnd::kApplyFailed;
      }
      std::error_code ec;
      std::filesystem::create_directories(log.IngestInbox(), ec);
      ingest_fd = ::open((log.IngestInbox() + "/" + name).c_str(),
                         O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (ingest_fd < 0) {
        *why = "cannot write an ingest's file to " + log.IngestInbox();
        return FollowEnd::kApplyFailed;
      }
      continue;
    }
    if (type == ReplicaMessage::kIngestData) {
      if (ingest_fd < 0) {
        *why = "ingest data before its file";
        return FollowEnd::kApplyFailed;
      }
      if (!WriteAll(ingest_fd, payload)) {
        *why = "cannot write an ingest's file (disk full?)";
        return FollowEnd::kApplyFailed;
      }
      continue;
    }
    if (type == ReplicaMessage::kStageDone) {
      // A set of an ingest's files is all here (durably): staged ahead of its frame (an id
      // to confirm), or inline before it (0).
      if (!close_ingest()) {
        *why = "cannot write an ingest's file (disk full?)";
        return FollowEnd::kApplyFailed;
      }
      if (payload == EncodeU64(0)) continue;
      if (Status told = socket.Send(ReplicaMessage::kStaged, payload, kSendTimeoutMs); !told.ok()) {
        *why = told.detail();
        return FollowEnd::kLost;
      }
      continue;
    }
    if (type == ReplicaMessage::kReseed) {
      *why = payload;
      return FollowEnd::kReseed;
    }
    uint64_t frame_term = 0;
    uint64_t leader_latest = 0;
    if (type == ReplicaMessage::kHeartbeat) {
      if (!DecodeU64Pair(payload, &frame_term, &leader_latest).ok() || frame_term != term) {
        *why = "a heartbeat of another term";
        return FollowEnd::kRefused;
      }
    } else if (type == ReplicaMessage::kFrames) {
      auto t = DecodeU64(payload);
      if (!t.ok() || *t != term) {
        *why = "frames of another term";
        return FollowEnd::kRefused;
      }
      frame_term = *t;
      // (A staged set's file may be open meanwhile: its pieces come between log messages.)
      if (Status applied = log.ApplyLog(std::string_view(payload).substr(8)); !applied.ok()) {
        *why = "applying the leader's log failed: " + applied.detail();
        return FollowEnd::kApplyFailed;
      }
      leader_latest = log.LatestSequence();
    } else {
      *why = "an unexpected replication message";
      return FollowEnd::kRefused;
    }
    if (Status acked =
            socket.Send(ReplicaMessage::kAck, EncodeU64(log.LatestSequence()), kSendTimeoutMs);
        !acked.ok()) {
      *why = acked.detail();
      return FollowEnd::kLost;
    }
    if (on_progress) on_progress(frame_term, leader_latest);
  }
  *why = "stopped";
  return FollowEnd::kStopped;
}

}  // namespace scimd::net
