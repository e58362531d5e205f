// The contract of core::Store, continued (store_contract_test.cc instantiates the suite
// for RocksStore and MemStore): membership edges, tenant isolation, tenants and tokens,
// and members added from eight threads at once.
#include "tests/storage/store_contract.h"

namespace scimd::storage {
namespace {

// A token record of the defaults but for these fields.
core::TokenRecord Token(std::string id, char hash, core::TenantId tenant, int64_t created) {
  core::TokenRecord t;
  t.token_id = std::move(id);
  t.hash = std::string(32, hash);
  t.tenant = tenant;
  t.created_unix = created;
  return t;
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

TEST_P(StoreContractTest, DeleteTenantRemovesEverythingItHolds) {
  auto a = store_->CreateTenant("a");
  auto b = store_->CreateTenant("b");
  ASSERT_TRUE(a.ok() && b.ok());
  const ResourceId u = Id(1), g = Id(2);
  const IndexTerm term{1, IndexValue::String("x")};
  for (core::TenantId t : {a->id, b->id}) {
    ASSERT_TRUE(RunTxn(*store_, t, [&](Transaction& txn) {
                  SCIMD_RETURN_IF_ERROR(txn.PutResource(kUser, u, "v"));
                  SCIMD_RETURN_IF_ERROR(txn.PutResource(kGroup, g, "g"));
                  SCIMD_RETURN_IF_ERROR(txn.AdjustResourceCount(kUser, 1));
                  SCIMD_RETURN_IF_ERROR(txn.AddIndex(kUser, term, u));
                  SCIMD_RETURN_IF_ERROR(txn.AddPresence(kUser, 1, u));
                  SCIMD_RETURN_IF_ERROR(txn.ClaimUnique(kUser, term, u));
                  return txn.AddMember(g, u, kUser).status();
                }).ok());
    ASSERT_TRUE(
        store_->PutToken(Token("00000000000000" + std::to_string(10 + t), 'h', t, 1700000000))
            .ok());
    ASSERT_TRUE(store_->AppendActivity({{t, 1, "entry"}}).ok());
  }
  auto deleted = store_->DeleteTenant(a->id);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_TRUE(*deleted);
  EXPECT_FALSE(store_->GetTenant(a->id)->has_value());
  EXPECT_FALSE(store_->FindTenant("a")->has_value());
  EXPECT_TRUE(store_->GetResource(a->id, kUser, u).status().Is(Status::Code::kNotFound));
  EXPECT_EQ(ScanAll(a->id, kUser), std::vector<ResourceId>{});
  EXPECT_EQ(ResourceCount(a->id, kUser), 0u);
  EXPECT_EQ(Eq(a->id, kUser, term), std::vector<ResourceId>{});
  EXPECT_FALSE(store_->LookupUnique(a->id, kUser, term)->has_value());
  EXPECT_EQ(MemberCount(a->id, g), 0u);
  EXPECT_EQ(MemberOf(a->id, u), std::vector<ResourceId>{});
  EXPECT_EQ(store_->ListTokens(a->id)->size(), 0u);
  EXPECT_FALSE(store_->LookupToken("00000000000000" + std::to_string(10 + a->id))->has_value());
  EXPECT_EQ(*store_->LastActivitySequence(a->id), 0u);
  EXPECT_EQ(store_->ListTenants()->size(), 1u);
  // The other tenant keeps everything.
  EXPECT_EQ(*store_->GetResource(b->id, kUser, u), "v");
  EXPECT_EQ(ResourceCount(b->id, kUser), 1u);
  EXPECT_EQ(MemberCount(b->id, g), 1u);
  EXPECT_EQ(store_->ListTokens(b->id)->size(), 1u);
  EXPECT_EQ(*store_->LastActivitySequence(b->id), 1u);
  // Again: nothing left, no error; and a deleted tenant's id and name are not reused
  // as ids (the name is free again).
  EXPECT_FALSE(*store_->DeleteTenant(a->id));
  auto again = store_->CreateTenant("a");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->id, a->id);
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
  core::TokenRecord t1 = Token("00000000000000a1", '\x01', 1, 1700000000);
  core::TokenRecord t2 = Token("00000000000000a2", '\x02', 1, 1700000001);
  core::TokenRecord t3 = Token("00000000000000b1", '\x03', 2, 1700000002);
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

TEST_P(StoreContractTest, UpdateTokenChangesOneRecordAtomically) {
  ASSERT_TRUE(store_->CreateTenant("a").ok());
  core::TokenRecord t = Token("00000000000000c1", '\x04', 1, 1700000000);
  ASSERT_TRUE(store_->PutToken(t).ok());
  ASSERT_TRUE(store_
                  ->UpdateToken(t.token_id,
                                [](core::TokenRecord& r) {
                                  r.expires_unix = 1800000000;
                                  r.last_used_unix = 1700000100;
                                  return Status::Ok();
                                })
                  .ok());
  auto got = store_->LookupToken(t.token_id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->expires_unix, 1800000000);
  EXPECT_EQ((*got)->last_used_unix, 1700000100);
  EXPECT_EQ((*got)->hash, t.hash);
  EXPECT_EQ(store_->ListTokens(1)->size(), 1u);

  // An error from the change, a move to another tenant or a bad record write nothing.
  EXPECT_TRUE(store_
                  ->UpdateToken(t.token_id,
                                [](core::TokenRecord& r) {
                                  r.expires_unix = 1;
                                  return Status::InvalidValue("no");
                                })
                  .Is(Status::Code::kInvalidValue));
  EXPECT_TRUE(store_
                  ->UpdateToken(t.token_id,
                                [](core::TokenRecord& r) {
                                  r.tenant = 2;
                                  return Status::Ok();
                                })
                  .Is(Status::Code::kInvalidValue));
  EXPECT_TRUE(store_
                  ->UpdateToken(t.token_id,
                                [](core::TokenRecord& r) {
                                  r.description = std::string(1000, 'x');
                                  return Status::Ok();
                                })
                  .Is(Status::Code::kInvalidValue));
  EXPECT_EQ((*store_->LookupToken(t.token_id))->expires_unix, 1800000000);
  // No record, no write: an update never brings a revoked token back.
  ASSERT_TRUE(DeleteToken(t.token_id).ok());
  bool called = false;
  EXPECT_TRUE(store_
                  ->UpdateToken(t.token_id,
                                [&](core::TokenRecord&) {
                                  called = true;
                                  return Status::Ok();
                                })
                  .Is(Status::Code::kNotFound));
  EXPECT_FALSE(called);
  EXPECT_FALSE(store_->LookupToken(t.token_id)->has_value());
}

TEST_P(StoreContractTest, ActivityEntriesPerTenantNewestFirstAndPruned) {
  EXPECT_EQ(*store_->LastActivitySequence(1), 0u);
  std::vector<core::ActivityWrite> writes;
  for (uint64_t s = 1; s <= 5; ++s) writes.push_back({1, s, "t1-" + std::to_string(s)});
  writes.push_back({2, 1, "t2-1"});
  ASSERT_TRUE(store_->AppendActivity(writes).ok());
  EXPECT_EQ(*store_->LastActivitySequence(1), 5u);
  EXPECT_EQ(*store_->LastActivitySequence(2), 1u);
  EXPECT_EQ(*store_->LastActivitySequence(3), 0u);
  auto collect = [&](core::TenantId t, uint64_t before, size_t max) {
    std::vector<std::string> out;
    EXPECT_TRUE(store_
                    ->ScanActivity(t, before,
                                   [&](uint64_t, std::string_view v) {
                                     out.emplace_back(v);
                                     return out.size() < max;
                                   })
                    .ok());
    return out;
  };
  EXPECT_EQ(collect(1, 0, 10), (std::vector<std::string>{"t1-5", "t1-4", "t1-3", "t1-2", "t1-1"}));
  EXPECT_EQ(collect(1, 4, 2), (std::vector<std::string>{"t1-3", "t1-2"}));  // a page below 4
  EXPECT_EQ(collect(1, 1, 10), std::vector<std::string>{});
  EXPECT_EQ(collect(2, 0, 10), std::vector<std::string>{"t2-1"});
  std::vector<uint64_t> oldest;
  ASSERT_TRUE(store_
                  ->ScanActivityOldest(1,
                                       [&](uint64_t s, std::string_view) {
                                         oldest.push_back(s);
                                         return true;
                                       })
                  .ok());
  EXPECT_EQ(oldest, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  ASSERT_TRUE(store_->DeleteActivityBefore(1, 4).ok());
  EXPECT_EQ(collect(1, 0, 10), (std::vector<std::string>{"t1-5", "t1-4"}));
  EXPECT_EQ(collect(2, 0, 10), std::vector<std::string>{"t2-1"});  // other tenants untouched
  EXPECT_EQ(*store_->LastActivitySequence(1), 5u);
  EXPECT_TRUE(store_->AppendActivity({{1, 0, "x"}}).Is(Status::Code::kInvalidValue));
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

}  // namespace
}  // namespace scimd::storage
