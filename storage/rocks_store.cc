// RocksStore: open/close, tuning, snapshot reads, tenants and tokens. Transactions are in
// rocks_transaction.cc. Tuning choices are explained in FORMAT.md ("RocksDB options").
#include "storage/rocks_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

#include "storage/record_codec.h"
#include "storage/rocks_bulk_load.h"
#include "storage/rocks_internal.h"
#include "storage/rocks_transaction.h"
#include "storage/uint64_add.h"

namespace scimd::storage {
namespace {

using core::ResourceId;
using core::ResourceType;
using core::Result;
using core::Status;

// Admin operations (tenants, tokens) are rare and run off the reactor: they may wait this
// long for a lock instead of failing with Busy at once.
constexpr int64_t kAdminLockTimeoutMs = 100;
// More stripes than the default 16 so that concurrent writers rarely share a stripe.
constexpr size_t kLockStripes = 64;
// Bits per key of the bloom filters (about 1% false positives).
constexpr double kBloomBitsPerKey = 10;

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status OpenError(const std::string& dir, const rocksdb::Status& s) {
  const std::string text = s.ToString();
  if (s.IsIOError() && text.find("LOCK") != std::string::npos) {
    return Status::IoError("store " + dir +
                           " is locked: it is in use by another process (a running scimd?) or "
                           "already open in this one (" +
                           text + ")");
  }
  return internal::FromRocks(s, "open " + dir);
}

// Resources of `type` (after `start_after`) as `read` sees them: now, or at a snapshot.
Status ScanResourcesAt(const internal::RocksHandles& h, const rocksdb::ReadOptions& read,
                       core::TenantId tenant, ResourceType type,
                       const std::optional<ResourceId>& start_after,
                       const core::ResourceVisitor& visit) {
  Status parse_error;
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      ResourceScanRange(tenant, type, start_after), read,
      [&](const rocksdb::ReadOptions& ro) { return h.db->NewIterator(ro, h.resources); },
      [&](std::string_view key, std::string_view value) {
        return VisitResourceEntry(key, value, visit, &parse_error);
      }));
  return parse_error;
}

// A group's members (after `start_after`) as `read` sees them.
Status ScanMembersAt(const internal::RocksHandles& h, const rocksdb::ReadOptions& read,
                     core::TenantId tenant, const ResourceId& group,
                     const std::optional<ResourceId>& start_after,
                     const core::MemberVisitor& visit) {
  Status parse_error;
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      MemberScanRange(tenant, group, start_after), read,
      [&](const rocksdb::ReadOptions& ro) { return h.db->NewIterator(ro, h.members); },
      [&](std::string_view key, std::string_view value) {
        return VisitMemberEntry(key, value, visit, &parse_error);
      }));
  return parse_error;
}

// A tenant's data at the moment it was made (a RocksDB snapshot, released with it).
class RocksView final : public core::StoreView {
 public:
  RocksView(const internal::RocksHandles* h, core::TenantId tenant)
      : h_(h), tenant_(tenant), snapshot_(h->db->GetSnapshot()) {
    read_.snapshot = snapshot_;
  }
  ~RocksView() override { h_->db->ReleaseSnapshot(snapshot_); }
  RocksView(const RocksView&) = delete;
  RocksView& operator=(const RocksView&) = delete;

  Status ScanResources(ResourceType type, const std::optional<ResourceId>& start_after,
                       const core::ResourceVisitor& visit) override {
    return ScanResourcesAt(*h_, read_, tenant_, type, start_after, visit);
  }
  Status ScanMembers(const ResourceId& group, const std::optional<ResourceId>& start_after,
                     const core::MemberVisitor& visit) override {
    return ScanMembersAt(*h_, read_, tenant_, group, start_after, visit);
  }

 private:
  const internal::RocksHandles* h_;
  const core::TenantId tenant_;
  const rocksdb::Snapshot* snapshot_;
  rocksdb::ReadOptions read_;
};

}  // namespace

// The compression named by RocksStoreOptions::compression, if this RocksDB has it.
// RocksDB's informational LOG, written by us. RocksDB's own file logger goes through a
// WritableFileWriter that, in Debian's build (assertions on), aborts the process when it
// is written again after a failed write: on a full disk the LOG's write fails first, and
// the next line RocksDB logs while it recovers from the full disk ended scimd
// (scripts/disk_full.sh caught it). Here a failed write loses that line and nothing else.
// The file is <dir>/LOG as before; past kInfoLogMaxBytes it moves to LOG.old.
class InfoLog final : public rocksdb::Logger {
 public:
  static constexpr long kInfoLogMaxBytes = 64L << 20;
  explicit InfoLog(std::string path)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), path_(std::move(path)) {
    file_ = std::fopen(path_.c_str(), "a");
  }
  ~InfoLog() override {
    if (file_ != nullptr) std::fclose(file_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[8192];
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    const int micros = static_cast<int>(
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
        1000000);
    int n =
        std::snprintf(line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06d ", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    if (n < 0) return;
    const int m = std::vsnprintf(line + n, sizeof(line) - static_cast<size_t>(n) - 1, format, ap);
    if (m < 0) return;
    size_t length = std::min(sizeof(line) - 2, static_cast<size_t>(n) + static_cast<size_t>(m));
    if (line[length - 1] != '\n') line[length++] = '\n';
    std::lock_guard<std::mutex> lock(mu_);
    if (file_ == nullptr) return;
    std::fwrite(line, 1, length, file_);
    std::fflush(file_);
    if (std::ftell(file_) > kInfoLogMaxBytes) {
      std::fclose(file_);
      std::rename(path_.c_str(), (path_ + ".old").c_str());
      file_ = std::fopen(path_.c_str(), "a");
    }
  }
  void Flush() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (file_ != nullptr) std::fflush(file_);
  }

 private:
  const std::string path_;
  std::mutex mu_;
  std::FILE* file_ = nullptr;  // null when it could not be opened: lines are dropped
};

