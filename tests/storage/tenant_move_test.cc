// A tenant's move between two RocksStores (Store::BeginMoveOut / BeginMoveIn, the fence):
// the range from a snapshot plus the changes after it rebuild the tenant exactly (the
// same export bytes, check clean, counts, activity) under another tenant id, whatever was
// written meanwhile (creates, replaces, deletes, members, another tenant, the tenant's
// deletion); pages of any size give the same result; bad pages are refused; a fence
// refuses commits and returns only after the commits that began before it ended.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/resource/decode.h"
#include "core/scim/export.h"
#include "core/tenancy/tokens.h"
#include "core/usecase/check.h"
#include "core/usecase/patch.h"
#include "core/usecase/service.h"
#include "storage/rocks_store.h"
#include "tests/storage/store_test_util.h"
#include "tests/storage/test_util.h"

namespace scimd::storage::testing {
namespace {

using core::ResourceId;
using core::ResourceType;
using core::Status;

class TenantMoveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = RocksStore::Open(dir_.Sub("source"), {});
    auto b = RocksStore::Open(dir_.Sub("target"), {});
    ASSERT_TRUE(a.ok() && b.ok());
    source_ = std::move(a).value();
    target_ = std::move(b).value();
    // Tenant ids differ between the stores: the target has others first.
    ASSERT_TRUE(target_->CreateTenant("earlier").ok());
    auto t = source_->CreateTenant("acme");
    auto other = source_->CreateTenant("other");
    ASSERT_TRUE(t.ok() && other.ok());
    acme_.tenant = t->id;
    acme_.may_wait = true;
    other_.tenant = other->id;
    other_.may_wait = true;
    service_ = std::make_unique<core::Service>(*source_);
  }

  ResourceId Create(const core::RequestContext& ctx, ResourceType type, const std::string& body) {
    return CreateResource(*service_, ctx, type, body);
  }
  ResourceId User(const core::RequestContext& ctx, int i) {
    const std::string n = std::to_string(i);
    return Create(ctx, ResourceType::kUser,
                  R"({"userName":"user)" + n + R"(","externalId":"e)" + n +
                      R"(","active":true,"emails":[{"value":"u)" + n +
                      R"(@x.com","type":"work"}],"name":{"familyName":"Fam)" + n + R"("}})");
  }
  ResourceId Group(const std::string& name, const std::vector<ResourceId>& members) {
    return Create(acme_, ResourceType::kGroup, GroupJson(name, members));
  }
  void Patch(ResourceType type, const ResourceId& id, const std::string& body) {
    PatchResource(*service_, acme_, type, id, body);
  }

  static std::string Export(core::Store& store, core::TenantId tenant) {
    return ExportText(store, tenant);
  }
  static uint64_t Problems(core::Store& store, core::TenantId tenant) {
    return CheckProblems(store, tenant);
  }

  // Copies the source's range into a new tenant of the target, `page` bytes a page.
  core::TenantId CopyRange(core::TenantMoveSource& from, size_t page,
                           std::unique_ptr<core::TenantMoveSink>* sink) {
    auto t = target_->CreateTenant("acme");
    EXPECT_TRUE(t.ok());
    auto in = target_->BeginMoveIn(t->id);
    EXPECT_TRUE(in.ok()) << in.status().ToString();
    *sink = std::move(in).value();
    std::string cursor;
    bool done = false;
    int pages = 0;
    while (!done) {
      std::string bytes;
      EXPECT_TRUE(from.ReadRange(&cursor, page, &bytes, &done).ok());
      EXPECT_TRUE((*sink)->AddRange(bytes).ok());
      EXPECT_LT(++pages, 100000);
      if (pages >= 100000) break;
    }
    EXPECT_TRUE((*sink)->FinishRange().ok());
    return t->id;
  }
  // Applies every change after `*since`, `page` bytes a page.
  static void CatchUp(core::TenantMoveSource& from, core::TenantMoveSink& sink, uint64_t* since,
                      size_t page) {
    bool more = true;
    while (more) {
      std::string bytes;
      Status read = from.ReadChanges(since, page, &bytes, &more);
      ASSERT_TRUE(read.ok()) << read.ToString();
      ASSERT_TRUE(sink.ApplyChanges(bytes).ok());
    }
  }

  TempDir dir_;
  std::unique_ptr<RocksStore> source_, target_;
  core::RequestContext acme_, other_;
  std::unique_ptr<core::Service> service_;
};

