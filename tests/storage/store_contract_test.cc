// The contract of core::Store (core/base/store.h), run against every implementation: RocksStore
// in a fresh temporary directory and MemStore. Resources, scans, counters, index,
// uniqueness, membership, tenant isolation, tenants and tokens, and the lock conflicts and
// races between transactions. RocksDB-only behaviour is in rocks_store_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

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
using testing::RunTxn;
using testing::StoreKind;

constexpr ResourceType kUser = ResourceType::kUser;
constexpr ResourceType kGroup = ResourceType::kGroup;

class StoreContractTest : public testing::StoreContractFixture {
 protected:
  std::vector<ResourceId> ScanAll(core::TenantId t, ResourceType type,
                                  std::optional<ResourceId> after = std::nullopt) {
    std::vector<ResourceId> ids;
    EXPECT_TRUE(store_
                    ->ScanResources(t, type, after,
                                    [&](const ResourceId& id, std::string_view) {
                                      ids.push_back(id);
                                      return true;
                                    })
                    .ok());
    return ids;
  }
  std::vector<ResourceId> Eq(core::TenantId t, ResourceType type, const IndexTerm& term) {
    std::vector<ResourceId> ids;
    EXPECT_TRUE(store_
                    ->ScanIndexEq(t, type, term,
                                  [&](const ResourceId& id) {
                                    ids.push_back(id);
                                    return true;
                                  })
                    .ok());
    return ids;
  }
  std::vector<ResourceId> Presence(core::TenantId t, ResourceType type, core::AttrId attr) {
    std::vector<ResourceId> ids;
    EXPECT_TRUE(store_
                    ->ScanPresence(t, type, attr,
                                   [&](const ResourceId& id) {
                                     ids.push_back(id);
                                     return true;
                                   })
                    .ok());
    return ids;
  }
  std::vector<ResourceId> Members(core::TenantId t, const ResourceId& g,
                                  std::optional<ResourceId> after = std::nullopt) {
    return testing::MemberIds(*store_, t, g, after);
  }
  std::vector<ResourceId> MemberOf(core::TenantId t, const ResourceId& m) {
    return testing::GroupIds(*store_, t, m);
  }
  uint64_t MemberCount(core::TenantId t, const ResourceId& g) {
    return testing::MemberCount(*store_, t, g);
  }
  uint64_t ResourceCount(core::TenantId t, ResourceType type) {
    auto c = store_->CountResources(t, type);
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : ~uint64_t{0};
  }
  Status Create(core::TenantId t, ResourceType type, const ResourceId& id,
                const std::string& value) {
    return RunTxn(*store_, t, [&](Transaction& txn) {
      SCIMD_RETURN_IF_ERROR(txn.PutResource(type, id, value));
      return txn.AdjustResourceCount(type, 1);
    });
  }
};

TEST_P(StoreContractTest, ResourceCrud) {
  EXPECT_TRUE(store_->GetResource(1, kUser, Id(1)).status().Is(Status::Code::kNotFound));
  ASSERT_TRUE(Create(1, kUser, Id(1), "v1").ok());
  EXPECT_EQ(*store_->GetResource(1, kUser, Id(1)), "v1");
  EXPECT_TRUE(store_->GetResource(1, kGroup, Id(1)).status().Is(Status::Code::kNotFound));

  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                SCIMD_ASSIGN_OR_RETURN(std::string old, txn.GetResourceForUpdate(kUser, Id(1)));
                EXPECT_EQ(old, "v1");
                return txn.PutResource(kUser, Id(1), old + "+v2");
              }).ok());
  EXPECT_EQ(*store_->GetResource(1, kUser, Id(1)), "v1+v2");

  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                SCIMD_RETURN_IF_ERROR(txn.DeleteResource(kUser, Id(1)));
                return txn.AdjustResourceCount(kUser, -1);
              }).ok());
  EXPECT_TRUE(store_->GetResource(1, kUser, Id(1)).status().Is(Status::Code::kNotFound));
  auto txn = store_->Begin(1);
  EXPECT_TRUE(txn->GetResourceForUpdate(kUser, Id(1)).status().Is(Status::Code::kNotFound));
  EXPECT_EQ(ResourceCount(1, kUser), 0u);
}

