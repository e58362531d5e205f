// PartitionedSorter (storage/partitioned_sorter.h): keys partitioned by their first 8 bytes
// come out as non-overlapping SST files in key order with exactly the entries added; a
// partition in order is written without temporary runs or a merge, also when others are
// out of order; a partition that turns out of order is merged with what it wrote in order;
// partitions out of order share one budget (spilled under a tiny one); a duplicate key is
// Corruption naming it, within a buffer, across spills and after an in-order stretch.
#include "storage/partitioned_sorter.h"

#include <gtest/gtest.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table.h>
#include <rocksdb/table_properties.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/storage/sst_read.h"
#include "tests/storage/test_util.h"

namespace scimd::storage {
namespace {

using testing::FamilyOptions;
using testing::TempDir;

// An index-like key: tenant "tttt", type, attribute and kind (the partition), then a
// suffix (a value and an id).
std::string Key(uint8_t attr, uint32_t n, std::string_view pad = "") {
  std::string k = "tttt";
  k.push_back('\x01');
  k.push_back('\0');
  k.push_back(static_cast<char>(attr));
  k.push_back('\x02');
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08u", n);
  return k + std::string(pad) + buf;
}

// Every key/value of the files, in file order; fails when a file's keys do not all come
// after the previous file's, or a file is not in the family's format.
std::vector<std::pair<std::string, std::string>> ReadAll(const std::vector<std::string>& files) {
  return testing::ReadSstFiles(files, FamilyOptions(), "LZ4");
}

// The files hold exactly `added`, in key order.
void ExpectExactly(const std::vector<std::string>& files,
                   std::vector<std::pair<std::string, std::string>> added) {
  std::sort(added.begin(), added.end());
  const auto all = ReadAll(files);
  ASSERT_EQ(all.size(), added.size());
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i], added[i]) << i;
  }
}

size_t FilesOnDisk(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

PartitionedSorter::Tuning Small() {
  PartitionedSorter::Tuning t;
  t.ordered_run_bytes = 4 << 10;
  t.ordered_file_bytes = 32 << 10;
  return t;
}

TEST(PartitionedSorterTest, InOrderPartitionsAreWrittenWithoutRunsOrMerge) {
  // Eight partitions, interleaved as a resource's entries are, each in id order: written
  // in pieces to files closed past 32 KiB, under a budget far smaller than the input.
  TempDir dir;
  PartitionedSorter sorter(dir.path(), "i", FamilyOptions(), 64 << 10, Small());
  std::vector<std::pair<std::string, std::string>> added;
  for (uint32_t n = 0; n < 20000; ++n) {
    for (uint8_t attr = 8; attr > 0; --attr) {  // partitions first seen out of key order
      added.emplace_back(Key(attr, n), "");
      ASSERT_TRUE(sorter.Add(added.back().first, "").ok());
    }
  }
  EXPECT_EQ(sorter.partitions(), 8u);
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(sorter.temporary_runs(), 0u);
  // A merge would write one file per partition; these are the in-order files themselves.
  EXPECT_GE(files->size(), 3 * 8u);
  EXPECT_EQ(FilesOnDisk(dir.path()), files->size());
  ExpectExactly(*files, added);
}

TEST(PartitionedSorterTest, OutOfOrderPartitionsSpillUnderOneBudget) {
  // Six partitions in random order and two in order, under a 64 KiB budget: the ones out
  // of order spill temporary runs and are merged; the buffers never hold more than the
  // budget and a piece being written per partition in order.
  TempDir dir;
  const size_t budget = 64 << 10;
  PartitionedSorter sorter(dir.path(), "i", FamilyOptions(), budget, Small());
  std::vector<uint32_t> order(6000);
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(5));
  std::vector<std::pair<std::string, std::string>> added;
  size_t most = 0;
  for (uint32_t i = 0; i < order.size(); ++i) {
    for (uint8_t attr = 1; attr <= 8; ++attr) {
      const uint32_t n = attr <= 6 ? order[(i + attr * 997) % order.size()] : i;
      added.emplace_back(Key(attr, n, attr == 3 ? std::string(30, 'x') : ""),
                         "v" + std::to_string(n));
      ASSERT_TRUE(sorter.Add(added.back().first, added.back().second).ok());
      most = std::max(most, sorter.buffered_bytes() + sorter.spilling_bytes());
    }
  }
  EXPECT_LE(most, budget + 2 * (Small().ordered_run_bytes + 256));
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_GT(sorter.temporary_runs(), 6u);
  ExpectExactly(*files, added);
  EXPECT_EQ(FilesOnDisk(dir.path()), files->size());  // runs removed
}

