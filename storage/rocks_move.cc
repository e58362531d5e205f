// RocksStore's side of a tenant's move (core/base/store.h, TenantMoveSource/Sink;
// FORMAT.md, "Moving a tenant"): the range read from a snapshot, the changes after it from
// the WAL (DB::GetUpdatesSince, with file deletions off while a source is open so that
// no log file it needs goes away), written on the other side under the sink's tenant id.
#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/transaction_log.h>
#include <rocksdb/utilities/transaction_db.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>

#include "storage/byte_reader.h"
#include "storage/key_codec.h"
#include "storage/record_codec.h"
#include "storage/rocks_bulk_load.h"
#include "storage/rocks_internal.h"
#include "storage/rocks_store.h"

namespace scimd::storage {

using core::Result;
using core::Status;

namespace {

// The per-tenant families, in the order a range is read. A page names them by position.
constexpr size_t kFamilies = 7;
std::array<rocksdb::ColumnFamilyHandle*, kFamilies> Families(const internal::RocksHandles& h) {
  return {h.resources, h.index, h.unique, h.members, h.member_of, h.counters, h.changelog};
}

enum class Op : uint8_t { kPut = 1, kDelete = 2, kMerge = 3, kSingleDelete = 4, kDeleteRange = 5 };

// A range deletion that runs to the end of the tenant's range (its end is not a key of it).
constexpr uint8_t kToRangeEnd = 0x01;

// Files of a move's range are cut at this size.
constexpr uint64_t kMoveFileBytes = uint64_t{256} << 20;

void AppendFrame(std::string* out, Op op, size_t family, std::string_view key,
                 std::string_view value) {
  out->push_back(static_cast<char>(op));
  out->push_back(static_cast<char>(family));
  AppendBytes(out, key);
  AppendBytes(out, value);
}

struct Frame {
  Op op;
  size_t family;
  std::string_view key;    // without the tenant
  std::string_view value;  // kDeleteRange: flag byte, then the end without the tenant
};

// Reads one frame from `page`; InvalidValue when it is not one.
Status NextFrame(ByteReader* page, Frame* f) {
  uint8_t op = 0, family = 0;
  if (!page->U8(&op) || !page->U8(&family)) {
    return Status::InvalidValue("a move page ends inside a frame");
  }
  if (op < 1 || op > 5 || family >= kFamilies) {
    return Status::InvalidValue("a move page holds an unknown frame");
  }
  f->op = Op(op);
  f->family = family;
  if (!page->Bytes(&f->key) || !page->Bytes(&f->value)) {
    return Status::InvalidValue("a move page ends inside a frame");
  }
  if (f->op == Op::kDeleteRange && f->value.empty()) {
    return Status::InvalidValue("a range deletion without its end");
  }
  return Status::Ok();
}

// The WAL's writes of one tenant, as frames: keys of the tenant's range in the seven
// families; everything else (other tenants, tenants and tokens) is left out.
class ChangeCollector : public rocksdb::WriteBatch::Handler {
 public:
  ChangeCollector(const internal::RocksHandles& h, std::string prefix, std::string* out)
      : prefix_(std::move(prefix)), end_(PrefixSuccessor(prefix_)), out_(out) {
    const auto families = Families(h);
    for (size_t i = 0; i < kFamilies; ++i) ids_[i] = families[i]->GetID();
  }

  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    Add(Op::kPut, cf, key, value);
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    Add(Op::kDelete, cf, key, rocksdb::Slice());
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    Add(Op::kSingleDelete, cf, key, rocksdb::Slice());
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice& key,
                          const rocksdb::Slice& value) override {
    Add(Op::kMerge, cf, key, value);
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice& begin,
                                const rocksdb::Slice& end) override {
    const int family = Family(cf);
    if (family < 0) return rocksdb::Status::OK();
    // Clipped to the tenant's range.
    std::string_view b = begin.ToStringView(), e = end.ToStringView();
    if (b < std::string_view(prefix_)) b = prefix_;
    const bool to_end = e >= std::string_view(end_);
    if (!to_end && e <= b) return rocksdb::Status::OK();
    if (b >= std::string_view(end_)) return rocksdb::Status::OK();
    std::string value(1, static_cast<char>(to_end ? kToRangeEnd : 0));
    if (!to_end) value.append(e.substr(prefix_.size()));
    AppendFrame(out_, Op::kDeleteRange, static_cast<size_t>(family), b.substr(prefix_.size()),
                value);
    return rocksdb::Status::OK();
  }
  // A transaction's commit without a prepare starts with a no-op marker; nothing else of
  // two-phase commit is used.
  rocksdb::Status MarkNoop(bool) override { return rocksdb::Status::OK(); }