TEST_P(StoreContractTest, TransactionSeesItsOwnWritesAndRollsBackWhenDestroyed) {
  {
    auto txn = store_->Begin(1);
    ASSERT_TRUE(txn->PutResource(kUser, Id(1), "x").ok());
    ASSERT_TRUE(txn->AdjustResourceCount(kUser, 1).ok());
    EXPECT_EQ(*txn->GetResourceForUpdate(kUser, Id(1)), "x");
    EXPECT_TRUE(store_->GetResource(1, kUser, Id(1)).status().Is(Status::Code::kNotFound));
  }  // destroyed without Commit
  EXPECT_TRUE(store_->GetResource(1, kUser, Id(1)).status().Is(Status::Code::kNotFound));
  EXPECT_EQ(ResourceCount(1, kUser), 0u);
  // Its locks are gone too.
  auto txn = store_->Begin(1);
  EXPECT_TRUE(txn->PutResource(kUser, Id(1), "y").ok());
  EXPECT_TRUE(txn->Commit().ok());
  EXPECT_TRUE(txn->Commit().Is(Status::Code::kInternal));
}

TEST_P(StoreContractTest, LockConflictIsBusyAtOnce) {
  ASSERT_TRUE(Create(1, kUser, Id(1), "v").ok());
  auto a = store_->Begin(1);
  auto b = store_->Begin(1);
  ASSERT_TRUE(a->GetResourceForUpdate(kUser, Id(1)).ok());
  EXPECT_TRUE(b->GetResourceForUpdate(kUser, Id(1)).status().Is(Status::Code::kBusy));
  EXPECT_TRUE(b->PutResource(kUser, Id(1), "w").Is(Status::Code::kBusy));
  EXPECT_TRUE(b->PutResource(kUser, Id(2), "w").ok());  // other keys are free
  ASSERT_TRUE(a->Commit().ok());
  EXPECT_TRUE(b->GetResourceForUpdate(kUser, Id(1)).ok());
}

TEST_P(StoreContractTest, CounterUpdatesNeverConflict) {
  // Two open transactions both count a new resource of one type and a new member of one
  // group: neither waits for nor fails on the other, and both increments land.
  auto a = store_->Begin(1);
  auto b = store_->Begin(1);
  ASSERT_TRUE(a->AdjustResourceCount(kUser, 1).ok());
  ASSERT_TRUE(b->AdjustResourceCount(kUser, 1).ok());
  ASSERT_TRUE(a->AddMember(Id(50), Id(1), kUser).ok());
  ASSERT_TRUE(b->AddMember(Id(50), Id(2), kUser).ok());
  ASSERT_TRUE(b->Commit().ok());
  ASSERT_TRUE(a->Commit().ok());
  EXPECT_EQ(ResourceCount(1, kUser), 2u);
  EXPECT_EQ(MemberCount(1, Id(50)), 2u);
  // A rolled-back transaction's counter changes vanish with it.
  {
    auto c = store_->Begin(1);
    ASSERT_TRUE(c->AdjustResourceCount(kUser, -2).ok());
    ASSERT_TRUE(c->RemoveMember(Id(50), Id(1)).ok());
  }
  EXPECT_EQ(ResourceCount(1, kUser), 2u);
  EXPECT_EQ(MemberCount(1, Id(50)), 2u);
}

TEST_P(StoreContractTest, ScanResourcesInIdOrderWithStartAfter) {
  for (uint64_t n : {5, 1, 4, 2, 3, 10}) ASSERT_TRUE(Create(1, kUser, Id(n), "u").ok());
  ASSERT_TRUE(Create(1, kGroup, Id(7), "g").ok());
  ASSERT_TRUE(Create(2, kUser, Id(0), "other tenant").ok());
  EXPECT_EQ(ScanAll(1, kUser), (std::vector{Id(1), Id(2), Id(3), Id(4), Id(5), Id(10)}));
  EXPECT_EQ(ScanAll(1, kUser, Id(3)), (std::vector{Id(4), Id(5), Id(10)}));
  EXPECT_EQ(ScanAll(1, kUser, Id(6)), (std::vector{Id(10)}));  // absent start_after
  EXPECT_EQ(ScanAll(1, kUser, Id(10)), std::vector<ResourceId>{});
  EXPECT_EQ(ScanAll(1, kGroup), std::vector{Id(7)});
  std::vector<ResourceId> first_two;
  ASSERT_TRUE(store_
                  ->ScanResources(1, kUser, std::nullopt,
                                  [&](const ResourceId& id, std::string_view value) {
                                    EXPECT_EQ(value, "u");
                                    first_two.push_back(id);
                                    return first_two.size() < 2;
                                  })
                  .ok());
  EXPECT_EQ(first_two, (std::vector{Id(1), Id(2)}));
  EXPECT_EQ(ResourceCount(1, kUser), 6u);
  EXPECT_EQ(ResourceCount(1, kGroup), 1u);
  EXPECT_EQ(ResourceCount(2, kUser), 1u);
  EXPECT_EQ(ResourceCount(3, kUser), 0u);
}

