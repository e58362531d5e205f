// PartitionedSorter: an SstSorter for a family whose keys fall into many key ranges, each
// arriving in an order of its own (the index family: one range per tenant, type, attribute
// and kind; presence entries come in id order). Keys are partitioned by their first
// `prefix_bytes` bytes, and each partition is an SstSorter of its own: one whose keys keep
// coming in order is appended to final SST files in small pieces (no sort, no temporary
// run, no merge); the others share one memory budget: the largest buffer is written as a
// run when it would no longer fit beside the others. Partitions are disjoint key ranges, so Finish
// (each partition finished or merged, two at once) hands over files that do not overlap, in key
// order. Keys must be distinct (a duplicate is Corruption naming it) and share their first
// 4 bytes (the tenant). Thread rules: one thread at a time; the partitions' background
// threads are joined by the sorter.
#pragma once

#include <rocksdb/options.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "storage/sst_sorter.h"

namespace scimd::storage {

class PartitionedSorter {
 public:
  struct Tuning {
    // REQUIRES: 4 (the tenant) <= prefix_bytes <= 8.
    size_t prefix_bytes = 8;                     // tenant, type, attribute, kind
    size_t ordered_run_bytes = size_t{4} << 20;  // an in-order partition's pieces
    // Its files are closed past this many bytes of keys and values: an open file keeps 8
    // bytes per key for its filter (~1/3 of a presence entry).
    uint64_t ordered_file_bytes = uint64_t{16} << 20;
  };
  // Files are written to `dir` (which must exist) as `<name>-<partition>-<n>.sst`, with
  // `options` (the target column family's); the partitions' buffers, filling and being
  // written, hold at most about `budget` bytes of entries, plus a piece of
  // ordered_run_bytes being written per partition in order.
  PartitionedSorter(std::string dir, std::string name, const rocksdb::Options& options,
                    size_t budget);
  PartitionedSorter(std::string dir, std::string name, const rocksdb::Options& options,
                    size_t budget, const Tuning& tuning);
  PartitionedSorter(const PartitionedSorter&) = delete;
  PartitionedSorter& operator=(const PartitionedSorter&) = delete;

  core::Status Add(std::string_view key, std::string_view value);
  // The files to ingest, in key order, not overlapping; empty when nothing was added.
  core::Result<std::vector<std::string>> Finish();

  uint64_t entries() const { return entries_; }
  size_t partitions() const { return partitions_.size(); }
  // Bytes in the partitions' filling buffers, and in buffers being written (as last seen).
  size_t buffered_bytes() const { return buffered_; }
  size_t spilling_bytes() const { return spilling_; }
  // Temporary runs written so far, all partitions.
  uint64_t temporary_runs() const;

 private:
  static constexpr size_t kNoPartition = SIZE_MAX;
  struct Partition {
    std::string prefix;
    uint64_t word = 0;  // the prefix's bytes (zero-padded) as one number: compared per key
    std::unique_ptr<SstSorter> sorter;
    size_t buffered = 0;         // sorter->buffered_bytes() as last accounted
    size_t spilling = 0;         // sorter->spilling_bytes() as last accounted
    size_t next = kNoPartition;  // the partition the key after this one's went to last
  };

  // The partition of `key` (created if new), after the one of the previous key.
  size_t PartitionOf(std::string_view key);
  // Brings the totals up to date with partition p's buffers.
  void Account(Partition& p);
  // Collects the runs written; waits for runs being written while the budget is full;
  // spills the largest buffer when it would no longer fit beside the others.
  core::Status MakeRoom();

  const std::string dir_;
  const std::string name_;
  const rocksdb::Options options_;
  const size_t budget_;
  const Tuning tuning_;
  std::vector<Partition> partitions_;  // in the order they were first seen
  size_t last_ = kNoPartition;         // the partition of the previous key
  size_t largest_ = kNoPartition;      // the partition with the largest filling buffer
  size_t buffered_ = 0;                // bytes in every partition's filling buffer
  size_t spilling_ = 0;                // bytes in buffers being written
  uint64_t entries_ = 0;
};

}  // namespace scimd::storage
