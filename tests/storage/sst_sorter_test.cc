// SstSorter (storage/sst_sorter.h) and RocksBulkLoad's staging: entries in any order come
// out as non-overlapping SST files in key order, complete, in the family's format (runs of
// an unordered input are temporary and merged); a buffer already in order is written as
// runs that need no merge; a duplicate key is found within a run and across
// runs; a killed load's staging files are removed by the next Open.
#include "storage/sst_sorter.h"

#include <gtest/gtest.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table.h>
#include <rocksdb/table_properties.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/rocks_bulk_load.h"
#include "storage/rocks_store.h"
#include "tests/storage/sst_read.h"
#include "tests/storage/test_util.h"

namespace scimd::storage {
namespace {

using testing::FamilyOptions;
using testing::TempDir;

std::string Key(uint32_t n) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%08u", n);
  return buf;
}

// Every key/value of the files, in file order; fails when a file overlaps the previous.
std::vector<std::pair<std::string, std::string>> ReadAll(const std::vector<std::string>& files) {
  return testing::ReadSstFiles(files, rocksdb::Options());
}

// `keys` added in their order to a sorter with `budget` come out of its files sorted, each once.
void ExpectSortedAndComplete(const TempDir& dir, size_t budget, std::vector<std::string> keys) {
  SstSorter sorter(dir.path(), "t", rocksdb::Options(), budget);
  for (const auto& k : keys) ASSERT_TRUE(sorter.Add(k, "v").ok());
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  std::sort(keys.begin(), keys.end());
  const auto all = ReadAll(*files);
  ASSERT_EQ(all.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(all[i].first, keys[i]) << i;
}

TEST(SstSorterTest, AnyOrderComesOutSortedAndComplete) {
  TempDir dir;
  std::vector<uint32_t> keys(20000);
  for (uint32_t i = 0; i < keys.size(); ++i) keys[i] = i;
  std::shuffle(keys.begin(), keys.end(), std::mt19937(7));
  SstSorter sorter(dir.path(), "t", rocksdb::Options(), 64 << 10);  // many runs
  for (uint32_t k : keys) ASSERT_TRUE(sorter.Add(Key(k), "v" + std::to_string(k)).ok());
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  const auto all = ReadAll(*files);
  ASSERT_EQ(all.size(), keys.size());
  for (uint32_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].first, Key(i));
    EXPECT_EQ(all[i].second, "v" + std::to_string(i));
  }
  // The runs were merged away: only the merged output is left on disk.
  size_t on_disk = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    on_disk += e.is_regular_file();
  EXPECT_EQ(on_disk, files->size());
}

TEST(SstSorterTest, KeysLongerThanTheCachedPrefixSortByEveryByte) {
  // Equal in the 24 cached bytes, different after them; and keys that are prefixes of
  // others.
  TempDir dir;
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < 3000; ++i) {
    keys.push_back("tttt" + std::string(24, 'x') + Key(i * 7919 % 3000));
    keys.push_back("tttt" + std::string(24, 'x') + Key(i * 7919 % 3000) + "+");
  }
  keys.push_back("tttt");
  keys.push_back("tttt" + std::string(3, '\0'));
  SstSorter sorter(dir.path(), "t", rocksdb::Options(), 16 << 10);
  for (const auto& k : keys) ASSERT_TRUE(sorter.Add(k, "v").ok());
  EXPECT_TRUE(sorter.Add("uuuu-another-tenant", "v").Is(core::Status::Code::kInvalidValue));
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  std::sort(keys.begin(), keys.end());
  const auto all = ReadAll(*files);
  ASSERT_EQ(all.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(all[i].first, keys[i]) << i;
}

TEST(SstSorterTest, KeysInOrderThenNotAreSortedByTheirCachedBytesToo) {
  // Keys that came in order are buffered without their cached prefix; once one comes out
  // of order, the buffer's keys must still sort by the bytes the prefix caches (here the
  // only bytes where they differ), in one buffer and across a written run.
  for (size_t budget : {size_t{1} << 20, size_t{16} << 10}) {
    TempDir dir;
    std::vector<std::string> keys;
    auto key = [](uint32_t n) { return "tttt" + Key(n) + std::string(30, 'x'); };
    for (uint32_t i = 0; i < 600; ++i) keys.push_back(key(2 * i));
    for (uint32_t i = 0; i < 600; ++i) keys.push_back(key(1199 - 2 * i));
    ExpectSortedAndComplete(dir, budget, keys);
  }
}