// Pages of one entry, of a few, and of everything at once.
class TenantMovePagesTest : public TenantMoveTest, public ::testing::WithParamInterface<size_t> {};
INSTANTIATE_TEST_SUITE_P(PageSizes, TenantMovePagesTest,
                         ::testing::Values(size_t{1}, size_t{700}, size_t{1} << 20));

TEST_P(TenantMovePagesTest, RangeAndChangesRebuildTheTenantUnderAnotherId) {
  const size_t page = GetParam();
  {
    std::vector<ResourceId> users;
    for (int i = 0; i < 40; ++i) users.push_back(User(acme_, i));
    const ResourceId group = Group("Admins", {users[0], users[1], users[2]});
    Group("Nested", {group, users[3]});
    for (int i = 0; i < 5; ++i) User(other_, i);
    ASSERT_TRUE(source_->AppendActivity({{acme_.tenant, 1, "first entry"}}).ok());

    auto out = source_->BeginMoveOut(acme_.tenant);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const std::string at_snapshot = Export(*source_, acme_.tenant);
    std::unique_ptr<core::TenantMoveSink> sink;
    // Written after the snapshot: only the changes carry them.
    User(acme_, 100);
    Patch(ResourceType::kUser, users[5],
          R"({"Operations":[{"op":"Replace","path":"active","value":"False"}]})");
    ASSERT_TRUE(service_->Delete(acme_, ResourceType::kUser, users[6], "").ok());
    ASSERT_TRUE(service_->Delete(acme_, ResourceType::kUser, users[1], "").ok());  // a member
    Patch(ResourceType::kGroup, group,
          R"({"Operations":[{"op":"add","path":"members","value":[{"value":")" +
              users[7].ToString() + R"("}]}]})");
    User(other_, 50);
    ASSERT_TRUE(source_->AppendActivity({{acme_.tenant, 2, "second entry"}}).ok());

    const core::TenantId moved = CopyRange(**out, page, &sink);
    EXPECT_NE(moved, acme_.tenant);
    EXPECT_EQ(Export(*target_, moved), at_snapshot);
    uint64_t since = (*out)->sequence();
    CatchUp(**out, *sink, &since, page);
    EXPECT_EQ(Export(*target_, moved), Export(*source_, acme_.tenant));
    // More after the first catch-up, then the last one.
    User(acme_, 101);
    ASSERT_TRUE(service_->Delete(acme_, ResourceType::kGroup, group, "").ok());
    CatchUp(**out, *sink, &since, page);
    const std::string expected = Export(*source_, acme_.tenant);
    EXPECT_NE(expected, at_snapshot);
    EXPECT_EQ(Export(*target_, moved), expected);
    EXPECT_EQ(Problems(*target_, moved), 0u);
    EXPECT_EQ(*target_->CountResources(moved, ResourceType::kUser),
              *source_->CountResources(acme_.tenant, ResourceType::kUser));
    std::vector<std::string> activity;
    ASSERT_TRUE(target_
                    ->ScanActivity(moved, 0,
                                   [&](uint64_t, std::string_view r) {
                                     activity.emplace_back(r);
                                     return true;
                                   })
                    .ok());
    EXPECT_EQ(activity, (std::vector<std::string>{"second entry", "first entry"}));
    // The other tenant's writes did not come along.
    EXPECT_EQ(*target_->CountResources(moved + 1, ResourceType::kUser), 0u);
  }
}