 private:
  int Family(uint32_t cf) const {
    for (size_t i = 0; i < kFamilies; ++i) {
      if (ids_[i] == cf) return static_cast<int>(i);
    }
    return -1;
  }
  void Add(Op op, uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice& value) {
    const int family = Family(cf);
    if (family < 0 || !key.starts_with(prefix_)) return;
    AppendFrame(out_, op, static_cast<size_t>(family), key.ToStringView().substr(prefix_.size()),
                value.ToStringView());
  }

  const std::string prefix_, end_;
  std::string* out_;
  std::array<uint32_t, kFamilies> ids_{};
};

class RocksMoveSource final : public core::TenantMoveSource {
 public:
  RocksMoveSource(RocksStore* store, internal::RocksHandles* h, core::TenantId tenant)
      : store_(store), h_(h), tenant_(tenant), prefix_(TenantPrefix(tenant)) {
    // Before the snapshot: every log file holding a commit after it stays.
    h_->db->DisableFileDeletions().PermitUncheckedError();
    snapshot_ = h_->db->GetSnapshot();
  }
  ~RocksMoveSource() override {
    h_->db->ReleaseSnapshot(snapshot_);
    // Not forced: a backup's checkpoint may have them off as well.
    h_->db->EnableFileDeletions(/*force=*/false).PermitUncheckedError();
  }

  uint64_t sequence() const override { return snapshot_->GetSequenceNumber(); }

  Status ReadRange(std::string* cursor, size_t max_bytes, std::string* out, bool* done) override {
    *done = false;
    size_t family = 0;
    std::string after;  // the last key read, without the tenant
    if (!cursor->empty()) {
      family = static_cast<uint8_t>((*cursor)[0]);
      after = cursor->substr(1);
      if (family >= kFamilies) return Status::InvalidValue("not a range cursor");
    }
    const size_t start = out->size();
    const auto families = Families(*h_);
    const std::string end = PrefixSuccessor(prefix_);
    for (; family < kFamilies; ++family, after.clear()) {
      rocksdb::ReadOptions ro;
      ro.snapshot = snapshot_;
      rocksdb::Slice upper(end);
      ro.iterate_upper_bound = &upper;
      ro.fill_cache = false;
      std::unique_ptr<rocksdb::Iterator> it(h_->db->NewIterator(ro, families[family]));
      const std::string from = prefix_ + after;
      for (it->Seek(from); it->Valid(); it->Next()) {
        const std::string_view key = it->key().ToStringView().substr(prefix_.size());
        if (!cursor->empty() && key == after) continue;  // read by the page before
        AppendFrame(out, Op::kPut, family, key, it->value().ToStringView());
        if (out->size() - start >= max_bytes) {
          cursor->assign(1, static_cast<char>(family));
          cursor->append(key);
          return internal::FromRocks(it->status(), "move range");
        }
      }
      SCIMD_RETURN_IF_ERROR(internal::FromRocks(it->status(), "move range"));
      cursor->clear();  // the next family from its start
    }
    *done = true;
    return Status::Ok();
  }

