// RocksStore's replication log (replication_log.h): the WAL read as frames, frames applied
// as one write, the term history under a key of the default column family.
#include <rocksdb/db.h>
#include <rocksdb/transaction_log.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <set>

#include "storage/rocks_internal.h"
#include "storage/rocks_store.h"

namespace scimd::storage {
namespace {

using core::Result;
using core::Status;

// The term history: a key of the default column family (which holds no tenant data).
constexpr char kTermsKey[] = "replication/terms";
// RocksDB's WriteBatch header: the sequence number (u64) and the entry count (u32).
constexpr size_t kBatchHeaderBytes = 12;

// RocksDB's record tags (db/dbformat.h, "do not change" there as well): the kinds of entry
// a scimd commit holds. Anything else (a two-phase commit marker, a blob index, a wide
// column) refuses the batch before RocksDB sees it: Debian's RocksDB keeps its
// assertions, and some of them fire on such records in a batch it did not make.
enum : uint8_t {
  kTagDeletion = 0x0,
  kTagValue = 0x1,
  kTagMerge = 0x2,
  kTagLogData = 0x3,
  kTagCfDeletion = 0x4,
  kTagCfValue = 0x5,
  kTagCfMerge = 0x6,
  kTagSingleDeletion = 0x7,
  kTagCfSingleDeletion = 0x8,
  kTagNoop = 0xD,  // every transaction's batch starts with one
  kTagCfRangeDeletion = 0xE,
  kTagRangeDeletion = 0xF,
};

bool Varint32(std::string_view* in, uint32_t* v) {
  *v = 0;
  for (int shift = 0; shift <= 28 && !in->empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool LengthPrefixed(std::string_view* in) {
  uint32_t n = 0;
  if (!Varint32(in, &n) || in->size() < n) return false;
  in->remove_prefix(n);
  return true;
}

// Checks the entries of a batch (after its 12-byte header): known kinds, known column
// families, well formed, as many as its header says.
Status CheckBatch(std::string_view entries, uint32_t count, const std::set<uint32_t>& families) {
  uint32_t found = 0;
  while (!entries.empty()) {
    const auto tag = static_cast<uint8_t>(entries.front());
    entries.remove_prefix(1);
    uint32_t cf = 0;
    bool value = false;
    switch (tag) {
      case kTagNoop: continue;
      case kTagLogData:
        if (!LengthPrefixed(&entries)) return Status::InvalidValue("a truncated entry");
        continue;
      case kTagCfValue:
      case kTagCfMerge:
      case kTagCfRangeDeletion: value = true; [[fallthrough]];
      case kTagCfDeletion:
      case kTagCfSingleDeletion:
        if (!Varint32(&entries, &cf)) return Status::InvalidValue("a truncated entry");
        break;
      case kTagValue:
      case kTagMerge:
      case kTagRangeDeletion: value = true; break;
      case kTagDeletion:
      case kTagSingleDeletion: break;
      default:
        return Status::InvalidValue("an entry of kind " + std::to_string(tag) +
                                    ", which scimd never writes");
    }
    if (families.count(cf) == 0) return Status::InvalidValue("an unknown column family");
    if (!LengthPrefixed(&entries) || (value && !LengthPrefixed(&entries))) {
      return Status::InvalidValue("a truncated entry");
    }
    ++found;
  }
  if (found != count) return Status::InvalidValue("a batch whose count is wrong");
  return Status::Ok();
}

}  // namespace

bool internal::IsIngestBatch(std::string_view batch) {
  if (batch.size() <= kBatchHeaderBytes || static_cast<uint8_t>(batch[12]) != kTagLogData) {
    return false;
  }
  std::string_view entry = batch.substr(kBatchHeaderBytes + 1);
  uint32_t n = 0;
  return Varint32(&entry, &n) && entry.size() == n && entry.starts_with(kIngestFramePrefix);
}

RocksLogReader::RocksLogReader(internal::RocksHandles* h, uint64_t after)
    : h_(h), position_(after) {}

RocksLogReader::~RocksLogReader() = default;

Status RocksLogReader::AtGap(std::string* out, bool* emitted, const std::string& why) {
  *emitted = false;
  it_.reset();
  uint64_t taken = 0;
  switch (internal::IngestFrameAt(*h_, position_ + 1, out, &ingest_files_, &taken)) {
    case internal::IngestAt::kFrame:
      *emitted = true;
      position_ += taken;
      return Status::Ok();
    case internal::IngestAt::kWait: return Status::Ok();
    case internal::IngestAt::kNone: break;
  }
  return Status::NotFound("the log has no record of sequence " + std::to_string(position_ + 1) +
                          " (" + why + ")");
}

Status RocksLogReader::Read(size_t max_bytes, std::string* out) {
  const size_t start = out->size();
  bool ingest = false;
  // An iterator at the end of the newest WAL file reads what was appended since when moved
  // on again; one that reached the end of a file that is no longer the newest says TryAgain
  // and is made anew (from where it stopped). A gap is an ingest's sequence number (an
  // ingest's frame ends the read) or a deleted file.
  for (int fresh = 0; fresh < 2; ++fresh) {
    if (position_ >= h_->db->GetLatestSequenceNumber()) return Status::Ok();
    if (!it_) {
      rocksdb::Status s = h_->db->GetUpdatesSince(position_ + 1, &it_,
                                                  rocksdb::TransactionLogIterator::ReadOptions());
      if (!s.ok()) {
        if (out->size() > start) return Status::Ok();
        return AtGap(out, &ingest, s.ToString());
      }
    } else if (!it_->Valid()) {
      it_->Next();
    }
    for (; it_->Valid(); it_->Next()) {
      rocksdb::BatchResult batch = it_->GetBatch();
      const uint64_t count = batch.writeBatchPtr->Count();
      // (A batch of no entries takes no sequence number: its "last" is the one before.)
      const uint64_t last = batch.sequence + count - 1;
      if (last <= position_) continue;  // the batch before the position (a fresh iterator)
      if (batch.sequence != position_ + 1) {
        if (out->size() > start) {
          it_.reset();
          return Status::Ok();
        }
        return AtGap(out, &ingest, "an ingest's, or a deleted file");
      }
      AppendLogFrame(out, batch.sequence, batch.writeBatchPtr->Data());
      position_ = last;
      if (out->size() - start >= max_bytes) {
        it_->Next();  // positioned on what comes next (or at the end, to be moved on)
        return Status::Ok();
      }
    }
    const rocksdb::Status s = it_->status();
    if (s.ok()) return Status::Ok();  // the end of the newest file, as of now
    it_.reset();                      // TryAgain (a newer file), or a gap: start anew
    if (out->size() > start) return Status::Ok();
    if (fresh == 1) {
      // A new iterator found nothing at position() + 1 although it was written.
      return AtGap(out, &ingest, s.ToString());
    }
  }
  return Status::Ok();
}

uint64_t RocksStore::LatestSequence() const { return h_->db->GetLatestSequenceNumber(); }

uint64_t RocksStore::LogBytesAfter(uint64_t sequence) const {
  rocksdb::VectorLogPtr files;
  if (!h_->db->GetSortedWalFiles(files).ok()) return 0;
  uint64_t bytes = 0;
  for (const auto& f : files) {
    if (f->StartSequence() > sequence + 1) {  // live or archived
      bytes += f->SizeFileBytes();
    }
  }
  return bytes;
}

std::unique_ptr<core::LogReader> RocksStore::NewLogReader(uint64_t after) {
  return std::make_unique<RocksLogReader>(h_.get(), after);
}

Status RocksStore::ApplyLog(std::string_view frames) {
  std::set<uint32_t> families;
  for (rocksdb::ColumnFamilyHandle* cf : all_handles_) families.insert(cf->GetID());
  families.insert(h_->db->DefaultColumnFamily()->GetID());
  const uint64_t latest = LatestSequence();
  uint64_t next = latest + 1;
  const std::string_view all = frames;
  while (!frames.empty()) {
    LogFrame frame;
    SCIMD_RETURN_IF_ERROR(NextLogFrame(&frames, &frame));
    if (frame.first != next) {
      return Status::InvalidValue("a log frame at sequence " + std::to_string(frame.first) +
                                  " where " + std::to_string(next) + " comes next");
    }
    if (internal::IsIngestBatch(frame.data)) {
      // Its files must be in the inbox, as the record says.
      SCIMD_RETURN_IF_ERROR(
          internal::CheckIngest(*h_, IngestInbox(), frame.first, frame.count, frame.data));
      next += frame.count;
      continue;
    }
    if (Status s = CheckBatch(frame.data.substr(kBatchHeaderBytes), frame.count, families);
        !s.ok()) {
      return Status::InvalidValue("a malformed log frame at sequence " +
                                  std::to_string(frame.first) + ": " + s.detail());
    }
    next += frame.count;
  }
  // One write per frame: this store's WAL then has the leader's record boundaries, so a
  // position acknowledged to any leader is a record boundary on every node, and a
  // follower can later catch up from this node's log if it leads (a record holding
  // several of them would have to be split).
  for (std::string_view rest = all; !rest.empty();) {
    LogFrame frame;
    SCIMD_RETURN_IF_ERROR(NextLogFrame(&rest, &frame));
    if (frame.count == 0) continue;
    if (internal::IsIngestBatch(frame.data)) {
      SCIMD_RETURN_IF_ERROR(
          internal::ApplyIngest(*h_, IngestInbox(), frame.first, frame.count, frame.data));
      continue;
    }
    rocksdb::WriteBatch batch{std::string(frame.data)};
    // The base DB, past the transaction layer's locks: a follower runs no transactions.
    SCIMD_RETURN_IF_ERROR(
        internal::FromRocks(h_->db->GetRootDB()->Write(h_->write_options, &batch), "apply log"));
  }
  if (LatestSequence() != next - 1) {
    return Status::Internal("after applying the log the store is at " +
                            std::to_string(LatestSequence()) + ", not " + std::to_string(next - 1) +
                            ": something else wrote to it");
  }
  return Status::Ok();
}

Result<std::vector<TermStart>> RocksStore::ReadTerms() {
  std::string value;
  rocksdb::Status s =
      h_->db->Get(rocksdb::ReadOptions(), h_->db->DefaultColumnFamily(), kTermsKey, &value);
  if (s.IsNotFound()) return std::vector<TermStart>{};
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(s, "read the term history"));
  return DecodeTerms(value);
}

Status RocksStore::StartTerm(uint64_t term) {
  SCIMD_ASSIGN_OR_RETURN(std::vector<TermStart> terms, ReadTerms());
  if (!terms.empty() && term <= terms.back().term) {
    return Status::InvalidValue("term " + std::to_string(term) + " is not after term " +
                                std::to_string(terms.back().term));
  }
  const uint64_t at = LatestSequence() + 1;
  terms.push_back({term, at});
  rocksdb::WriteBatch batch;
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(
      batch.Put(h_->db->DefaultColumnFamily(), kTermsKey, EncodeTerms(terms)), "term marker"));
  rocksdb::WriteOptions options = h_->write_options;
  options.sync = true;  // a term is never forgotten, whatever --sync says
  SCIMD_RETURN_IF_ERROR(
      internal::FromRocks(h_->db->GetRootDB()->Write(options, &batch), "term marker"));
  if (LatestSequence() != at) {
    return Status::Internal("another write ran beside the marker of term " + std::to_string(term));
  }
  return Status::Ok();
}

std::string RocksStore::LogFormat() const {
  std::vector<std::pair<uint32_t, std::string>> families;
  for (rocksdb::ColumnFamilyHandle* cf : all_handles_) {
    families.emplace_back(cf->GetID(), cf->GetName());
  }
  std::sort(families.begin(), families.end());
  // The engine's version too: an ingest's sequence numbers follow its rules.
  // wal-2: ingest frames, staged files and sealed connections.
  std::string out = "rocksdb-wal-2 rocksdb-" + std::to_string(ROCKSDB_MAJOR) + "." +
                    std::to_string(ROCKSDB_MINOR);
  for (const auto& [id, name] : families) out += " " + std::to_string(id) + "=" + name;
  return out;
}

}  // namespace scimd::storage
