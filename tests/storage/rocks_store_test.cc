// RocksStore against a real RocksDB, what only it has: data survives a reopen, one open at a
// time (the dir lock), a missing directory, sync commits. The behaviour every store shares
// runs against RocksStore and MemStore alike in store_contract_test.cc.
#include "storage/rocks_store.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/storage/store_test_util.h"
#include "tests/storage/test_util.h"

namespace scimd::storage {
namespace {

using core::IndexTerm;
using core::IndexValue;
using core::ResourceId;
using core::ResourceType;
using core::Status;
using core::Transaction;
using testing::Id;
using testing::OpenOrDie;
using testing::RunTxn;
using testing::TempDir;

constexpr ResourceType kUser = ResourceType::kUser;

TEST(RocksStoreOpenTest, ReopenKeepsData) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CreateTenant("acme").ok());
    ASSERT_TRUE(RunTxn(*store, 1, [&](Transaction& txn) {
                  SCIMD_RETURN_IF_ERROR(txn.PutResource(kUser, Id(1), "alice"));
                  SCIMD_RETURN_IF_ERROR(txn.AdjustResourceCount(kUser, 1));
                  SCIMD_RETURN_IF_ERROR(
                      txn.ClaimUnique(kUser, IndexTerm{1, IndexValue::String("alice")}, Id(1)));
                  return txn.AddMember(Id(2), Id(1), kUser).status();
                }).ok());
  }
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->GetResource(1, kUser, Id(1)), "alice");
  EXPECT_EQ(*store->CountResources(1, kUser), 1u);
  EXPECT_EQ(*store->CountMembers(1, Id(2)), 1u);
  EXPECT_EQ(**store->LookupUnique(1, kUser, IndexTerm{1, IndexValue::String("alice")}), Id(1));
  EXPECT_EQ((*store->FindTenant("acme"))->id, 1u);
  EXPECT_EQ(store->CreateTenant("next")->id, 2u);  // the sequence survived too
}

TEST(RocksStoreOpenTest, SecondOpenOfAnOpenStoreFailsWithLockedMessage) {
  TempDir dir;
  auto first = OpenOrDie(dir.Sub("db"));
  ASSERT_NE(first, nullptr);
  auto second = RocksStore::Open(dir.Sub("db"), {});
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().Is(Status::Code::kIoError));
  EXPECT_NE(second.status().detail().find("locked"), std::string::npos) << second.status().detail();
  first.reset();
  EXPECT_TRUE(RocksStore::Open(dir.Sub("db"), {}).ok());
}

TEST(RocksStoreOpenTest, MissingDirWithoutCreateIfMissingFails) {
  TempDir dir;
  RocksStore::Options options;
  options.create_if_missing = false;
  auto store = RocksStore::Open(dir.Sub("absent"), options);
  EXPECT_FALSE(store.ok());
}

// --rocksdb-compression: each name this RocksDB has opens and keeps data; others refuse.
TEST(RocksStoreOpenTest, CompressionByNameAndUnknownOnesRefused) {
  for (const char* name : {"lz4", "zstd", "snappy", "none"}) {
    TempDir dir;
    RocksStore::Options options;
    options.compression = name;
    auto store = RocksStore::Open(dir.path(), options);
    ASSERT_TRUE(store.ok()) << name << ": " << store.status().ToString();
    auto tenant = (*store)->CreateTenant("t");
    EXPECT_TRUE(tenant.ok()) << name;
  }
  TempDir dir;
  RocksStore::Options options;
  options.compression = "brotli";
  auto store = RocksStore::Open(dir.path(), options);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().detail().find("unknown compression"), std::string::npos);
}

TEST(RocksStoreOpenTest, SyncCommitsWork) {
  TempDir dir;
  RocksStore::Options options;
  options.sync = true;
  auto store = OpenOrDie(dir.Sub("db"), options);
  ASSERT_NE(store, nullptr);
  for (uint64_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(RunTxn(*store, 1, [&](Transaction& txn) {
                  return txn.PutResource(kUser, Id(i), "v");
                }).ok());
  }
  size_t n = 0;
  ASSERT_TRUE(store
                  ->ScanResources(1, kUser, std::nullopt,
                                  [&](const ResourceId&, std::string_view) {
                                    ++n;
                                    return true;
                                  })
                  .ok());
  EXPECT_EQ(n, 20u);
}

}  // namespace
}  // namespace scimd::storage
