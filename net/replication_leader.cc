// The leader's side of replication (replication_leader.h).
#include "net/replication_leader.h"

#include <pthread.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "core/base/clock.h"
#include "core/scim/scim_error.h"
#include "net/http_wire.h"

namespace scimd::net {
using core::Status;

namespace {

constexpr size_t kFramesPerMessage = size_t{4} << 20;
constexpr int kSendTimeoutMs = 5000;
constexpr auto kCoalesce = std::chrono::microseconds(300);
constexpr size_t kCoalesceBelowBytes = size_t{64} << 10;
constexpr size_t kIngestPieceBytes = size_t{1} << 20;
constexpr int64_t kStageStallMs = 30'000;

// An ingest's files, before the frames that end with its frame: a name, then the bytes in
// pieces, then kStageDone 0 (the follower syncs them). Memory stays one piece.
Status SendIngestFiles(ReplicaSocket& socket, const std::vector<std::string>& paths) {
  if (paths.empty()) return Status::Ok();
  for (const std::string& path : paths) {
    const std::string name = std::filesystem::path(path).filename().string();
    SCIMD_RETURN_IF_ERROR(socket.Send(ReplicaMessage::kIngestFile, name, kSendTimeoutMs));
    SCIMD_RETURN_IF_ERROR(
        SendFilePieces(socket, ReplicaMessage::kIngestData, path, kSendTimeoutMs));
  }
  return socket.Send(ReplicaMessage::kStageDone, EncodeU64(0), kSendTimeoutMs);
}

}  // namespace

struct ReplicationLeader::Staged {
  uint64_t id = 0;
  std::vector<std::string> paths;
  std::set<std::string> names;         // the files' names
  std::set<uint32_t> holders;          // guarded by the leader's mu_
  std::atomic<bool> cancelled{false};  // Stage gave up: senders drop it
};

// A sender's staging: one message per Step, so that staged files travel between log
// messages. Used by the sender thread only.
class ReplicationLeader::Stager {
 public:
  Stager(ReplicaSocket& socket, std::atomic<int64_t>& progress_ms,
         std::atomic<uint64_t>& inline_files)
      : socket_(socket), progress_ms_(progress_ms), inline_files_(inline_files) {}
  bool busy() const { return current_ != nullptr; }
  // Takes the next set when idle (`next` null: none), then sends one message of it.
  Status Step(const std::shared_ptr<Staged>& next) {
    if (!current_) {
      if (!next || next->cancelled) return Status::Ok();
      current_ = next;
      file_ = 0;
    }
    // A set given up on is dropped between files (a file's pieces are never cut short:
    // the follower's next file closes it; what it holds of the set ages out of its inbox).
    if (current_->cancelled && !in_.is_open()) {
      current_.reset();
      return Status::Ok();
    }
    if (file_ == current_->paths.size()) {
      SCIMD_RETURN_IF_ERROR(
          socket_.Send(ReplicaMessage::kStageDone, EncodeU64(current_->id), kSendTimeoutMs));
      sent_.insert(current_->names.begin(), current_->names.end());
      current_.reset();
      return Status::Ok();
    }
    const std::string& path = current_->paths[file_];
    if (!in_.is_open()) {
      in_.open(path, std::ios::binary);
      if (!in_) {  // gone (its ingest failed or was released): the set is of no use
        in_.clear();
        current_.reset();
        return Status::Ok();
      }
      return socket_.Send(ReplicaMessage::kIngestFile, Name(path), kSendTimeoutMs);
    }
    piece_.resize(kIngestPieceBytes);
    in_.read(piece_.data(), static_cast<std::streamsize>(piece_.size()));
    piece_.resize(static_cast<size_t>(in_.gcount()));
    if (piece_.empty()) {
      in_.close();
      in_.clear();
      ++file_;
      return Status::Ok();
    }
    progress_ms_ = core::SteadyMillis();
    return socket_.Send(ReplicaMessage::kIngestData, piece_, kSendTimeoutMs);
  }
  // Before an ingest's frame: the file under way is finished (its pieces must not mix
  // with inline files), and the rest of its set too when it is this ingest's; then the
  // files not staged whole to this follower go inline. Another set resumes afterwards
  // from its next file.
  Status BeforeFrame(const std::vector<std::string>& paths) {
    std::set<std::string> names;
    for (const auto& path : paths) names.insert(Name(path));
    const bool own = current_ && current_->names == names;
    while (current_ && (own || in_.is_open())) SCIMD_RETURN_IF_ERROR(Step(nullptr));
    std::vector<std::string> missing;
    for (const auto& path : paths) {
      if (sent_.erase(Name(path)) == 0) missing.push_back(path);
    }
    inline_files_.fetch_add(missing.size());
    return SendIngestFiles(socket_, missing);
  }
  static std::string Name(const std::string& path) {
    return std::filesystem::path(path).filename().string();
  }