static Result<rocksdb::CompressionType> CompressionOf(const std::string& name) {
  rocksdb::CompressionType type;
  if (name == "none") return rocksdb::kNoCompression;
  if (name == "lz4") {
    type = rocksdb::kLZ4Compression;
  } else if (name == "zstd") {
    type = rocksdb::kZSTD;
  } else if (name == "snappy") {
    type = rocksdb::kSnappyCompression;
  } else {
    return Status::InvalidValue("unknown compression \"" + name + "\" (lz4, zstd, snappy, none)");
  }
  for (rocksdb::CompressionType supported : rocksdb::GetSupportedCompressions()) {
    if (supported == type) return type;
  }
  return Status::InvalidValue("this RocksDB was built without " + name + " compression");
}

Result<std::unique_ptr<RocksStore>> RocksStore::Open(const std::string& dir,
                                                     const Options& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  // Two background threads: flushes and compactions share 2 cores with the reactors.
  db_options.IncreaseParallelism(2);
  db_options.db_write_buffer_size = options.write_buffer_bytes;
  // Rarely written column families (tenants, tokens) would otherwise pin old WAL files.
  db_options.max_total_wal_size = 2 * options.write_buffer_bytes;
  db_options.keep_log_file_num = 5;
  if (options.replicated) {
    // Log files leave the live set as before but wait in archive/ until they add up to
    // more than this: a follower that fell behind reads them (RocksLogReader).
    db_options.WAL_size_limit_MB = options.wal_keep_mb;
    db_options.listeners.push_back(internal::MakeIngestListener());
  }
  if (options.env != nullptr) db_options.env = options.env;
  // The LOG is opened before the store, in the directory the store makes (or finds).
  std::error_code made;
  if (options.create_if_missing) std::filesystem::create_directories(dir, made);
  if (std::filesystem::is_directory(dir, made)) {
    db_options.info_log = std::make_shared<InfoLog>(dir + "/LOG");
  }
  // Counters only (no histograms, no timers): block cache hits and misses and stall time
  // for /metrics, at the cost of a per-core counter increment.
  db_options.statistics = rocksdb::CreateDBStatistics();
  db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // Point lookups (GetForUpdate on unique/edge keys, resource reads) dominate; whole-key
  // bloom filters make misses cheap. No prefix extractor: not measured to help yet.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.OptimizeLevelStyleCompaction(options.write_buffer_bytes / 2);
  SCIMD_ASSIGN_OR_RETURN(rocksdb::CompressionType compression, CompressionOf(options.compression));
  for (size_t level = 2; level < cf_options.compression_per_level.size(); ++level) {
    cf_options.compression_per_level[level] = compression;
  }
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::ColumnFamilyOptions counter_options = cf_options;
  counter_options.merge_operator = NewUInt64AddOperator();
  // Every membership change merges +1/-1 into a group's counter; a read applies every
  // operand still in the memtable, and the counters' memtable is tiny so it flushes
  // rarely: after ~40,000 changes one CountMembers took ~1 ms (docs/PERFORMANCE.md, #6).
  // Folding the operands on write after this many keeps reads O(1).
  counter_options.max_successive_merges = 64;

  // Inserting into a memtable (a skiplist) costs a walk from its top to the key's place:
  // ~40 node visits in a 32 MiB memtable, most of them cache misses, ~18 times per create
  // (docs/PERFORMANCE.md, "The write path"). Keys that come in order within a prefix keep
  // a hint of where the last one went and start there: resources (tenant, type, then a
  // UUIDv7 id, which grows) and presence entries (tenant, type, attribute, 01, id).
  // Memtable-only: nothing persisted changes. Hints need inserts one at a time (a write
  // group's leader inserts its followers' batches).
  db_options.allow_concurrent_memtable_write = false;
  rocksdb::ColumnFamilyOptions resource_options = cf_options;
  resource_options.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(kResourceKeyPrefixBytes));
  rocksdb::ColumnFamilyOptions index_options = cf_options;
  index_options.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(kIndexKeyPrefixBytes));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {kCfResources, resource_options},
      {kCfIndex, index_options},
      {kCfUnique, cf_options},
      {kCfMembers, cf_options},
      {kCfMemberOf, cf_options},
      {kCfCounters, counter_options},
      {kCfTenants, cf_options},
      {kCfTokens, cf_options},
      {kCfChangelog, cf_options},
  };
  const size_t known = descriptors.size();
  // RocksDB requires every existing column family to be opened: keep ones that a newer
  // version may have added.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, dir, &existing).ok()) {
    for (const std::string& name : existing) {
      bool found = false;
      for (const auto& d : descriptors) found = found || d.name == name;
      if (!found) descriptors.emplace_back(name, cf_options);
    }
  }

  rocksdb::TransactionDBOptions txn_db_options;
  txn_db_options.transaction_lock_timeout = 0;
  txn_db_options.default_lock_timeout = kAdminLockTimeoutMs;  // non-transactional writes
  txn_db_options.num_stripes = kLockStripes;

  rocksdb::TransactionDB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s =
      rocksdb::TransactionDB::Open(db_options, txn_db_options, dir, descriptors, &handles, &db);
  if (!s.ok()) return OpenError(dir, s);

  auto h = std::make_unique<internal::RocksHandles>();
  h->db = db;
  rocksdb::ColumnFamilyHandle** slots[] = {nullptr,     &h->resources, &h->index,    &h->unique,
                                           &h->members, &h->member_of, &h->counters, &h->tenants,
                                           &h->tokens,  &h->changelog};
  static_assert(sizeof(slots) / sizeof(slots[0]) == 10);
  for (size_t i = 1; i < known; ++i) *slots[i] = handles[i];
  h->write_options.sync = options.sync;
  h->replicated = options.replicated;
  h->dir = dir;
  h->statistics = db_options.statistics;
  h->txn_options.lock_timeout = 0;
  h->txn_options.deadlock_detect = false;  // nothing ever waits, so no deadlock
  h->admin_txn_options.lock_timeout = kAdminLockTimeoutMs;
  // What a killed bulk load left: never part of the store (rocks_bulk_load.h).
  std::error_code ec;
  std::filesystem::remove_all(dir + "/" + std::string(kBulkLoadDir), ec);
  // Ingest files kept for another term's followers, or half shipped to this one.
  std::filesystem::remove_all(dir + "/" + std::string(internal::kReplicationIngestsDir), ec);
  return std::unique_ptr<RocksStore>(new RocksStore(dir, std::move(h), std::move(handles)));
}