  Status ReadChanges(uint64_t* since, size_t max_bytes, std::string* out, bool* more) override {
    *more = false;
    rocksdb::DB* db = h_->db;
    const size_t start = out->size();
    ChangeCollector collect(*h_, prefix_, out);
    // Sequence numbers no WAL record holds (an ingest of another tenant takes one) stop
    // RocksDB's log iterator ("Gap in sequence numbers"); a new one, started after what
    // was read, steps over them. Only such gaps exist here: while a source is open, no
    // log file is deleted.
    for (int restarts = 0; *since < db->GetLatestSequenceNumber(); ++restarts) {
      std::unique_ptr<rocksdb::TransactionLogIterator> it;
      rocksdb::Status s =
          db->GetUpdatesSince(*since + 1, &it, rocksdb::TransactionLogIterator::ReadOptions());
      if (!s.ok()) {
        return Status::NotFound("the engine's log no longer holds the changes after " +
                                std::to_string(*since) + ": start the move again");
      }
      const uint64_t before = *since;
      for (; it->Valid(); it->Next()) {
        rocksdb::BatchResult batch = it->GetBatch();
        const uint64_t first = batch.sequence;
        const uint64_t count = batch.writeBatchPtr->Count();
        if (first <= *since) continue;  // read before (a commit is never split)
        SCIMD_RETURN_IF_ERROR(
            internal::FromRocks(batch.writeBatchPtr->Iterate(&collect), "move changes"));
        *since = first + (count == 0 ? 0 : count - 1);
        if (out->size() - start >= max_bytes) {
          *more = true;
          return Status::Ok();
        }
      }
      if (it->status().ok()) break;  // the log's end, as of now
      if (*since == before && restarts > 0) {
        // Nothing after the gap (an ingest was the last write): the end, as of now.
        break;
      }
      if (restarts >= 1000) return internal::FromRocks(it->status(), "move changes");
    }
    return Status::Ok();
  }

  Result<std::string> ReadTenantRecords() override {
    SCIMD_ASSIGN_OR_RETURN(std::optional<core::TenantRecord> record, store_->GetTenant(tenant_));
    if (!record) return Status::NotFound("the tenant was deleted");
    SCIMD_ASSIGN_OR_RETURN(std::vector<core::TokenRecord> tokens, store_->ListTokens(tenant_));
    std::string out;
    AppendBytes(&out, EncodeTenantRecord(*record));
    AppendU32(&out, static_cast<uint32_t>(tokens.size()));
    for (const auto& t : tokens) {
      AppendBytes(&out, t.token_id);
      AppendBytes(&out, EncodeTokenRecord(t));
    }
    return out;
  }