 private:
  ReplicaSocket& socket_;
  std::atomic<int64_t>& progress_ms_;
  std::atomic<uint64_t>& inline_files_;
  std::shared_ptr<Staged> current_;
  size_t file_ = 0;
  std::ifstream in_;
  std::string piece_;
  std::set<std::string> sent_;  // staged whole to this follower, not yet in a frame
};

namespace {}  // namespace

struct ReplicationLeader::Follower {
  ReplicaSocket socket;
  uint32_t node = 0;
  uint64_t start = 0;
  std::atomic<uint64_t> position{0};
  std::atomic<bool> connected{true};
  std::atomic<int64_t> last_heard_ms{0};
  // The messages sent and not yet acknowledged: (last sequence, bytes), oldest first.
  std::mutex sent_mu;
  std::deque<std::pair<uint64_t, uint64_t>> sent;
  uint64_t unacked_bytes = 0;  // guarded by sent_mu
  std::atomic<uint64_t> read_position{0};
  std::atomic<bool> behind{false};               // the sender's last read was a full message
  std::deque<std::shared_ptr<Staged>> to_stage;  // guarded by the leader's mu_
  // Whether to_stage may hold a set: the sender takes the lock for it only then.
  std::atomic<bool> stage_queued{false};
  void Sent(uint64_t last, uint64_t bytes) {
    std::lock_guard<std::mutex> lock(sent_mu);
    sent.emplace_back(last, bytes);
    unacked_bytes += bytes;
  }
  void Acked(uint64_t upto) {
    std::lock_guard<std::mutex> lock(sent_mu);
    while (!sent.empty() && sent.front().first <= upto) {
      unacked_bytes -= sent.front().second;
      sent.pop_front();
    }
  }
  uint64_t Unacked() {
    std::lock_guard<std::mutex> lock(sent_mu);
    return unacked_bytes;
  }
  // Joined by whoever removes the follower (Serve when it connects again, Stop), never by
  // themselves.
  std::thread sender, receiver;
  void Join() {
    connected = false;
    socket.Shutdown();
    if (sender.joinable()) sender.join();
    if (receiver.joinable()) receiver.join();
  }
};

ReplicationLeader::ReplicationLeader(core::ReplicaLog& log, Options options)
    : log_(log), options_(std::move(options)) {
  if (options_.followers_needed == 0) replicated_ = UINT64_MAX;
  sweeper_ = std::thread([this] { SweepLoop(); });
}

ReplicationLeader::~ReplicationLeader() { Stop(); }

void ReplicationLeader::Serve(ReplicaSocket socket, const ReplicaHello& hello,
                              std::string_view challenge) {
  if (stopping_) return;
  auto refuse = [&](ReplicaMessage type, const std::string& why) {
    (void)socket.Send(type, why, kSendTimeoutMs);
  };
  if (!ReplicaMacMatches(options_.key, "hello", challenge, HelloBody(hello), hello.mac)) {
    return refuse(ReplicaMessage::kRefuse,
                  "the follower failed authentication (a different replication secret?)");
  }
  if (hello.format != log_.LogFormat()) {
    return refuse(ReplicaMessage::kRefuse, "the stores differ in format (" + hello.format +
                                               " here " + log_.LogFormat() + ")");
  }
  if (hello.term_seen > options_.term) {
    return refuse(ReplicaMessage::kRefuse, "term " + std::to_string(options_.term) +
                                               " is over: the follower knows term " +
                                               std::to_string(hello.term_seen));
  }
  auto terms = log_.ReadTerms();
  const uint64_t latest = log_.LatestSequence();
  if (!terms.ok()) return refuse(ReplicaMessage::kRefuse, terms.status().detail());
  if (!core::LogIsPrefix(hello.terms, hello.latest, *terms, latest)) {
    return refuse(ReplicaMessage::kReseed,
                  "the follower's store at " + std::to_string(hello.latest) +
                      " is not a prefix of the leader's log (it holds writes no majority took)");
  }
  auto f = std::make_shared<Follower>();
  f->node = hello.node;
  f->start = hello.latest;
  f->position = hello.latest;
  f->last_heard_ms = core::SteadyMillis();
  ReplicaWelcome welcome{options_.term, options_.node_id, latest, ""};
  welcome.mac = ReplicaMac(options_.key, "welcome", hello.nonce, WelcomeBody(welcome));
  if (!socket.Send(ReplicaMessage::kWelcome, EncodeWelcome(welcome), kSendTimeoutMs).ok()) {
    return;
  }
  // Everything after the handshake is encrypted and authenticated (replication_wire.h).
  if (ReplicaKeyIsSet(options_.key)) {
    socket.Seal(ReplicaSessionKey(options_.key, challenge, hello.nonce), /*leader_side=*/true);
  }
  f->socket = std::move(socket);
  // A follower that connects again replaces its old connection, whose threads end and
  // are joined here, outside the lock (their loops take it).
  std::vector<std::shared_ptr<Follower>> retired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    for (auto it = followers_.begin(); it != followers_.end();) {
      if ((*it)->node == f->node) {
        (*it)->connected = false;
        (*it)->socket.Shutdown();
        retired.push_back(std::move(*it));
        it = followers_.erase(it);
      } else {
        ++it;
      }
    }
    followers_.push_back(f);
    // Sets being staged that this node lacks (it reconnected midway, or just joined).
    for (const auto& [id, set] : staged_) {
      if (set->holders.count(f->node) == 0) f->to_stage.push_back(set);
    }
    f->stage_queued = !f->to_stage.empty();
    f->sender = std::thread([this, f] { SendLoop(f); });
    f->receiver = std::thread([this, f] { ReceiveLoop(f); });
  }
  wake_.notify_all();
  for (auto& old : retired) old->Join();
}

