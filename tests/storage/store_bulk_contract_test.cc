// The contract of StoreView and BulkLoad (core/base/store.h), on RocksStore and MemStore:
// a view does not see later writes; a bulk load is visible all at once at Commit, never
// before, never without Commit; its entries read back like a transaction's; counters add
// to what the tenant had; a duplicate key fails the whole load.
#include "tests/storage/store_contract.h"

namespace scimd::storage {
namespace {

using core::BulkLoad;

TEST_P(StoreContractTest, ViewDoesNotSeeLaterWrites) {
  ASSERT_TRUE(Create(1, kUser, Id(1), "a").ok());
  ASSERT_TRUE(Create(1, kGroup, Id(9), "g").ok());
  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                return txn.AddMember(Id(9), Id(1), kUser, "one").status();
              }).ok());
  auto view = store_->View(1);
  // After the view: a new user, a changed one, a new edge, and a removed edge.
  ASSERT_TRUE(Create(1, kUser, Id(2), "b").ok());
  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                SCIMD_RETURN_IF_ERROR(txn.PutResource(kUser, Id(1), "a2"));
                SCIMD_RETURN_IF_ERROR(txn.AddMember(Id(9), Id(2), kUser, "two").status());
                return txn.RemoveMember(Id(9), Id(1)).status();
              }).ok());

  std::vector<std::pair<ResourceId, std::string>> users;
  ASSERT_TRUE(view->ScanResources(kUser, std::nullopt,
                                  [&](const ResourceId& id, std::string_view v) {
                                    users.emplace_back(id, std::string(v));
                                    return true;
                                  })
                  .ok());
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].first, Id(1));
  EXPECT_EQ(users[0].second, "a");
  std::vector<std::pair<ResourceId, std::string>> members;
  ASSERT_TRUE(view->ScanMembers(Id(9), std::nullopt,
                                [&](const ResourceId& m, ResourceType t, std::string_view d) {
                                  EXPECT_EQ(t, kUser);
                                  members.emplace_back(m, std::string(d));
                                  return true;
                                })
                  .ok());
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].first, Id(1));
  EXPECT_EQ(members[0].second, "one");
  // The store itself sees the writes; another tenant is not in the view.
  EXPECT_EQ(ScanAll(1, kUser).size(), 2u);
  EXPECT_EQ(Members(1, Id(9)), std::vector<ResourceId>{Id(2)});
  ASSERT_TRUE(Create(2, kUser, Id(3), "other").ok());
  auto other = store_->View(1);
  size_t n = 0;
  ASSERT_TRUE(other
                  ->ScanResources(kUser, Id(1),
                                  [&](const ResourceId& id, std::string_view) {
                                    EXPECT_EQ(id, Id(2));  // after Id(1), tenant 1 only
                                    ++n;
                                    return true;
                                  })
                  .ok());
  EXPECT_EQ(n, 1u);
}

// Loads two users (one unique term, one indexed value, presence) and a group with both.
Status LoadSome(BulkLoad& load) {
  const IndexTerm name{1, IndexValue::String("ann")};
  const IndexTerm name2{1, IndexValue::String("bob")};
  SCIMD_RETURN_IF_ERROR(load.PutResource(kUser, Id(2), "bob"));  // any order
  SCIMD_RETURN_IF_ERROR(load.PutResource(kUser, Id(1), "ann"));
  SCIMD_RETURN_IF_ERROR(load.PutResource(kGroup, Id(7), "g"));
  for (auto [term, id] : {std::pair{name, Id(1)}, std::pair{name2, Id(2)}}) {
    SCIMD_RETURN_IF_ERROR(load.AddUnique(kUser, term, id));
    SCIMD_RETURN_IF_ERROR(load.AddIndex(kUser, term, id));
    SCIMD_RETURN_IF_ERROR(load.AddPresence(kUser, 1, id));
  }
  SCIMD_RETURN_IF_ERROR(load.AddMember(Id(7), Id(2), kUser, "Bob"));
  SCIMD_RETURN_IF_ERROR(load.AddMember(Id(7), Id(1), kUser, ""));
  SCIMD_RETURN_IF_ERROR(load.AdjustResourceCount(kUser, 2));
  return load.AdjustResourceCount(kGroup, 1);
}