TEST_P(StoreContractTest, IndexEqPresencePrefixAndRangeScans) {
  const core::AttrId kName = 1, kAge = 2, kScore = 3;
  struct Row {
    uint64_t id;
    std::string name;
    int64_t age;
  };
  const std::vector<Row> rows = {
      {4, "ab", 30}, {2, "abc", -5}, {3, "ab", 30}, {1, "b", 40}, {5, std::string("ab\0", 3), 0}};
  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                for (const Row& r : rows) {
                  SCIMD_RETURN_IF_ERROR(
                      txn.AddIndex(kUser, IndexTerm{kName, IndexValue::String(r.name)}, Id(r.id)));
                  SCIMD_RETURN_IF_ERROR(
                      txn.AddIndex(kUser, IndexTerm{kAge, IndexValue::Integer(r.age)}, Id(r.id)));
                  SCIMD_RETURN_IF_ERROR(txn.AddPresence(kUser, kName, Id(r.id)));
                }
                return Status::Ok();
              }).ok());
  EXPECT_EQ(Eq(1, kUser, IndexTerm{kName, IndexValue::String("ab")}), (std::vector{Id(3), Id(4)}));
  EXPECT_EQ(Eq(1, kUser, IndexTerm{kName, IndexValue::String("abc")}), std::vector{Id(2)});
  EXPECT_EQ(Eq(1, kUser, IndexTerm{kName, IndexValue::String("a")}), std::vector<ResourceId>{});
  EXPECT_EQ(Eq(1, kGroup, IndexTerm{kName, IndexValue::String("ab")}), std::vector<ResourceId>{});
  EXPECT_EQ(Eq(2, kUser, IndexTerm{kName, IndexValue::String("ab")}), std::vector<ResourceId>{});
  EXPECT_EQ(Eq(1, kUser, IndexTerm{kAge, IndexValue::Integer(30)}), (std::vector{Id(3), Id(4)}));
  EXPECT_EQ(Presence(1, kUser, kName), (std::vector{Id(1), Id(2), Id(3), Id(4), Id(5)}));
  EXPECT_EQ(Presence(1, kUser, kAge), std::vector<ResourceId>{});

  auto collect = [](std::vector<ResourceId>* out) {
    return [out](const ResourceId& id) {
      out->push_back(id);
      return true;
    };
  };
  std::vector<ResourceId> sw;
  ASSERT_TRUE(store_->ScanIndexPrefix(1, kUser, kName, "ab", collect(&sw)).ok());
  // Value order ("ab" < "ab\0" < "abc"), then id order.
  EXPECT_EQ(sw, (std::vector{Id(3), Id(4), Id(5), Id(2)}));

  std::vector<ResourceId> ge0_lt40;
  ASSERT_TRUE(store_
                  ->ScanIndexRange(1, kUser, kAge, IndexValue::Kind::kInteger,
                                   IndexBound{IndexValue::Integer(0), true},
                                   IndexBound{IndexValue::Integer(40), false}, collect(&ge0_lt40))
                  .ok());
  EXPECT_EQ(ge0_lt40, (std::vector{Id(5), Id(3), Id(4)}));
  std::vector<ResourceId> gt30;
  ASSERT_TRUE(store_
                  ->ScanIndexRange(1, kUser, kAge, IndexValue::Kind::kInteger,
                                   IndexBound{IndexValue::Integer(30), false}, std::nullopt,
                                   collect(&gt30))
                  .ok());
  EXPECT_EQ(gt30, std::vector{Id(1)});
  std::vector<ResourceId> none;
  EXPECT_TRUE(store_
                  ->ScanIndexRange(1, kUser, kScore, IndexValue::Kind::kDecimal,
                                   IndexBound{IndexValue::Decimal(NAN), true}, std::nullopt,
                                   collect(&none))
                  .Is(Status::Code::kInvalidValue));

  // Removal takes exactly the named entries away.
  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                SCIMD_RETURN_IF_ERROR(
                    txn.RemoveIndex(kUser, IndexTerm{kName, IndexValue::String("ab")}, Id(3)));
                return txn.RemovePresence(kUser, kName, Id(3));
              }).ok());
  EXPECT_EQ(Eq(1, kUser, IndexTerm{kName, IndexValue::String("ab")}), std::vector{Id(4)});
  EXPECT_EQ(Presence(1, kUser, kName), (std::vector{Id(1), Id(2), Id(4), Id(5)}));
  auto txn = store_->Begin(1);
  EXPECT_TRUE(txn->AddIndex(kUser, IndexTerm{kScore, IndexValue::Decimal(NAN)}, Id(1))
                  .Is(Status::Code::kInvalidValue));
}

