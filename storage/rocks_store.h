// RocksStore: core::Store on an embedded RocksDB TransactionDB (pessimistic, WAL on), one
// column family per key space of key_codec.h. Thread-safe; Transactions it hands out must
// be destroyed before it. Only one process may open a directory at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/store.h"
#include "storage/key_codec.h"
#include "storage/replication_log.h"

namespace rocksdb {
class ColumnFamilyHandle;
class Env;
class TransactionLogIterator;
class Transaction;
class TransactionDB;
}  // namespace rocksdb

namespace scimd::storage {

namespace internal {
struct RocksHandles;
}  // namespace internal

struct RocksStoreOptions {
  // fsync the WAL on every commit (survives power loss). Without it a commit is in the
  // OS page cache when acknowledged, which survives kill -9 but not power loss.
  bool sync = false;
  bool create_if_missing = true;
  // Shared LRU block cache of all column families.
  size_t block_cache_bytes = size_t{256} << 20;
  // Upper bound on memtable memory across all column families.
  size_t write_buffer_bytes = size_t{256} << 20;
  // Compression of levels 2 and below (levels 0 and 1 stay uncompressed: they are
  // rewritten soon): "lz4", "zstd", "snappy" or "none". Files already written keep theirs
  // until compacted.
  std::string compression = "lz4";
  // The environment RocksDB's files go through; null: the process' default. Tests pass a
  // fault-injecting one (tests/storage/fault_fs.h). Must outlive the store.
  rocksdb::Env* env = nullptr;
  // A member of a replica group (storage/replication_log.h): the WAL is kept (archived) up
  // to `wal_keep_mb` so that a lagging follower can catch up from it, and ingests (an
  // import, a tenant's arrival), whose files bypass the WAL, are recorded in the log apart
  // (rocks_internal.h, Ingest; docs/DESIGN.md, "Replication").
  bool replicated = false;
  uint64_t wal_keep_mb = 1024;
};

class RocksLogReader;

class RocksStore final : public core::Store, public core::ReplicaLog {
 public:
  using Options = RocksStoreOptions;

  // Opens (or creates) the store in `dir`, creating missing column families. IoError with
  // "locked" in the detail if another process (a running scimd) has it open.
  static core::Result<std::unique_ptr<RocksStore>> Open(const std::string& dir,
                                                        const Options& options);
  ~RocksStore() override;
  RocksStore(const RocksStore&) = delete;
  RocksStore& operator=(const RocksStore&) = delete;

  // ---- core::Store ----
  std::unique_ptr<core::Transaction> Begin(core::TenantId tenant) override;
  std::unique_ptr<core::StoreView> View(core::TenantId tenant) override;
  // Stages in `<dir>/bulk-load/` (storage/rocks_bulk_load.h).
  core::Result<std::unique_ptr<core::BulkLoad>> BeginBulkLoad(core::TenantId tenant) override;
  core::Result<std::string> GetResource(core::TenantId tenant, core::ResourceType type,
                                        const core::ResourceId& id) override;
  core::Status GetResources(core::TenantId tenant, core::ResourceType type,
                            const std::vector<core::ResourceId>& ids,
                            const core::OptionalResourceVisitor& visit) override;
  core::Status ScanResources(core::TenantId tenant, core::ResourceType type,
                             const std::optional<core::ResourceId>& start_after,
                             const core::ResourceVisitor& visit) override;
  core::Result<uint64_t> CountResources(core::TenantId tenant, core::ResourceType type) override;
  std::optional<uint64_t> ResourceSetGeneration(core::TenantId tenant,
                                                core::ResourceType type) override;
  core::Status ScanIndexEq(core::TenantId tenant, core::ResourceType type,
                           const core::IndexTerm& term, const core::IdVisitor& visit) override;
  core::Status ScanPresence(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                            const core::IdVisitor& visit) override;
  core::Result<bool> HasIndexEntry(core::TenantId tenant, core::ResourceType type,
                                   const core::IndexTerm& term,
                                   const core::ResourceId& id) override;
  core::Result<bool> HasPresence(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                                 const core::ResourceId& id) override;
  core::Status ScanIndexValuesDescending(core::TenantId tenant, core::ResourceType type,
                                         core::AttrId attr, core::IndexValue::Kind kind,
                                         const core::IndexEntryVisitor& visit) override;
  core::Status ScanIndexEntries(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                                const core::IndexEntryVisitor& visit) override;
  core::Status ScanUniqueEntries(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                                 const core::IndexEntryVisitor& visit) override;
  core::Result<std::optional<core::ResourceId>> LookupUnique(core::TenantId tenant,
                                                             core::ResourceType type,
                                                             const core::IndexTerm& term) override;
  core::Status ScanMembers(core::TenantId tenant, const core::ResourceId& group,
                           const std::optional<core::ResourceId>& start_after,
                           const core::MemberVisitor& visit) override;
  core::Status ScanMemberOf(core::TenantId tenant, const core::ResourceId& member,
                            const core::IdVisitor& visit) override;
  core::Result<uint64_t> CountMembers(core::TenantId tenant,
                                      const core::ResourceId& group) override;
  core::Status ScanEdges(core::TenantId tenant, bool mirror,
                         const core::EdgeVisitor& visit) override;

