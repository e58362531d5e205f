// SstSorter: sorts key/value entries that arrive in any order into SST files that RocksDB
// can ingest (an external merge sort whose runs are SST files). Entries are buffered up to
// a memory budget; a full buffer is sorted and written as one run (a buffer already in
// order, like resources loaded in id order, costs no sort). At Finish, runs that do not
// overlap are handed over as they are; overlapping runs are merged into a new sequence of
// files. Keys must be distinct (a duplicate is Corruption naming it) and share their first
// 4 bytes (one tenant's keys: InvalidValue otherwise). Thread rules: one thread at a time.
#pragma once

#include <rocksdb/options.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace scimd::storage {

class SstSorter {
 public:
  // Files are written to `dir` (which must exist) as `<name>-<n>.sst`, with `options`
  // (the target column family's: compression, table format); at most `budget` bytes of
  // entries are kept in memory.
  SstSorter(std::string dir, std::string name, const rocksdb::Options& options, size_t budget);

  core::Status Add(std::string_view key, std::string_view value);
  // The files to ingest, in key order, not overlapping; empty when nothing was added.
  core::Result<std::vector<std::string>> Finish();

  uint64_t entries() const { return entries_; }

 private:
  struct Entry {
    uint64_t at;  // offset of the key in arena_; the value follows it
    uint32_t key_size;
    uint32_t value_size;
    // Key bytes [kPrefixAt, kPrefixAt + 16) big-endian, zero-padded: most comparisons end
    // here, without a memcmp (the bytes before are the tenant, the same for every key; the
    // 16 after it hold an index entry's attribute and the start of its value or id).
    uint64_t prefix[2];
  };
  static constexpr size_t kPrefixAt = 4;
  bool Less(const Entry& a, const Entry& b) const {
    if (a.prefix[0] != b.prefix[0]) return a.prefix[0] < b.prefix[0];
    if (a.prefix[1] != b.prefix[1]) return a.prefix[1] < b.prefix[1];
    constexpr size_t kCached = kPrefixAt + 16;
    if (a.key_size < kCached || b.key_size < kCached) return KeyOf(a) < KeyOf(b);  // padding
    return KeyOf(a).substr(kCached) < KeyOf(b).substr(kCached);
  }
  std::string first_bytes_;  // the kPrefixAt bytes every key starts with
  struct Run {
    std::string path;
    std::string smallest;
    std::string largest;
  };

  std::string_view KeyOf(const Entry& e) const {
    return std::string_view(arena_.data() + e.at, e.key_size);
  }
  std::string_view ValueOf(const Entry& e) const {
    return std::string_view(arena_.data() + e.at + e.key_size, e.value_size);
  }
  std::string NextPath();
  // Sorts the buffer and writes it as one run.
  core::Status Spill();
  // Merges every run into files of at most kMergedFileBytes each.
  core::Result<std::vector<std::string>> Merge();

  const std::string dir_;
  const std::string name_;
  const rocksdb::Options options_;
  const size_t budget_;
  std::string arena_;
  std::vector<Entry> buffer_;
  std::vector<Run> runs_;
  uint64_t entries_ = 0;
  int files_ = 0;
};

}  // namespace scimd::storage