void ReplicationLeader::SendLoop(std::shared_ptr<Follower> f) {
  pthread_setname_np(pthread_self(), "repl-send");
  std::unique_ptr<core::LogReader> reader = log_.NewLogReader(f->start);
  Stager stager(f->socket, staging_progress_ms_, inline_files_);
  int64_t last_sent = core::SteadyMillis();
  std::string message;
  while (!stopping_ && f->connected) {
    std::shared_ptr<Staged> next;
    if (!stager.busy() && f->stage_queued.load()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!f->to_stage.empty()) {
        next = std::move(f->to_stage.front());
        f->to_stage.pop_front();
      }
      f->stage_queued = !f->to_stage.empty();
    }
    if (!stager.Step(next).ok()) break;
    message = EncodeU64(options_.term);
    const uint64_t seen = notified_.load();
    Status read = reader->Read(kFramesPerMessage, &message);
    if (!read.ok()) {
      // The log no longer reaches back to this follower: it must be seeded again.
      (void)f->socket.Send(ReplicaMessage::kReseed, read.detail(), kSendTimeoutMs);
      break;
    }
    f->read_position = reader->position();
    f->behind = message.size() >= kFramesPerMessage;
    if (const auto files = reader->TakeIngestFiles(); !files.empty()) {
      if (!stager.BeforeFrame(files).ok()) break;
      // Its set, if still queued for this follower, need not travel again.
      std::lock_guard<std::mutex> lock(mu_);
      const std::string first = Stager::Name(files.front());
      std::erase_if(f->to_stage, [&](const auto& set) { return set->names.count(first) > 0; });
      f->stage_queued = !f->to_stage.empty();
    }
    if (message.size() > 8) {
      f->Sent(reader->position(), message.size() - 8);
      if (!f->socket.Send(ReplicaMessage::kFrames, message, kSendTimeoutMs).ok()) break;
      last_sent = core::SteadyMillis();
      // Under a steady stream of small commits, a short pause lets the next message carry
      // many (group commit): fewer log reads here, fewer writes and acks on the follower,
      // for at most kCoalesce more latency per write.
      if (message.size() < kCoalesceBelowBytes) std::this_thread::sleep_for(kCoalesce);
      continue;  // more may be waiting
    }
    if (core::SteadyMillis() - last_sent >= options_.heartbeat.count()) {
      if (!f->socket
               .Send(ReplicaMessage::kHeartbeat,
                     EncodeU64Pair(options_.term, log_.LatestSequence()), kSendTimeoutMs)
               .ok()) {
        break;
      }
      last_sent = core::SteadyMillis();
    }
    if (stager.busy()) continue;  // the next piece at once
    std::unique_lock<std::mutex> lock(mu_);
    sleepers_.fetch_add(1);
    wake_.wait_for(lock, std::chrono::milliseconds(20), [&] {
      return stopping_ || notified_.load() != seen || !f->connected || !f->to_stage.empty();
    });
    sleepers_.fetch_sub(1);
  }
  f->connected = false;
  f->socket.Shutdown();
}