RocksStore::RocksStore(std::string dir, std::unique_ptr<internal::RocksHandles> handles,
                       std::vector<rocksdb::ColumnFamilyHandle*> all_handles)
    : dir_(std::move(dir)), h_(std::move(handles)), all_handles_(std::move(all_handles)) {}

RocksStore::~RocksStore() {
  for (rocksdb::ColumnFamilyHandle* cf : all_handles_) {
    h_->db->DestroyColumnFamilyHandle(cf).PermitUncheckedError();
  }
  delete h_->db;
}

std::unique_ptr<core::Transaction> RocksStore::Begin(core::TenantId tenant) {
  return std::make_unique<RocksTransaction>(
      h_.get(), tenant,
      std::unique_ptr<rocksdb::Transaction>(
          h_->db->BeginTransaction(h_->write_options, h_->txn_options)));
}

std::unique_ptr<core::StoreView> RocksStore::View(core::TenantId tenant) {
  return std::make_unique<RocksView>(h_.get(), tenant);
}

Result<std::unique_ptr<core::BulkLoad>> RocksStore::BeginBulkLoad(core::TenantId tenant) {
  SCIMD_ASSIGN_OR_RETURN(
      auto load, RocksBulkLoad::Start(h_.get(), dir_ + "/" + std::string(kBulkLoadDir), tenant));
  return std::unique_ptr<core::BulkLoad>(std::move(load));
}

Result<std::optional<std::string>> RocksStore::Get(rocksdb::ColumnFamilyHandle* cf,
                                                   const std::string& key) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = h_->db->Get(rocksdb::ReadOptions(), cf, key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return internal::FromRocks(s, "get");
  return std::optional<std::string>(value.ToString());
}

Result<std::string> RocksStore::GetResource(core::TenantId tenant, ResourceType type,
                                            const ResourceId& id) {
  SCIMD_ASSIGN_OR_RETURN(auto value, Get(h_->resources, ResourceKey(tenant, type, id)));
  if (!value) return Status::NotFound("resource not found");
  return std::move(*value);
}

Status RocksStore::GetResources(core::TenantId tenant, ResourceType type,
                                const std::vector<ResourceId>& ids,
                                const core::OptionalResourceVisitor& visit) {
  if (ids.empty()) return Status::Ok();
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const ResourceId& id : ids) keys.push_back(ResourceKey(tenant, type, id));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  // One superversion for the batch (one state of the store); keys in order let RocksDB
  // share block lookups between neighbours.
  h_->db->MultiGet(rocksdb::ReadOptions(), h_->resources, slices.size(), slices.data(),
                   values.data(), statuses.data(), /*sorted_input=*/true);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
      return internal::FromRocks(statuses[i], "get resources");
    }
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::optional<std::string_view> value =
        statuses[i].ok() ? std::optional<std::string_view>(values[i].ToStringView()) : std::nullopt;
    if (!visit(ids[i], value)) break;
  }
  return Status::Ok();
}

Status RocksStore::ScanResources(core::TenantId tenant, ResourceType type,
                                 const std::optional<ResourceId>& start_after,
                                 const core::ResourceVisitor& visit) {
  return ScanResourcesAt(*h_, rocksdb::ReadOptions(), tenant, type, start_after, visit);
}

Result<uint64_t> RocksStore::CountResources(core::TenantId tenant, ResourceType type) {
  SCIMD_ASSIGN_OR_RETURN(auto value, Get(h_->counters, ResourceCountKey(tenant, type)));
  if (!value) return uint64_t{0};
  return DecodeCounter(*value);
}

