// Unfiltered lists paged by startIndex (core/usecase/page_cursors.h, issue #18): every page
// is exactly the slice of a full scan at that moment, whether it resumed from a cursor or
// not, across creates and deletes between pages; a sequential walk reads O(count) rows per
// page. Over MemStore, which keeps Store::ResourceSetGeneration as RocksStore does.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/json.h"
#include "core/usecase/page_cursors.h"
#include "core/usecase/service.h"
#include "storage/mem_store.h"

namespace scimd::core {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000'000;

class ServicePagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tenant = store_.CreateTenant("acme");
    ASSERT_TRUE(tenant.ok()) << tenant.status().ToString();
    ctx_.tenant = tenant->id;
    ctx_.clock = &clock_;
  }

  ResourceId CreateUser(const std::string& name) {
    auto parsed = Json::Parse(R"({"userName":")" + name + "\"}");
    EXPECT_TRUE(parsed.ok());
    auto input = DecodeInput(ResourceType::kUser, *parsed, ctx_.settings.decode);
    EXPECT_TRUE(input.ok());
    auto w = service_.Create(ctx_, ResourceType::kUser, std::move(input).value());
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? w->resource.id : ResourceId();
  }
  // A user with a chosen id (a create between existing ids shifts later positions; ids
  // from Create always sort last). Written as Service::Create writes the set: resource
  // and count in one transaction.
  void PutUserWithId(const ResourceId& id) {
    auto txn = store_.Begin(ctx_.tenant);
    auto value = store_.GetResource(ctx_.tenant, ResourceType::kUser, FullScan().front());
    ASSERT_TRUE(value.ok());
    ASSERT_TRUE(txn->PutResource(ResourceType::kUser, id, *value).ok());
    ASSERT_TRUE(txn->AdjustResourceCount(ResourceType::kUser, 1).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  std::vector<ResourceId> FullScan() {
    std::vector<ResourceId> ids;
    EXPECT_TRUE(store_
                    .ScanResources(ctx_.tenant, ResourceType::kUser, std::nullopt,
                                   [&](const ResourceId& id, std::string_view) {
                                     ids.push_back(id);
                                     return true;
                                   })
                    .ok());
    return ids;
  }
  // The page as a full scan numbers it.
  std::vector<ResourceId> Expected(int64_t start, int64_t count) {
    const std::vector<ResourceId> all = FullScan();
    std::vector<ResourceId> slice;
    for (int64_t i = start; i < start + count && i <= static_cast<int64_t>(all.size()); ++i) {
      slice.push_back(all[static_cast<size_t>(i - 1)]);
    }
    return slice;
  }
  SearchResult Page(int64_t start, int64_t count) {
    SearchQuery q;
    q.types = {ResourceType::kUser};
    q.SetPage(start, count);
    auto r = service_.Search(ctx_, q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : SearchResult();
  }
  static std::vector<ResourceId> Ids(const SearchResult& r) {
    std::vector<ResourceId> ids;
    for (const auto& s : r.page) ids.push_back(s.id);
    return ids;
  }

  storage::MemStore store_;
  Service service_{store_};
  ManualClock clock_{kT0};
  RequestContext ctx_;
};

TEST_F(ServicePagingTest, SequentialPagesAreTheFullScanAndReadOnlyTheirRows) {
  for (int i = 0; i < 1000; ++i) CreateUser("u" + std::to_string(i));
  const std::vector<ResourceId> all = FullScan();
  ASSERT_EQ(all.size(), 1000u);
  std::vector<ResourceId> walked;
  for (int64_t start = 1; start <= 1000; start += 7) {
    const SearchResult r = Page(start, 7);
    EXPECT_EQ(r.total, 1000u);
    EXPECT_EQ(Ids(r), Expected(start, 7)) << "startIndex=" << start;
    // Every page after the first resumes where the previous one ended: no row skipped.
    if (start > 1) {
      EXPECT_EQ(r.rows_examined, r.page.size()) << "startIndex=" << start;
    }
    for (const auto& id : Ids(r)) walked.push_back(id);
  }
  EXPECT_EQ(walked, all);  // no duplicate, no miss
  // The same walk again (a client that starts over) costs the same, and a repeated page too.
  for (int64_t start = 8; start <= 1000; start += 7) {
    const SearchResult r = Page(start, 7);
    EXPECT_EQ(Ids(r), Expected(start, 7));
    EXPECT_LE(r.rows_examined, 7u);
  }
  // A page off the walk's grid skips from the nearest page end (497: 2 rows), and is then
  // remembered as "the row before 500".
  EXPECT_EQ(Page(500, 7).rows_examined, 9u);
  EXPECT_EQ(Page(500, 7).rows_examined, 7u);
}

TEST_F(ServicePagingTest, AWriteBetweenPagesGivesTheFreshScansPage) {
  for (int i = 0; i < 200; ++i) CreateUser("u" + std::to_string(i));
  EXPECT_EQ(Ids(Page(1, 10)), Expected(1, 10));
  EXPECT_EQ(Ids(Page(11, 10)), Expected(11, 10));

  // Delete a user the earlier pages showed: every later position moves down by one.
  const std::vector<ResourceId> before = FullScan();
  auto deleted = service_.Delete(ctx_, ResourceType::kUser, before[4], "");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(Ids(Page(21, 10)), Expected(21, 10));
  EXPECT_NE(Expected(21, 10).front(), before[20]);
  EXPECT_EQ(Ids(Page(31, 10)), Expected(31, 10));

  // A user whose id sorts first: every position moves up by one.
  PutUserWithId(ResourceId{});
  EXPECT_EQ(FullScan().front(), ResourceId{});
  EXPECT_EQ(Ids(Page(41, 10)), Expected(41, 10));
  EXPECT_EQ(Ids(Page(51, 10)), Expected(51, 10));

  // A create through the service (sorts last) between pages.
  CreateUser("late");
  EXPECT_EQ(Ids(Page(61, 10)), Expected(61, 10));
  EXPECT_EQ(Page(61, 10).total, 201u);

  // A soft delete changes no position: the cursors stay (and stay right).
  ctx_.settings.soft_delete = true;
  auto soft = service_.Delete(ctx_, ResourceType::kUser, FullScan()[70], "");
  ASSERT_TRUE(soft.ok()) << soft.status().ToString();
  EXPECT_TRUE(soft->soft);
  const SearchResult after_soft = Page(71, 10);
  EXPECT_EQ(Ids(after_soft), Expected(71, 10));
  EXPECT_EQ(after_soft.rows_examined, 10u);
}

TEST_F(ServicePagingTest, RandomJumpsAndWritesEqualTheFullScan) {
  for (int i = 0; i < 300; ++i) CreateUser("u" + std::to_string(i));
  std::mt19937_64 rng(18);
  int created = 0;
  for (int round = 0; round < 600; ++round) {
    const uint64_t op = rng() % 20;
    if (op == 0) {
      CreateUser("n" + std::to_string(created++));
    } else if (op == 1) {
      const std::vector<ResourceId> all = FullScan();
      auto d = service_.Delete(ctx_, ResourceType::kUser, all[rng() % all.size()], "");
      ASSERT_TRUE(d.ok()) << d.status().ToString();
    } else if (op == 2) {
      std::string id(16, '\0');
      for (char& c : id) c = static_cast<char>(rng());
      PutUserWithId(ResourceId::FromBytes(id));
    }
    const int64_t start = 1 + static_cast<int64_t>(rng() % 340);
    const int64_t count = static_cast<int64_t>(rng() % 25);
    EXPECT_EQ(Ids(Page(start, count)), Expected(start, count))
        << "round " << round << " startIndex=" << start << " count=" << count;
  }
}

TEST_F(ServicePagingTest, RootSearchPagesAcrossTypes) {
  for (int i = 0; i < 30; ++i) CreateUser("u" + std::to_string(i));
  std::vector<ResourceId> groups;
  for (int i = 0; i < 20; ++i) {
    auto parsed = Json::Parse(R"({"displayName":"g)" + std::to_string(i) + "\"}");
    auto input = DecodeInput(ResourceType::kGroup, *parsed, ctx_.settings.decode);
    ASSERT_TRUE(input.ok());
    auto w = service_.Create(ctx_, ResourceType::kGroup, std::move(input).value());
    ASSERT_TRUE(w.ok());
    groups.push_back(w->resource.id);
  }
  std::vector<ResourceId> expected = FullScan();
  for (const auto& g : groups) expected.push_back(g);
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<ResourceId> walked;
    for (int64_t start = 1; start <= 50; start += 7) {
      SearchQuery q;
      q.types = {ResourceType::kUser, ResourceType::kGroup};
      q.SetPage(start, 7);
      auto r = service_.Search(ctx_, q);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->total, 50u);
      for (const auto& s : r->page) walked.push_back(s.id);
    }
    EXPECT_EQ(walked, expected) << "pass " << pass;
  }
}