TEST_P(StoreContractTest, ScansSeeTheStoreAsOfTheirStart) {
  // Store reads are snapshot reads, and a visitor may commit (core/usecase/reindex.cc does): what
  // it commits shows in the next scan, not in the one under way. Enough entries that a store
  // reading in batches needs several.
  constexpr uint64_t kN = 300;
  const ResourceId g = Id(10'000);
  const core::AttrId attr = 1;
  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) -> Status {
                for (uint64_t i = 1; i <= kN; ++i) {
                  SCIMD_RETURN_IF_ERROR(txn.PutResource(kUser, Id(i), "old"));
                  SCIMD_RETURN_IF_ERROR(txn.AddMember(g, Id(i), kUser).status());
                  SCIMD_RETURN_IF_ERROR(
                      txn.AddIndex(kUser, IndexTerm{attr, IndexValue::Integer(i % 3)}, Id(i)));
                }
                return Status::Ok();
              }).ok());
  // Deletes, changes and adds entries ahead of the scans.
  auto meanwhile = [&] {
    EXPECT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) -> Status {
                  for (uint64_t i : {2, 150, 299}) {
                    SCIMD_RETURN_IF_ERROR(txn.DeleteResource(kUser, Id(i)));
                    SCIMD_RETURN_IF_ERROR(
                        txn.RemoveIndex(kUser, IndexTerm{attr, IndexValue::Integer(i % 3)}, Id(i)));
                  }
                  SCIMD_RETURN_IF_ERROR(txn.PutResource(kUser, Id(200), "new"));
                  SCIMD_RETURN_IF_ERROR(txn.PutResource(kUser, Id(kN + 1), "new"));
                  for (uint64_t i = 1; i <= kN; i += 3) {  // every id holding value 1
                    SCIMD_RETURN_IF_ERROR(
                        txn.RemoveIndex(kUser, IndexTerm{attr, IndexValue::Integer(1)}, Id(i)));
                  }
                  return txn.AddIndex(kUser, IndexTerm{attr, IndexValue::Integer(-7)}, Id(1));
                }).ok());
  };

  std::vector<ResourceId> ids;
  size_t old_values = 0;
  ASSERT_TRUE(store_
                  ->ScanResources(1, kUser, std::nullopt,
                                  [&](const ResourceId& id, std::string_view value) {
                                    if (ids.empty()) meanwhile();
                                    ids.push_back(id);
                                    old_values += value == "old";
                                    return true;
                                  })
                  .ok());
  EXPECT_EQ(ids.size(), kN);
  EXPECT_EQ(old_values, kN);
  EXPECT_EQ(ids.back(), Id(kN));
  EXPECT_EQ(ScanAll(1, kUser).size(), kN - 3 + 1);  // the next scan sees the commit

  // Again over members, and a descending walk, which reads between visits.
  std::vector<ResourceId> members;
  ASSERT_TRUE(store_
                  ->ScanMembers(1, g, std::nullopt,
                                [&](const ResourceId& id, ResourceType, std::string_view) {
                                  if (members.empty()) {
                                    EXPECT_TRUE(
                                        RunTxn(*store_, 1, [&](Transaction& txn) -> Status {
                                          SCIMD_RETURN_IF_ERROR(txn.RemoveAllMembers(g).status());
                                          return txn.AddMember(g, Id(kN + 1), kUser).status();
                                        }).ok());
                                  }
                                  members.push_back(id);
                                  return true;
                                })
                  .ok());
  ASSERT_EQ(members.size(), kN);
  EXPECT_EQ(members.back(), Id(kN));
  EXPECT_EQ(Members(1, g), std::vector{Id(kN + 1)});

  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) -> Status {
                for (uint64_t i = 1; i <= kN; i += 3) {
                  SCIMD_RETURN_IF_ERROR(
                      txn.AddIndex(kUser, IndexTerm{attr, IndexValue::Integer(1)}, Id(i)));
                }
                return txn.RemoveIndex(kUser, IndexTerm{attr, IndexValue::Integer(-7)}, Id(1));
              }).ok());
  std::vector<std::pair<int64_t, ResourceId>> values;
  ASSERT_TRUE(store_
                  ->ScanIndexValuesDescending(1, kUser, attr, IndexValue::Kind::kInteger,
                                              [&](const IndexValue& v, const ResourceId& id) {
                                                if (values.empty()) meanwhile();
                                                values.emplace_back(v.integer, id);
                                                return true;
                                              })
                  .ok());
  // Meanwhile removes every entry of value 1 and adds -7: the walk still sees 1, not -7.
  const std::vector<std::pair<int64_t, ResourceId>> want = {
      {2, Id(296)}, {1, Id(298)}, {0, Id(300)}};
  EXPECT_EQ(values, want);
}