TEST_F(TenantMoveTest, TokensAndSettingsComeLastAndUnderTheNewId) {
  ASSERT_TRUE(source_->PutTenantSettings(acme_.tenant, {{"delete-policy", "soft"}}).ok());
  auto issued = core::IssueToken(*source_, acme_.tenant, {}, 1000);
  ASSERT_TRUE(issued.ok());
  User(acme_, 1);
  auto out = source_->BeginMoveOut(acme_.tenant);
  ASSERT_TRUE(out.ok());
  std::unique_ptr<core::TenantMoveSink> sink;
  const core::TenantId moved = CopyRange(**out, 4096, &sink);
  // Until the records arrive the tenant has no token here: nobody can reach it.
  auto none = target_->ListTokens(moved);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto records = (*out)->ReadTenantRecords();
  ASSERT_TRUE(records.ok());
  ASSERT_TRUE(sink->ApplyTenantRecords(*records).ok());
  auto tokens = target_->ListTokens(moved);
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ((*tokens)[0].tenant, moved);
  auto source_tokens = source_->ListTokens(acme_.tenant);
  EXPECT_EQ((*tokens)[0].hash, (*source_tokens)[0].hash);
  auto t = target_->GetTenant(moved);
  ASSERT_TRUE(t.ok() && *t);
  EXPECT_EQ((*t)->name, "acme");
  EXPECT_EQ((*t)->settings.at("delete-policy"), "soft");
  EXPECT_EQ((*t)->created_unix, (*source_->GetTenant(acme_.tenant))->created_unix);
}

TEST_F(TenantMoveTest, TheTenantsDeletionMovesToo) {
  for (int i = 0; i < 10; ++i) User(acme_, i);
  auto out = source_->BeginMoveOut(acme_.tenant);
  ASSERT_TRUE(out.ok());
  std::unique_ptr<core::TenantMoveSink> sink;
  const core::TenantId moved = CopyRange(**out, 1 << 16, &sink);
  EXPECT_EQ(*target_->CountResources(moved, ResourceType::kUser), 10u);
  ASSERT_TRUE(source_->DeleteTenant(acme_.tenant).ok());  // range deletions in the log
  uint64_t since = (*out)->sequence();
  CatchUp(**out, *sink, &since, 1 << 16);
  EXPECT_EQ(*target_->CountResources(moved, ResourceType::kUser), 0u);
  EXPECT_EQ(Export(*target_, moved), "");
  // The target's other tenant is untouched.
  EXPECT_TRUE(target_->FindTenant("earlier")->has_value());
}

// Another tenant's import during the move: its ingest takes sequence numbers that no WAL
// record holds; the catch-up goes past them.
TEST_F(TenantMoveTest, AnotherTenantsIngestDuringTheMoveIsSteppedOver) {
  User(acme_, 1);
  auto out = source_->BeginMoveOut(acme_.tenant);
  ASSERT_TRUE(out.ok());
  std::unique_ptr<core::TenantMoveSink> sink;
  const core::TenantId moved = CopyRange(**out, 1 << 16, &sink);
  User(acme_, 2);
  {
    auto load = source_->BeginBulkLoad(other_.tenant);
    ASSERT_TRUE(load.ok());
    ASSERT_TRUE((*load)->PutResource(ResourceType::kUser, Id(7), "x").ok());
    ASSERT_TRUE((*load)->AdjustResourceCount(ResourceType::kUser, 1).ok());
    ASSERT_TRUE((*load)->Commit().ok());
  }
  User(acme_, 3);
  uint64_t since = (*out)->sequence();
  CatchUp(**out, *sink, &since, 1 << 16);
  EXPECT_EQ(Export(*target_, moved), Export(*source_, acme_.tenant));
  EXPECT_EQ(*target_->CountResources(moved, ResourceType::kUser), 3u);
  // An ingest as the very last write: the catch-up ends (it does not wait for a record
  // that never comes).
  {
    auto load = source_->BeginBulkLoad(other_.tenant);
    ASSERT_TRUE(load.ok());
    ASSERT_TRUE((*load)->PutResource(ResourceType::kUser, Id(8), "y").ok());
    ASSERT_TRUE((*load)->Commit().ok());
  }
  CatchUp(**out, *sink, &since, 1 << 16);
  User(acme_, 4);
  CatchUp(**out, *sink, &since, 1);
  EXPECT_EQ(Export(*target_, moved), Export(*source_, acme_.tenant));
  EXPECT_EQ(*target_->CountResources(moved, ResourceType::kUser), 4u);
}