TEST(PartitionedSorterTest, APartitionTurningOutOfOrderIsMergedWithWhatItWrote) {
  // In order long enough to close several files, then keys that fall between them: the
  // files written in order become runs of a merge.
  TempDir dir;
  PartitionedSorter sorter(dir.path(), "i", FamilyOptions(), 64 << 10, Small());
  std::vector<std::pair<std::string, std::string>> added;
  auto add = [&](std::string key) {
    added.emplace_back(std::move(key), "value");
    return sorter.Add(added.back().first, "value");
  };
  for (uint32_t n = 0; n < 8000; ++n) {
    ASSERT_TRUE(add(Key(1, 2 * n)).ok());
    ASSERT_TRUE(add(Key(2, n)).ok());  // stays in order
  }
  for (uint32_t n = 0; n < 8000; n += 3) ASSERT_TRUE(add(Key(1, 2 * n + 1)).ok());
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ExpectExactly(*files, added);
  EXPECT_EQ(FilesOnDisk(dir.path()), files->size());
}

TEST(PartitionedSorterTest, OneBufferOutOfOrderIsSortedInMemory) {
  TempDir dir;
  PartitionedSorter sorter(dir.path(), "i", FamilyOptions(), 1 << 20);
  std::vector<std::pair<std::string, std::string>> added;
  for (uint32_t n = 0; n < 1000; ++n) {
    added.emplace_back(Key(n % 2 == 0 ? 4 : 1, n * 7 % 1000), "");
    ASSERT_TRUE(sorter.Add(added.back().first, "").ok());
  }
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(sorter.temporary_runs(), 0u);
  EXPECT_EQ(files->size(), 2u);  // one per partition
  ExpectExactly(*files, added);
}

// Finish refuses the sorter's entries as Corruption naming `named` (the duplicate key).
void ExpectDuplicateNamed(PartitionedSorter& sorter, const std::string& named) {
  auto files = sorter.Finish();
  ASSERT_FALSE(files.ok());
  EXPECT_TRUE(files.status().Is(core::Status::Code::kCorruption)) << files.status().ToString();
  EXPECT_NE(files.status().ToString().find(named), std::string::npos) << files.status().ToString();
}

TEST(PartitionedSorterTest, DuplicatesAreCorruptionNamingTheKey) {
  TempDir dir;
  {
    // Across spills of a partition out of order.
    PartitionedSorter across(dir.path(), "a", FamilyOptions(), 16 << 10, Small());
    for (uint32_t i = 0; i < 4000; ++i) {
      ASSERT_TRUE(across.Add(Key(1, i * 7919 % 3999), "").ok());
      ASSERT_TRUE(across.Add(Key(2, i), "").ok());
    }
    ExpectDuplicateNamed(across, "0000");
  }
  {
    // The same key twice in a row in a partition that was in order.
    PartitionedSorter in_order(dir.path(), "b", FamilyOptions(), 16 << 10, Small());
    for (uint32_t i = 0; i < 3000; ++i) ASSERT_TRUE(in_order.Add(Key(1, i), "").ok());
    ASSERT_TRUE(in_order.Add(Key(1, 2999), "").ok());
    ExpectDuplicateNamed(in_order, "00002999");
  }
  {
    // A key already written to an in-order file, once the partition is out of order.
    PartitionedSorter later(dir.path(), "c", FamilyOptions(), 16 << 10, Small());
    for (uint32_t i = 0; i < 3000; ++i) ASSERT_TRUE(later.Add(Key(1, i), "").ok());
    ASSERT_TRUE(later.Add(Key(1, 17), "").ok());
    ExpectDuplicateNamed(later, "00000017");
  }
}

TEST(PartitionedSorterTest, KeysOfAnotherTenantOrTooShortAreRejected) {
  TempDir dir;
  PartitionedSorter sorter(dir.path(), "i", FamilyOptions(), 1 << 20);
  ASSERT_TRUE(sorter.Add(Key(1, 1), "").ok());
  std::string other = Key(1, 2);
  other[0] = 'u';
  EXPECT_TRUE(sorter.Add(other, "").Is(core::Status::Code::kInvalidValue));
  EXPECT_TRUE(sorter.Add("tttt", "").Is(core::Status::Code::kInvalidValue));
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok());
  ExpectExactly(*files, {{Key(1, 1), ""}});
}

}  // namespace
}  // namespace scimd::storage
