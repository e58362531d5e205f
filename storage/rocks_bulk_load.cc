// RocksBulkLoad: see rocks_bulk_load.h.
#include "storage/rocks_bulk_load.h"

#include <rocksdb/sst_file_writer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <system_error>
#include <thread>

#include "storage/rocks_internal.h"

namespace scimd::storage {

using core::Result;
using core::Status;

namespace {

// Memory each column family's sorter may buffer (two buffers of half of it: one filling,
// one being written). Resources are large and usually arrive in id order (one run after
// another, no merge); index entries are many, in order per attribute for presence (ids
// increase), in no order for most values: the index's budget is shared by its partitions
// out of order. Together about 1.2 GiB.
constexpr size_t kBudget[kLoadCfCount] = {
    size_t{384} << 20,  // resources
    size_t{448} << 20,  // index
    size_t{96} << 20,   // unique
    size_t{128} << 20,  // members
    size_t{128} << 20,  // member_of
    0,                  // counters: written at Finish
};
constexpr const char* kName[kLoadCfCount] = {"resources", "index",     "unique",
                                             "members",   "member_of", "counters"};

rocksdb::ColumnFamilyHandle* HandleOf(const internal::RocksHandles& h, LoadCf cf) {
  switch (cf) {
    case LoadCf::kResources: return h.resources;
    case LoadCf::kIndex: return h.index;
    case LoadCf::kUnique: return h.unique;
    case LoadCf::kMembers: return h.members;
    case LoadCf::kMemberOf: return h.member_of;
    case LoadCf::kCounters: return h.counters;
  }
  return nullptr;
}

rocksdb::Options OptionsOf(const internal::RocksHandles& h, LoadCf cf) {
  return rocksdb::Options(h.db->GetDBOptions(), h.db->GetOptions(HandleOf(h, cf)));
}

}  // namespace

Result<std::unique_ptr<RocksBulkLoad>> RocksBulkLoad::Start(internal::RocksHandles* h,
                                                            const std::string& staging_root,
                                                            core::TenantId tenant) {
  static std::atomic<uint64_t> next{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::string dir =
      staging_root + "/" + std::to_string(tenant) + "-" +
      std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) + "-" +
      std::to_string(next.fetch_add(1));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("bulk load: cannot create " + dir + ": " + ec.message());
  return std::unique_ptr<RocksBulkLoad>(new RocksBulkLoad(h, dir, tenant));
}

RocksBulkLoad::RocksBulkLoad(internal::RocksHandles* h, std::string dir, core::TenantId tenant)
    : KeyedBulkLoad(tenant), h_(h), dir_(std::move(dir)) {
  for (size_t i = 0; i < kLoadCfCount; ++i) {
    if (kBudget[i] == 0) continue;
    if (LoadCf(i) == LoadCf::kIndex) {
      index_ = std::make_unique<PartitionedSorter>(dir_, kName[i], OptionsOf(*h_, LoadCf(i)),
                                                   kBudget[i]);
      continue;
    }
    sorters_[i] =
        std::make_unique<SstSorter>(dir_, kName[i], OptionsOf(*h_, LoadCf(i)), kBudget[i]);
  }
}

RocksBulkLoad::~RocksBulkLoad() {
  for (auto& s : sorters_) s.reset();
  index_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Status RocksBulkLoad::Put(LoadCf cf, std::string_view key, std::string_view value) {
  if (cf == LoadCf::kIndex) return index_->Add(key, value);
  SstSorter* sorter = sorters_[static_cast<size_t>(cf)].get();
  if (sorter == nullptr) return Status::Internal("bulk load: no sorter for this family");
  return sorter->Add(key, value);
}

Status RocksBulkLoad::Finish(const std::vector<std::pair<std::string, int64_t>>& counters) {
  // The families' last sorts and merges are independent: one thread each (the cores are
  // otherwise idle now; the files they write are what an ingest needs).
  std::array<std::optional<Result<std::vector<std::string>>>, kLoadCfCount> finished;
  {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < kLoadCfCount; ++i) {
      if (LoadCf(i) == LoadCf::kIndex && index_->entries() > 0) {
        threads.emplace_back([this, i, &finished] { finished[i] = index_->Finish(); });
      }
      if (!sorters_[i] || sorters_[i]->entries() == 0) continue;
      threads.emplace_back([this, i, &finished] { finished[i] = sorters_[i]->Finish(); });
    }
    for (auto& t : threads) t.join();
  }
  std::vector<rocksdb::IngestExternalFileArg> args;
  for (size_t i = 0; i < kLoadCfCount; ++i) {
    if (!finished[i]) continue;  // nothing added
    if (!finished[i]->ok()) return finished[i]->status();
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = HandleOf(*h_, LoadCf(i));
    arg.external_files = std::move(*finished[i]).value();
    args.push_back(std::move(arg));
  }
  if (!counters.empty()) {
    // Merge operands, so that the counts add to what the tenant already has.
    std::vector<std::pair<std::string, int64_t>> sorted = counters;
    std::sort(sorted.begin(), sorted.end());
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), OptionsOf(*h_, LoadCf::kCounters));
    const std::string path = dir_ + "/counters.sst";
    SCIMD_RETURN_IF_ERROR(internal::FromRocks(writer.Open(path), "bulk load counters"));
    for (const auto& [key, delta] : sorted) {
      SCIMD_RETURN_IF_ERROR(
          internal::FromRocks(writer.Merge(key, EncodeCounterDelta(delta)), "bulk load counters"));
    }
    SCIMD_RETURN_IF_ERROR(internal::FromRocks(writer.Finish(), "bulk load counters"));
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = h_->counters;
    arg.external_files = {path};
    args.push_back(std::move(arg));
  }
  if (args.empty()) return Status::Ok();
  for (auto& arg : args) internal::SetIngestOptions(&arg.options);
  // (In a replica group the files reach the followers first: not under the fence pass.)
  SCIMD_ASSIGN_OR_RETURN(auto prepared,
                         internal::PreparedIngest::Prepare(*h_, args, "bulk load ingest"));
  const TenantFence::Pass pass(h_->fence, tenant());
  if (!pass.admitted()) return internal::TenantMoving();
  ResourceGenerations::Change change(h_->generations.get(), tenant(),
                                     ResourceGenerations::kAllTypes);
  return prepared->Commit();
}

}  // namespace scimd::storage