 private:
  RocksStore* store_;
  internal::RocksHandles* h_;
  const core::TenantId tenant_;
  const std::string prefix_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
};

class RocksMoveSink final : public core::TenantMoveSink {
 public:
  RocksMoveSink(RocksStore* store, internal::RocksHandles* h, core::TenantId tenant,
                std::string dir)
      : store_(store),
        h_(h),
        tenant_(tenant),
        prefix_(TenantPrefix(tenant)),
        dir_(std::move(dir)) {}
  ~RocksMoveSink() override {
    writer_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Status AddRange(std::string_view page) override {
    if (ingested_) return Status::InvalidValue("the range was finished");
    const auto families = Families(*h_);
    std::string key;
    for (ByteReader in(page); !in.AtEnd();) {
      Frame f;
      SCIMD_RETURN_IF_ERROR(NextFrame(&in, &f));
      if (f.op != Op::kPut) return Status::InvalidValue("a range page holds only entries");
      if (f.family < family_) return Status::InvalidValue("range pages out of order");
      if (writer_ && (f.family != family_ || writer_->FileSize() >= kMoveFileBytes)) {
        SCIMD_RETURN_IF_ERROR(CloseFile());
      }
      family_ = f.family;
      if (!writer_) {
        const std::string path = dir_ + "/" + std::to_string(files_.size()) + ".sst";
        writer_ = std::make_unique<rocksdb::SstFileWriter>(
            rocksdb::EnvOptions(),
            rocksdb::Options(h_->db->GetDBOptions(), h_->db->GetOptions(families[family_])));
        SCIMD_RETURN_IF_ERROR(internal::FromRocks(writer_->Open(path), "move range file"));
        files_.emplace_back(family_, path);
      }
      key.assign(prefix_).append(f.key);
      // Out of order or repeated keys are refused here (the writer needs them ascending).
      SCIMD_RETURN_IF_ERROR(internal::FromRocks(writer_->Put(key, f.value), "move range entry"));
    }
    return Status::Ok();
  }

  Status FinishRange() override {
    if (ingested_) return Status::Ok();
    if (writer_) SCIMD_RETURN_IF_ERROR(CloseFile());
    const auto families = Families(*h_);
    std::vector<rocksdb::IngestExternalFileArg> args;
    for (const auto& [family, path] : files_) {
      if (args.empty() || args.back().column_family != families[family]) {
        args.emplace_back();
        args.back().column_family = families[family];
        internal::SetIngestOptions(&args.back().options);
      }
      args.back().external_files.push_back(path);
    }
    ingested_ = true;
    if (args.empty()) return Status::Ok();
    SCIMD_ASSIGN_OR_RETURN(auto prepared,
                           internal::PreparedIngest::Prepare(*h_, args, "move range ingest"));
    ResourceGenerations::Change change(h_->generations.get(), tenant_,
                                       ResourceGenerations::kAllTypes);
    return prepared->Commit();
  }

  Status ApplyChanges(std::string_view page) override {
    if (!ingested_) return Status::InvalidValue("changes come after the range");
    const auto families = Families(*h_);
    const std::string end = PrefixSuccessor(prefix_);
    rocksdb::WriteBatch batch;
    for (ByteReader in(page); !in.AtEnd();) {
      Frame f;
      SCIMD_RETURN_IF_ERROR(NextFrame(&in, &f));
      rocksdb::ColumnFamilyHandle* cf = families[f.family];
      const std::string key = prefix_ + std::string(f.key);
      rocksdb::Status s;
      switch (f.op) {
        case Op::kPut:
          s = batch.Put(cf, key, rocksdb::Slice(f.value.data(), f.value.size()));
          break;
        case Op::kDelete: s = batch.Delete(cf, key); break;
        case Op::kSingleDelete: s = batch.SingleDelete(cf, key); break;
        case Op::kMerge:
          s = batch.Merge(cf, key, rocksdb::Slice(f.value.data(), f.value.size()));
          break;
        case Op::kDeleteRange: {
          const bool to_end = static_cast<uint8_t>(f.value[0]) == kToRangeEnd;
          const std::string stop = to_end ? end : prefix_ + std::string(f.value.substr(1));
          s = batch.DeleteRange(cf, key, stop);
          break;
        }
      }
      SCIMD_RETURN_IF_ERROR(internal::FromRocks(s, "move change"));
    }
    if (batch.Count() == 0) return Status::Ok();
    ResourceGenerations::Change change(h_->generations.get(), tenant_,
                                       ResourceGenerations::kAllTypes);
    // Range deletions bypass the lock manager (a TransactionDB refuses them otherwise);
    // nothing else writes a tenant that is arriving.
    rocksdb::TransactionDBWriteOptimizations skip;
    skip.skip_concurrency_control = true;
    return internal::FromRocks(h_->db->Write(h_->write_options, skip, &batch), "move changes");
  }

  Status ApplyTenantRecords(std::string_view records) override {
    ByteReader in(records);
    std::string_view tenant_bytes;
    uint32_t count = 0;
    if (!in.Bytes(&tenant_bytes) || !in.U32(&count)) {
      return Status::InvalidValue("not a tenant's records");
    }
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord moved, DecodeTenantRecord(tenant_bytes));
    SCIMD_ASSIGN_OR_RETURN(std::optional<core::TenantRecord> here, store_->GetTenant(tenant_));
    if (!here) return Status::NotFound("the arriving tenant was deleted");
    rocksdb::WriteBatch batch;
    core::TenantRecord record = *here;  // its id and name here; the rest as it was there
    record.created_unix = moved.created_unix;
    record.settings = moved.settings;
    SCIMD_RETURN_IF_ERROR(internal::FromRocks(
        batch.Put(h_->tenants, TenantIdKey(tenant_), EncodeTenantRecord(record)), "move tenant"));
    for (uint32_t i = 0; i < count; ++i) {
      std::string_view id, value;
      if (!in.Bytes(&id) || !in.Bytes(&value))
        return Status::InvalidValue("not a tenant's records");
      SCIMD_ASSIGN_OR_RETURN(core::TokenRecord token, DecodeTokenRecord(id, value));
      token.tenant = tenant_;
      SCIMD_RETURN_IF_ERROR(ValidateTokenRecord(token));
      SCIMD_ASSIGN_OR_RETURN(std::optional<core::TokenRecord> taken, store_->LookupToken(id));
      if (taken && taken->tenant != tenant_) {
        return Status::Uniqueness("token " + std::string(id) + " belongs to another tenant here");
      }
      SCIMD_RETURN_IF_ERROR(internal::FromRocks(
          batch.Put(h_->tokens, TokenKey(id), EncodeTokenRecord(token)), "move token"));
      SCIMD_RETURN_IF_ERROR(internal::FromRocks(
          batch.Put(h_->tokens, TokenByTenantKey(tenant_, id), rocksdb::Slice()), "move token"));
    }
    if (!in.AtEnd()) return Status::InvalidValue("not a tenant's records");
    return internal::FromRocks(h_->db->Write(h_->write_options, &batch), "move tenant");
  }