std::optional<uint64_t> RocksStore::ResourceSetGeneration(core::TenantId tenant,
                                                          ResourceType type) {
  return h_->generations->Get(tenant, type);
}

Status RocksStore::ScanIds(const KeyRange& range, const core::IdVisitor& visit) {
  Status parse_error;
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      range, rocksdb::ReadOptions(),
      [&](const rocksdb::ReadOptions& ro) { return h_->db->NewIterator(ro, h_->index); },
      [&](std::string_view key, std::string_view) {
        if (key.size() < kIdBytes) {
          parse_error = Status::Corruption("index key: too short");
          return false;
        }
        return visit(IndexKeyId(key));
      }));
  return parse_error;
}

Status RocksStore::ScanIndexEq(core::TenantId tenant, ResourceType type,
                               const core::IndexTerm& term, const core::IdVisitor& visit) {
  SCIMD_ASSIGN_OR_RETURN(KeyRange range, IndexEqRange(tenant, type, term));
  return ScanIds(range, visit);
}

Status RocksStore::ScanPresence(core::TenantId tenant, ResourceType type, core::AttrId attr,
                                const core::IdVisitor& visit) {
  return ScanIds(IndexPresenceRange(tenant, type, attr), visit);
}

Status RocksStore::ScanIndexPrefix(core::TenantId tenant, ResourceType type, core::AttrId attr,
                                   std::string_view prefix, const core::IdVisitor& visit) {
  return ScanIds(IndexStringPrefixRange(tenant, type, attr, prefix), visit);
}

Status RocksStore::ScanIndexRange(core::TenantId tenant, ResourceType type, core::AttrId attr,
                                  core::IndexValue::Kind kind,
                                  const std::optional<IndexBound>& lower,
                                  const std::optional<IndexBound>& upper,
                                  const core::IdVisitor& visit) {
  SCIMD_ASSIGN_OR_RETURN(KeyRange range, IndexValueRange(tenant, type, attr, kind, lower, upper));
  return ScanIds(range, visit);
}

Status RocksStore::ScanIndexValuesDescending(core::TenantId tenant, ResourceType type,
                                             core::AttrId attr, core::IndexValue::Kind kind,
                                             const core::IndexEntryVisitor& visit) {
  // Walks backwards one distinct value at a time: from the last entry of a value, a
  // SeekForPrev to that value's key prefix (which sorts before all of its entries) lands
  // on the last entry of the next smaller value, so a value held by many ids costs one
  // seek, not one step per id.
  const KeyRange range = IndexKindRange(tenant, type, attr, kind);
  rocksdb::ReadOptions ro;
  rocksdb::Slice lower(range.begin);
  rocksdb::Slice upper(range.end);
  ro.iterate_lower_bound = &lower;
  if (!range.end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(h_->db->NewIterator(ro, h_->index));
  it->SeekToLast();
  while (it->Valid()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (!range.Contains(key)) break;
    SCIMD_ASSIGN_OR_RETURN(ParsedIndexKey parsed, ParseIndexKey(key));
    if (!visit(parsed.value, parsed.id)) return Status::Ok();
    const std::string prefix(IndexKeyValuePrefix(key));
    it->SeekForPrev(prefix);
  }
  return internal::FromRocks(it->status(), "scan");
}

Status RocksStore::ScanIndexEntries(core::TenantId tenant, ResourceType type, core::AttrId attr,
                                    const core::IndexEntryVisitor& visit) {
  Status parse_error;
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      IndexAttrValuesRange(tenant, type, attr), rocksdb::ReadOptions(),
      [&](const rocksdb::ReadOptions& ro) { return h_->db->NewIterator(ro, h_->index); },
      [&](std::string_view key, std::string_view) {
        auto parsed = ParseIndexKey(key);
        if (!parsed.ok()) {
          parse_error = parsed.status();
          return false;
        }
        return visit(parsed->value, parsed->id);
      }));
  return parse_error;
}

Status RocksStore::ScanUniqueEntries(core::TenantId tenant, ResourceType type, core::AttrId attr,
                                     const core::IndexEntryVisitor& visit) {
  Status parse_error;
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      UniqueAttrRange(tenant, type, attr), rocksdb::ReadOptions(),
      [&](const rocksdb::ReadOptions& ro) { return h_->db->NewIterator(ro, h_->unique); },
      [&](std::string_view key, std::string_view value) {
        auto parsed = ParseUniqueKey(key);
        if (!parsed.ok() || value.size() != kIdBytes) {
          parse_error = parsed.ok() ? Status::Corruption("unique entry: bad id") : parsed.status();
          return false;
        }
        return visit(parsed->term.value, ResourceId::FromBytes(value));
      }));
  return parse_error;
}

Result<bool> RocksStore::HasIndexEntry(core::TenantId tenant, ResourceType type,
                                       const core::IndexTerm& term, const ResourceId& id) {
  SCIMD_ASSIGN_OR_RETURN(std::string key, IndexValueKey(tenant, type, term, id));
  SCIMD_ASSIGN_OR_RETURN(auto value, Get(h_->index, key));
  return value.has_value();
}

