// The options a scimd store was created with, for the benchmarks that measure RocksDB alone
// next to scimd (import_raw_bench, raw_put_bench): the reference writes with the store's own
// table format, bloom filters and compression per family.
#pragma once

#include <rocksdb/options.h>
#include <rocksdb/status.h>
#include <rocksdb/utilities/options_util.h>

#include <iostream>
#include <string>
#include <vector>

#include "storage/key_codec.h"
#include "storage/uint64_add.h"

namespace scimd::bench {

// Prints "<program>: <what>: <error>" when `s` is not ok.
inline bool CheckRocks(const char* program, const rocksdb::Status& s, const std::string& what) {
  if (!s.ok()) std::cerr << program << ": " << what << ": " << s.ToString() << "\n";
  return s.ok();
}

// The options of the store in `dir` (its OPTIONS file), with the counters' merge operator,
// which an OPTIONS file names but cannot restore.
inline bool LoadStoreOptions(const char* program, const std::string& dir, rocksdb::DBOptions& db,
                             std::vector<rocksdb::ColumnFamilyDescriptor>& families) {
  rocksdb::ConfigOptions config;
  config.ignore_unknown_options = true;
  config.ignore_unsupported_options = true;
  if (!CheckRocks(program, rocksdb::LoadLatestOptions(config, dir, &db, &families),
                  "options of " + dir)) {
    return false;
  }
  for (auto& f : families) {
    if (f.name == storage::kCfCounters) f.options.merge_operator = storage::NewUInt64AddOperator();
  }
  return true;
}

}  // namespace scimd::bench
