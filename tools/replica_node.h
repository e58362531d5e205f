// A member of a replica group (issue #25; docs/DESIGN.md, "Replication"; docs/SCALING.md):
// `scimd --node-id ID --cluster FILE --etcd URL`. The node keeps an etcd lease; while no
// leader holds the group's key, each node publishes its log position and the most
// up-to-date of a majority creates the key (its create revision is the new term), writes
// the term's marker and leads; the others follow the leader's log over its replication
// address. A leader that loses its key or cannot renew its lease in time stops
// acknowledging and steps down by ending the process (the supervisor starts it again as a
// follower; whatever it wrote that no majority took is then discarded by a re-seed). A
// follower whose store is not a prefix of the leader's log downloads a checkpoint of the
// leader's store and restarts on it. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/base/status.h"
#include "net/etcd.h"
#include "net/prometheus.h"
#include "net/replication_leader.h"
#include "net/replication_wire.h"

namespace scimd::storage {
class RocksStore;
}

namespace scimd::tools {

struct ClusterNode {
  uint32_t id = 0;
  std::string listen;       // SCIM listener host:port
  std::string admin;        // admin listener host:port
  std::string replication;  // where peers reach this node's log
};
struct ClusterConfig {
  std::string group = "default";  // etcd keys under /scimd/groups/<group>/
  // The contents of `secret-file` (the same on every node): the replication handshake's
  // key (net/replication_wire.h). Empty: no authentication.
  std::string secret;
  std::vector<ClusterNode> nodes;
  const ClusterNode* Find(uint32_t id) const;
};
// The cluster file: TOML, `group = "name"` and `secret-file = "path"` (both optional) and
// one [[node]] table per node with id, listen, admin and replication. Errors name the
// file, line and column.
core::Result<ClusterConfig> LoadClusterFile(const std::string& path);

// Completes a seed a follower downloaded before it restarted: `<dir>.seed` (complete)
// replaces `dir`. Called before the store is opened.
core::Status InstallSeed(const std::string& dir);

class ReplicaNode {
 public:
  struct Options {
    uint32_t node_id = 0;
    ClusterConfig cluster;
    std::string etcd_url;
    std::string data_dir;
    int64_t lease_ttl_seconds = 3;
    std::chrono::milliseconds ack_timeout{5000};
    // After the term's marker is written and before writes are let in.
    std::function<void(uint64_t term)> on_promote;
    // The node must stop now (it lost leadership, or was re-seeded): log and end.
    std::function<void(const std::string& why)> on_exit;
    std::function<void(const std::string& line)> log;
  };
  enum class Role { kStarting, kFollower, kCandidate, kLeader };

  ReplicaNode(storage::RocksStore& store, Options options);
  ~ReplicaNode();  // Stop()
  ReplicaNode(const ReplicaNode&) = delete;
  ReplicaNode& operator=(const ReplicaNode&) = delete;

  // Listens on the node's replication address and starts the election thread.
  core::Status Start();
  void Stop();

  // Empty when this node may take writes (the leader, with a fresh lease); else why not,
  // naming the leader when one is known.
  std::string NotLeader() const;
  // Non-null once this node leads (until the process ends).
  net::ReplicationLeader* leader() const { return leader_ptr_.load(); }
  // GET /admin/v1/cluster.
  std::string StatusJson() const;
  // The scimd_replication_* families of /metrics.
  void WriteMetrics(net::PrometheusText& out) const;
  Role role() const { return role_.load(); }
  uint64_t term() const { return term_.load(); }

 private:
  void ElectionLoop();
  void KeepAliveLoop();
  void AcceptLoop();
  void FollowLoop(uint32_t leader, uint64_t term);
  void StartFollowing(uint32_t leader, uint64_t term);
  void StopFollowing();
  bool LeaseFresh() const;
  void Promote(uint64_t term);
  void Seed(const ClusterNode& leader);
  void ServeSeed(net::ReplicaSocket socket, std::string challenge, std::string nonce);
  std::string Key(const std::string& what) const;
  void Log(const std::string& line) const;

  storage::RocksStore& store_;
  const Options options_;
  const ClusterNode* self_ = nullptr;
  net::Etcd etcd_;
  net::ReplicaKey key_;
  std::atomic<bool> stopping_{false};
  std::atomic<Role> role_{Role::kStarting};
  std::atomic<uint64_t> term_{0};
  std::atomic<uint32_t> leader_id_{0};
  std::atomic<uint64_t> leader_latest_{0};   // as a follower, from the leader's messages
  std::atomic<int64_t> behind_since_ms_{0};  // as a follower: since when it lags (0: not)
  std::atomic<uint64_t> terms_seen_{0};      // leaders followed or become: leader changes
  std::atomic<int64_t> lease_{0};
  std::atomic<int64_t> lease_renewed_ms_{0};  // when the last successful keep-alive was sent
  std::unique_ptr<net::ReplicationLeader> leader_owner_;
  std::atomic<net::ReplicationLeader*> leader_ptr_{nullptr};
  net::ReplicaListener listener_;
  std::thread election_, keepalive_, acceptor_;
  std::mutex follow_mu_;
  std::thread follower_;
  std::atomic<bool> stop_following_{false};
  uint64_t following_term_ = 0;  // guarded by follow_mu_
  // Threads serving a checkpoint; each sets its flag when done, and finished ones are
  // joined when the next seed request comes (all of them at Stop).
  struct SeedThread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex seeds_mu_;
  std::vector<SeedThread> seeds_;
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
};

}  // namespace scimd::tools