Result<bool> RocksStore::HasPresence(core::TenantId tenant, ResourceType type, core::AttrId attr,
                                     const ResourceId& id) {
  SCIMD_ASSIGN_OR_RETURN(auto value, Get(h_->index, IndexPresenceKey(tenant, type, attr, id)));
  return value.has_value();
}

Result<std::optional<ResourceId>> RocksStore::LookupUnique(core::TenantId tenant, ResourceType type,
                                                           const core::IndexTerm& term) {
  SCIMD_ASSIGN_OR_RETURN(std::string key, UniqueKey(tenant, type, term));
  SCIMD_ASSIGN_OR_RETURN(auto value, Get(h_->unique, key));
  if (!value) return std::optional<ResourceId>();
  if (value->size() != kIdBytes) return Status::Corruption("unique value: bad size");
  return std::optional<ResourceId>(ResourceId::FromBytes(*value));
}

Status RocksStore::ScanMembers(core::TenantId tenant, const ResourceId& group,
                               const std::optional<ResourceId>& start_after,
                               const core::MemberVisitor& visit) {
  return ScanMembersAt(*h_, rocksdb::ReadOptions(), tenant, group, start_after, visit);
}

Status RocksStore::ScanMemberOf(core::TenantId tenant, const ResourceId& member,
                                const core::IdVisitor& visit) {
  Status parse_error;
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      PrefixRange(MemberOfPrefix(tenant, member)), rocksdb::ReadOptions(),
      [&](const rocksdb::ReadOptions& ro) { return h_->db->NewIterator(ro, h_->member_of); },
      [&](std::string_view key, std::string_view) {
        auto edge = ParseEdgeKey(key);
        if (!edge.ok()) {
          parse_error = edge.status();
          return false;
        }
        return visit(edge->second);
      }));
  return parse_error;
}

Status RocksStore::ScanEdges(core::TenantId tenant, bool mirror, const core::EdgeVisitor& visit) {
  Status parse_error;
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;  // a one-off sweep (scimctl check)
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      TenantRange(tenant), read_options,
      [&](const rocksdb::ReadOptions& ro) {
        return h_->db->NewIterator(ro, mirror ? h_->member_of : h_->members);
      },
      [&](std::string_view key, std::string_view) {
        return VisitEdgeKey(key, mirror, visit, &parse_error);
      }));
  return parse_error;
}

Result<uint64_t> RocksStore::CountMembers(core::TenantId tenant, const ResourceId& group) {
  SCIMD_ASSIGN_OR_RETURN(auto value, Get(h_->counters, MemberCountKey(tenant, group)));
  if (!value) return uint64_t{0};
  return DecodeCounter(*value);
}

// ---- tenants ---------------------------------------------------------------------------

Result<core::TenantRecord> RocksStore::CreateTenant(std::string_view name) {
  if (name.empty() || name.size() > kMaxTenantNameBytes) {
    return Status::InvalidValue("tenant name must be 1 to 253 bytes");
  }
  std::unique_ptr<rocksdb::Transaction> txn(
      h_->db->BeginTransaction(h_->write_options, h_->admin_txn_options));
  const std::string name_key = TenantNameKey(name);
  std::string value;
  rocksdb::Status s = txn->GetForUpdate(rocksdb::ReadOptions(), h_->tenants, name_key, &value);
  if (s.ok()) return Status::Uniqueness("tenant name already exists");
  if (!s.IsNotFound()) return internal::FromRocks(s, "tenant name");

  // The sequence key is locked for the whole transaction: ids are handed out one at a time.
  const std::string seq_key(kTenantSeqKey);
  s = txn->GetForUpdate(rocksdb::ReadOptions(), h_->tenants, seq_key, &value);
  TenantId id = 1;  // 0 is never a tenant
  if (s.ok()) {
    SCIMD_ASSIGN_OR_RETURN(id, DecodeTenantId(value));
  } else if (!s.IsNotFound()) {
    return internal::FromRocks(s, "tenant sequence");
  }
  if (id == 0 || id == UINT32_MAX) return Status::IoError("tenant ids exhausted");

  core::TenantRecord record;
  record.id = id;
  record.name.assign(name);
  record.created_unix = NowUnix();
  SCIMD_RETURN_IF_ERROR(
      internal::FromRocks(txn->Put(h_->tenants, seq_key, EncodeTenantId(id + 1)), "put"));
  SCIMD_RETURN_IF_ERROR(
      internal::FromRocks(txn->Put(h_->tenants, name_key, EncodeTenantId(id)), "put"));
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(
      txn->Put(h_->tenants, TenantIdKey(id), EncodeTenantRecord(record)), "put"));
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(txn->Commit(), "commit"));
  return record;
}

Result<std::optional<core::TenantRecord>> RocksStore::ReadTenant(TenantId id) {
  SCIMD_ASSIGN_OR_RETURN(auto value, Get(h_->tenants, TenantIdKey(id)));
  if (!value) return std::optional<core::TenantRecord>();
  SCIMD_ASSIGN_OR_RETURN(core::TenantRecord record, DecodeTenantRecord(*value));
  return std::optional<core::TenantRecord>(std::move(record));
}

Result<std::optional<core::TenantRecord>> RocksStore::FindTenant(std::string_view name) {
  SCIMD_ASSIGN_OR_RETURN(auto value, Get(h_->tenants, TenantNameKey(name)));
  if (!value) return std::optional<core::TenantRecord>();
  SCIMD_ASSIGN_OR_RETURN(TenantId id, DecodeTenantId(*value));
  return ReadTenant(id);
}

