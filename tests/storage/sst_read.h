// Reading back the SST files a sorter wrote, for the sorter tests: every key/value in file
// order, each file opened with the options it was written with; and the options of a
// store's column family to write them with.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table.h>
#include <rocksdb/table_properties.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scimd::storage::testing {

// A column family's options: LZ4 and a bloom filter, as a store's families have.
inline rocksdb::Options FamilyOptions() {
  rocksdb::Options options;
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Every key/value of `files`, in file order. The test fails when a file cannot be opened,
// when a key does not come after every key before it (within a file and across files), or
// when `compression` is given and a file was written with another.
inline std::vector<std::pair<std::string, std::string>> ReadSstFiles(
    const std::vector<std::string>& files, const rocksdb::Options& options,
    std::string_view compression = {}) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& f : files) {
    rocksdb::SstFileReader reader{options};
    EXPECT_TRUE(reader.Open(f).ok()) << f;
    if (!compression.empty()) {
      EXPECT_EQ(reader.GetTableProperties()->compression_name, compression) << f;
    }
    std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!out.empty()) {
        EXPECT_LT(out.back().first, it->key().ToString()) << f;
      }
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
  }
  return out;
}

}  // namespace scimd::storage::testing
