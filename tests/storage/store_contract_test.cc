// The contract of core::Store (core/base/store.h), run against every implementation:
// RocksStore in a fresh temporary directory and MemStore. Resources, scans, counters,
// indexes, uniqueness, and the lock conflicts and races between transactions; membership,
// tenants and tokens are in store_membership_contract_test.cc, RocksDB-only behaviour in
// rocks_store_test.cc.
#include "tests/storage/store_contract.h"

#include "storage/resource_generations.h"

namespace scimd::storage {
namespace {

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

// The write probe of /readyz takes writes and leaves no trace in any tenant.
TEST_P(StoreContractTest, ProbeWriteSucceedsAndIsInvisibleToTenants) {
  ASSERT_TRUE(Create(1, kUser, Id(1), "a").ok());
  ASSERT_TRUE(store_->ProbeWrite().ok());
  ASSERT_TRUE(store_->ProbeWrite().ok());
  auto tenants = store_->ListTenants();
  ASSERT_TRUE(tenants.ok());
  const size_t tenants_before = tenants->size();
  auto count = store_->CountResources(1, kUser);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1u);
  size_t seen = 0;
  ASSERT_TRUE(store_
                  ->ScanResources(1, kUser, std::nullopt,
                                  [&](const ResourceId&, std::string_view) {
                                    ++seen;
                                    return true;
                                  })
                  .ok());
  EXPECT_EQ(seen, 1u);
  EXPECT_EQ(store_->ListTenants()->size(), tenants_before);
}

TEST_P(StoreContractTest, GetResourcesReadsABatchInIdOrder) {
  for (int i : {1, 3, 4, 7}) ASSERT_TRUE(Create(1, kUser, Id(i), "v" + std::to_string(i)).ok());
  ASSERT_TRUE(Create(1, kGroup, Id(2), "group").ok());
  ASSERT_TRUE(Create(2, kUser, Id(5), "other tenant").ok());
  using Seen = std::vector<std::pair<ResourceId, std::string>>;
  Seen seen;
  auto visit = [&](const ResourceId& id, std::optional<std::string_view> value) {
    seen.emplace_back(id, value ? std::string(*value) : "-");
    return true;
  };
  const std::vector<ResourceId> ids = {Id(1), Id(2), Id(3), Id(4), Id(5), Id(7), Id(9)};
  ASSERT_TRUE(store_->GetResources(1, kUser, ids, visit).ok());
  // Each id in turn, with what GetResource says: a group's id (2) and another tenant's
  // user (5) are not this tenant's users.
  EXPECT_EQ(seen, (Seen{{Id(1), "v1"},
                        {Id(2), "-"},
                        {Id(3), "v3"},
                        {Id(4), "v4"},
                        {Id(5), "-"},
                        {Id(7), "v7"},
                        {Id(9), "-"}}));
  // false from the visitor stops; an empty batch visits nothing
  seen.clear();
  ASSERT_TRUE(store_
                  ->GetResources(1, kUser, ids,
                                 [&](const ResourceId& id, std::optional<std::string_view> v) {
                                   visit(id, v);
                                   return seen.size() < 2;
                                 })
                  .ok());
  EXPECT_EQ(seen.size(), 2u);
  seen.clear();
  ASSERT_TRUE(store_->GetResources(1, kUser, {}, visit).ok());
  EXPECT_TRUE(seen.empty());
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

TEST_P(StoreContractTest, IndexEntriesTakeNoLockAndTheLaterCommitWins) {
  // Index and presence entries contain the resource id, so only writers of that resource
  // meet on them, and those already meet on its key: the entries themselves are not locked
  // (what keeps a /Bulk batch of 1,000 creates cheap). Two open transactions writing the
  // same entries both go on, and the one that commits last decides.
  const IndexTerm term{1, IndexValue::String("ann")};
  for (bool remover_last : {true, false}) {
    SCOPED_TRACE(remover_last ? "remover commits last" : "adder commits last");
    {
      auto seed = store_->Begin(1);
      ASSERT_TRUE(seed->AddIndex(kUser, term, Id(1)).ok());
      ASSERT_TRUE(seed->AddPresence(kUser, 1, Id(1)).ok());
      ASSERT_TRUE(seed->Commit().ok());
    }
    auto adder = store_->Begin(1);
    auto remover = store_->Begin(1);
    ASSERT_TRUE(remover->RemoveIndex(kUser, term, Id(1)).ok());
    ASSERT_TRUE(remover->RemovePresence(kUser, 1, Id(1)).ok());
    ASSERT_TRUE(adder->AddIndex(kUser, term, Id(1)).ok());  // not Busy
    ASSERT_TRUE(adder->AddPresence(kUser, 1, Id(1)).ok());
    // Within one transaction the calls apply in order: add after remove leaves it present.
    ASSERT_TRUE(adder->RemoveIndex(kUser, term, Id(1)).ok());
    ASSERT_TRUE(adder->AddIndex(kUser, term, Id(1)).ok());
    Transaction& first = remover_last ? *adder : *remover;
    Transaction& last = remover_last ? *remover : *adder;
    ASSERT_TRUE(first.Commit().ok());
    ASSERT_TRUE(last.Commit().ok());
    auto has = store_->HasIndexEntry(1, kUser, term, Id(1));
    auto present = store_->HasPresence(1, kUser, 1, Id(1));
    ASSERT_TRUE(has.ok() && present.ok());
    EXPECT_EQ(*has, !remover_last);
    EXPECT_EQ(*present, !remover_last);
  }
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

TEST_P(StoreContractTest, ResourceSetGenerationMovesExactlyWhenTheSetOfIdsMay) {
  auto gen = [&](core::TenantId t, ResourceType type) {
    std::optional<uint64_t> g = store_->ResourceSetGeneration(t, type);
    EXPECT_TRUE(g.has_value());  // no commit in flight here
    return g.value_or(0);
  };
  uint64_t users = gen(1, kUser);
  EXPECT_EQ(gen(1, kUser), users);  // reading changes nothing
  // A create (resource and count in one commit).
  ASSERT_TRUE(Create(1, kUser, Id(1), "v1").ok());
  EXPECT_NE(gen(1, kUser), users);
  users = gen(1, kUser);
  // Replacing a resource, index and presence entries, members: the set stays.
  ASSERT_TRUE(
      RunTxn(*store_, 1, [&](Transaction& txn) {
        SCIMD_RETURN_IF_ERROR(txn.PutResource(kUser, Id(1), "v2"));
        SCIMD_RETURN_IF_ERROR(txn.AddIndex(kUser, IndexTerm{1, IndexValue::String("a")}, Id(1)));
        SCIMD_RETURN_IF_ERROR(txn.AddPresence(kUser, 2, Id(1)));
        return txn.AddMember(Id(50), Id(1), kUser).status();
      }).ok());
  EXPECT_EQ(gen(1, kUser), users);
  // A transaction destroyed without Commit.
  {
    auto txn = store_->Begin(1);
    ASSERT_TRUE(txn->PutResource(kUser, Id(2), "x").ok());
    ASSERT_TRUE(txn->AdjustResourceCount(kUser, 1).ok());
  }
  EXPECT_EQ(gen(1, kUser), users);
  // A delete.
  ASSERT_TRUE(RunTxn(*store_, 1, [&](Transaction& txn) {
                SCIMD_RETURN_IF_ERROR(txn.DeleteResource(kUser, Id(1)));
                return txn.AdjustResourceCount(kUser, -1);
              }).ok());
  EXPECT_NE(gen(1, kUser), users);
  users = gen(1, kUser);
  // A bulk load.
  {
    auto load = store_->BeginBulkLoad(1);
    ASSERT_TRUE(load.ok()) << load.status().ToString();
    ASSERT_TRUE((*load)->PutResource(kUser, Id(3), "loaded").ok());
    ASSERT_TRUE((*load)->AdjustResourceCount(kUser, 1).ok());
    ASSERT_TRUE((*load)->Commit().ok());
  }
  EXPECT_NE(gen(1, kUser), users);
  users = gen(1, kUser);
  // A group's create moves the groups' generation.
  const uint64_t groups = gen(1, kGroup);
  ASSERT_TRUE(Create(1, kGroup, Id(50), "g").ok());
  EXPECT_NE(gen(1, kGroup), groups);
  // Deleting the tenant moves both.
  const uint64_t groups_before_delete = gen(1, kGroup);
  ASSERT_TRUE(store_->DeleteTenant(1).ok());
  EXPECT_NE(gen(1, kUser), users);
  EXPECT_NE(gen(1, kGroup), groups_before_delete);
  EXPECT_TRUE(ScanAll(1, kUser).empty());
}

// The stripes themselves: "changing" while a commit is under way, a new value after.
TEST(ResourceGenerationsTest, NulloptWhileAChangeIsInFlight) {
  ResourceGenerations gens;
  const std::optional<uint64_t> start = gens.Get(7, kUser);
  ASSERT_TRUE(start.has_value());
  {
    ResourceGenerations::Change a(&gens, 7, ResourceGenerations::Bit(kUser));
    EXPECT_FALSE(gens.Get(7, kUser).has_value());
    {
      ResourceGenerations::Change b(&gens, 7, ResourceGenerations::kAllTypes);
      EXPECT_FALSE(gens.Get(7, kUser).has_value());
      EXPECT_FALSE(gens.Get(7, kGroup).has_value());
    }
    EXPECT_FALSE(gens.Get(7, kUser).has_value());  // a is still in flight
  }
  ASSERT_TRUE(gens.Get(7, kUser).has_value());
  EXPECT_NE(*gens.Get(7, kUser), *start);
  EXPECT_GT(*gens.Get(7, kUser), *start);
  // An empty mask changes nothing.
  const uint64_t now = *gens.Get(7, kUser);
  { ResourceGenerations::Change none(&gens, 7, 0); }
  EXPECT_EQ(gens.Get(7, kUser), now);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest,
                         ::testing::Values(StoreKind::kRocks, StoreKind::kMem),
                         testing::StoreKindName);

}  // namespace
}  // namespace scimd::storage
