// Ingests in a replicated store (rocks_internal.h, PreparedIngest; docs/DESIGN.md,
// "Ingests travel with their files"): an ingest takes sequence numbers and writes nothing
// to the WAL, so the log records it apart. The leader keeps a hard link of each file under
// replication-ingests/<id>/, has the stager put them on the followers, ingests them and
// writes the marker replication/ingest/<first sequence> (the count and the files' column
// families, names and sizes); a log reader that meets the ingest's gap turns the marker
// into an ingest frame and names the files to its sender; a follower ingests them from its
// inbox at the same sequence numbers.
#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "core/base/clock.h"
#include "storage/rocks_internal.h"
#include "storage/rocks_store.h"

namespace scimd::storage {
namespace fs = std::filesystem;
using core::Result;
using core::Status;

namespace {

constexpr char kMarkerPrefix[] = "replication/ingest/";
// A bound on an ingest's files (a 10M-user import writes a few hundred): its record, a
// line per file, must fit a replication message (64 MiB) with room to spare.
constexpr uint64_t kMaxIngestFiles = 100'000;
// How long the leader keeps an ingest's files for a follower that has not taken it yet;
// after that such a follower is re-seeded.
constexpr int64_t kKeepIngestMs = 3600'000;

// Where RocksDB reports, on the ingesting thread, the sequence number each file got.
thread_local std::vector<std::pair<std::string, uint64_t>>* t_ingested = nullptr;

class IngestListener final : public rocksdb::EventListener {
 public:
  void OnExternalFileIngested(rocksdb::DB*,
                              const rocksdb::ExternalFileIngestionInfo& info) override {
    if (t_ingested != nullptr) t_ingested->emplace_back(info.external_file_path, info.global_seqno);
  }
};

std::string MarkerKey(uint64_t sequence) {
  char digits[32];
  std::snprintf(digits, sizeof(digits), "%020llu", static_cast<unsigned long long>(sequence));
  return kMarkerPrefix + std::string(digits);
}

std::string IngestsDir(const internal::RocksHandles& h) {
  return h.dir + "/" + std::string(internal::kReplicationIngestsDir);
}

struct IngestFile {
  uint32_t cf = 0;
  std::string name;
  uint64_t size = 0;
};

// The marker's value: "<sequence numbers taken>", then one line per file, "<column
// family id> <name> <size>", in the order of the ingest's arguments (a family's files
// together).
std::string EncodeFiles(uint64_t taken, const std::vector<IngestFile>& files) {
  std::string out = std::to_string(taken) + "\n";
  for (const auto& f : files) {
    out += std::to_string(f.cf) + " " + f.name + " " + std::to_string(f.size) + "\n";
  }
  return out;
}

Result<std::vector<IngestFile>> DecodeFiles(std::string_view text, uint64_t* taken) {
  std::vector<IngestFile> files;
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line) || !(std::istringstream(line) >> *taken) || *taken == 0 ||
      *taken > kMaxIngestFiles) {
    return Status::InvalidValue("a malformed ingest record");
  }
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    IngestFile f;
    if (!(fields >> f.cf >> f.name >> f.size) || f.name.find('/') != std::string::npos ||
        f.name.empty() || f.name[0] == '.') {
      return Status::InvalidValue("a malformed ingest record");
    }
    files.push_back(std::move(f));
  }
  if (files.empty()) return Status::InvalidValue("an ingest of no files");
  std::map<uint32_t, uint64_t> per_family;
  uint64_t most = 0;
  for (const auto& f : files) most = std::max(most, ++per_family[f.cf]);
  if (most != *taken) return Status::InvalidValue("a malformed ingest record");
  return files;
}

// The ingest frame's batch: one log-data entry holding kIngestFramePrefix and the file
// list, under RocksDB's header rewritten to the first sequence and the count it takes.
// RocksDB never writes such a batch (a log-data entry takes no sequence number), so it
// cannot be mistaken for a commit (internal::IsIngestBatch).
std::string IngestBatch(uint64_t sequence, uint64_t taken, std::string_view files) {
  rocksdb::WriteBatch batch;
  (void)batch.PutLogData(std::string(internal::kIngestFramePrefix).append(files));
  std::string rep = batch.Data();
  for (int i = 0; i < 8; ++i) rep[i] = static_cast<char>((sequence >> (8 * i)) & 0xff);
  for (int i = 0; i < 4; ++i) rep[8 + i] = static_cast<char>((taken >> (8 * i)) & 0xff);
  return rep;
}