TEST_P(StoreContractTest, UniqueClaims) {
  const IndexTerm name{1, IndexValue::String("alice")};
  auto claim = [&](const ResourceId& id) {
    return RunTxn(*store_, 1, [&](Transaction& txn) { return txn.ClaimUnique(kUser, name, id); });
  };
  EXPECT_FALSE(store_->LookupUnique(1, kUser, name)->has_value());
  EXPECT_TRUE(claim(Id(1)).ok());
  EXPECT_EQ(**store_->LookupUnique(1, kUser, name), Id(1));
  EXPECT_TRUE(claim(Id(1)).ok());  // re-claim by the holder
  EXPECT_TRUE(claim(Id(2)).Is(Status::Code::kUniqueness));
  // Other type, attr and tenant are other namespaces.
  EXPECT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                return txn.ClaimUnique(kGroup, name, Id(2));
              }).ok());
  EXPECT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                return txn.ClaimUnique(kUser, IndexTerm{2, name.value}, Id(2));
              }).ok());
  EXPECT_TRUE(RunTxn(*store_, 2, [&](Transaction& txn) {
                return txn.ClaimUnique(kUser, name, Id(2));
              }).ok());
  EXPECT_TRUE(
      RunTxn(*store_, 1, [&](Transaction& txn) { return txn.ReleaseUnique(kUser, name); }).ok());
  EXPECT_FALSE(store_->LookupUnique(1, kUser, name)->has_value());
  EXPECT_TRUE(claim(Id(2)).ok());
  EXPECT_EQ(**store_->LookupUnique(1, kUser, name), Id(2));

  // An uncommitted claim locks the value even though it is absent from the store.
  const IndexTerm bob{1, IndexValue::String("bob")};
  auto a = store_->Begin(1);
  auto b = store_->Begin(1);
  ASSERT_TRUE(a->ClaimUnique(kUser, bob, Id(10)).ok());
  EXPECT_TRUE(b->ClaimUnique(kUser, bob, Id(11)).Is(Status::Code::kBusy));
  a.reset();  // rollback frees it
  EXPECT_TRUE(b->ClaimUnique(kUser, bob, Id(11)).ok());
}

TEST_P(StoreContractTest, RacingClaimsOnOneValueHaveExactlyOneWinner) {
  constexpr int kRounds = 200;
  int busy_total = 0;
  for (int round = 0; round < kRounds; ++round) {
    const IndexTerm term{1, IndexValue::String("user" + std::to_string(round))};
    Status results[2];
    int busy[2] = {0, 0};
    std::thread threads[2];
    std::atomic<int> ready{0};
    for (int t = 0; t < 2; ++t) {
      threads[t] = std::thread([&, t] {
        const ResourceId id = Id(round, t + 1);
        // Start both claims at the same moment so that they really overlap.
        ready.fetch_add(1);
        while (ready.load() < 2) {
        }
        results[t] = RunTxn(
            *store_, 1,
            [&](Transaction& txn) {
              SCIMD_RETURN_IF_ERROR(txn.ClaimUnique(kUser, term, id));
              return txn.PutResource(kUser, id, "x");
            },
            &busy[t]);
      });
    }
    for (auto& th : threads) th.join();
    busy_total += busy[0] + busy[1];
    const int ok = results[0].ok() + results[1].ok();
    ASSERT_EQ(ok, 1) << results[0].ToString() << " / " << results[1].ToString();
    const int loser = results[0].ok() ? 1 : 0;
    ASSERT_TRUE(results[loser].Is(Status::Code::kUniqueness)) << results[loser].ToString();
    EXPECT_EQ(**store_->LookupUnique(1, kUser, term), Id(round, loser == 0 ? 2 : 1));
  }
  EXPECT_EQ(ScanAll(1, kUser).size(), static_cast<size_t>(kRounds));
  RecordProperty("busy_retries", busy_total);
  std::printf("racing claims: %d busy retries over %d rounds\n", busy_total, kRounds);
}