Result<std::optional<core::TenantRecord>> RocksStore::GetTenant(TenantId id) {
  return ReadTenant(id);
}

Result<std::vector<core::TenantRecord>> RocksStore::ListTenants() {
  std::vector<core::TenantRecord> out;
  Status parse_error;
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      TenantIdKeyRange(), rocksdb::ReadOptions(),
      [&](const rocksdb::ReadOptions& ro) { return h_->db->NewIterator(ro, h_->tenants); },
      [&](std::string_view, std::string_view value) {
        auto record = DecodeTenantRecord(value);
        if (!record.ok()) {
          parse_error = record.status();
          return false;
        }
        out.push_back(std::move(*record));
        return true;
      }));
  SCIMD_RETURN_IF_ERROR(parse_error);
  return out;
}

Status RocksStore::PutTenantSettings(TenantId id,
                                     const std::map<std::string, std::string>& settings) {
  std::unique_ptr<rocksdb::Transaction> txn(
      h_->db->BeginTransaction(h_->write_options, h_->admin_txn_options));
  const std::string key = TenantIdKey(id);
  std::string value;
  rocksdb::Status s = txn->GetForUpdate(rocksdb::ReadOptions(), h_->tenants, key, &value);
  if (s.IsNotFound()) return Status::NotFound("no such tenant");
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(s, "tenant"));
  SCIMD_ASSIGN_OR_RETURN(core::TenantRecord record, DecodeTenantRecord(value));
  record.settings = settings;
  SCIMD_RETURN_IF_ERROR(
      internal::FromRocks(txn->Put(h_->tenants, key, EncodeTenantRecord(record)), "put"));
  return internal::FromRocks(txn->Commit(), "commit");
}

// ---- tokens ----------------------------------------------------------------------------

Status RocksStore::PutToken(const core::TokenRecord& token) {
  SCIMD_RETURN_IF_ERROR(ValidateTokenRecord(token));
  std::unique_ptr<rocksdb::Transaction> txn(
      h_->db->BeginTransaction(h_->write_options, h_->admin_txn_options));
  std::string value;
  rocksdb::Status s =
      txn->Get(rocksdb::ReadOptions(), h_->tenants, TenantIdKey(token.tenant), &value);
  if (s.IsNotFound()) return Status::NotFound("no such tenant");
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(s, "tenant"));

  const std::string key = TokenKey(token.token_id);
  s = txn->GetForUpdate(rocksdb::ReadOptions(), h_->tokens, key, &value);
  if (s.ok()) {
    SCIMD_ASSIGN_OR_RETURN(core::TokenRecord old, DecodeTokenRecord(token.token_id, value));
    if (old.tenant != token.tenant) {
      SCIMD_RETURN_IF_ERROR(internal::FromRocks(
          txn->Delete(h_->tokens, TokenByTenantKey(old.tenant, token.token_id)), "delete"));
    }
  } else if (!s.IsNotFound()) {
    return internal::FromRocks(s, "token");
  }
  SCIMD_RETURN_IF_ERROR(
      internal::FromRocks(txn->Put(h_->tokens, key, EncodeTokenRecord(token)), "put"));
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(
      txn->Put(h_->tokens, TokenByTenantKey(token.tenant, token.token_id), rocksdb::Slice()),
      "put"));
  return internal::FromRocks(txn->Commit(), "commit");
}

Result<core::TokenRecord> RocksStore::LockToken(rocksdb::Transaction& txn, const std::string& key,
                                                std::string_view token_id) {
  std::string value;
  rocksdb::Status s = txn.GetForUpdate(rocksdb::ReadOptions(), h_->tokens, key, &value);
  if (s.IsNotFound()) return Status::NotFound("no such token");
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(s, "token"));
  return DecodeTokenRecord(token_id, value);
}

Status RocksStore::UpdateToken(std::string_view token_id,
                               const std::function<Status(core::TokenRecord& token)>& change) {
  std::unique_ptr<rocksdb::Transaction> txn(
      h_->db->BeginTransaction(h_->write_options, h_->admin_txn_options));
  const std::string key = TokenKey(token_id);
  SCIMD_ASSIGN_OR_RETURN(core::TokenRecord token, LockToken(*txn, key, token_id));
  const core::TenantId tenant = token.tenant;
  SCIMD_RETURN_IF_ERROR(change(token));
  SCIMD_RETURN_IF_ERROR(CheckTokenUpdate(token, token_id, tenant));
  SCIMD_RETURN_IF_ERROR(
      internal::FromRocks(txn->Put(h_->tokens, key, EncodeTokenRecord(token)), "put"));
  return internal::FromRocks(txn->Commit(), "commit");
}

Status RocksStore::DeleteToken(std::string_view token_id) {
  std::unique_ptr<rocksdb::Transaction> txn(
      h_->db->BeginTransaction(h_->write_options, h_->admin_txn_options));
  const std::string key = TokenKey(token_id);
  SCIMD_ASSIGN_OR_RETURN(core::TokenRecord old, LockToken(*txn, key, token_id));
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(txn->Delete(h_->tokens, key), "delete"));
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(
      txn->Delete(h_->tokens, TokenByTenantKey(old.tenant, token_id)), "delete"));
  return internal::FromRocks(txn->Commit(), "commit");
}

