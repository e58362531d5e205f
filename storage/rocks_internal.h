// Shared plumbing of RocksStore and RocksTransaction (not part of storage's public API):
// the open column family handles, rocksdb::Status -> core::Status mapping, lock retry and
// a bounded range scan. Thread rules: RocksHandles is immutable after Open (the generations
// it points to are atomics).
#pragma once

#include <rocksdb/iterator.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>
#include <rocksdb/status.h>
#include <rocksdb/utilities/transaction.h>
#include <rocksdb/utilities/transaction_db.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "storage/key_codec.h"
#include "storage/resource_generations.h"
#include "storage/tenant_fence.h"

namespace scimd::storage::internal {

struct RocksHandles {
  rocksdb::TransactionDB* db = nullptr;
  rocksdb::ColumnFamilyHandle* resources = nullptr;
  rocksdb::ColumnFamilyHandle* index = nullptr;
  rocksdb::ColumnFamilyHandle* unique = nullptr;
  rocksdb::ColumnFamilyHandle* members = nullptr;
  rocksdb::ColumnFamilyHandle* member_of = nullptr;
  rocksdb::ColumnFamilyHandle* counters = nullptr;
  rocksdb::ColumnFamilyHandle* tenants = nullptr;
  rocksdb::ColumnFamilyHandle* tokens = nullptr;
  rocksdb::ColumnFamilyHandle* changelog = nullptr;
  rocksdb::WriteOptions write_options;
  // The engine's tickers (block cache hits and misses, stall time), for /metrics.
  std::shared_ptr<rocksdb::Statistics> statistics;
  rocksdb::TransactionOptions txn_options;        // request path: lock_timeout 0
  rocksdb::TransactionOptions admin_txn_options;  // tenants/tokens: short bounded wait
  // Store::ResourceSetGeneration: every commit that adds or removes resources changes it.
  std::unique_ptr<ResourceGenerations> generations = std::make_unique<ResourceGenerations>();
  // Tenants whose commits are refused while they move to another store (Store::FenceTenant).
  mutable TenantFence fence;
  // RocksStoreOptions::replicated: ingests are recorded in the log (Ingest).
  bool replicated = false;
  std::string dir;  // the store's directory
  // A replicated leader's ingests whose files it keeps for followers (sequence -> when,
  // steady ms), and the latest sequences as each ingest under way began.
  std::mutex ingests_mu;
  struct KeptIngest {
    std::string dir;  // under kReplicationIngestsDir
    int64_t since_ms = 0;
  };
  std::map<uint64_t, KeptIngest> kept_ingests;
  std::multiset<uint64_t> ingests_in_flight;
  // RocksStore::SetIngestStager.
  std::function<core::Status(const std::vector<std::string>&)> ingest_stager;
};

// Under the store's directory: the files of a replicated store's ingests, kept for
// followers (<sequence>/), being shipped to it (inbox/). Emptied when the store opens.
inline constexpr std::string_view kReplicationIngestsDir = "replication-ingests";

// IngestExternalFiles(args), in two steps. In a replicated store, Prepare keeps a hard
// link of each file under kReplicationIngestsDir/<id>/ (named <id>-<family>-<n>.sst,
// unique) and hands them to the stager (RocksStore::SetIngestStager), and Commit ingests
// them and writes the marker replication/ingest/<sequence>, from which a log reader makes
// the ingest's frame (rocks_replicated_ingest.cc); the files take the same sequence
// numbers on every replica. Two steps, so that the slow part (staging the files on the
// followers) runs before the caller takes what stops other work (a tenant's fence pass).
// Not committed, what Prepare kept goes. Not replicated: Commit is IngestExternalFiles.
// `args` must outlive it.
class PreparedIngest {
 public:
  static core::Result<std::unique_ptr<PreparedIngest>> Prepare(
      RocksHandles& h, std::vector<rocksdb::IngestExternalFileArg>& args, std::string_view what);
  ~PreparedIngest();
  PreparedIngest(const PreparedIngest&) = delete;
  PreparedIngest& operator=(const PreparedIngest&) = delete;
  core::Status Commit();