TEST(SstSorterTest, OrderIsToldBeyondTheFirstWordAfterTheSharedBytes) {
  // Whether keys still come in order is decided by the 8 bytes after the shared ones when
  // they differ: here they are equal for most keys (the order is in later bytes), zero
  // bytes stand where a shorter key has none, and the out-of-order keys differ late.
  for (size_t budget : {size_t{1} << 20, size_t{8} << 10}) {
    TempDir dir;
    std::vector<std::string> keys;
    for (uint32_t i = 0; i < 400; ++i) keys.push_back("ttttsamesame" + Key(i));
    keys.push_back("ttttsamesame" + Key(7) + "+");  // out of order, equal first word
    keys.push_back("ttttab");
    keys.push_back(std::string("ttttab\0", 7));
    keys.push_back(std::string("ttttab\0\0x", 9));
    keys.push_back("tttta");  // out of order, a shorter word
    for (uint32_t i = 400; i < 500; ++i) keys.push_back("ttttsamesame" + Key(i));
    ExpectSortedAndComplete(dir, budget, keys);
  }
}

TEST(SstSorterTest, AnyBytesSortInByteOrderInLargeAndSmallBuckets) {
  // A buffer is sorted by its cached bytes a byte at a time, then by comparison in small
  // buckets and where the cached bytes end: keys of random bytes (zeros and 0xff among
  // them) and random lengths, many sharing a start that ends at every position, come out
  // in byte order, in one buffer and across runs.
  std::mt19937 rng(11);
  std::vector<std::string> keys;
  const std::string starts[] = {"",
                                "a",
                                std::string("\0\0", 2),
                                "abcdefgh",
                                "abcdefghij",
                                std::string(23, 'z'),
                                std::string(24, 'z'),
                                std::string(30, 'q')};
  std::set<std::string> seen;
  while (keys.size() < 40000) {
    std::string k = "tttt" + starts[rng() % std::size(starts)];
    const size_t extra = rng() % 12;
    for (size_t i = 0; i < extra; ++i) {
      const unsigned r = rng() % 8;
      k.push_back(r == 0 ? '\0' : r == 1 ? '\xff' : static_cast<char>('a' + rng() % 4));
    }
    if (seen.insert(k).second) keys.push_back(k);
  }
  for (size_t budget : {size_t{64} << 20, size_t{256} << 10}) {
    TempDir dir;
    ExpectSortedAndComplete(dir, budget, keys);
  }
}

TEST(SstSorterTest, TemporaryRunsKeepEveryValueAndAreReadFromAnyMark) {
  // Runs of many thousand entries (a merge of two key ranges starts the upper one at a
  // mark inside each run), keys sharing long starts (written as the bytes after what they
  // share with the previous key), and values larger than a run's read buffer or across
  // its edge: every key and value comes out as added.
  TempDir dir;
  std::vector<uint32_t> order(60000);
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(5));
  auto value_of = [](uint32_t n) {
    if (n % 20000 == 7) return std::string(size_t{3} << 19, static_cast<char>('a' + n % 26));
    if (n % 5000 == 3) return std::string(size_t{300} << 10, static_cast<char>('A' + n % 26));
    return n % 3 == 0 ? std::string() : "v" + std::to_string(n);
  };
  auto key_of = [](uint32_t n) { return "tttt" + std::string(20, 's') + Key(n) + "/id"; };
  SstSorter sorter(dir.path(), "t", rocksdb::Options(), size_t{6} << 20);
  for (uint32_t n : order) ASSERT_TRUE(sorter.Add(key_of(n), value_of(n)).ok());
  EXPECT_GE(sorter.temporary_runs(), 2u);
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  const auto all = ReadAll(*files);
  ASSERT_EQ(all.size(), order.size());
  for (uint32_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i].first, key_of(i));
    ASSERT_EQ(all[i].second, value_of(i)) << i;
  }
}

// The compression and filter a file was written with.
std::pair<std::string, std::string> FormatOf(const std::string& file) {
  rocksdb::SstFileReader reader{FamilyOptions()};
  EXPECT_TRUE(reader.Open(file).ok()) << file;
  auto props = reader.GetTableProperties();
  return {props->compression_name, props->filter_policy_name};
}