Result<std::optional<core::TokenRecord>> RocksStore::LookupToken(std::string_view token_id) {
  SCIMD_ASSIGN_OR_RETURN(auto value, Get(h_->tokens, TokenKey(token_id)));
  if (!value) return std::optional<core::TokenRecord>();
  SCIMD_ASSIGN_OR_RETURN(core::TokenRecord record, DecodeTokenRecord(token_id, *value));
  return std::optional<core::TokenRecord>(std::move(record));
}

Result<std::vector<core::TokenRecord>> RocksStore::ListTokens(core::TenantId tenant) {
  rocksdb::ManagedSnapshot snapshot(h_->db);  // the secondary keys and records agree
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  std::vector<std::string> ids;
  Status parse_error;
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      TokenByTenantRange(tenant), ro,
      [&](const rocksdb::ReadOptions& o) { return h_->db->NewIterator(o, h_->tokens); },
      [&](std::string_view key, std::string_view) {
        auto parsed = ParseTokenByTenantKey(key);
        if (!parsed.ok()) {
          parse_error = parsed.status();
          return false;
        }
        ids.push_back(std::move(parsed->token_id));
        return true;
      }));
  SCIMD_RETURN_IF_ERROR(parse_error);
  std::vector<core::TokenRecord> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    std::string value;
    rocksdb::Status s = h_->db->Get(ro, h_->tokens, TokenKey(id), &value);
    if (s.IsNotFound()) continue;
    SCIMD_RETURN_IF_ERROR(internal::FromRocks(s, "token"));
    SCIMD_ASSIGN_OR_RETURN(core::TokenRecord record, DecodeTokenRecord(id, value));
    out.push_back(std::move(record));
  }
  return out;
}

}  // namespace scimd::storage

// ---- the activity log (changelog family) ----------------------------------------------

namespace scimd::storage {

Status RocksStore::AppendActivity(const std::vector<core::ActivityWrite>& writes) {
  rocksdb::WriteBatch batch;
  for (const auto& w : writes) {
    if (w.sequence == 0) return Status::InvalidValue("activity sequence numbers start at 1");
    SCIMD_RETURN_IF_ERROR(internal::FromRocks(
        batch.Put(h_->changelog, ChangelogKey(w.tenant, w.sequence), w.record), "activity"));
  }
  // No key of this family is ever locked by a transaction, and one writer numbers the
  // entries: the lock manager has nothing to check.
  rocksdb::TransactionDBWriteOptimizations skip;
  skip.skip_concurrency_control = true;
  return internal::FromRocks(h_->db->Write(h_->write_options, skip, &batch), "activity");
}

Status RocksStore::ScanActivity(core::TenantId tenant, uint64_t before,
                                const core::ActivityVisitor& visit) {
  const KeyRange range = ChangelogRange(tenant);
  rocksdb::ReadOptions ro;
  rocksdb::Slice lower(range.begin);
  rocksdb::Slice upper(range.end);
  ro.iterate_lower_bound = &lower;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(h_->db->NewIterator(ro, h_->changelog));
  if (before == 0) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(ChangelogKey(tenant, before));
    if (it->Valid() && it->key() == rocksdb::Slice(ChangelogKey(tenant, before))) it->Prev();
  }
  for (; it->Valid(); it->Prev()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (!range.Contains(key)) break;
    SCIMD_ASSIGN_OR_RETURN(ParsedChangelogKey parsed, ParseChangelogKey(key));
    if (!visit(parsed.sequence, std::string_view(it->value().data(), it->value().size()))) break;
  }
  return internal::FromRocks(it->status(), "activity scan");
}

Status RocksStore::ScanActivityOldest(core::TenantId tenant, const core::ActivityVisitor& visit) {
  Status parse_error;
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      ChangelogRange(tenant), rocksdb::ReadOptions(),
      [&](const rocksdb::ReadOptions& ro) { return h_->db->NewIterator(ro, h_->changelog); },
      [&](std::string_view key, std::string_view value) {
        auto parsed = ParseChangelogKey(key);
        if (!parsed.ok()) {
          parse_error = parsed.status();
          return false;
        }
        return visit(parsed->sequence, value);
      }));
  return parse_error;
}

Status RocksStore::DeleteActivityBefore(core::TenantId tenant, uint64_t sequence) {
  // Point deletes in bounded batches (a TransactionDB takes no DeleteRange): pruning runs
  // often, so each call removes a few minutes' worth of entries.
  constexpr size_t kBatch = 10000;
  rocksdb::TransactionDBWriteOptimizations skip;
  skip.skip_concurrency_control = true;
  for (;;) {
    rocksdb::WriteBatch batch;
    size_t n = 0;
    SCIMD_RETURN_IF_ERROR(ScanActivityOldest(tenant, [&](uint64_t seq, std::string_view) {
      if (seq >= sequence) return false;
      batch.Delete(h_->changelog, ChangelogKey(tenant, seq));
      return ++n < kBatch;
    }));
    if (n == 0) return Status::Ok();
    SCIMD_RETURN_IF_ERROR(
        internal::FromRocks(h_->db->Write(h_->write_options, skip, &batch), "activity prune"));
    if (n < kBatch) return Status::Ok();
  }
}

}  // namespace scimd::storage