void ReplicationLeader::ReceiveLoop(std::shared_ptr<Follower> f) {
  pthread_setname_np(pthread_self(), "repl-acks");
  ReplicaMessage type;
  std::string payload;
  while (!stopping_ && f->connected) {
    Status s = f->socket.Receive(&type, &payload, 500);
    if (s.code() == core::Status::Code::kUnavailable) continue;  // quiet
    if (!s.ok()) break;
    if (type == ReplicaMessage::kStaged) {
      auto id = DecodeU64(payload);
      if (!id.ok()) break;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (auto it = staged_.find(*id); it != staged_.end()) it->second->holders.insert(f->node);
      }
      staged_cv_.notify_all();
      continue;
    }
    if (type != ReplicaMessage::kAck) break;
    auto position = DecodeU64(payload);
    if (!position.ok()) break;
    f->last_heard_ms = core::SteadyMillis();
    if (*position > f->position) {
      f->position = *position;
      f->Acked(*position);
      OnAck();
    }
  }
  f->connected = false;
  f->socket.Shutdown();
  wake_.notify_all();
}

void ReplicationLeader::OnAck() {
  std::vector<uint64_t> positions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& f : followers_) positions.push_back(f->position.load());
  }
  const size_t k = options_.followers_needed;
  if (k == 0 || positions.size() < k) return;
  std::nth_element(positions.begin(), positions.begin() + static_cast<long>(k - 1), positions.end(),
                   std::greater<>());
  const uint64_t majority = positions[k - 1];
  uint64_t was = replicated_.load();
  while (majority > was && !replicated_.compare_exchange_weak(was, majority)) {
  }
  Release(majority, true, false);
}

void ReplicationLeader::Release(uint64_t upto, bool ok, bool expired_only) {
  std::vector<std::function<void(bool)>> ready;
  const int64_t now = core::SteadyMillis();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (expired_only ? it->second.deadline_ms <= now : it->first <= upto) {
        ready.push_back(std::move(it->second.done));
        it = waiters_.erase(it);
      } else if (!expired_only) {
        break;  // in sequence order
      } else {
        ++it;
      }
    }
  }
  if (ready.empty()) return;
  bool may = false;
  if (ok) {
    may = MayAcknowledge(ready.size());
  } else {
    unreplicated_.fetch_add(ready.size());
  }
  for (auto& done : ready) done(may);
}

bool ReplicationLeader::MayAcknowledge(size_t n) {
  // Not while the lease may have run out: a new leader may exist.
  if (!options_.may_acknowledge()) {
    unreplicated_.fetch_add(n);
    return false;
  }
  if (!acknowledged_once_.exchange(true) && options_.on_first_acknowledged) {
    options_.on_first_acknowledged();
  }
  return true;
}

void ReplicationLeader::WhenReplicated(uint64_t sequence, std::function<void(bool)> done) {
  if (stopping_) return done(false);
  if (sequence <= replicated_.load()) return done(MayAcknowledge(1));
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiters_.emplace(sequence,
                     Waiter{core::SteadyMillis() + options_.ack_timeout.count(), std::move(done)});
  }
  if (stopping_) return Release(UINT64_MAX, false, false);  // Stop ran meanwhile
  // An ack may have come in between the check and the insert.
  if (sequence <= replicated_.load()) Release(replicated_.load(), true, false);
}