// The sequence numbers an ingest holding a snapshot takes (IngestHoldingSnapshot): every
// family's job starts from the same last sequence and gives each of its files the next
// one, and the call takes as many as the largest job.
uint64_t Taken(const std::vector<rocksdb::IngestExternalFileArg>& args) {
  size_t most = 0;
  for (const auto& arg : args) most = std::max(most, arg.external_files.size());
  return most;
}

std::map<uint32_t, rocksdb::ColumnFamilyHandle*> HandlesById(const internal::RocksHandles& h) {
  std::map<uint32_t, rocksdb::ColumnFamilyHandle*> out;
  for (rocksdb::ColumnFamilyHandle* cf : {h.resources, h.index, h.unique, h.members, h.member_of,
                                          h.counters, h.tenants, h.tokens, h.changelog}) {
    if (cf != nullptr) out[cf->GetID()] = cf;
  }
  return out;
}

// Ingests `args` holding a snapshot and checks that the files took the sequence numbers
// that follow `first` as Taken says (file i of a family: first + i); *first is set from
// the files when 0. *applied says whether the ingest was done (a failed check after it
// is Internal).
Status IngestHoldingSnapshot(internal::RocksHandles& h,
                             std::vector<rocksdb::IngestExternalFileArg>& args,
                             std::string_view what, uint64_t* first, bool* applied) {
  // An open snapshot makes RocksDB give every file a sequence number of its own, whatever
  // it overlaps (Taken): the leader and every follower then take exactly as many for the
  // ingest. The numbers go to the MANIFEST only, not into the files: the leader ships the
  // files as it wrote them (RocksDB refuses to ingest a file that already carries one).
  std::vector<std::pair<std::string, uint64_t>> seen;
  for (auto& arg : args) arg.options.write_global_seqno = false;
  const rocksdb::Snapshot* snapshot = h.db->GetSnapshot();
  t_ingested = &seen;
  Status s = internal::FromRocks(h.db->IngestExternalFiles(args), what);
  t_ingested = nullptr;
  h.db->ReleaseSnapshot(snapshot);
  SCIMD_RETURN_IF_ERROR(s);
  *applied = true;
  std::map<std::string, uint64_t> got(seen.begin(), seen.end());
  for (const auto& arg : args) {
    for (size_t i = 0; i < arg.external_files.size(); ++i) {
      auto it = got.find(arg.external_files[i]);
      if (it == got.end()) {
        return Status::Internal(std::string(what) + ": no sequence number reported for a file");
      }
      if (*first == 0 && i == 0) *first = it->second;
      if (it->second != *first + i) {
        return Status::Internal(std::string(what) + ": a file took sequence " +
                                std::to_string(it->second) + ", not " + std::to_string(*first + i));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

namespace internal {

std::shared_ptr<rocksdb::EventListener> MakeIngestListener() {
  return std::make_shared<IngestListener>();
}

PreparedIngest::PreparedIngest(RocksHandles& h, std::vector<rocksdb::IngestExternalFileArg>& args,
                               std::string_view what)
    : h_(h), args_(args), what_(what) {}

PreparedIngest::~PreparedIngest() {
  if (!dir_.empty() && !kept_) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

Result<std::unique_ptr<PreparedIngest>> PreparedIngest::Prepare(
    RocksHandles& h, std::vector<rocksdb::IngestExternalFileArg>& args, std::string_view what) {
  std::unique_ptr<PreparedIngest> p(new PreparedIngest(h, args, what));
  p->taken_ = Taken(args);
  if (!h.replicated || p->taken_ == 0) return p;
  size_t total = 0;
  for (const auto& arg : args) total += arg.external_files.size();
  if (total > kMaxIngestFiles) {  // its record must fit one replication message
    return Status::InvalidValue(std::string(what) + ": too many files for one ingest");
  }
  // Hard links of the files (the ingest moves them into the store, where compactions may
  // delete them), under a name no other ingest has (followers may still hold an older
  // one's files in their inbox).
  std::random_device random;
  char id[24];
  std::snprintf(id, sizeof(id), "%08x%08x", random(), random());
  p->id_ = id;
  p->dir_ = IngestsDir(h) + "/" + id;
  std::error_code ec;
  fs::remove_all(p->dir_, ec);
  fs::create_directories(p->dir_, ec);
  if (ec) return Status::IoError("cannot make " + p->dir_ + ": " + ec.message());
  std::vector<IngestFile> files;
  for (const auto& arg : args) {
    for (const std::string& path : arg.external_files) {
      IngestFile f;
      f.cf = arg.column_family->GetID();
      f.name = p->id_ + "-" + std::to_string(f.cf) + "-" + std::to_string(files.size()) + ".sst";
      f.size = fs::file_size(path, ec);
      if (!ec) fs::create_hard_link(path, p->dir_ + "/" + f.name, ec);
      if (ec) return Status::IoError("cannot keep " + path + " for the replicas: " + ec.message());
      files.push_back(std::move(f));
    }
  }
  p->record_ = EncodeFiles(p->taken_, files);
  // The followers take the files first, beside the log (while they travel, writes go on
  // being acknowledged).
  std::function<Status(const std::vector<std::string>&)> stager;
  {
    std::lock_guard<std::mutex> lock(h.ingests_mu);
    stager = h.ingest_stager;
  }
  if (stager) {
    std::vector<std::string> paths;
    for (const auto& f : files) paths.push_back(p->dir_ + "/" + f.name);
    if (Status staged = stager(paths); !staged.ok()) {
      return Status::Unavailable(std::string(what) + ": the replicas did not take its files (" +
                                     staged.detail() + "); nothing was written, retry",
                                 5);
    }
  }
  return p;
}

Status PreparedIngest::Commit() {
  if (!h_.replicated) return FromRocks(h_.db->IngestExternalFiles(args_), what_);
  if (taken_ == 0) return Status::Ok();
  // While it runs, a log reader at a gap after this point waits for its marker.
  const uint64_t floor = h_.db->GetLatestSequenceNumber();
  {
    std::lock_guard<std::mutex> lock(h_.ingests_mu);
    h_.ingests_in_flight.insert(floor);
  }
  struct Landed {
    RocksHandles& h;
    uint64_t floor;
    ~Landed() {
      std::lock_guard<std::mutex> lock(h.ingests_mu);
      h.ingests_in_flight.erase(h.ingests_in_flight.find(floor));
    }
  } landed{h_, floor};
  uint64_t sequence = 0;
  bool ingested = false;
  Status s = IngestHoldingSnapshot(h_, args_, what_, &sequence, &ingested);
  if (!ingested) return s;
  // From here the data is in the store: a failure only costs the followers a re-seed
  // (they find no marker at the gap), and the caller must not retry.
  auto applied = [&](const std::string& why) {
    return Status::Internal(what_ + " was applied here, but " + why +
                            ": the replicas will be seeded again from this store");
  };
  if (!s.ok()) return applied(s.detail());
  {
    std::lock_guard<std::mutex> lock(h_.ingests_mu);
    h_.kept_ingests[sequence] = {id_, core::SteadyMillis()};
    kept_ = true;
  }
  rocksdb::WriteBatch marker;
  Status written =
      FromRocks(marker.Put(h_.db->DefaultColumnFamily(), MarkerKey(sequence), record_), what_);
  if (written.ok()) {
    written = FromRocks(h_.db->GetRootDB()->Write(h_.write_options, &marker), what_);
  }
  if (!written.ok()) return applied("its record in the log failed (" + written.detail() + ")");
  return Status::Ok();
}

IngestAt IngestFrameAt(RocksHandles& h, uint64_t sequence, std::string* out,
                       std::vector<std::string>* paths, uint64_t* taken) {
  if (!h.replicated) return IngestAt::kNone;  // no markers are written
  // An ingest that began before `sequence` and has not written its marker yet: wait.
  {
    std::lock_guard<std::mutex> lock(h.ingests_mu);
    if (!h.ingests_in_flight.empty() && *h.ingests_in_flight.begin() < sequence) {
      return IngestAt::kWait;
    }
  }
  std::string value;
  rocksdb::Status s =
      h.db->Get(rocksdb::ReadOptions(), h.db->DefaultColumnFamily(), MarkerKey(sequence), &value);
  if (!s.ok()) return IngestAt::kNone;
  auto files = DecodeFiles(value, taken);
  if (!files.ok()) return IngestAt::kNone;
  // The files' directory: their names' first part.
  const std::string dir =
      IngestsDir(h) + "/" + (*files)[0].name.substr(0, (*files)[0].name.find('-'));
  std::vector<std::string> found;
  for (const auto& f : *files) {
    std::error_code ec;
    if (fs::file_size(dir + "/" + f.name, ec) != f.size || ec) return IngestAt::kNone;
    found.push_back(dir + "/" + f.name);
  }
  AppendLogFrame(out, sequence, IngestBatch(sequence, *taken, value));
  *paths = std::move(found);
  return IngestAt::kFrame;
}

}  // namespace internal

std::string RocksStore::IngestInbox() const { return IngestsDir(*h_) + "/inbox"; }

void RocksStore::SetIngestStager(
    std::function<Status(const std::vector<std::string>& paths)> stager) {
  std::lock_guard<std::mutex> lock(h_->ingests_mu);
  h_->ingest_stager = std::move(stager);
}

void RocksStore::ReleaseIngests(uint64_t upto) {
  std::vector<std::string> released;
  {
    std::lock_guard<std::mutex> lock(h_->ingests_mu);
    const int64_t old = core::SteadyMillis() - kKeepIngestMs;
    for (auto it = h_->kept_ingests.begin(); it != h_->kept_ingests.end();) {
      if (it->first <= upto || it->second.since_ms < old) {
        released.push_back(it->second.dir);
        it = h_->kept_ingests.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::error_code ec;
  for (const auto& dir : released) fs::remove_all(IngestsDir(*h_) + "/" + dir, ec);
}

namespace {

// An ingest frame's arguments, its files in `inbox` as the record says.
Result<std::vector<rocksdb::IngestExternalFileArg>> IngestArgs(const internal::RocksHandles& h,
                                                               const std::string& inbox,
                                                               uint64_t sequence, uint64_t count,
                                                               std::string_view batch) {
  const size_t at = batch.find(internal::kIngestFramePrefix);
  uint64_t taken = 0;
  SCIMD_ASSIGN_OR_RETURN(
      auto files, DecodeFiles(batch.substr(at + internal::kIngestFramePrefix.size()), &taken));
  if (taken != count) return Status::InvalidValue("a malformed ingest frame");
  const auto handles = HandlesById(h);
  std::vector<rocksdb::IngestExternalFileArg> args;
  std::set<uint32_t> done;  // a family's files come together
  for (const auto& f : files) {
    auto cf = handles.find(f.cf);
    if (cf == handles.end()) return Status::InvalidValue("an ingest into an unknown family");
    std::error_code ec;
    const std::string path = inbox + "/" + f.name;
    if (fs::file_size(path, ec) != f.size || ec) {
      return Status::InvalidValue("the ingest at sequence " + std::to_string(sequence) +
                                  " lacks its file " + f.name);
    }
    if (args.empty() || args.back().column_family != cf->second) {
      if (!done.insert(f.cf).second) return Status::InvalidValue("a malformed ingest record");
      args.emplace_back();
      args.back().column_family = cf->second;
      internal::SetIngestOptions(&args.back().options);
    }
    args.back().external_files.push_back(path);
  }
  if (Taken(args) != taken) return Status::InvalidValue("a malformed ingest record");
  return args;
}

}  // namespace

namespace internal {

Status CheckIngest(const RocksHandles& h, const std::string& inbox, uint64_t sequence,
                   uint64_t count, std::string_view batch) {
  return IngestArgs(h, inbox, sequence, count, batch).status();
}

Status ApplyIngest(RocksHandles& h, const std::string& inbox, uint64_t sequence, uint64_t count,
                   std::string_view batch) {
  SCIMD_ASSIGN_OR_RETURN(auto args, IngestArgs(h, inbox, sequence, count, batch));
  uint64_t first = sequence;
  bool ingested = false;
  SCIMD_RETURN_IF_ERROR(IngestHoldingSnapshot(h, args, "apply an ingest", &first, &ingested));
  // (Moved into the store; other ingests' files may wait in the inbox.)
  const uint64_t latest = h.db->GetLatestSequenceNumber();
  if (latest != sequence + count - 1) {
    return Status::Internal("the ingest at sequence " + std::to_string(sequence) +
                            " left the store at " + std::to_string(latest));
  }
  return Status::Ok();
}

}  // namespace internal

}  // namespace scimd::storage
