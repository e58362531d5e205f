// A tenant deleted through the admin API (AdminMoves::DeleteTenant, net/admin_move.h): a
// write of it that was under way when the delete began cannot land afterwards, and the
// fence that refuses it is lifted once kRetiredFenceMicros have passed.
#include "net/admin_move.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/base/clock.h"
#include "core/base/ids.h"
#include "core/tenancy/gate.h"
#include "storage/rocks_store.h"
#include "tests/storage/store_test_util.h"
#include "tests/storage/test_util.h"

namespace scimd::net {
namespace {

using core::ResourceType;
using core::Status;
using storage::RocksStore;
using storage::testing::OpenOrDie;
using storage::testing::TempDir;

class AdminDeleteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(dir_.Sub("data"), {});
    auto t = store_->CreateTenant("gone");
    ASSERT_TRUE(t.ok());
    tenant_ = t->id;
    gate_ = std::make_unique<core::Gate>(*store_, clock_);
    moves_ = std::make_unique<AdminMoves>(*store_, *gate_, clock_);
  }

  // A transaction of the tenant holding one new user, not yet committed.
  std::unique_ptr<core::Transaction> OpenWrite(const std::string& name) {
    auto txn = store_->Begin(tenant_);
    EXPECT_TRUE(txn->PutResource(ResourceType::kUser, core::ResourceId::Generate(),
                                 R"({"userName":")" + name + "\"}")
                    .ok());
    EXPECT_TRUE(txn->AdjustResourceCount(ResourceType::kUser, 1).ok());
    return txn;
  }
  int Rows() {
    int rows = 0;
    EXPECT_TRUE(store_
                    ->ScanResources(tenant_, ResourceType::kUser, std::nullopt,
                                    [&](const core::ResourceId&, std::string_view) {
                                      ++rows;
                                      return true;
                                    })
                    .ok());
    return rows;
  }

  TempDir dir_;
  core::ManualClock clock_{1'800'000'000'000'000};
  std::unique_ptr<RocksStore> store_;
  core::TenantId tenant_ = 0;
  std::unique_ptr<core::Gate> gate_;
  std::unique_ptr<AdminMoves> moves_;
};

TEST_F(AdminDeleteTest, AWriteUnderWayWhenItsTenantIsDeletedDoesNotLandAfter) {
  auto before = OpenWrite("early");
  ASSERT_TRUE(before->Commit().ok());
  auto late = OpenWrite("late");  // admitted before the delete, committed after it
  auto deleted = moves_->DeleteTenant(tenant_);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_TRUE(*deleted);
  const Status refused = late->Commit();
  EXPECT_EQ(refused.code(), Status::Code::kUnavailable) << refused.ToString();
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(*store_->CountResources(tenant_, ResourceType::kUser), 0u);
  auto tenant = store_->GetTenant(tenant_);
  ASSERT_TRUE(tenant.ok());
  EXPECT_FALSE(tenant->has_value());

  // The activity log's last entries of the tenant are written after the delete (they are
  // queued, then written every 200 ms, not through the fence).
  ASSERT_TRUE(store_->AppendActivity({{tenant_, 1, "a late entry"}}).ok());
  auto activity = [&] {
    int entries = 0;
    EXPECT_TRUE(store_
                    ->ScanActivity(tenant_, 0,
                                   [&](uint64_t, std::string_view) {
                                     ++entries;
                                     return true;
                                   })
                    .ok());
    return entries;
  };
  EXPECT_EQ(activity(), 1);

  // Still fenced a moment before the time is up; lifted after it, once what was written
  // meanwhile is gone.
  clock_.Advance(kRetiredFenceMicros - 1);
  moves_->Expire();
  EXPECT_EQ(OpenWrite("still")->Commit().code(), Status::Code::kUnavailable);
  EXPECT_EQ(activity(), 1);
  clock_.Advance(2);
  moves_->Expire();
  EXPECT_EQ(activity(), 0);
  EXPECT_TRUE(OpenWrite("lifted")->Commit().ok());
}

TEST_F(AdminDeleteTest, DeletingATenantTwiceSaysItWasGone) {
  ASSERT_TRUE(*moves_->DeleteTenant(tenant_));
  auto again = moves_->DeleteTenant(tenant_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

}  // namespace
}  // namespace scimd::net