namespace scimd::storage {

Result<bool> RocksStore::DeleteTenant(core::TenantId id) {
  SCIMD_ASSIGN_OR_RETURN(std::optional<core::TenantRecord> record, ReadTenant(id));
  SCIMD_ASSIGN_OR_RETURN(std::vector<core::TokenRecord> tokens, ListTokens(id));
  rocksdb::WriteBatch batch;
  std::string prefix;
  AppendU32(&prefix, id);
  const KeyRange data = PrefixRange(prefix);
  for (rocksdb::ColumnFamilyHandle* cf : {h_->resources, h_->index, h_->unique, h_->members,
                                          h_->member_of, h_->counters, h_->changelog}) {
    SCIMD_RETURN_IF_ERROR(
        internal::FromRocks(batch.DeleteRange(cf, data.begin, data.end), "delete tenant"));
  }
  for (const auto& t : tokens) {
    SCIMD_RETURN_IF_ERROR(
        internal::FromRocks(batch.Delete(h_->tokens, TokenKey(t.token_id)), "delete"));
    SCIMD_RETURN_IF_ERROR(
        internal::FromRocks(batch.Delete(h_->tokens, TokenByTenantKey(id, t.token_id)), "delete"));
  }
  if (record) {
    SCIMD_RETURN_IF_ERROR(
        internal::FromRocks(batch.Delete(h_->tenants, TenantNameKey(record->name)), "delete"));
    SCIMD_RETURN_IF_ERROR(
        internal::FromRocks(batch.Delete(h_->tenants, TenantIdKey(id)), "delete"));
  }
  // Range deletions bypass the transaction lock manager (a TransactionDB refuses them in
  // a transaction): writers of a deleted tenant have nothing left to protect.
  rocksdb::TransactionDBWriteOptimizations skip;
  skip.skip_concurrency_control = true;
  ResourceGenerations::Change change(h_->generations.get(), id, ResourceGenerations::kAllTypes);
  SCIMD_RETURN_IF_ERROR(
      internal::FromRocks(h_->db->Write(h_->write_options, skip, &batch), "delete tenant"));
  return record.has_value();
}

core::Status RocksStore::ProbeWrite() {
  // In the default column family, which holds nothing else: no tenant's range, no scan
  // or check sees it. The value is the time, so that each probe is a real write.
  static constexpr char kProbeKey[] = "probe/writable";
  const std::string value =
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  rocksdb::WriteOptions options = h_->write_options;
  options.sync = false;
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(
      h_->db->Put(options, h_->db->DefaultColumnFamily(), kProbeKey, value), "write probe"));
  std::string back;
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(
      h_->db->Get(rocksdb::ReadOptions(), h_->db->DefaultColumnFamily(), kProbeKey, &back),
      "write probe"));
  if (back != value) return core::Status::IoError("the write probe read back something else");
  return core::Status::Ok();
}

core::Status RocksStore::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  SCIMD_RETURN_IF_ERROR(
      internal::FromRocks(rocksdb::Checkpoint::Create(h_->db, &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // Flushes the memtables first (log_size_for_flush 0), so the copy is SST files plus a
  // short WAL; with several column families RocksDB keeps them consistent with each other.
  return internal::FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                             "checkpoint into " + dir);
}

core::Result<core::StoreEngineStats> RocksStore::EngineStats() {
  core::StoreEngineStats out;
  rocksdb::DB* db = h_->db;
  // Summed over the column families (each has its own memtables, levels and debt).
  auto sum = [&](const std::string& property, uint64_t* value) {
    return db->GetAggregatedIntProperty(property, value);
  };
  auto one = [&](const std::string& property, uint64_t* value) {
    return db->GetIntProperty(property, value);
  };
  uint64_t stopped = 0;
  const bool ok = sum(rocksdb::DB::Properties::kEstimatePendingCompactionBytes,
                      &out.pending_compaction_bytes) &&
                  sum(rocksdb::DB::Properties::kCurSizeAllMemTables, &out.memtable_bytes) &&
                  one(rocksdb::DB::Properties::kNumRunningCompactions, &out.running_compactions) &&
                  one(rocksdb::DB::Properties::kNumRunningFlushes, &out.running_flushes) &&
                  one(rocksdb::DB::Properties::kIsWriteStopped, &stopped) &&
                  one(rocksdb::DB::Properties::kActualDelayedWriteRate, &out.delayed_write_rate);
  if (!ok) return core::Status::IoError("the storage engine did not report its figures");
  for (rocksdb::ColumnFamilyHandle* cf : all_handles_) {  // a string property, per family
    std::string files;
    if (db->GetProperty(cf, rocksdb::DB::Properties::kNumFilesAtLevelPrefix + std::string("0"),
                        &files)) {
      out.level0_files += std::strtoull(files.c_str(), nullptr, 10);
    }
  }
  out.writes_stopped = stopped != 0;
  if (const rocksdb::Statistics* stats = h_->statistics.get()) {
    out.block_cache_hits = stats->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
    out.block_cache_misses = stats->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
    out.stall_micros = stats->getTickerCount(rocksdb::STALL_MICROS);
  }
  uint64_t usage = 0;
  if (db->GetIntProperty(rocksdb::DB::Properties::kBlockCacheUsage, &usage)) {
    out.block_cache_bytes = usage;
  }
  return out;
}

}  // namespace scimd::storage