TEST(SstSorterTest, RunsOutOfOrderAreMergedIntoTheFamilysFormat) {
  // The runs of an unordered input are plain temporary files; what Finish hands over is
  // written with the family's compression and filter, in two key ranges merged at once.
  TempDir dir;
  std::vector<uint32_t> keys(20000);
  for (uint32_t i = 0; i < keys.size(); ++i) keys[i] = i;
  std::shuffle(keys.begin(), keys.end(), std::mt19937(11));
  SstSorter sorter(dir.path(), "t", FamilyOptions(), 64 << 10);
  for (uint32_t k : keys) ASSERT_TRUE(sorter.Add(Key(k), std::string(40, 'v')).ok());
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(ReadAll(*files).size(), keys.size());
  for (const std::string& f : *files) {
    const auto [compression, filter] = FormatOf(f);
    EXPECT_EQ(compression, "LZ4") << f;
    EXPECT_NE(filter, "") << f;
  }
}

TEST(SstSorterTest, OneBufferOutOfOrderIsWrittenOnceInTheFamilysFormat) {
  TempDir dir;
  SstSorter sorter(dir.path(), "t", FamilyOptions(), 1 << 20);
  for (uint32_t i = 0; i < 1000; ++i) ASSERT_TRUE(sorter.Add(Key(i * 7 % 1000), "v").ok());
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(FormatOf(files->front()).first, "LZ4");
  EXPECT_EQ(ReadAll(*files).size(), 1000u);
}

TEST(SstSorterTest, InOrderRunsAreHandedOverWithoutAMerge) {
  TempDir dir;
  SstSorter sorter(dir.path(), "t", rocksdb::Options(), 16 << 10);
  for (uint32_t i = 0; i < 5000; ++i) ASSERT_TRUE(sorter.Add(Key(i), "value").ok());
  auto files = sorter.Finish();
  ASSERT_TRUE(files.ok());
  EXPECT_GT(files->size(), 3u);  // one per run
  EXPECT_EQ(ReadAll(*files).size(), 5000u);
}

TEST(SstSorterTest, DuplicateKeysAreCorruptionWithinAndAcrossRuns) {
  TempDir dir;
  {
    SstSorter within(dir.path(), "a", rocksdb::Options(), 1 << 20);
    ASSERT_TRUE(within.Add(Key(1), "x").ok());
    ASSERT_TRUE(within.Add(Key(1), "y").ok());
    EXPECT_TRUE(within.Finish().status().Is(core::Status::Code::kCorruption));
  }
  SstSorter across(dir.path(), "b", rocksdb::Options(), 4 << 10);
  for (uint32_t i = 0; i < 2000; ++i) ASSERT_TRUE(across.Add(Key(i % 1999), "x").ok());
  auto files = across.Finish();
  ASSERT_FALSE(files.ok());
  EXPECT_TRUE(files.status().Is(core::Status::Code::kCorruption)) << files.status().ToString();
}

TEST(RocksBulkLoadTest, OpenRemovesWhatAKilledLoadLeft) {
  TempDir dir;
  const std::string stale = dir.Sub("db") + "/" + std::string(kBulkLoadDir) + "/1-2-3";
  {
    auto store = RocksStore::Open(dir.Sub("db"), RocksStore::Options());
    ASSERT_TRUE(store.ok());
  }
  std::filesystem::create_directories(stale);
  std::ofstream(stale + "/resources-0.sst") << "half a file";
  auto store = RocksStore::Open(dir.Sub("db"), RocksStore::Options());
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE(std::filesystem::exists(stale));
  // A load stages under bulk-load/ and removes its directory when done with.
  {
    auto load = (*store)->BeginBulkLoad(1);
    ASSERT_TRUE(load.ok());
    ASSERT_TRUE((*load)->PutResource(core::ResourceType::kUser, testing::Id(1), "x").ok());
    EXPECT_FALSE(std::filesystem::is_empty(dir.Sub("db") + "/" + std::string(kBulkLoadDir)));
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.Sub("db") + "/" + std::string(kBulkLoadDir)));
}

}  // namespace
}  // namespace scimd::storage