 private:
  Status CloseFile() {
    rocksdb::Status s = writer_->Finish();
    writer_.reset();
    return internal::FromRocks(s, "move range file");
  }

  RocksStore* store_;
  internal::RocksHandles* h_;
  const core::TenantId tenant_;
  const std::string prefix_;
  const std::string dir_;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  size_t family_ = 0;
  std::vector<std::pair<size_t, std::string>> files_;  // family, path
  bool ingested_ = false;
};

}  // namespace

Result<std::unique_ptr<core::TenantMoveSource>> RocksStore::BeginMoveOut(core::TenantId tenant) {
  SCIMD_ASSIGN_OR_RETURN(std::optional<core::TenantRecord> record, ReadTenant(tenant));
  if (!record) return Status::NotFound("no such tenant");
  return std::unique_ptr<core::TenantMoveSource>(new RocksMoveSource(this, h_.get(), tenant));
}

Result<std::unique_ptr<core::TenantMoveSink>> RocksStore::BeginMoveIn(core::TenantId tenant) {
  SCIMD_ASSIGN_OR_RETURN(std::optional<core::TenantRecord> record, ReadTenant(tenant));
  if (!record) return Status::NotFound("no such tenant");
  // It must hold nothing: its range is written as files placed beside whatever is there.
  const std::string prefix = TenantPrefix(tenant);
  const std::string end = PrefixSuccessor(prefix);
  for (rocksdb::ColumnFamilyHandle* cf : Families(*h_)) {
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(h_->db->NewIterator(ro, cf));
    it->Seek(prefix);
    if (it->Valid() && it->key().compare(end) < 0) {
      return Status::Uniqueness("the tenant a move arrives in must be empty");
    }
    SCIMD_RETURN_IF_ERROR(internal::FromRocks(it->status(), "move in"));
  }
  static std::atomic<uint64_t> next{0};
  const std::string dir = dir_ + "/" + std::string(kBulkLoadDir) + "/move-" +
                          std::to_string(tenant) + "-" + std::to_string(next.fetch_add(1));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("move: cannot create " + dir + ": " + ec.message());
  return std::unique_ptr<core::TenantMoveSink>(new RocksMoveSink(this, h_.get(), tenant, dir));
}

Status RocksStore::FenceTenant(core::TenantId tenant) {
  h_->fence.Fence(tenant);
  return Status::Ok();
}

void RocksStore::UnfenceTenant(core::TenantId tenant) { h_->fence.Unfence(tenant); }

}  // namespace scimd::storage