TEST(PageCursorsTest, BoundedAndDroppedWhenTheGenerationMoves) {
  PageCursors cursors;
  const ResourceType kUser = ResourceType::kUser;
  std::vector<PageCursors::Cursor> many;
  for (uint64_t p = 1; p <= kMaxCursorsPerList + 50; ++p) {
    ResourceId id;
    id.bytes[15] = static_cast<uint8_t>(p);
    many.push_back({p * 10, id});
  }
  cursors.Learn(1, kUser, 7, many);
  // The first kMaxCursorsPerList were kept (most valuable first), the rest dropped.
  auto found = cursors.Find(1, kUser, 7, 25);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->position, 20u);
  EXPECT_FALSE(cursors.Find(1, kUser, 7, 5).has_value());
  found = cursors.Find(1, kUser, 7, 1'000'000);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->position, kMaxCursorsPerList * 10);
  // Another generation: nothing, and the old list is gone.
  EXPECT_FALSE(cursors.Find(1, kUser, 8, 25).has_value());
  EXPECT_FALSE(cursors.Find(1, kUser, 7, 25).has_value());
  // At most kMaxPagingLists lists; the least recently used go.
  for (TenantId t = 0; t < kMaxPagingLists + 10; ++t) cursors.Learn(t, kUser, 1, {many[0]});
  EXPECT_EQ(cursors.lists(), kMaxPagingLists);
  EXPECT_FALSE(cursors.Find(0, kUser, 1, 100).has_value());
  EXPECT_TRUE(cursors.Find(kMaxPagingLists + 9, kUser, 1, 100).has_value());
}

}  // namespace
}  // namespace scimd::core
