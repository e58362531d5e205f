// The leader's side of replication (docs/DESIGN.md, "Replication"): each follower that
// connects gets the log from its position (a sender thread tailing the store's log, woken
// by Notify after each commit; a heartbeat when idle) and reports what it holds durably (a
// receiver thread). A commit is acknowledged once `followers_needed` followers hold it
// (with the leader, a majority), and only while `may_acknowledge` says the leader's lease
// still holds. Waiters are released in sequence order; a write that no majority takes
// within `ack_timeout` is answered false (the caller's 503). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/base/replica_log.h"
#include "net/http_types.h"
#include "net/replication_wire.h"

namespace scimd::net {

class ReplicationLeader {
 public:
  struct Options {
    uint64_t term = 0;
    uint32_t node_id = 0;
    size_t followers_needed = 1;  // group of 3: 1; of 5: 2; alone: 0
    // The group's other nodes: once that many followers hold an ingest, the files kept
    // for it are released (ReplicaLog::ReleaseIngests; with 0, at once).
    size_t followers_total = 0;
    std::chrono::milliseconds ack_timeout{5000};
    std::chrono::milliseconds heartbeat{200};
    std::function<bool()> may_acknowledge = [] { return true; };
    ReplicaKey key = MakeReplicaKey("");  // the group's (replication_wire.h)
    // Once, when the first write of the term is acknowledged (before its answer goes
    // out): the record tests use to show that one node at most acknowledged in a term.
    std::function<void()> on_first_acknowledged;
  };
  struct FollowerState {
    uint32_t node = 0;
    uint64_t position = 0;  // durable on the follower
    bool connected = false;
    int64_t last_heard_ms = 0;  // steady clock, ms
    // Log bytes the follower does not hold yet: sent and not acknowledged, plus, when
    // its sender is a full message or more behind, the log files after what it read
    // (ReplicaLog::LogBytesAfter).
    uint64_t lag_bytes = 0;
  };

  ReplicationLeader(core::ReplicaLog& log, Options options);
  ~ReplicationLeader();  // Stop()
  ReplicationLeader(const ReplicationLeader&) = delete;
  ReplicationLeader& operator=(const ReplicationLeader&) = delete;

  // A follower's connection whose Hello was read, after `challenge` was sent on it:
  // answers it and, when welcome, serves it on threads of its own. Returns at once.
  void Serve(ReplicaSocket socket, const ReplicaHello& hello, std::string_view challenge);
  // New commits are in the log (cheap; call after each write).
  void Notify();
  // Before an ingest (the store's stager, RocksStore::SetIngestStager): sends the files at
  // `paths` to every connected follower beside the log (a piece at a time between log
  // messages, so writes go on being acknowledged meanwhile) and returns once
  // `followers_needed` of them hold them; the ingest's frame then finds them in their
  // inbox instead of carrying them. Unavailable when that does not happen (no piece moved
  // for 30 s, too few followers, Stop).
  core::Status Stage(const std::vector<std::string>& paths);
  // `done(true)` once `sequence` is on a majority, `done(false)` after the ack timeout, on
  // Stop or when the lease may have expired. `done` runs on one of the leader's threads
  // (or in this call) and must be quick.
  void WhenReplicated(uint64_t sequence, std::function<void(bool)> done);
  // The highest sequence held by a majority (what may be acknowledged).
  uint64_t replicated() const { return replicated_.load(); }
  std::vector<FollowerState> Followers() const;
  uint64_t term() const { return options_.term; }
  // Writes answered 503 because no majority confirmed them in time (or the lease lapsed).
  uint64_t unreplicated() const { return unreplicated_.load(); }
  // Ingest files sent with their frame because the follower had not been staged them.
  uint64_t inline_files() const { return inline_files_.load(); }
  // Fails every waiter, closes every connection, joins the threads.
  void Stop();

 private:
  struct Follower;
  struct Staged;
  class Stager;
  void SendLoop(std::shared_ptr<Follower> f);
  void ReceiveLoop(std::shared_ptr<Follower> f);
  void SweepLoop();
  void OnAck();  // recomputes replicated_ and releases waiters
  void Release(uint64_t upto, bool ok, bool expired_only);
  // Whether `n` waiters may be answered 2xx now; counts those that may not.
  bool MayAcknowledge(size_t n);

  core::ReplicaLog& log_;
  const Options options_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> replicated_{0};
  std::atomic<uint64_t> notified_{0};
  std::atomic<uint64_t> unreplicated_{0};
  std::atomic<bool> acknowledged_once_{false};

  mutable std::mutex mu_;          // followers_, waiters_
  std::condition_variable wake_;   // senders: new commits, or stop
  std::condition_variable sweep_;  // the sweeper: stop
  std::atomic<int> sleepers_{0};   // senders waiting on wake_ (Notify skips the wake-up
                                   // while every sender is busy)
  std::vector<std::shared_ptr<Follower>> followers_;
  struct Waiter {
    int64_t deadline_ms;
    std::function<void(bool)> done;
  };
  std::multimap<uint64_t, Waiter> waiters_;
  std::condition_variable staged_cv_;                   // Stage: a follower holds a set
  uint64_t next_stage_ = 0;                             // guarded by mu_
  std::map<uint64_t, std::shared_ptr<Staged>> staged_;  // guarded by mu_
  std::atomic<int64_t> staging_progress_ms_{0};         // the last staged piece sent, any follower
  std::atomic<uint64_t> inline_files_{0};
  std::thread sweeper_;
};

// For a request of `method` other than GET/HEAD/OPTIONS: makes `response` (or the answer
// of its deferred job) wait until `leader` holds its commit on a majority (the log's latest
// sequence when the answer was made covers it); a 503 SCIM error replaces it when that
// does not happen within the ack timeout.
void HoldUntilReplicated(std::string_view method, HttpResponse& response, ReplicationLeader& leader,
                         core::ReplicaLog& log);

}  // namespace scimd::net
