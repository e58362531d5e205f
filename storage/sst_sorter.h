// SstSorter: sorts key/value entries that arrive in any order into SST files that RocksDB
// can ingest (an external merge sort whose runs are SST files). Entries are buffered up to
// half the memory budget; a full buffer is handed to a background thread that sorts it and
// writes it as one run while the next buffer fills. While every key so far came in order
// (resources loaded in id order), buffers are written every 64 MiB, unsorted, in the
// family's final format, and handed over as they are. Once keys come out of order, runs
// are written as plain temporary files of entries (no SST blocks, no compression, no
// filter: written and read once), and at Finish all runs are merged into SST files, two
// key ranges at once. Keys must be distinct (a duplicate is Corruption naming it) and
// share their first 4 bytes (one tenant's keys: InvalidValue otherwise). Thread rules: one
// thread at a time; the sorter owns its background threads and joins them.
#pragma once

#include <rocksdb/options.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/base/status.h"

namespace scimd::storage {

class SstSorter {
 public:
  // Files are written to `dir` (which must exist) as `<name>-<n>.sst`, with `options`
  // (the target column family's: compression, table format); at most `budget` bytes of
  // entries are kept in memory (two buffers of half of it each).
  SstSorter(std::string dir, std::string name, const rocksdb::Options& options, size_t budget);
  // Waits for a run being written.
  ~SstSorter();
  SstSorter(const SstSorter&) = delete;
  SstSorter& operator=(const SstSorter&) = delete;

  core::Status Add(std::string_view key, std::string_view value);
  // The files to ingest, in key order, not overlapping; empty when nothing was added.
  core::Result<std::vector<std::string>> Finish();

  uint64_t entries() const { return entries_; }

 private:
  struct Entry {
    uint64_t at;  // offset of the key in the arena; the value follows it
    uint32_t key_size;
    uint32_t value_size;
    // Key bytes [kPrefixAt, kPrefixAt + 24) big-endian, zero-padded: most comparisons end
    // here, without a memcmp or a cache miss in the arena (the bytes before are the tenant,
    // the same for every key; the 24 after it hold an index entry's type, attribute and
    // most values, or a resource's type and id).
    uint64_t prefix[3];
  };
  static constexpr size_t kPrefixAt = 4;
  static constexpr size_t kPrefixWords = 3;
  struct Buffer {
    std::string arena;
    std::vector<Entry> entries;
    bool sorted = true;  // entries already in key order
    std::string_view KeyOf(const Entry& e) const {
      return std::string_view(arena.data() + e.at, e.key_size);
    }
    std::string_view ValueOf(const Entry& e) const {
      return std::string_view(arena.data() + e.at + e.key_size, e.value_size);
    }
    bool Less(const Entry& a, const Entry& b) const {
      for (size_t i = 0; i < kPrefixWords; ++i) {
        if (a.prefix[i] != b.prefix[i]) return a.prefix[i] < b.prefix[i];
      }
      constexpr size_t kCached = kPrefixAt + 8 * kPrefixWords;
      if (a.key_size < kCached || b.key_size < kCached) return KeyOf(a) < KeyOf(b);  // padding
      return KeyOf(a).substr(kCached) < KeyOf(b).substr(kCached);
    }
  };
  struct Run {
    std::string path;
    std::string smallest;
    std::string largest;
    std::string middle;  // the key halfway through the run: where a merge may split
    bool final = false;  // an SST file in the family's format (else a temporary run)
    // A temporary run's every kMarkEvery-th key and its offset in the file.
    std::vector<std::pair<std::string, uint64_t>> marks;
  };

  std::string NextPath();
  // Hands the buffer to the background writer (waiting for the previous run first).
  core::Status StartSpill(bool final);
  // Waits for the run in flight; its status.
  core::Status WaitSpill();
  // Sorts `b` and writes it as one run.
  core::Status WriteRun(Buffer& b, bool final, Run& run);
  // Merges every run into files of at most kMergedFileBytes each.
  core::Result<std::vector<std::string>> Merge();
  // Merges the keys of every run in [from, to) ("" = unbounded) into new files.
  core::Result<std::vector<std::string>> MergeRange(const std::string& from, const std::string& to);

  const std::string dir_;
  const std::string name_;
  const rocksdb::Options options_;
  const size_t budget_;               // per buffer
  std::string first_bytes_;           // the kPrefixAt bytes every key starts with
  Buffer buffer_;                     // filling
  std::string last_spilled_;          // the largest key handed to the writer so far
  bool in_order_ = true;              // every key so far came after the previous one
  std::unique_ptr<Buffer> spilling_;  // being written; then kept, emptied, to fill next
  std::thread spiller_;
  Run spilling_run_;
  core::Status spill_status_;
  std::vector<Run> runs_;
  uint64_t entries_ = 0;
  std::atomic<int> files_{0};
};

}  // namespace scimd::storage