TEST_P(StoreContractTest, MembersAreIdempotentExactAndBidirectional) {
  const ResourceId g = Id(100);
  auto add = [&](const ResourceId& m, ResourceType type) {
    bool changed = false;
    EXPECT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                  SCIMD_ASSIGN_OR_RETURN(changed, txn.AddMember(g, m, type));
                  return Status::Ok();
                }).ok());
    return changed;
  };
  auto remove = [&](const ResourceId& m) {
    bool changed = false;
    EXPECT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                  SCIMD_ASSIGN_OR_RETURN(changed, txn.RemoveMember(g, m));
                  return Status::Ok();
                }).ok());
    return changed;
  };
  EXPECT_EQ(MemberCount(1, g), 0u);
  EXPECT_TRUE(add(Id(3), kUser));
  EXPECT_FALSE(add(Id(3), kUser));
  EXPECT_TRUE(add(Id(1), kGroup));
  EXPECT_TRUE(add(Id(2), kUser));
  EXPECT_EQ(MemberCount(1, g), 3u);
  EXPECT_EQ(Members(1, g), (std::vector{Id(1), Id(2), Id(3)}));
  EXPECT_EQ(Members(1, g, Id(1)), (std::vector{Id(2), Id(3)}));
  EXPECT_EQ(MemberOf(1, Id(1)), std::vector{g});
  std::vector<ResourceType> types;
  ASSERT_TRUE(store_
                  ->ScanMembers(1, g, std::nullopt,
                                [&](const ResourceId&, ResourceType t, std::string_view) {
                                  types.push_back(t);
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(types, (std::vector{kGroup, kUser, kUser}));

  EXPECT_TRUE(remove(Id(3)));
  EXPECT_FALSE(remove(Id(3)));
  EXPECT_FALSE(remove(Id(99)));
  EXPECT_EQ(MemberCount(1, g), 2u);
  EXPECT_EQ(Members(1, g), (std::vector{Id(1), Id(2)}));
  EXPECT_EQ(MemberOf(1, Id(3)), std::vector<ResourceId>{});

  // Add and remove in one transaction: no net change, count untouched.
  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                SCIMD_ASSIGN_OR_RETURN(bool added, txn.AddMember(g, Id(7), kUser));
                EXPECT_TRUE(added);
                SCIMD_ASSIGN_OR_RETURN(bool again, txn.AddMember(g, Id(7), kUser));
                EXPECT_FALSE(again);
                SCIMD_ASSIGN_OR_RETURN(bool removed, txn.RemoveMember(g, Id(7)));
                EXPECT_TRUE(removed);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(MemberCount(1, g), 2u);
}

TEST_P(StoreContractTest, RemoveAllMembersAndRemoveFromAllGroups) {
  const ResourceId g1 = Id(1001), g2 = Id(1002), g3 = Id(1003), m = Id(7);
  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                for (uint64_t i = 0; i < 50; ++i) {
                  SCIMD_RETURN_IF_ERROR(txn.AddMember(g1, Id(i), kUser).status());
                }
                SCIMD_RETURN_IF_ERROR(txn.AddMember(g2, m, kUser).status());
                SCIMD_RETURN_IF_ERROR(txn.AddMember(g2, Id(8), kUser).status());
                return txn.AddMember(g3, m, kUser).status();
              }).ok());
  EXPECT_EQ(MemberCount(1, g1), 50u);
  EXPECT_EQ(MemberOf(1, m), (std::vector{g1, g2, g3}));

  ASSERT_TRUE(
      RunTxn(*store_, 1, [&](Transaction& txn) { return txn.RemoveFromAllGroups(m); }).ok());
  EXPECT_EQ(MemberOf(1, m), std::vector<ResourceId>{});
  EXPECT_EQ(MemberCount(1, g1), 49u);
  EXPECT_EQ(MemberCount(1, g2), 1u);
  EXPECT_EQ(MemberCount(1, g3), 0u);
  EXPECT_EQ(Members(1, g2), std::vector{Id(8)});

  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                // Sees its own uncommitted edge too.
                SCIMD_RETURN_IF_ERROR(txn.AddMember(g1, Id(500), kGroup).status());
                return txn.RemoveAllMembers(g1).status();
              }).ok());
  EXPECT_EQ(MemberCount(1, g1), 0u);
  EXPECT_EQ(Members(1, g1), std::vector<ResourceId>{});
  for (uint64_t i = 0; i < 50; ++i) {
    if (i == 7) continue;
    EXPECT_EQ(MemberOf(1, Id(i)), i == 8 ? std::vector{g2} : std::vector<ResourceId>{});
  }
  EXPECT_EQ(MemberOf(1, Id(500)), std::vector<ResourceId>{});
  // Empty cases are fine.
  EXPECT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                SCIMD_RETURN_IF_ERROR(txn.RemoveAllMembers(g1).status());
                return txn.RemoveFromAllGroups(Id(12345));
              }).ok());
  EXPECT_EQ(MemberCount(1, g1), 0u);
}

