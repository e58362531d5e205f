// SstSorter: sorts key/value entries that arrive in any order into SST files that RocksDB
// can ingest (an external merge sort whose runs are SST files). Entries are buffered up to
// half the memory budget; a full buffer is handed to a background thread that sorts it and
// writes it as one run while the next buffer fills. While every key so far came in order
// (resources loaded in id order), buffers are written every 64 MiB, unsorted, in the
// family's final format, and handed over as they are (or appended to one open file). Once keys come
// out of order, a buffer is radix-sorted on its cached key bytes and written as a plain
// temporary file of entries (each key as the bytes it does not share with the one before; no
// SST blocks, no compression, no filter: written and read once), and at Finish all runs and
// the last buffer (sorted in memory) are merged into SST files from a loser tree, two key
// ranges at once. Keys must be distinct (a
// duplicate is Corruption naming it) and share their first `shared_bytes` bytes (one
// tenant's keys: InvalidValue otherwise). Tuning lets a PartitionedSorter run many small
// sorters under one budget. Thread rules: one thread at a time; the sorter owns its
// background threads and joins them.
#pragma once

#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>

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
  // How the sorter works. The defaults suit a column family's sorter on its own.
  struct Tuning {
    // Bytes every key starts with (the tenant): checked, then left out of the cached prefix.
    size_t shared_bytes = 4;
    // While keys come in order, the buffer is written every this many bytes.
    size_t ordered_run_bytes = size_t{64} << 20;
    // 0: each in-order run is a file of its own. Else in-order runs are appended to one
    // open file, closed past this many bytes of keys and values (small runs, few files).
    uint64_t ordered_file_bytes = 0;
    // A written buffer is emptied and filled next (its pages stay mapped); else it is
    // freed as soon as it is written, so that memory is only what the buffers hold.
    bool keep_buffers = true;
  };

  // Files are written to `dir` (which must exist) as `<name>-<n>.sst`, with `options`
  // (the target column family's: compression, table format); at most `budget` bytes of
  // entries are kept in memory (two buffers of half of it each).
  SstSorter(std::string dir, std::string name, const rocksdb::Options& options, size_t budget);
  SstSorter(std::string dir, std::string name, const rocksdb::Options& options, size_t budget,
            const Tuning& tuning);
  // Waits for a run being written.
  ~SstSorter();
  SstSorter(const SstSorter&) = delete;
  SstSorter& operator=(const SstSorter&) = delete;

  core::Status Add(std::string_view key, std::string_view value);
  // The files to ingest, in key order, not overlapping; empty when nothing was added.
  core::Result<std::vector<std::string>> Finish();

  uint64_t entries() const { return entries_; }
  // About the entries Finish will still read and write: those of the last buffer while
  // every key came in order (the rest is written, or being written, as final files), else
  // all of them (runs out of order are merged).
  uint64_t entries_to_finish() const { return in_order_ ? buffer_.entries.size() : entries_; }

  // For a caller that shares one budget among sorters (PartitionedSorter): the bytes of
  // the buffer filling, and of the one being written (0 once WaitSpill has returned).
  size_t buffered_bytes() const { return buffer_.bytes(); }
  size_t spilling_bytes() const { return spilling_bytes_; }
  // The buffer being written is done (WaitSpill will not block).
  bool spill_done() const { return spill_done_.load(std::memory_order_acquire); }
  // Hands the filling buffer to the background writer now (waiting for the previous run
  // first); nothing when it is empty.
  core::Status Spill() { return StartSpill(in_order_); }
  // Waits for the run in flight; its status.
  core::Status WaitSpill();
  // Temporary runs written so far (each to be merged at Finish).
  uint64_t temporary_runs() const { return temporary_runs_; }

 private:
  struct Entry {
    uint64_t at;  // offset of the key in the arena; the value follows it
    uint32_t key_size;
    uint32_t value_size;
    // Key bytes [shared_bytes, shared_bytes + 24) big-endian, zero-padded: most
    // comparisons end here, without a memcmp or a cache miss in the arena (the bytes
    // before are the same for every key: the tenant, or an index partition's tenant, type,
    // attribute and kind; the 24 after them hold an index entry's type, attribute and most
    // values, or a resource's type and id, or, in a partition, most values).
    uint64_t prefix[3];
  };
  static constexpr size_t kPrefixWords = 3;
  // Entries whose keys are asked for ahead of the one written (Buffer::Prefetch).
  static constexpr size_t kPrefetchAhead = 16;
  struct Buffer {
    std::string arena;
    std::vector<Entry> entries;
    size_t cached_end = 0;  // shared_bytes + the 24 cached bytes
    bool sorted = true;     // entries already in key order
    size_t bytes() const { return arena.size() + entries.size() * sizeof(Entry); }
    std::string_view KeyOf(const Entry& e) const {
      return std::string_view(arena.data() + e.at, e.key_size);
    }
    std::string_view ValueOf(const Entry& e) const {
      return std::string_view(arena.data() + e.at + e.key_size, e.value_size);
    }
    // Starts loading entry i's key (when there is one). Written in key order, entries are
    // read from all over the arena: each one a cache miss unless it is asked for a few
    // entries ahead.
    void Prefetch(size_t i) const {
      if (i < entries.size()) __builtin_prefetch(arena.data() + entries[i].at);
    }
    // Whether two entries, a before b in key order, have the same key: most differ in the
    // cached words or the size, without a read of the arena.
    bool SameKey(const Entry& a, const Entry& b) const {
      if (a.key_size != b.key_size) return false;
      for (size_t i = 0; i < kPrefixWords; ++i) {
        if (a.prefix[i] != b.prefix[i]) return false;
      }
      return KeyOf(a) == KeyOf(b);
    }
    bool Less(const Entry& a, const Entry& b) const {
      for (size_t i = 0; i < kPrefixWords; ++i) {
        if (a.prefix[i] != b.prefix[i]) return a.prefix[i] < b.prefix[i];
      }
      if (a.key_size < cached_end || b.key_size < cached_end) {
        return KeyOf(a) < KeyOf(b);  // padding
      }
      return KeyOf(a).substr(cached_end) < KeyOf(b).substr(cached_end);
    }
  };
  struct Run {
    std::string path;
    std::string smallest;
    std::string largest;
    std::string middle;              // the key halfway through the run: where a merge may split
    bool final = false;              // an SST file in the family's format (else a temporary run)
    const Buffer* memory = nullptr;  // the last buffer, sorted, merged from memory
    // A temporary run's every kMarkEvery-th key and its offset in the file.
    std::vector<std::pair<std::string, uint64_t>> marks;
  };

  std::string NextPath();
  // Fills e.prefix from `key`.
  void SetPrefix(Entry& e, std::string_view key) const;
  // Hands the buffer to the background writer (waiting for the previous run first).
  core::Status StartSpill(bool final);
  // Sorts [first, last) of b's entries, all equal in their first `byte` cached bytes.
  static void RadixSort(const Buffer& b, Entry* first, Entry* last, size_t byte);
  // Sorts `b`; Corruption on a duplicate key.
  core::Status SortBuffer(Buffer& b);
  // Sorts `b` and writes it as one run (final: in the family's format; in-order runs
  // with ordered_file_bytes go to the open file, and `run` stays empty).
  core::Status WriteRun(Buffer& b, bool final, Run& run);
  // Closes the open file of in-order runs, if any: one more final run.
  core::Status CloseOrdered();
  // Merges every run into files of at most kMergedFileBytes each.
  core::Result<std::vector<std::string>> Merge();
  // Merges the keys of every run in [from, to) ("" = unbounded) into new files.
  core::Result<std::vector<std::string>> MergeRange(const std::string& from, const std::string& to);

  const std::string dir_;
  const std::string name_;
  const rocksdb::Options options_;
  const size_t budget_;  // per buffer
  const Tuning tuning_;
  std::string first_bytes_;           // the shared_bytes every key starts with
  uint64_t last_word_ = 0;            // PrefixWord of the last key added after shared_bytes
  Buffer buffer_;                     // filling
  std::string last_spilled_;          // the largest key handed to the writer so far
  bool in_order_ = true;              // every key so far came after the previous one
  std::unique_ptr<Buffer> spilling_;  // being written; then kept, emptied, to fill next
                                      // (with keep_buffers; else freed once written)
  std::thread spiller_;
  Run spilling_run_;
  size_t spilling_bytes_ = 0;
  std::atomic<bool> spill_done_{true};
  core::Status spill_status_;
  std::vector<Run> runs_;
  // In-order runs with ordered_file_bytes: the open file, its first and last key so far
  // (used by one spill at a time: each waits for the previous), and the files closed.
  std::unique_ptr<rocksdb::SstFileWriter> ordered_writer_;
  Run ordered_run_;
  uint64_t ordered_bytes_ = 0;  // keys and values in the open file
  std::vector<Run> ordered_runs_;
  uint64_t entries_ = 0;
  uint64_t temporary_runs_ = 0;
  std::atomic<int> files_{0};
};

}  // namespace scimd::storage