  core::Result<core::TenantRecord> CreateTenant(std::string_view name) override;
  core::Result<std::optional<core::TenantRecord>> FindTenant(std::string_view name) override;
  core::Result<std::optional<core::TenantRecord>> GetTenant(core::TenantId id) override;
  core::Result<std::vector<core::TenantRecord>> ListTenants() override;
  core::Status PutTenantSettings(core::TenantId id,
                                 const std::map<std::string, std::string>& settings) override;
  core::Status PutToken(const core::TokenRecord& token) override;
  core::Result<std::optional<core::TokenRecord>> LookupToken(std::string_view token_id) override;
  core::Result<std::vector<core::TokenRecord>> ListTokens(core::TenantId tenant) override;
  core::Status AppendActivity(const std::vector<core::ActivityWrite>& writes) override;
  core::Status ScanActivity(core::TenantId tenant, uint64_t before,
                            const core::ActivityVisitor& visit) override;
  core::Status ScanActivityOldest(core::TenantId tenant,
                                  const core::ActivityVisitor& visit) override;
  core::Status DeleteActivityBefore(core::TenantId tenant, uint64_t sequence) override;
  core::Result<core::StoreEngineStats> EngineStats() override;
  core::Status ProbeWrite() override;
  core::Status Checkpoint(const std::string& dir) override;
  // A tenant's move (rocks_move.cc): the range from a snapshot, the changes from the WAL.
  core::Result<std::unique_ptr<core::TenantMoveSource>> BeginMoveOut(
      core::TenantId tenant) override;
  core::Result<std::unique_ptr<core::TenantMoveSink>> BeginMoveIn(core::TenantId tenant) override;
  core::Status FenceTenant(core::TenantId tenant) override;
  void UnfenceTenant(core::TenantId tenant) override;

  // sw and range scans of core::Store.
  // sw: ids whose string entry for `attr` starts with `prefix`, in value order then id
  // order (NOT id order: an id may repeat for a multi-valued attribute).
  core::Status ScanIndexPrefix(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                               std::string_view prefix, const core::IdVisitor& visit) override;
  // gt/ge/lt/le: ids whose entry of `kind` for `attr` lies within the bounds (a missing
  // bound is open), in value order then id order. InvalidValue for a bound of another
  // kind or NaN.
  core::Status ScanIndexRange(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                              core::IndexValue::Kind kind, const std::optional<IndexBound>& lower,
                              const std::optional<IndexBound>& upper,
                              const core::IdVisitor& visit) override;

  // Removes a token. NotFound if absent.
  core::Result<bool> DeleteTenant(core::TenantId id) override;
  core::Status DeleteToken(std::string_view token_id) override;
  core::Status UpdateToken(
      std::string_view token_id,
      const std::function<core::Status(core::TokenRecord& token)>& change) override;

  const std::string& dir() const { return dir_; }

  // ---- core::ReplicaLog (storage/replication_log.h: the WAL's batches as frames) ----
  uint64_t LatestSequence() const override;
  std::unique_ptr<core::LogReader> NewLogReader(uint64_t after) override;
  uint64_t LogBytesAfter(uint64_t sequence) const override;
  std::string IngestInbox() const override;
  void ReleaseIngests(uint64_t upto) override;
  // A replicated leader's: called with an ingest's files (kept links) before the ingest;
  // an error cancels the ingest (nothing is written). Empty: none.
  void SetIngestStager(std::function<core::Status(const std::vector<std::string>& paths)> stager);
  core::Status ApplyLog(std::string_view frames) override;
  core::Result<std::vector<TermStart>> ReadTerms() override;
  core::Status StartTerm(uint64_t term) override;
  std::string LogFormat() const override;

 private:
  RocksStore(std::string dir, std::unique_ptr<internal::RocksHandles> handles,
             std::vector<rocksdb::ColumnFamilyHandle*> all_handles);
  core::Status ScanIds(const KeyRange& range, const core::IdVisitor& visit);
  core::Result<std::optional<std::string>> Get(rocksdb::ColumnFamilyHandle* cf,
                                               const std::string& key);
  core::Result<std::optional<core::TenantRecord>> ReadTenant(TenantId id);
  // Reads and locks the token record at `key` in `txn`; NotFound if there is none.
  core::Result<core::TokenRecord> LockToken(rocksdb::Transaction& txn, const std::string& key,
                                            std::string_view token_id);

  std::string dir_;
  std::unique_ptr<internal::RocksHandles> h_;
  std::vector<rocksdb::ColumnFamilyHandle*> all_handles_;  // owned; closed in the dtor
};

// The commits after a position, read from the store's WAL (RocksStore::NewLogReader). It
// keeps its place between calls, so following the log's tail reads only what is new. Used
// by one thread at a time; must be destroyed before its store.
class RocksLogReader final : public core::LogReader {
 public:
  RocksLogReader(internal::RocksHandles* h, uint64_t after);
  ~RocksLogReader() override;
  RocksLogReader(const RocksLogReader&) = delete;
  RocksLogReader& operator=(const RocksLogReader&) = delete;

  // Appends the frames of the commits after position() to `out` (replication_log.h), until
  // about `max_bytes` or the log's end as of now, and moves position() past them. NotFound
  // when the log no longer holds position() + 1: its WAL file was deleted, or a sequence
  // number has no record and no ingest's marker (or the ingest's files are no longer
  // kept): the reader's follower must be seeded again. An ingest ends a Read with its
  // frame (TakeIngestFiles then names its files).
  core::Status Read(size_t max_bytes, std::string* out) override;
  uint64_t position() const override { return position_; }
  std::vector<std::string> TakeIngestFiles() override { return std::move(ingest_files_); }

 private:
  // At a gap at position() + 1: Ok with an ingest's frame appended (true in *emitted), Ok
  // (nothing: its marker may yet come), or NotFound with `why`.
  core::Status AtGap(std::string* out, bool* emitted, const std::string& why);

  internal::RocksHandles* h_;
  uint64_t position_;
  std::vector<std::string> ingest_files_;
  std::unique_ptr<rocksdb::TransactionLogIterator> it_;
};

}  // namespace scimd::storage