TEST_P(StoreContractTest, TenantsAreIsolated) {
  const ResourceId u = Id(1), g = Id(2);
  const IndexTerm term{1, IndexValue::String("same")};
  for (core::TenantId t : {1u, 2u}) {
    ASSERT_TRUE(RunTxn(*store_, t, [&](Transaction& txn) {
                  SCIMD_RETURN_IF_ERROR(txn.PutResource(kUser, u, "tenant" + std::to_string(t)));
                  SCIMD_RETURN_IF_ERROR(txn.AdjustResourceCount(kUser, t));
                  SCIMD_RETURN_IF_ERROR(txn.AddIndex(kUser, term, u));
                  SCIMD_RETURN_IF_ERROR(txn.AddPresence(kUser, 1, u));
                  SCIMD_RETURN_IF_ERROR(txn.ClaimUnique(kUser, term, t == 1 ? u : g));
                  if (t == 1) return txn.AddMember(g, u, kUser).status();
                  return Status::Ok();
                }).ok());
  }
  EXPECT_EQ(*store_->GetResource(1, kUser, u), "tenant1");
  EXPECT_EQ(*store_->GetResource(2, kUser, u), "tenant2");
  EXPECT_EQ(ResourceCount(1, kUser), 1u);
  EXPECT_EQ(ResourceCount(2, kUser), 2u);
  EXPECT_EQ(Eq(1, kUser, term), std::vector{u});
  EXPECT_EQ(Eq(3, kUser, term), std::vector<ResourceId>{});
  EXPECT_EQ(**store_->LookupUnique(1, kUser, term), u);
  EXPECT_EQ(**store_->LookupUnique(2, kUser, term), g);
  EXPECT_EQ(MemberCount(1, g), 1u);
  EXPECT_EQ(MemberCount(2, g), 0u);
  EXPECT_EQ(Members(2, g), std::vector<ResourceId>{});
  EXPECT_EQ(MemberOf(2, u), std::vector<ResourceId>{});
  EXPECT_EQ(ScanAll(2, kUser), std::vector{u});
  // Tenant 0xFFFFFFFF (the last prefix) scans correctly too.
  ASSERT_TRUE(Create(0xFFFFFFFF, kGroup, Id(9), "last").ok());
  EXPECT_EQ(ScanAll(0xFFFFFFFF, kGroup), std::vector{Id(9)});
  EXPECT_EQ(ScanAll(0xFFFFFFFF, kUser), std::vector<ResourceId>{});
}

TEST_P(StoreContractTest, TenantsCrud) {
  auto acme = store_->CreateTenant("acme");
  ASSERT_TRUE(acme.ok()) << acme.status().ToString();
  EXPECT_EQ(acme->id, 1u);
  EXPECT_GT(acme->created_unix, 1'600'000'000);
  auto qa = store_->CreateTenant("acme.qa");
  ASSERT_TRUE(qa.ok());
  EXPECT_EQ(qa->id, 2u);
  EXPECT_TRUE(store_->CreateTenant("acme").status().Is(Status::Code::kUniqueness));
  EXPECT_TRUE(store_->CreateTenant("").status().Is(Status::Code::kInvalidValue));

  auto found = store_->FindTenant("acme.qa");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, 2u);
  EXPECT_FALSE(store_->FindTenant("acme.q")->has_value());
  EXPECT_EQ((*store_->GetTenant(1))->name, "acme");
  EXPECT_FALSE(store_->GetTenant(3)->has_value());

  ASSERT_TRUE(store_->PutTenantSettings(2, {{"deletePolicy", "soft"}}).ok());
  EXPECT_EQ((*store_->GetTenant(2))->settings.at("deletePolicy"), "soft");
  EXPECT_EQ((*store_->FindTenant("acme.qa"))->settings.size(), 1u);
  EXPECT_TRUE(store_->PutTenantSettings(9, {}).Is(Status::Code::kNotFound));

  auto list = store_->ListTenants();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "acme");
  EXPECT_EQ((*list)[1].name, "acme.qa");
}

