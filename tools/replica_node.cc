// A member of a replica group (replica_node.h).
#include "tools/replica_node.h"

#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/base/clock.h"
#include "core/base/json.h"
#include "net/replication_follower.h"
#include "storage/rocks_store.h"

namespace scimd::tools {
namespace fs = std::filesystem;
using core::Json;
using core::Status;
using net::ReplicaMessage;
using net::ReplicaSocket;

namespace {

constexpr auto kElectionTick = std::chrono::milliseconds(200);
// How long candidates wait for each other's positions before the best one campaigns.
constexpr auto kCandidateWindow = std::chrono::milliseconds(400);
constexpr int kSendTimeoutMs = 10'000;
constexpr char kSeedMarker[] = "SEED-COMPLETE";

const char* RoleName(ReplicaNode::Role role) {
  switch (role) {
    case ReplicaNode::Role::kStarting: return "starting";
    case ReplicaNode::Role::kFollower: return "follower";
    case ReplicaNode::Role::kCandidate: return "candidate";
    case ReplicaNode::Role::kLeader: return "leader";
  }
  return "?";
}

// "<last term> <latest>" of a candidate's key.
std::string Position(uint64_t last_term, uint64_t latest) {
  return std::to_string(last_term) + " " + std::to_string(latest);
}

}  // namespace

const ClusterNode* ClusterConfig::Find(uint32_t id) const {
  for (const auto& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

core::Result<ClusterConfig> LoadClusterFile(const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << path << ":" << e.source().begin.line << ":" << e.source().begin.column;
    return Status::InvalidValue(where.str() + ": " + std::string(e.description()));
  }
  ClusterConfig out;
  if (auto group = table["group"].value<std::string>()) out.group = *group;
  if (auto secret_file = table["secret-file"].value<std::string>()) {
    std::ifstream in(*secret_file, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in.good() && !in.eof()) {
      return Status::InvalidValue(path + ": cannot read secret-file " + *secret_file);
    }
    out.secret = bytes.str();
    while (!out.secret.empty() && (out.secret.back() == '\n' || out.secret.back() == '\r')) {
      out.secret.pop_back();
    }
    if (out.secret.size() < 16) {
      return Status::InvalidValue(path + ": secret-file " + *secret_file +
                                  " must hold at least 16 bytes");
    }
  }
  const toml::array* nodes = table["node"].as_array();
  if (nodes == nullptr || nodes->empty()) {
    return Status::InvalidValue(path + ": no [[node]] tables");
  }
  for (const toml::node& entry : *nodes) {
    const toml::table* t = entry.as_table();
    if (t == nullptr) return Status::InvalidValue(path + ": [[node]] must be tables");
    ClusterNode n;
    auto id = (*t)["id"].value<int64_t>();
    auto listen = (*t)["listen"].value<std::string>();
    auto admin = (*t)["admin"].value<std::string>();
    auto replication = (*t)["replication"].value<std::string>();
    std::ostringstream where;
    where << path << ":" << t->source().begin.line;
    if (!id || *id <= 0 || *id > UINT32_MAX || !listen || !admin || !replication) {
      return Status::InvalidValue(where.str() +
                                  ": a [[node]] needs id (a positive integer), listen, admin "
                                  "and replication");
    }
    n.id = static_cast<uint32_t>(*id);
    n.listen = *listen;
    n.admin = *admin;
    n.replication = *replication;
    if (out.Find(n.id) != nullptr) {
      return Status::InvalidValue(where.str() + ": node id " + std::to_string(n.id) + " twice");
    }
    out.nodes.push_back(std::move(n));
  }
  return out;
}

Status InstallSeed(const std::string& dir) {
  const std::string seed = dir + ".seed";
  std::error_code ec;
  if (fs::exists(dir + "/" + kSeedMarker, ec) && !fs::exists(seed, ec)) {
    // Installed; ended before its last steps.
    for (const char* keep : {"backups", "imports"}) {
      if (fs::exists(dir + ".replaced/" + keep, ec) && !fs::exists(dir + "/" + keep, ec)) {
        fs::rename(dir + ".replaced/" + keep, dir + "/" + keep, ec);
      }
    }
    fs::remove(dir + "/" + kSeedMarker, ec);
    fs::remove_all(dir + ".replaced", ec);
    return Status::Ok();
  }
  if (!fs::exists(seed + "/" + kSeedMarker, ec)) {
    fs::remove_all(seed, ec);  // an unfinished download
    fs::remove_all(seed + ".tmp", ec);
    return Status::Ok();
  }
  // Each step leaves a state the next start completes: the marker goes last.
  const std::string old = dir + ".replaced";
  if (fs::exists(dir, ec)) {
    fs::remove_all(old, ec);
    fs::rename(dir, old, ec);
    if (ec) return Status::IoError("cannot move " + dir + " aside: " + ec.message());
  }
  fs::rename(seed, dir, ec);
  if (ec) return Status::IoError("cannot install the seed in " + dir + ": " + ec.message());
  // What is not the store stays: backups taken on this node, uploads for imports.
  for (const char* keep : {"backups", "imports"}) {
    if (fs::exists(old + "/" + keep, ec)) fs::rename(old + "/" + keep, dir + "/" + keep, ec);
  }
  fs::remove(dir + "/" + kSeedMarker, ec);
  fs::remove_all(old, ec);
  return Status::Ok();
}

ReplicaNode::ReplicaNode(storage::RocksStore& store, Options options)
    : store_(store),
      options_(std::move(options)),
      etcd_(options_.etcd_url, 1000),
      key_(net::MakeReplicaKey(options_.cluster.secret)) {
  self_ = options_.cluster.Find(options_.node_id);
}

ReplicaNode::~ReplicaNode() { Stop(); }

std::string ReplicaNode::Key(const std::string& what) const {
  return "/scimd/groups/" + options_.cluster.group + "/" + what;
}

void ReplicaNode::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

Status ReplicaNode::Start() {
  if (self_ == nullptr) {
    return Status::InvalidValue("node " + std::to_string(options_.node_id) +
                                " is not in the cluster file");
  }
  std::string host;
  uint16_t port = 0;
  SCIMD_RETURN_IF_ERROR(net::SplitHostPort(self_->replication, &host, &port));
  SCIMD_RETURN_IF_ERROR(listener_.Listen(host, port));
  // Checkpoints a leader was streaming when it ended (their hard links pin old files).
  std::error_code ec;
  fs::remove_all(options_.data_dir + "/replication-seeds", ec);
  auto lease = etcd_.GrantLease(options_.lease_ttl_seconds);
  if (!lease.ok()) return lease.status();
  lease_ = *lease;
  lease_renewed_ms_ = core::SteadyMillis();
  role_ = Role::kFollower;
  keepalive_ = std::thread([this] { KeepAliveLoop(); });
  acceptor_ = std::thread([this] { AcceptLoop(); });
  election_ = std::thread([this] { ElectionLoop(); });
  return Status::Ok();
}

void ReplicaNode::Stop() {
  if (stopping_.exchange(true)) return;
  sleep_cv_.notify_all();
  for (std::thread* t : {&election_, &keepalive_, &acceptor_}) {
    if (t->joinable()) t->join();
  }
  StopFollowing();
  store_.SetIngestStager(nullptr);
  if (leader_owner_) leader_owner_->Stop();
  std::vector<SeedThread> seeds;
  {
    std::lock_guard<std::mutex> lock(seeds_mu_);
    seeds.swap(seeds_);
  }
  for (auto& t : seeds) t.thread.join();
  listener_.Close();
  if (lease_ != 0) (void)etcd_.Revoke(lease_);
}

bool ReplicaNode::LeaseFresh() const {
  // etcd expires the lease TTL seconds after the last keep-alive it received, which left
  // here at lease_renewed_ms_ or later: stop a second before that can happen.
  return core::SteadyMillis() - lease_renewed_ms_.load() < (options_.lease_ttl_seconds - 1) * 1000;
}

void ReplicaNode::KeepAliveLoop() {
  const auto every = std::chrono::milliseconds(options_.lease_ttl_seconds * 1000 / 6);
  while (!stopping_) {
    const int64_t sent = core::SteadyMillis();
    Status s = etcd_.KeepAlive(lease_);
    if (s.ok()) {
      lease_renewed_ms_ = sent;
    } else if (s.code() == core::Status::Code::kNotFound) {
      if (role_ == Role::kLeader) {
        options_.on_exit("the etcd lease expired while leading term " +
                         std::to_string(term_.load()));
        return;
      }
      auto lease = etcd_.GrantLease(options_.lease_ttl_seconds);
      if (lease.ok()) {
        lease_ = *lease;
        lease_renewed_ms_ = core::SteadyMillis();
      }
    }
    std::unique_lock<std::mutex> lock(sleep_mu_);
    sleep_cv_.wait_for(lock, every, [&] { return stopping_.load(); });
  }
}

void ReplicaNode::ElectionLoop() {
  const size_t majority = options_.cluster.nodes.size() / 2 + 1;
  while (!stopping_) {
    {
      std::unique_lock<std::mutex> lock(sleep_mu_);
      sleep_cv_.wait_for(lock, kElectionTick, [&] { return stopping_.load(); });
    }
    if (stopping_) break;
    auto kv = etcd_.Get(Key("leader"));
    if (role_ == Role::kLeader) {
      if (kv.ok() &&
          (!kv->has_value() || static_cast<uint64_t>((*kv)->create_revision) != term_.load())) {
        return options_.on_exit("the group's leader key is no longer this node's (term " +
                                std::to_string(term_.load()) + ")");
      }
      if (!LeaseFresh()) {
        return options_.on_exit("the etcd lease could not be renewed in time (term " +
                                std::to_string(term_.load()) + ")");
      }
      continue;
    }
    if (!kv.ok()) continue;  // etcd unreachable: keep following whoever we follow
    if (kv->has_value()) {
      const uint64_t term = static_cast<uint64_t>((*kv)->create_revision);
      const uint32_t leader =
          static_cast<uint32_t>(std::strtoul((*kv)->value.c_str(), nullptr, 10));
      bool same = false;
      {
        std::lock_guard<std::mutex> lock(follow_mu_);
        same = following_term_ == term && follower_.joinable();
      }
      if (!same && leader != options_.node_id) {
        // The candidate key must go before this store moves on: left under the live lease
        // with an old position, it could make a node further behind look the best of a
        // later election.
        if (!etcd_.Delete(Key("candidates/" + std::to_string(options_.node_id))).ok()) continue;
        StartFollowing(leader, term);
      }
      continue;
    }
    // No leader: stop applying, say where this store is, and let the best of a majority
    // take the key.
    StopFollowing();
    role_ = Role::kCandidate;
    leader_id_ = 0;
    auto terms = store_.ReadTerms();
    if (!terms.ok()) continue;
    const uint64_t last_term = terms->empty() ? 0 : terms->back().term;
    const uint64_t latest = store_.LatestSequence();
    if (!etcd_
             .Put(Key("candidates/" + std::to_string(options_.node_id)),
                  Position(last_term, latest), lease_.load())
             .ok()) {
      continue;
    }
    {
      std::unique_lock<std::mutex> lock(sleep_mu_);
      sleep_cv_.wait_for(lock, kCandidateWindow, [&] { return stopping_.load(); });
    }
    auto candidates = etcd_.List(Key("candidates/"));
    if (!candidates.ok() || candidates->size() < majority) continue;
    bool best = true;
    for (const auto& [key, value] : *candidates) {
      const uint32_t id =
          static_cast<uint32_t>(std::strtoul(key.substr(key.rfind('/') + 1).c_str(), nullptr, 10));
      uint64_t their_term = 0;
      uint64_t their_latest = 0;
      std::istringstream in(value);
      in >> their_term >> their_latest;
      if (id == options_.node_id) continue;
      if (std::tie(their_term, their_latest) > std::tie(last_term, latest) ||
          (std::tie(their_term, their_latest) == std::tie(last_term, latest) &&
           id < options_.node_id)) {
        best = false;
      }
    }
    if (!best) continue;
    auto created = etcd_.CreateIfAbsent(Key("leader"), std::to_string(options_.node_id), lease_);
    if (!created.ok() || !created->has_value()) continue;
    Promote(static_cast<uint64_t>(**created));
  }
}

void ReplicaNode::Promote(uint64_t term) {
  StopFollowing();
  if (Status s = store_.StartTerm(term); !s.ok()) {
    return options_.on_exit("cannot write the marker of term " + std::to_string(term) + ": " +
                            s.detail());
  }
  net::ReplicationLeader::Options o;
  o.term = term;
  o.node_id = options_.node_id;
  o.followers_needed = options_.cluster.nodes.size() / 2;
  o.followers_total = options_.cluster.nodes.size() - 1;
  o.ack_timeout = options_.ack_timeout;
  o.may_acknowledge = [this] { return LeaseFresh(); };
  o.key = key_;
  o.on_first_acknowledged = [this, term] {
    Log("node " + std::to_string(options_.node_id) +
        " acknowledged its first write as the leader of term " + std::to_string(term));
  };
  leader_owner_ = std::make_unique<net::ReplicationLeader>(store_, o);
  leader_ptr_ = leader_owner_.get();
  // An import's or a tenant arrival's files go to the followers before the ingest.
  store_.SetIngestStager(
      [this, leader = leader_owner_.get()](const std::vector<std::string>& paths) {
        const int64_t start = core::SteadyMillis();
        uint64_t bytes = 0;
        for (const auto& p : paths) {
          std::error_code ec;
          bytes += fs::file_size(p, ec);
        }
        Status s = leader->Stage(paths);
        Log("an ingest's " + std::to_string(paths.size()) + " files (" + std::to_string(bytes) +
            " bytes) " + (s.ok() ? "staged on a majority" : "not staged: " + s.detail()) + " in " +
            std::to_string(core::SteadyMillis() - start) + " ms");
        return s;
      });
  term_ = term;
  leader_id_ = options_.node_id;
  terms_seen_.fetch_add(1);
  (void)etcd_.Delete(Key("candidates/" + std::to_string(options_.node_id)));
  Log("leading term " + std::to_string(term) + " from sequence " +
      std::to_string(store_.LatestSequence()));
  if (options_.on_promote) options_.on_promote(term);
  role_ = Role::kLeader;
}

void ReplicaNode::StartFollowing(uint32_t leader, uint64_t term) {
  StopFollowing();
  std::lock_guard<std::mutex> lock(follow_mu_);
  following_term_ = term;
  term_ = term;
  terms_seen_.fetch_add(1);
  leader_id_ = leader;
  role_ = Role::kFollower;
  stop_following_ = false;
  follower_ = std::thread([this, leader, term] { FollowLoop(leader, term); });
  Log("following node " + std::to_string(leader) + " in term " + std::to_string(term));
}

void ReplicaNode::StopFollowing() {
  std::lock_guard<std::mutex> lock(follow_mu_);
  stop_following_ = true;
  if (follower_.joinable()) follower_.join();
  following_term_ = 0;
}

void ReplicaNode::FollowLoop(uint32_t leader, uint64_t term) {
  pthread_setname_np(pthread_self(), "repl-follow");
  const ClusterNode* node = options_.cluster.Find(leader);
  if (node == nullptr) {
    Log("the leader, node " + std::to_string(leader) + ", is not in the cluster file");
    return;
  }
  net::FollowOptions o;
  o.node_id = options_.node_id;
  o.term_seen = term;
  o.key = key_;
  if (!net::SplitHostPort(node->replication, &o.leader_host, &o.leader_port).ok()) return;
  while (!stop_following_ && !stopping_) {
    std::string why;
    const net::FollowEnd end =
        net::FollowLeader(store_, o, stop_following_, &why, [this](uint64_t, uint64_t latest) {
          leader_latest_ = latest;
          if (store_.LatestSequence() >= latest) {
            behind_since_ms_ = 0;
          } else if (behind_since_ms_.load() == 0) {
            behind_since_ms_ = core::SteadyMillis();
          }
        });
    if (end == net::FollowEnd::kStopped) return;
    if (end == net::FollowEnd::kReseed) {
      Log("node " + std::to_string(leader) + " says this store must be seeded again: " + why);
      Seed(*node);  // ends the process once seeded; after a failure, follow (and try) again
      continue;
    }
    if (end == net::FollowEnd::kApplyFailed) {
      return options_.on_exit("applying the leader's log failed: " + why);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

void ReplicaNode::Seed(const ClusterNode& leader) {
  std::string host;
  uint16_t port = 0;
  if (!net::SplitHostPort(leader.replication, &host, &port).ok()) return;
  const std::string tmp = options_.data_dir + ".seed.tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  auto fail = [&](const std::string& why) {
    fs::remove_all(tmp, ec);
    Log("seeding from node " + std::to_string(leader.id) + " failed: " + why);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  };
  auto socket = ReplicaSocket::Connect(host, port, 2000);
  if (!socket.ok()) return fail(socket.status().detail());
  ReplicaMessage type;
  std::string payload;
  if (Status s = socket->ReceiveHandshake(&type, &payload, 5000);
      !s.ok() || type != ReplicaMessage::kChallenge) {
    return fail("no challenge");
  }
  // The request: who asks, a nonce for the leader's final MAC, a MAC over the challenge.
  const std::string nonce = net::ReplicaNonce();
  const std::string body = net::EncodeU64(options_.node_id) + nonce;
  if (Status s = socket->Send(ReplicaMessage::kSeedRequest,
                              body + net::ReplicaMac(key_, "seed", payload, body), kSendTimeoutMs);
      !s.ok()) {
    return fail(s.detail());
  }
  // The checkpoint comes encrypted (replication_wire.h).
  if (net::ReplicaKeyIsSet(key_))
    socket->Seal(net::ReplicaSessionKey(key_, payload, nonce), /*leader_side=*/false,
                 /*plain_refusal=*/true);
  crypto_generichash_state digest;
  crypto_generichash_init(&digest, nullptr, 0, crypto_generichash_BYTES);
  int fd = -1;
  uint64_t files = 0;
  uint64_t bytes = 0;
  for (int quiet_ms = 0;;) {
    // Short polls: a new election (StopFollowing) must not wait for a dead leader's seed.
    Status s = socket->Receive(&type, &payload, 500);
    if (s.code() == core::Status::Code::kUnavailable && !stop_following_ && !stopping_ &&
        (quiet_ms += 500) < 30'000) {
      continue;
    }
    quiet_ms = 0;
    if (!s.ok() || stop_following_ || stopping_) {
      if (fd >= 0) ::close(fd);
      return fail(s.ok() ? "stopped" : s.detail());
    }
    if (type == ReplicaMessage::kSeedFile) {
      if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
      }
      const std::string name = fs::path(payload).filename().string();  // no directories
      if (name.empty() || name == "." || name == "..") return fail("a bad file name");
      crypto_generichash_update(&digest, reinterpret_cast<const unsigned char*>(payload.data()),
                                payload.size());
      fd = ::open((tmp + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0) return fail("cannot write " + name);
      ++files;
    } else if (type == ReplicaMessage::kSeedData) {
      if (fd < 0) return fail("data before a file");
      crypto_generichash_update(&digest, reinterpret_cast<const unsigned char*>(payload.data()),
                                payload.size());
      if (!net::WriteAll(fd, payload)) {
        ::close(fd);
        return fail("cannot write the seed (disk full?)");
      }
      bytes += payload.size();
    } else if (type == ReplicaMessage::kSeedDone) {
      if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
      }
      // The leader vouches for every byte: a MAC over our nonce and the stream's digest.
      std::string sum(crypto_generichash_BYTES, '\0');
      crypto_generichash_final(&digest, reinterpret_cast<unsigned char*>(sum.data()), sum.size());
      if (!net::ReplicaMacMatches(key_, "seed-done", nonce, sum, payload)) {
        return fail("the checkpoint failed authentication (a different replication secret?)");
      }
      break;
    } else {
      if (fd >= 0) ::close(fd);
      return fail(type == ReplicaMessage::kRefuse ? payload : "an unexpected message");
    }
  }
  std::ofstream(tmp + "/" + kSeedMarker) << "complete\n";
  fs::remove_all(options_.data_dir + ".seed", ec);
  fs::rename(tmp, options_.data_dir + ".seed", ec);
  if (ec) return fail("cannot keep the seed: " + ec.message());
  options_.on_exit("seeded from node " + std::to_string(leader.id) + " (" + std::to_string(files) +
                   " files, " + std::to_string(bytes) + " bytes): restarting on it");
}

void ReplicaNode::ServeSeed(ReplicaSocket socket, std::string challenge, std::string nonce) {
  // The request was authenticated by AcceptLoop; `nonce` is the follower's, for the MAC
  // that vouches for every byte sent. What follows is encrypted with the connection's key.
  if (net::ReplicaKeyIsSet(key_))
    socket.Seal(net::ReplicaSessionKey(key_, challenge, nonce), /*leader_side=*/true);
  crypto_generichash_state digest;
  crypto_generichash_init(&digest, nullptr, 0, crypto_generichash_BYTES);
  // A checkpoint (hard links and a short WAL) streamed file by file: memory stays one
  // piece, and the leader keeps serving meanwhile.
  static std::atomic<uint64_t> next{0};
  const std::string dir = options_.data_dir + "/replication-seeds/" + std::to_string(next++);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(fs::path(dir).parent_path(), ec);
  Status made = store_.Checkpoint(dir);
  if (!made.ok()) {
    (void)socket.Send(ReplicaMessage::kRefuse, "no checkpoint: " + made.detail(), kSendTimeoutMs);
    return;
  }
  bool ok = true;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!ok || !entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    crypto_generichash_update(&digest, reinterpret_cast<const unsigned char*>(name.data()),
                              name.size());
    ok = socket.Send(ReplicaMessage::kSeedFile, name, kSendTimeoutMs).ok() &&
         net::SendFilePieces(
             socket, ReplicaMessage::kSeedData, entry.path().string(), kSendTimeoutMs,
             [&](std::string_view piece) {
               crypto_generichash_update(
                   &digest, reinterpret_cast<const unsigned char*>(piece.data()), piece.size());
             })
             .ok();
  }
  if (ok) {
    std::string sum(crypto_generichash_BYTES, '\0');
    crypto_generichash_final(&digest, reinterpret_cast<unsigned char*>(sum.data()), sum.size());
    (void)socket.Send(ReplicaMessage::kSeedDone, net::ReplicaMac(key_, "seed-done", nonce, sum),
                      kSendTimeoutMs);
  }
  fs::remove_all(dir, ec);
}

void ReplicaNode::AcceptLoop() {
  while (!stopping_) {
    auto accepted = listener_.Accept(200);
    if (!accepted.ok()) break;
    if (!accepted->has_value()) continue;
    ReplicaSocket socket = std::move(**accepted);
    const std::string challenge = net::ReplicaNonce();
    if (!socket.Send(ReplicaMessage::kChallenge, challenge, kSendTimeoutMs).ok()) continue;
    ReplicaMessage type;
    std::string payload;
    // Before the peer proved anything: a small message, whole within 2 s (a stranger that
    // trickles bytes holds this loop no longer than that).
    if (!socket.ReceiveHandshake(&type, &payload, 2000).ok()) continue;
    net::ReplicationLeader* leader = leader_ptr_.load();
    if (leader == nullptr || role_ != Role::kLeader) {
      (void)socket.Send(ReplicaMessage::kRefuse,
                        "node " + std::to_string(options_.node_id) + " is not the leader",
                        kSendTimeoutMs);
      continue;
    }
    if (type == ReplicaMessage::kSeedRequest) {
      const size_t body_bytes = 8 + net::kReplicaNonceBytes;
      if (payload.size() <= body_bytes ||
          !net::ReplicaMacMatches(key_, "seed", challenge,
                                  std::string_view(payload).substr(0, body_bytes),
                                  std::string_view(payload).substr(body_bytes))) {
        (void)socket.Send(ReplicaMessage::kRefuse,
                          "the follower failed authentication (a different replication secret?)",
                          kSendTimeoutMs);
        continue;
      }
      std::lock_guard<std::mutex> lock(seeds_mu_);
      for (auto it = seeds_.begin(); it != seeds_.end();) {
        if (it->done->load()) {
          it->thread.join();
          it = seeds_.erase(it);
        } else {
          ++it;
        }
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      seeds_.push_back({std::thread([this, done, s = std::move(socket), challenge,
                                     nonce = payload.substr(8, net::kReplicaNonceBytes)]() mutable {
                          ServeSeed(std::move(s), std::move(challenge), std::move(nonce));
                          done->store(true);
                        }),
                        done});
      continue;
    }
    auto hello = net::DecodeHello(payload);
    if (type != ReplicaMessage::kHello || !hello.ok()) continue;
    leader->Serve(std::move(socket), *hello, challenge);
  }
}

std::string ReplicaNode::NotLeader() const {
  if (role_ == Role::kLeader && LeaseFresh()) return "";
  const uint32_t leader = leader_id_.load();
  std::string why = "node " + std::to_string(options_.node_id) + " of replica group \"" +
                    options_.cluster.group + "\" is " + RoleName(role_.load()) + ", not the leader";
  if (const ClusterNode* n = leader != options_.node_id ? options_.cluster.Find(leader) : nullptr) {
    why += "; the leader is node " + std::to_string(n->id) + " (SCIM on " + n->listen + ")";
  } else {
    why += "; no leader is known yet (an election takes a few seconds)";
  }
  return why;
}

std::string ReplicaNode::StatusJson() const {
  Json j = Json::MakeObject();
  j.Set("group", Json::Str(options_.cluster.group));
  j.Set("node", Json::Int(options_.node_id));
  j.Set("role", Json::Str(RoleName(role_.load())));
  j.Set("term", Json::Int(static_cast<int64_t>(term_.load())));
  const uint32_t leader = leader_id_.load();
  j.Set("leader", leader == 0 ? Json() : Json::Int(leader));
  const uint64_t latest = store_.LatestSequence();
  j.Set("position", Json::Int(static_cast<int64_t>(latest)));
  if (role_ == Role::kFollower) {
    const uint64_t theirs = leader_latest_.load();
    j.Set("lag", Json::Int(static_cast<int64_t>(theirs > latest ? theirs - latest : 0)));
  }
  Json nodes = Json::MakeArray();
  net::ReplicationLeader* lead = leader_ptr_.load();
  const auto followers =
      lead != nullptr ? lead->Followers() : std::vector<net::ReplicationLeader::FollowerState>{};
  for (const ClusterNode& n : options_.cluster.nodes) {
    Json e = Json::MakeObject();
    e.Set("id", Json::Int(n.id));
    e.Set("listen", Json::Str(n.listen));
    e.Set("admin", Json::Str(n.admin));
    e.Set("replication", Json::Str(n.replication));
    for (const auto& f : followers) {
      if (f.node != n.id) continue;
      e.Set("position", Json::Int(static_cast<int64_t>(f.position)));
      e.Set("lag", Json::Int(static_cast<int64_t>(latest > f.position ? latest - f.position : 0)));
      e.Set("lag_bytes", Json::Int(static_cast<int64_t>(f.lag_bytes)));
      e.Set("connected", Json::Bool(f.connected));
      e.Set("last_heard_ms", Json::Int(core::SteadyMillis() - f.last_heard_ms));
    }
    nodes.Push(std::move(e));
  }
  j.Set("nodes", std::move(nodes));
  return j.Serialize();
}

void ReplicaNode::WriteMetrics(net::PrometheusText& out) const {
  const Role role = role_.load();
  out.Family("scimd_replication_role", "gauge",
             "this node's role in its replica group (1 for the current one)");
  for (Role r : {Role::kStarting, Role::kFollower, Role::kCandidate, Role::kLeader}) {
    out.Sample("scimd_replication_role", {{"role", RoleName(r)}}, uint64_t{role == r ? 1u : 0u});
  }
  out.Family("scimd_replication_term", "gauge", "the term this node leads or follows");
  out.Sample("scimd_replication_term", {}, term_.load());
  out.Family("scimd_replication_leader_changes_total", "counter",
             "leaders this node followed or became since it started");
  out.Sample("scimd_replication_leader_changes_total", {}, terms_seen_.load());
  const uint64_t latest = store_.LatestSequence();
  out.Family("scimd_replication_position", "gauge", "the last sequence number this store holds");
  out.Sample("scimd_replication_position", {}, latest);
  out.Family("scimd_replication_lag_entries", "gauge",
             "log entries (sequence numbers) a follower is behind the leader; on the leader, "
             "one sample per follower");
  out.Family("scimd_replication_lag_bytes", "gauge",
             "on the leader, per follower: log bytes the follower does not hold yet (sent and "
             "not acknowledged, plus the log files after what its sender read, to within one "
             "file)");
  out.Family("scimd_replication_lag_seconds", "gauge",
             "how long a follower has been behind the leader (0 when caught up); on the "
             "leader, per follower, since it was last heard from");
  net::ReplicationLeader* lead = leader_ptr_.load();
  if (role == Role::kFollower) {
    const uint64_t theirs = leader_latest_.load();
    out.Sample("scimd_replication_lag_entries", {}, theirs > latest ? theirs - latest : 0);
    const int64_t since = behind_since_ms_.load();
    out.Sample("scimd_replication_lag_seconds", {},
               since == 0 ? 0.0 : (core::SteadyMillis() - since) / 1000.0);
  } else if (lead != nullptr) {
    for (const auto& f : lead->Followers()) {
      const std::string node = std::to_string(f.node);
      out.Sample("scimd_replication_lag_entries", {{"follower", node}},
                 latest > f.position ? latest - f.position : 0);
      out.Sample("scimd_replication_lag_bytes", {{"follower", node}}, f.lag_bytes);
      out.Sample("scimd_replication_lag_seconds", {{"follower", node}},
                 (core::SteadyMillis() - f.last_heard_ms) / 1000.0);
    }
  }
  out.Family("scimd_replication_unreplicated_writes_total", "counter",
             "writes answered 503 because no majority confirmed them in time or the lease "
             "lapsed (fenced)");
  out.Sample("scimd_replication_unreplicated_writes_total", {},
             lead != nullptr ? lead->unreplicated() : uint64_t{0});
}

}  // namespace scimd::tools
