// The contract of core::Transaction's membership calls, run against every store
// (RocksStore in a temporary directory, MemStore): the group membership lock and
// RemoveAllMembers' unindexed deletes, what later calls in the same transaction see, the
// counts and member_of mirrors after commit, and the shared/exclusive lock conflicts.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/storage/store_test_util.h"
#include "tests/storage/test_util.h"

namespace scimd::storage {
namespace {

using core::ResourceId;
using core::ResourceType;
using core::Status;
using core::Transaction;
using testing::Id;
using testing::RunTxn;
using testing::StoreKind;

constexpr core::TenantId kTenant = 1;
constexpr ResourceType kUser = ResourceType::kUser;

class TransactionContractTest : public testing::StoreContractFixture {
 protected:
  // Commits edges from `group` to Id(first) .. Id(first + n - 1).
  void Seed(const ResourceId& group, uint64_t first, uint64_t n) {
    ASSERT_TRUE(RunTxn(*store_, kTenant, [&](Transaction& txn) {
                  for (uint64_t i = first; i < first + n; ++i) {
                    SCIMD_RETURN_IF_ERROR(txn.AddMember(group, Id(i), kUser).status());
                  }
                  return Status::Ok();
                }).ok());
  }
  std::vector<ResourceId> Members(const ResourceId& g) {
    return testing::MemberIds(*store_, kTenant, g);
  }
  std::vector<ResourceId> MemberOf(const ResourceId& m) {
    return testing::GroupIds(*store_, kTenant, m);
  }
  uint64_t Count(const ResourceId& g) { return testing::MemberCount(*store_, kTenant, g); }
  // `g` has no members, and none of Id(former...) belongs to any group.
  void ExpectEmpty(const ResourceId& g, std::initializer_list<uint64_t> former) {
    EXPECT_EQ(Members(g), std::vector<ResourceId>{});
    EXPECT_EQ(Count(g), 0u);
    for (uint64_t m : former) EXPECT_EQ(MemberOf(Id(m)), std::vector<ResourceId>{}) << m;
  }
  // The count equals the edges, and every edge has its mirror.
  void ExpectConsistent(const ResourceId& g) {
    const std::vector<ResourceId> members = Members(g);
    EXPECT_EQ(Count(g), members.size());
    for (const ResourceId& m : members) {
      const std::vector<ResourceId> groups = MemberOf(m);
      EXPECT_NE(std::find(groups.begin(), groups.end(), g), groups.end());
    }
  }
};

const ResourceId kGroup = Id(1'000'000);
const std::vector<ResourceId> kNone;

TEST_P(TransactionContractTest, ClearThenAddTheSameMemberAgainEndsPresent) {
  Seed(kGroup, 1, 3);
  ASSERT_TRUE(RunTxn(*store_, kTenant, [&](Transaction& txn) -> Status {
                SCIMD_ASSIGN_OR_RETURN(uint64_t removed, txn.RemoveAllMembers(kGroup));
                EXPECT_EQ(removed, 3u);
                // The stored edges are gone for this transaction...
                SCIMD_ASSIGN_OR_RETURN(bool gone, txn.RemoveMember(kGroup, Id(3)));
                EXPECT_FALSE(gone);
                // ...so adding one back is a change, and adding it twice is not.
                SCIMD_ASSIGN_OR_RETURN(bool added, txn.AddMember(kGroup, Id(2), kUser));
                EXPECT_TRUE(added);
                SCIMD_ASSIGN_OR_RETURN(bool again, txn.AddMember(kGroup, Id(2), kUser));
                EXPECT_FALSE(again);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(Members(kGroup), std::vector{Id(2)});
  EXPECT_EQ(Count(kGroup), 1u);
  EXPECT_EQ(MemberOf(Id(1)), kNone);
  EXPECT_EQ(MemberOf(Id(2)), std::vector{kGroup});
  EXPECT_EQ(MemberOf(Id(3)), kNone);
}

TEST_P(TransactionContractTest, AddClearAddKeepsOnlyTheLastAdded) {
  Seed(kGroup, 1, 2);
  ASSERT_TRUE(RunTxn(*store_, kTenant, [&](Transaction& txn) -> Status {
                SCIMD_RETURN_IF_ERROR(txn.AddMember(kGroup, Id(10), kUser).status());
                SCIMD_ASSIGN_OR_RETURN(uint64_t removed, txn.RemoveAllMembers(kGroup));
                EXPECT_EQ(removed, 3u);  // two stored, one of this transaction's
                return txn.AddMember(kGroup, Id(11), kUser).status();
              }).ok());
  EXPECT_EQ(Members(kGroup), std::vector{Id(11)});
  EXPECT_EQ(Count(kGroup), 1u);
  for (uint64_t m : {1, 2, 10}) EXPECT_EQ(MemberOf(Id(m)), kNone) << m;
  EXPECT_EQ(MemberOf(Id(11)), std::vector{kGroup});
}

TEST_P(TransactionContractTest, SecondClearCountsOnlyWhatWasAddedSince) {
  Seed(kGroup, 1, 4);
  ASSERT_TRUE(RunTxn(*store_, kTenant, [&](Transaction& txn) -> Status {
                SCIMD_ASSIGN_OR_RETURN(uint64_t first, txn.RemoveAllMembers(kGroup));
                EXPECT_EQ(first, 4u);
                SCIMD_RETURN_IF_ERROR(txn.AddMember(kGroup, Id(1), kUser).status());
                SCIMD_RETURN_IF_ERROR(txn.AddMember(kGroup, Id(9), kUser).status());
                SCIMD_ASSIGN_OR_RETURN(uint64_t second, txn.RemoveAllMembers(kGroup));
                EXPECT_EQ(second, 2u);
                SCIMD_ASSIGN_OR_RETURN(uint64_t third, txn.RemoveAllMembers(kGroup));
                EXPECT_EQ(third, 0u);
                return txn.AddMember(kGroup, Id(3), kUser).status();
              }).ok());
  EXPECT_EQ(Members(kGroup), std::vector{Id(3)});
  EXPECT_EQ(Count(kGroup), 1u);
  for (uint64_t m : {1, 2, 4, 9}) EXPECT_EQ(MemberOf(Id(m)), kNone) << m;
}

TEST_P(TransactionContractTest, EditsOfStoredEdgesBeforeAClearAreCountedOnce) {
  Seed(kGroup, 1, 3);
  ASSERT_TRUE(RunTxn(*store_, kTenant, [&](Transaction& txn) -> Status {
                // 1: removed, then cleared (already gone). 2: removed and added back over
                // the stored edge, then cleared. 3: untouched until the clear.
                SCIMD_RETURN_IF_ERROR(txn.RemoveMember(kGroup, Id(1)).status());
                SCIMD_RETURN_IF_ERROR(txn.RemoveMember(kGroup, Id(2)).status());
                SCIMD_RETURN_IF_ERROR(txn.AddMember(kGroup, Id(2), kUser).status());
                SCIMD_ASSIGN_OR_RETURN(uint64_t removed, txn.RemoveAllMembers(kGroup));
                EXPECT_EQ(removed, 2u);
                return Status::Ok();
              }).ok());
  ExpectEmpty(kGroup, {1, 2, 3});
}

TEST_P(TransactionContractTest, ClearOfAnEmptyGroup) {
  ASSERT_TRUE(RunTxn(*store_, kTenant, [&](Transaction& txn) -> Status {
                SCIMD_ASSIGN_OR_RETURN(uint64_t removed, txn.RemoveAllMembers(kGroup));
                EXPECT_EQ(removed, 0u);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(Count(kGroup), 0u);
  ASSERT_TRUE(RunTxn(*store_, kTenant, [&](Transaction& txn) -> Status {
                SCIMD_RETURN_IF_ERROR(txn.RemoveAllMembers(kGroup).status());
                return txn.AddMember(kGroup, Id(5), kUser).status();
              }).ok());
  EXPECT_EQ(Members(kGroup), std::vector{Id(5)});
  EXPECT_EQ(Count(kGroup), 1u);
}

TEST_P(TransactionContractTest, RolledBackClearChangesNothing) {
  Seed(kGroup, 1, 3);
  {
    std::unique_ptr<Transaction> txn = store_->Begin(kTenant);
    ASSERT_EQ(*txn->RemoveAllMembers(kGroup), 3u);
  }  // destroyed without Commit
  EXPECT_EQ(Members(kGroup), (std::vector{Id(1), Id(2), Id(3)}));
  EXPECT_EQ(Count(kGroup), 3u);
  EXPECT_EQ(MemberOf(Id(2)), std::vector{kGroup});
}

TEST_P(TransactionContractTest, ClearLeavesOtherGroupsAndMirrorsAlone) {
  const ResourceId other = Id(2'000'000);
  Seed(kGroup, 1, 20'000);
  Seed(other, 19'990, 20);
  ASSERT_TRUE(RunTxn(*store_, kTenant, [&](Transaction& txn) {
                return txn.RemoveAllMembers(kGroup).status();
              }).ok());
  EXPECT_EQ(Members(kGroup), kNone);
  EXPECT_EQ(Count(kGroup), 0u);
  EXPECT_EQ(MemberOf(Id(1)), kNone);
  EXPECT_EQ(MemberOf(Id(19'995)), std::vector{other});
  EXPECT_EQ(Members(other).size(), 20u);
  ExpectConsistent(other);
}

TEST_P(TransactionContractTest, ClearAndRemoveFromAllGroupsConflictEitherWay) {
  const ResourceId m = Id(2);
  for (bool clear_first : {true, false}) {
    SCOPED_TRACE(clear_first ? "clear first" : "member removal first");
    Seed(kGroup, 1, 3);
    std::unique_ptr<Transaction> clear = store_->Begin(kTenant);
    std::unique_ptr<Transaction> remove = store_->Begin(kTenant);
    Transaction& first = clear_first ? *clear : *remove;
    Transaction& second = clear_first ? *remove : *clear;
    auto run = [&](Transaction& txn) {
      return &txn == clear.get() ? clear->RemoveAllMembers(kGroup).status()
                                 : remove->RemoveFromAllGroups(m);
    };
    ASSERT_TRUE(run(first).ok());
    EXPECT_TRUE(run(second).Is(Status::Code::kBusy));
    ASSERT_TRUE(first.Commit().ok());
    // The loser retries in a new transaction and sees the winner's commit.
    clear.reset();
    remove.reset();
    if (clear_first) {
      ASSERT_TRUE(RunTxn(*store_, kTenant, [&](Transaction& txn) {
                    return txn.RemoveFromAllGroups(m);
                  }).ok());
    } else {
      ASSERT_TRUE(RunTxn(*store_, kTenant, [&](Transaction& txn) -> Status {
                    SCIMD_ASSIGN_OR_RETURN(uint64_t removed, txn.RemoveAllMembers(kGroup));
                    EXPECT_EQ(removed, 2u);  // m went first
                    return Status::Ok();
                  }).ok());
    }
    ExpectEmpty(kGroup, {1, 2, 3});
  }
}

TEST_P(TransactionContractTest, AddMemberConflictsWithAnOpenClear) {
  Seed(kGroup, 1, 2);
  std::unique_ptr<Transaction> add = store_->Begin(kTenant);
  ASSERT_TRUE(*add->AddMember(kGroup, Id(7), kUser));
  std::unique_ptr<Transaction> clear = store_->Begin(kTenant);
  EXPECT_TRUE(clear->RemoveAllMembers(kGroup).status().Is(Status::Code::kBusy));
}

TEST_P(TransactionContractTest, MemberRemovalsFromOneGroupShareItsLock) {
  Seed(kGroup, 1, 5);
  std::unique_ptr<Transaction> a = store_->Begin(kTenant);
  std::unique_ptr<Transaction> b = store_->Begin(kTenant);
  ASSERT_TRUE(a->RemoveFromAllGroups(Id(1)).ok());
  ASSERT_TRUE(b->RemoveFromAllGroups(Id(2)).ok());
  ASSERT_TRUE(a->Commit().ok());
  ASSERT_TRUE(b->Commit().ok());
  EXPECT_EQ(Members(kGroup), (std::vector{Id(3), Id(4), Id(5)}));
  EXPECT_EQ(Count(kGroup), 3u);
}

// Threads removing members, and one replacing the whole membership over and over, each
// retrying on Busy: the count must equal the edges at the end, with every mirror.
TEST_P(TransactionContractTest, ConcurrentClearsAndMemberRemovalsKeepCountsExact) {
  constexpr uint64_t kMembers = 200;
  Seed(kGroup, 1, kMembers);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 1 + t; i <= kMembers; i += 4) {
        Status s = RunTxn(*store_, kTenant,
                          [&](Transaction& txn) { return txn.RemoveFromAllGroups(Id(i)); });
        if (!s.ok()) failed = true;
      }
    });
  }
  threads.emplace_back([&] {
    for (uint64_t round = 0; round < 20; ++round) {
      Status s = RunTxn(*store_, kTenant, [&](Transaction& txn) -> Status {
        SCIMD_RETURN_IF_ERROR(txn.RemoveAllMembers(kGroup).status());
        // Put back every other member (some of them removed meanwhile by the others).
        for (uint64_t i = 1 + round % 2; i <= kMembers; i += 2) {
          SCIMD_RETURN_IF_ERROR(txn.AddMember(kGroup, Id(i), kUser).status());
        }
        return Status::Ok();
      });
      if (!s.ok()) failed = true;
    }
  });
  for (auto& th : threads) th.join();
  EXPECT_FALSE(failed);
  EXPECT_LE(Members(kGroup).size(), kMembers / 2);  // the last round's half, or less
  ExpectConsistent(kGroup);
  const std::vector<ResourceId> members = Members(kGroup);
  for (uint64_t i = 1; i <= kMembers; ++i) {
    const bool member = !MemberOf(Id(i)).empty();
    EXPECT_EQ(member, std::find(members.begin(), members.end(), Id(i)) != members.end()) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, TransactionContractTest,
                         ::testing::Values(StoreKind::kRocks, StoreKind::kMem),
                         testing::StoreKindName);

}  // namespace
}  // namespace scimd::storage