 private:
  PreparedIngest(RocksHandles& h, std::vector<rocksdb::IngestExternalFileArg>& args,
                 std::string_view what);
  RocksHandles& h_;
  std::vector<rocksdb::IngestExternalFileArg>& args_;
  std::string what_;
  std::string id_, dir_, record_;
  uint64_t taken_ = 0;
  bool kept_ = false;
};
// Whether a log frame's batch is an ingest's (made by IngestFrameAt): its only entry a
// log-data entry that starts with kIngestFramePrefix (rocks_replication.cc).
inline constexpr std::string_view kIngestFramePrefix = "scimd-ingest\n";
bool IsIngestBatch(std::string_view batch);
enum class IngestAt { kFrame, kWait, kNone };
// At a gap of the WAL at `sequence`: kFrame (the ingest's frame appended to `out`, its
// files' paths in `paths`, the sequence numbers it takes in `taken`), kWait (an ingest
// under way may fill it; its marker is not written yet), or kNone (no ingest there, or its
// files are no longer kept: the follower must be seeded again).
IngestAt IngestFrameAt(RocksHandles& h, uint64_t sequence, std::string* out,
                       std::vector<std::string>* paths, uint64_t* taken);
// A follower's side of an ingest frame (`count` sequence numbers from `sequence`): its
// files must be in `inbox` as the record in `batch` says (CheckIngest, before anything is
// written), then they are ingested at the same numbers as on the leader (ApplyIngest).
core::Status CheckIngest(const RocksHandles& h, const std::string& inbox, uint64_t sequence,
                         uint64_t count, std::string_view batch);
core::Status ApplyIngest(RocksHandles& h, const std::string& inbox, uint64_t sequence,
                         uint64_t count, std::string_view batch);
// A replicated store's listener (DBOptions::listeners): reports to Ingest the sequence
// number each file took.
std::shared_ptr<rocksdb::EventListener> MakeIngestListener();

// Busy/TimedOut/TryAgain -> Busy (retry the whole transaction), NotFound -> NotFound,
// Corruption -> Corruption, a full disk or a read-only file system -> Unavailable (503
// with Retry-After, without the engine's message: it names files), everything else ->
// IoError. `what` names the operation. After a full disk RocksDB resumes writing by itself
// (its SstFileManager checks the free space every 5 s and clears the error once a write
// buffer fits); scimd must not call DB::Resume as well: Debian's build keeps RocksDB's
// assertions, and a Resume racing that recovery aborted the process (docs/RELIABILITY.md).
core::Status FromRocks(const rocksdb::Status& s, std::string_view what);

// The options of every ingest of files scimd wrote itself (a bulk load, a move's range):
// moved (hard-linked: the staging directory is on the store's disk), placed at a global
// sequence number consistent with open snapshots, flushing a memtable whose range overlaps
// (another tenant's writes).
void SetIngestOptions(rocksdb::IngestExternalFileOptions* options);

// What a commit of a fenced tenant gets: 503, retry soon (the tenant's route is switching).
inline core::Status TenantMoving() {
  return core::Status::Unavailable("the tenant is moving to another server; retry shortly", 2);
}

// With lock_timeout 0 RocksDB only try-locks the lock table's stripe mutex, so a lock
// call can fail with TimedOut(kMutexTimeout) although no one holds the KEY: another
// thread was merely inside the same stripe for a few instructions. Such failures are
// retried here (bounded) so that Busy always means a real key conflict.
template <typename Op>
rocksdb::Status RetryStripeContention(Op&& op) {
  // The stripe mutex is held for a few hundred nanoseconds, unless its holder was
  // preempted: yield so that it can run (tests run 8 writers on 2 cores).
  constexpr int kMaxAttempts = 10'000;
  rocksdb::Status s;
  for (int i = 0; i < kMaxAttempts; ++i) {
    s = op();
    if (!(s.IsTimedOut() && s.subcode() == rocksdb::Status::kMutexTimeout)) return s;
    std::this_thread::yield();
  }
  return s;
}

// Calls visit(key, value) for the keys in `range`, in key order, until visit returns
// false. `make_iterator(read_options)` returns a new iterator (from the DB or from a
// transaction); the range bounds are enforced both via iterate_upper_bound and here.
template <typename MakeIterator, typename Visit>
core::Status ScanRange(const KeyRange& range, rocksdb::ReadOptions read_options,
                       MakeIterator&& make_iterator, Visit&& visit) {
  rocksdb::Slice upper(range.end);
  if (!range.end.empty()) read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(make_iterator(read_options));
  for (it->Seek(range.begin); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (!range.end.empty() && k.compare(upper) >= 0) break;
    const rocksdb::Slice v = it->value();
    if (!visit(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "scan");
}

}  // namespace scimd::storage::internal