TEST_P(StoreContractTest, BulkLoadIsVisibleAtCommitAndReadsLikeWrites) {
  ASSERT_TRUE(Create(1, kUser, Id(5), "existing").ok());
  auto load = store_->BeginBulkLoad(1);
  ASSERT_TRUE(load.ok()) << load.status().ToString();
  ASSERT_TRUE(LoadSome(**load).ok());
  EXPECT_GT((*load)->bytes(), 0u);
  // Nothing is visible before Commit.
  EXPECT_EQ(ScanAll(1, kUser), std::vector<ResourceId>{Id(5)});
  EXPECT_EQ(ResourceCount(1, kUser), 1u);
  ASSERT_TRUE((*load)->Commit().ok());

  EXPECT_EQ(ScanAll(1, kUser), (std::vector<ResourceId>{Id(1), Id(2), Id(5)}));
  EXPECT_EQ(*store_->GetResource(1, kUser, Id(1)), "ann");
  EXPECT_EQ(ResourceCount(1, kUser), 3u);  // added to the existing count
  EXPECT_EQ(ResourceCount(1, kGroup), 1u);
  EXPECT_EQ(Eq(1, kUser, IndexTerm{1, IndexValue::String("bob")}), std::vector<ResourceId>{Id(2)});
  EXPECT_EQ(Presence(1, kUser, 1), (std::vector<ResourceId>{Id(1), Id(2)}));
  auto holder = store_->LookupUnique(1, kUser, IndexTerm{1, IndexValue::String("ann")});
  ASSERT_TRUE(holder.ok() && holder->has_value());
  EXPECT_EQ(**holder, Id(1));
  EXPECT_EQ(Members(1, Id(7)), (std::vector<ResourceId>{Id(1), Id(2)}));
  EXPECT_EQ(MemberOf(1, Id(2)), std::vector<ResourceId>{Id(7)});
  EXPECT_EQ(MemberCount(1, Id(7)), 2u);
  // Loaded data takes part in transactions like any other: a claim on "ann" conflicts.
  EXPECT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                return txn.ClaimUnique(kUser, IndexTerm{1, IndexValue::String("ann")}, Id(6));
              }).Is(Status::Code::kUniqueness));
  // Another tenant saw nothing.
  EXPECT_TRUE(ScanAll(2, kUser).empty());
}

TEST_P(StoreContractTest, BulkLoadWithoutCommitLeavesNothing) {
  {
    auto load = store_->BeginBulkLoad(1);
    ASSERT_TRUE(load.ok());
    ASSERT_TRUE(LoadSome(**load).ok());
  }  // destroyed
  EXPECT_TRUE(ScanAll(1, kUser).empty());
  EXPECT_EQ(ResourceCount(1, kUser), 0u);
  EXPECT_TRUE(Members(1, Id(7)).empty());
  EXPECT_TRUE(Presence(1, kUser, 1).empty());
}

TEST_P(StoreContractTest, BulkLoadWithADuplicateKeyLoadsNothing) {
  auto load = store_->BeginBulkLoad(1);
  ASSERT_TRUE(load.ok());
  ASSERT_TRUE(LoadSome(**load).ok());
  ASSERT_TRUE((*load)->PutResource(kUser, Id(1), "ann again").ok());
  EXPECT_TRUE((*load)->Commit().Is(Status::Code::kCorruption));
  EXPECT_TRUE(ScanAll(1, kUser).empty());
  EXPECT_EQ(ResourceCount(1, kUser), 0u);
  EXPECT_TRUE(Members(1, Id(7)).empty());
}

TEST_P(StoreContractTest, EmptyBulkLoadCommits) {
  auto load = store_->BeginBulkLoad(1);
  ASSERT_TRUE(load.ok());
  EXPECT_TRUE((*load)->Commit().ok());
  EXPECT_TRUE(ScanAll(1, kUser).empty());
}

}  // namespace
}  // namespace scimd::storage