Status ReplicationLeader::Stage(const std::vector<std::string>& paths) {
  if (options_.followers_needed == 0) return Status::Ok();
  auto set = std::make_shared<Staged>();
  set->paths = paths;
  for (const auto& path : paths) set->names.insert(Stager::Name(path));
  std::unique_lock<std::mutex> lock(mu_);
  size_t connected = 0;
  for (const auto& f : followers_) connected += f->connected ? 1 : 0;
  if (connected < options_.followers_needed) {
    return Status::Unavailable("too few followers are connected to take an ingest's files", 5);
  }
  set->id = ++next_stage_;
  staged_[set->id] = set;
  for (auto& f : followers_) {
    if (!f->connected) continue;
    f->to_stage.push_back(set);
    f->stage_queued = true;
  }
  wake_.notify_all();
  // Stalled: no piece of any set moved to any follower for a while (a set queued behind
  // another import's is not stalled while that one moves).
  staging_progress_ms_ = core::SteadyMillis();
  Status result = Status::Ok();
  while (set->holders.size() < options_.followers_needed) {
    if (stopping_) {
      result = Status::Unavailable("the leader is stopping", 5);
      break;
    }
    if (core::SteadyMillis() - staging_progress_ms_.load() > kStageStallMs) {
      result = Status::Unavailable("the followers took no piece of an ingest's files for " +
                                       std::to_string(kStageStallMs / 1000) + " s",
                                   5);
      break;
    }
    staged_cv_.wait_for(lock, std::chrono::milliseconds(200));
  }
  if (!result.ok()) set->cancelled = true;
  staged_.erase(set->id);
  return result;
}

void ReplicationLeader::Notify() {
  notified_.fetch_add(1);
  // A wake-up costs a system call per commit; a busy sender reads the new commits anyway
  // on its next pass. The lock orders this against a sender between its check and its
  // wait (it then either sees the new count or is already waiting).
  if (sleepers_.load() == 0) return;
  { std::lock_guard<std::mutex> lock(mu_); }
  wake_.notify_all();
}

void ReplicationLeader::SweepLoop() {
  pthread_setname_np(pthread_self(), "repl-sweep");
  while (!stopping_) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      sweep_.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping_.load(); });
    }
    if (stopping_) break;
    Release(0, false, true);  // waiters past their deadline
    if (!options_.may_acknowledge()) Release(UINT64_MAX, false, false);
    // The ingests every follower of the group holds (all, with no followers) no longer
    // need their files kept (old ones go anyway: ReplicaLog::ReleaseIngests).
    uint64_t held = options_.followers_total == 0 ? UINT64_MAX : 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (options_.followers_total > 0 && followers_.size() >= options_.followers_total) {
        held = UINT64_MAX;
        for (const auto& f : followers_) held = std::min(held, f->position.load());
      }
    }
    log_.ReleaseIngests(held);
  }
}

std::vector<ReplicationLeader::FollowerState> ReplicationLeader::Followers() const {
  std::vector<std::shared_ptr<Follower>> followers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    followers = followers_;
  }
  std::vector<FollowerState> out;
  for (const auto& f : followers) {
    uint64_t lag = f->Unacked();
    if (f->behind) lag += log_.LogBytesAfter(f->read_position.load());
    out.push_back({f->node, f->position.load(), f->connected.load(), f->last_heard_ms.load(), lag});
  }
  return out;
}

void ReplicationLeader::Stop() {
  if (stopping_.exchange(true)) {
    return;
  }
  { std::lock_guard<std::mutex> lock(mu_); }
  wake_.notify_all();
  sweep_.notify_all();
  staged_cv_.notify_all();
  std::vector<std::shared_ptr<Follower>> followers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    followers.swap(followers_);
  }
  for (auto& f : followers) f->Join();
  if (sweeper_.joinable()) sweeper_.join();
  Release(UINT64_MAX, false, false);
}

namespace {

void AttachHold(HttpResponse& response, ReplicationLeader& leader, core::ReplicaLog& log) {
  const uint64_t sequence = log.LatestSequence();
  leader.Notify();
  response.hold = [&leader, sequence](HttpResponse::Release release) {
    leader.WhenReplicated(sequence, [release = std::move(release)](bool ok) {
      if (ok) return release(nullptr);
      auto instead = std::make_unique<HttpResponse>();
      instead->status = 503;
      instead->SetHeader("Content-Type", std::string(core::kScimMediaType));
      instead->SetHeader("Retry-After", "1");
      instead->body = ScimErrorBody(
          503,
          "the write was made on the leader but a majority of its replica group did not "
          "confirm it in time; it may or may not remain: read it back, or retry");
      release(std::move(instead));
    });
  };
}

}  // namespace

void HoldUntilReplicated(std::string_view method, HttpResponse& response, ReplicationLeader& leader,
                         core::ReplicaLog& log) {
  if (method == "GET" || method == "HEAD" || method == "OPTIONS") return;
  if (response.deferred) {
    response.deferred = [job = std::move(response.deferred), &leader, &log](HttpResponse& out) {
      job(out);
      AttachHold(out, leader, log);
    };
    return;
  }
  AttachHold(response, leader, log);
}

}  // namespace scimd::net