TEST_P(StoreContractTest, ConcurrentTenantCreationHandsOutDistinctIds) {
  std::vector<std::thread> threads;
  std::vector<std::vector<core::TenantId>> ids(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string name = std::to_string(t) + "-" + std::to_string(i) + ".example";
        for (;;) {
          auto r = store_->CreateTenant(name);
          if (r.status().Is(Status::Code::kBusy)) continue;
          ASSERT_TRUE(r.ok()) << r.status().ToString();
          ids[t].push_back(r->id);
          break;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<core::TenantId> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), 100u);
  EXPECT_EQ(store_->ListTenants()->size(), 100u);
}

TEST_P(StoreContractTest, TokensCrud) {
  ASSERT_TRUE(store_->CreateTenant("a").ok());
  ASSERT_TRUE(store_->CreateTenant("b").ok());
  core::TokenRecord t1{"00000000000000a1", std::string(32, '\x01'), 1, 1700000000};
  core::TokenRecord t2{"00000000000000a2", std::string(32, '\x02'), 1, 1700000001};
  core::TokenRecord t3{"00000000000000b1", std::string(32, '\x03'), 2, 1700000002};
  for (const auto& t : {t1, t2, t3}) ASSERT_TRUE(store_->PutToken(t).ok());

  auto got = store_->LookupToken(t2.token_id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->hash, t2.hash);
  EXPECT_EQ((*got)->tenant, 1u);
  EXPECT_EQ((*got)->created_unix, t2.created_unix);
  EXPECT_FALSE(store_->LookupToken("nope")->has_value());

  auto list = store_->ListTokens(1);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].token_id, t1.token_id);
  EXPECT_EQ((*list)[1].token_id, t2.token_id);
  EXPECT_EQ(store_->ListTokens(2)->size(), 1u);
  EXPECT_EQ(store_->ListTokens(3)->size(), 0u);

  // Re-putting a token under another tenant moves it.
  t2.tenant = 2;
  ASSERT_TRUE(store_->PutToken(t2).ok());
  EXPECT_EQ(store_->ListTokens(1)->size(), 1u);
  EXPECT_EQ(store_->ListTokens(2)->size(), 2u);

  ASSERT_TRUE(DeleteToken(t1.token_id).ok());
  EXPECT_TRUE(DeleteToken(t1.token_id).Is(Status::Code::kNotFound));
  EXPECT_FALSE(store_->LookupToken(t1.token_id)->has_value());
  EXPECT_EQ(store_->ListTokens(1)->size(), 0u);

  core::TokenRecord bad = t3;
  bad.hash = "short";
  EXPECT_TRUE(store_->PutToken(bad).Is(Status::Code::kInvalidValue));
  bad = t3;
  bad.token_id = "";
  EXPECT_TRUE(store_->PutToken(bad).Is(Status::Code::kInvalidValue));
  bad = t3;
  bad.tenant = 42;
  EXPECT_TRUE(store_->PutToken(bad).Is(Status::Code::kNotFound));
}

TEST_P(StoreContractTest, EightThreadsAddingMembersToOneGroupKeepAnExactCount) {
  constexpr int kThreads = 8, kPerThread = 1000;
  const ResourceId g = Id(1);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0}, busy{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int retries = 0;
      for (int i = 0; i < kPerThread; ++i) {
        const ResourceId m = Id(1000 + i, t + 1);
        Status s = RunTxn(
            *store_, 1,
            [&](Transaction& txn) {
              SCIMD_ASSIGN_OR_RETURN(bool added, txn.AddMember(g, m, kUser));
              return added ? Status::Ok() : Status::Internal("edge existed");
            },
            &retries);
        if (!s.ok()) ++failures;
      }
      busy += retries;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(MemberCount(1, g), uint64_t{kThreads * kPerThread});
  EXPECT_EQ(Members(1, g).size(), size_t{kThreads * kPerThread});
  RecordProperty("busy_retries", busy.load());
  std::printf("8x1000 members: %d busy retries\n", busy.load());
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest,
                         ::testing::Values(StoreKind::kRocks, StoreKind::kMem),
                         testing::StoreKindName);

}  // namespace
}  // namespace scimd::storage
