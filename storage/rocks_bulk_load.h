// RocksBulkLoad: core::BulkLoad on RocksDB. Each column family's entries go through an
// SstSorter (the index family's: a PartitionedSorter, one per attribute and kind) into SST
// files in a staging directory of their own under the store's
// `bulk-load/`; Commit ingests them all with one IngestExternalFiles call, which RocksDB
// records in its MANIFEST atomically: after a crash either every file is part of the store
// or none is. RocksStore::Open removes whatever a killed load left in `bulk-load/`. Thread
// rules: one thread at a time; destroyed before the store.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "storage/keyed_bulk_load.h"
#include "storage/partitioned_sorter.h"
#include "storage/sst_sorter.h"

namespace scimd::storage {

namespace internal {
struct RocksHandles;
}  // namespace internal

// Where loads stage their files, under the store's directory.
inline constexpr std::string_view kBulkLoadDir = "bulk-load";

class RocksBulkLoad final : public KeyedBulkLoad {
 public:
  // A load staging in a new directory under `staging_root` (created if missing).
  static core::Result<std::unique_ptr<RocksBulkLoad>> Start(internal::RocksHandles* h,
                                                            const std::string& staging_root,
                                                            core::TenantId tenant);
  // Removes the staging directory and whatever is left in it.
  ~RocksBulkLoad() override;
  RocksBulkLoad(const RocksBulkLoad&) = delete;
  RocksBulkLoad& operator=(const RocksBulkLoad&) = delete;

 protected:
  core::Status Put(LoadCf cf, std::string_view key, std::string_view value) override;
  core::Status Finish(const std::vector<std::pair<std::string, int64_t>>& counters) override;

 private:
  RocksBulkLoad(internal::RocksHandles* h, std::string dir, core::TenantId tenant);

  internal::RocksHandles* h_;
  const std::string dir_;
  // kIndex and kCounters: unused (index entries go to index_).
  std::array<std::unique_ptr<SstSorter>, kLoadCfCount> sorters_;
  std::unique_ptr<PartitionedSorter> index_;
};

}  // namespace scimd::storage
