// core::CheckTenant (scimctl check) over both stores: consistent data has no problem; each
// kind of inconsistency a crash or a bug could leave is found, named, and repaired; what a
// repair cannot decide (two resources holding one unique value) is left and said.
#include "core/usecase/check.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/resource/decode.h"
#include "core/resource/schema.h"
#include "core/usecase/service.h"
#include "tests/storage/store_test_util.h"
#include "tests/storage/test_util.h"

namespace scimd::storage::testing {
namespace {

using core::IndexValue;
using core::ResourceId;
using core::ResourceType;
using core::Status;

class CheckTest : public StoreContractFixture {
 protected:
  void SetUp() override {
    StoreContractFixture::SetUp();
    auto t = store_->CreateTenant("acme");
    ASSERT_TRUE(t.ok());
    ctx_.tenant = t->id;
    ctx_.may_wait = true;
    service_ = std::make_unique<core::Service>(*store_);
  }
  ResourceId Create(ResourceType type, const std::string& body) {
    return CreateResource(*service_, ctx_, type, body);
  }
  ResourceId User(int i) {
    const std::string n = std::to_string(i);
    return Create(ResourceType::kUser, R"({"userName":"user)" + n +
                                           R"(","active":true,"emails":[{"value":"u)" + n +
                                           R"(@x.com"}],"name":{"familyName":"Fam)" + n + R"("}})");
  }
  ResourceId GroupOf(const std::string& name, const std::vector<ResourceId>& members) {
    std::string body = R"({"displayName":")" + name + R"(","members":[)";
    for (size_t i = 0; i < members.size(); ++i) {
      body += (i > 0 ? R"(,{"value":")" : R"({"value":")") + members[i].ToString() + "\"}";
    }
    return Create(ResourceType::kGroup, body + "]}");
  }
  Status Txn(const std::function<Status(core::Transaction&)>& body) {
    return RunTxn(*store_, ctx_.tenant, body);
  }
  core::CheckReport Check(bool repair, std::vector<std::string>* lines = nullptr) {
    std::vector<std::string> local;
    if (lines == nullptr) lines = &local;
    auto r = core::CheckTenant(*store_, ctx_.tenant, repair,
                               [&](std::string_view line) { lines->emplace_back(line); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : core::CheckReport{};
  }
  static bool Has(const std::vector<std::string>& lines, const std::string& what) {
    for (const auto& l : lines) {
      if (l.find(what) != std::string::npos) return true;
    }
    return false;
  }
  static std::string Joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }

  core::RequestContext ctx_;
  std::unique_ptr<core::Service> service_;
};

TEST_P(CheckTest, ConsistentDataHasNoProblems) {
  std::vector<ResourceId> users;
  for (int i = 0; i < 12; ++i) users.push_back(User(i));
  const ResourceId group = GroupOf("Admins", {users[0], users[1]});
  GroupOf("Nested", {group});
  std::vector<std::string> lines;
  const core::CheckReport r = Check(false, &lines);
  EXPECT_EQ(r.problems, 0u) << Joined(lines);
  EXPECT_EQ(r.users, 12u);
  EXPECT_EQ(r.groups, 2u);
  EXPECT_EQ(r.edges, 3u);
  EXPECT_GT(r.entries, 12u * 5);
  // With --repair and nothing to do, nothing is written and nothing is found after.
  EXPECT_EQ(Check(true).problems, 0u);
}

TEST_P(CheckTest, FindsNamesAndRepairsEachKindOfProblem) {
  std::vector<ResourceId> users;
  for (int i = 0; i < 6; ++i) users.push_back(User(i));
  const ResourceId group = GroupOf("Admins", {users[0], users[1]});
  const auto& registry = core::SchemaRegistry::Default();
  const core::AttrId family = registry.FindIndexed(ResourceType::kUser, "name.familyName")->id;
  const core::AttrId user_name = registry.FindIndexed(ResourceType::kUser, "userName")->id;
  const ResourceId ghost = Id(4242);
  ASSERT_TRUE(Txn([&](core::Transaction& txn) {
                // 1. a stale value entry of a live user; 2. a missing one
                SCIMD_RETURN_IF_ERROR(txn.AddIndex(
                    ResourceType::kUser, {family, IndexValue::String("stale")}, users[2]));
                SCIMD_RETURN_IF_ERROR(txn.RemoveIndex(
                    ResourceType::kUser, {family, IndexValue::String("fam3")}, users[3]));
                // 3. a presence entry of a user that does not exist
                SCIMD_RETURN_IF_ERROR(txn.AddPresence(ResourceType::kUser, family, ghost));
                // 4. a unique claim gone
                SCIMD_RETURN_IF_ERROR(txn.ReleaseUnique(ResourceType::kUser,
                                                        {user_name, IndexValue::String("user4")}));
                // 5. an edge without its mirror; 6. a mirror without its edge
                SCIMD_RETURN_IF_ERROR(txn.SetMemberOfEntry(users[0], group, false));
                SCIMD_RETURN_IF_ERROR(txn.SetMemberOfEntry(users[5], group, true));
                // 7. an edge to a member that does not exist (its count kept right)
                SCIMD_RETURN_IF_ERROR(txn.AddMember(group, ghost, ResourceType::kUser).status());
                // 8. a member count off; 9. a resource count off
                SCIMD_RETURN_IF_ERROR(txn.AdjustMemberCount(group, 3));
                return txn.AdjustResourceCount(ResourceType::kUser, -1);
              }).ok());

  std::vector<std::string> lines;
  const core::CheckReport found = Check(false, &lines);
  EXPECT_EQ(found.problems, 9u) << Joined(lines);
  EXPECT_EQ(lines.size(), found.problems);
  EXPECT_EQ(found.unrepairable, 0u);
  EXPECT_TRUE(
      Has(lines, "index User.name.familyName: stale entry \"stale\" -> " + users[2].ToString()))
      << Joined(lines);
  EXPECT_TRUE(Has(
      lines, "index User.name.familyName: " + users[3].ToString() + " has \"fam3\" but no entry"))
      << Joined(lines);
  EXPECT_TRUE(Has(lines, "presence User.name.familyName: stale entry " + ghost.ToString()))
      << Joined(lines);
  EXPECT_TRUE(
      Has(lines, "unique User.userName: " + users[4].ToString() + " has \"user4\" but no entry"))
      << Joined(lines);
  EXPECT_TRUE(Has(lines, "edge Group " + group.ToString() + " -> " + users[0].ToString() +
                             ": no member_of entry"))
      << Joined(lines);
  EXPECT_TRUE(Has(lines, "member_of " + users[5].ToString() + " -> Group " + group.ToString() +
                             ": no members edge"))
      << Joined(lines);
  EXPECT_TRUE(Has(lines, "edge Group " + group.ToString() + " -> " + ghost.ToString() +
                             ": the member does not exist"))
      << Joined(lines);
  EXPECT_TRUE(Has(
      lines, "member count Group " + group.ToString() + ": the counter says 6, 3 edges are stored"))
      << Joined(lines);
  EXPECT_TRUE(Has(lines, "count User: the counter says 5, 6 are stored")) << Joined(lines);

  // A check changes nothing: the same problems again.
  EXPECT_EQ(Check(false).problems, 9u);

  const core::CheckReport fixed = Check(true);
  EXPECT_EQ(fixed.problems, 9u);
  EXPECT_EQ(fixed.repaired, 9u);
  lines.clear();
  EXPECT_EQ(Check(false, &lines).problems, 0u) << Joined(lines);
  // What the repair made of the membership: the real edges kept (with their mirror), the
  // ghost's edge and the stray mirror gone, the counters right.
  EXPECT_EQ(MemberIds(*store_, ctx_.tenant, group), (std::vector<ResourceId>{users[0], users[1]}));
  EXPECT_EQ(MemberCount(*store_, ctx_.tenant, group), 2u);
  EXPECT_EQ(GroupIds(*store_, ctx_.tenant, users[0]), std::vector<ResourceId>{group});
  EXPECT_TRUE(GroupIds(*store_, ctx_.tenant, users[5]).empty());
  auto count = store_->CountResources(ctx_.tenant, ResourceType::kUser);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 6u);
  auto holder = store_->LookupUnique(ctx_.tenant, ResourceType::kUser,
                                     {user_name, IndexValue::String("user4")});
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(holder->has_value());
  EXPECT_EQ(**holder, users[4]);
}

TEST_P(CheckTest, TwoResourcesHoldingOneUniqueValueAreLeftForAPerson) {
  const ResourceId a = User(1);
  auto stored = store_->GetResource(ctx_.tenant, ResourceType::kUser, a);
  ASSERT_TRUE(stored.ok());
  // A copy of user1 under another id, written without its entries: userName "user1" twice.
  const ResourceId b = Id(777);
  ASSERT_TRUE(Txn([&](core::Transaction& txn) {
                SCIMD_RETURN_IF_ERROR(txn.PutResource(ResourceType::kUser, b, *stored));
                return txn.AdjustResourceCount(ResourceType::kUser, 1);
              }).ok());
  std::vector<std::string> lines;
  const core::CheckReport r = Check(true, &lines);
  EXPECT_GE(r.unrepairable, 1u);
  EXPECT_LT(r.repaired, r.problems);
  EXPECT_TRUE(Has(lines, b.ToString() + " and " + a.ToString() + " both hold \"user1\"") ||
              Has(lines, a.ToString() + " and " + b.ToString() + " both hold \"user1\""))
      << Joined(lines);
  EXPECT_TRUE(Has(lines, "repair: the index, presence and unique entries were not rebuilt"))
      << Joined(lines);
}

INSTANTIATE_TEST_SUITE_P(Stores, CheckTest, ::testing::Values(StoreKind::kRocks, StoreKind::kMem),
                         StoreKindName);

}  // namespace
}  // namespace scimd::storage::testing
