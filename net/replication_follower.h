// The follower's side of replication (docs/DESIGN.md, "Replication"): connects to the
// leader's replication address, says Hello, then applies each Frames message to its store
// (each leader commit as one write) and answers with the position it now holds (durably as far as
// the store's sync setting goes: the leader counts it toward a majority). Frames of any term but
// the welcome's are refused, as is a leader whose term is below the highest the node knows.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "core/base/replica_log.h"
#include "net/replication_wire.h"

namespace scimd::net {

struct FollowOptions {
  uint32_t node_id = 0;
  std::string leader_host;
  uint16_t leader_port = 0;
  uint64_t term_seen = 0;  // the highest term this node knows of (etcd's leader key)
  int connect_timeout_ms = 1000;
  // Silence from the leader longer than this ends the connection (it sends heartbeats).
  int quiet_timeout_ms = 2000;
  ReplicaKey key = MakeReplicaKey("");  // the group's (replication_wire.h)
};

enum class FollowEnd {
  kStopped,  // `stop` was set
  kLost,     // the connection failed or went quiet: try again (maybe another leader)
  kReseed,   // the leader says this store must be seeded again from its checkpoint
  kRefused,  // the leader refused (not the leader any more, a format or term mismatch)
  kApplyFailed,
};

// Follows until `stop` is set or the connection ends; `why` says what ended it.
// `on_progress(term, leader_latest)` is called after each message (for lag figures).
FollowEnd FollowLeader(
    core::ReplicaLog& log, const FollowOptions& options, const std::atomic<bool>& stop,
    std::string* why,
    const std::function<void(uint64_t term, uint64_t leader_latest)>& on_progress = nullptr);

}  // namespace scimd::net