TEST_F(TenantMoveTest, BadPagesAreRefused) {
  User(acme_, 1);
  auto t = target_->CreateTenant("acme");
  ASSERT_TRUE(t.ok());
  auto sink = target_->BeginMoveIn(t->id);
  ASSERT_TRUE(sink.ok());
  EXPECT_FALSE((*sink)->ApplyChanges("").ok());  // before the range
  EXPECT_FALSE((*sink)->AddRange(std::string("\x01\x09", 2)).ok());
  EXPECT_FALSE((*sink)->AddRange(std::string("\x07\x00\x00\x00", 4)).ok());
  EXPECT_FALSE((*sink)
                   ->AddRange(std::string("\x01\x00\x00\x00\x00\x05"
                                          "ab",
                                          8))
                   .ok());
  // Keys out of order.
  std::string page;
  for (const char* key : {"b", "a"}) {
    page += std::string("\x01\x00", 2) + std::string("\x00\x00\x00\x01", 4) + key +
            std::string("\x00\x00\x00\x00", 4);
  }
  EXPECT_FALSE((*sink)->AddRange(page).ok());
  // A tenant that holds something cannot receive a move.
  auto full = source_->BeginMoveIn(acme_.tenant);
  EXPECT_EQ(full.status().code(), Status::Code::kUniqueness);
}

// Waits up to 20 s for `done`.
template <typename F>
bool Eventually(F done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST_F(TenantMoveTest, AFenceRefusesCommitsAndWaitsForThoseUnderWay) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acked{0}, refused{0};
  std::thread writer([&] {
    for (int i = 1000; !stop.load(); ++i) {
      auto json = core::Json::Parse(R"({"userName":"w)" + std::to_string(i) + "\"}");
      auto input = core::DecodeInput(ResourceType::kUser, *json, acme_.settings.decode);
      auto r = service_->Create(acme_, ResourceType::kUser, std::move(input).value());
      if (r.ok()) {
        acked.fetch_add(1);
      } else {
        EXPECT_EQ(r.status().code(), Status::Code::kUnavailable) << r.status().ToString();
        refused.fetch_add(1);
      }
    }
  });
  if (!Eventually([&] { return acked.load() >= 50; })) {
    stop = true;
    writer.join();
    FAIL() << "the writer does not get going";
  }
  ASSERT_TRUE(source_->FenceTenant(acme_.tenant).ok());
  const uint64_t at_fence = *source_->CountResources(acme_.tenant, ResourceType::kUser);
  const uint64_t acked_at_fence = acked.load();
  const bool refusing = Eventually([&] { return refused.load() >= 20; });
  EXPECT_TRUE(refusing);
  // Nothing was committed after the fence, and every acknowledged create is there.
  EXPECT_EQ(*source_->CountResources(acme_.tenant, ResourceType::kUser), at_fence);
  EXPECT_LE(acked.load(), acked_at_fence + 1);  // one in its last step when the fence began
  EXPECT_EQ(at_fence, acked.load());
  // Another tenant writes on.
  User(other_, 1);
  source_->UnfenceTenant(acme_.tenant);
  const uint64_t before = acked.load();
  EXPECT_TRUE(Eventually([&] { return acked.load() >= before + 5; }));
  stop = true;
  writer.join();
  EXPECT_EQ(*source_->CountResources(acme_.tenant, ResourceType::kUser), acked.load());
}

}  // namespace
}  // namespace scimd::storage::testing
