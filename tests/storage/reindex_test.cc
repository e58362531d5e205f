// core::Reindex over a RocksStore: it writes what resources derive (the backfill of a newly
// indexed attribute), removes what no resource derives (stale value, presence and unique
// entries), and is idempotent. Also the descending distinct-value scan used by sortOrder.
#include "core/usecase/reindex.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/base/clock.h"
#include "core/resource/decode.h"
#include "core/resource/index_entries.h"
#include "core/resource/schema.h"
#include "core/resource/stored_value.h"
#include "core/scim/projection.h"
#include "core/scim/render.h"
#include "core/usecase/service.h"
#include "tests/storage/store_test_util.h"
#include "tests/storage/test_util.h"

namespace scimd::storage::testing {
namespace {

using core::AttrId;
using core::IndexTerm;
using core::IndexValue;
using core::ResourceId;
using core::ResourceType;
using core::Status;

// Every entry as (family, type, attr, value text, id) so that sets compare simply.
using EntryKey = std::tuple<char, int, AttrId, std::string, std::string>;

std::string ValueText(const IndexValue& v) {
  switch (v.kind) {
    case IndexValue::Kind::kString: return "s:" + v.string;
    case IndexValue::Kind::kBoolean: return v.boolean ? "b:true" : "b:false";
    default: return "other";
  }
}

// What the store holds for every indexed attribute of the tenant.
std::set<EntryKey> Held(core::Store& store, core::TenantId tenant) {
  std::set<EntryKey> out;
  for (const auto& ia : core::SchemaRegistry::Default().indexed()) {
    const int t = static_cast<int>(ia.type);
    EXPECT_TRUE(store
                    .ScanIndexEntries(tenant, ia.type, ia.id,
                                      [&](const IndexValue& v, const ResourceId& id) {
                                        out.emplace('v', t, ia.id, ValueText(v), id.ToString());
                                        return true;
                                      })
                    .ok());
    EXPECT_TRUE(store
                    .ScanPresence(tenant, ia.type, ia.id,
                                  [&](const ResourceId& id) {
                                    out.emplace('p', t, ia.id, "", id.ToString());
                                    return true;
                                  })
                    .ok());
    EXPECT_TRUE(store
                    .ScanUniqueEntries(tenant, ia.type, ia.id,
                                       [&](const IndexValue& v, const ResourceId& id) {
                                         out.emplace('u', t, ia.id, ValueText(v), id.ToString());
                                         return true;
                                       })
                    .ok());
  }
  return out;
}

// What IndexEntriesOf derives from the tenant's resources.
std::set<EntryKey> Derived(core::Store& store, core::TenantId tenant) {
  std::set<EntryKey> out;
  for (ResourceType type : {ResourceType::kUser, ResourceType::kGroup}) {
    const int t = static_cast<int>(type);
    EXPECT_TRUE(store
                    .ScanResources(tenant, type, std::nullopt,
                                   [&](const ResourceId& id, std::string_view stored) {
                                     auto split = core::SplitStored(stored);
                                     EXPECT_TRUE(split.ok());
                                     auto attrs = core::Json::Parse(split->second);
                                     EXPECT_TRUE(attrs.ok());
                                     const auto e = core::IndexEntriesOf(type, *attrs);
                                     const std::string ids = id.ToString();
                                     for (const auto& v : e.values) {
                                       out.emplace('v', t, v.attr, ValueText(v.value), ids);
                                     }
                                     for (AttrId a : e.presence) out.emplace('p', t, a, "", ids);
                                     for (const auto& u : e.unique) {
                                       out.emplace('u', t, u.attr, ValueText(u.value), ids);
                                     }
                                     return true;
                                   })
                    .ok());
  }
  return out;
}

class ReindexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(dir_.Sub("db"));
    ASSERT_NE(store_, nullptr);
    auto t = store_->CreateTenant("acme");
    ASSERT_TRUE(t.ok());
    ctx_.tenant = t->id;
    service_ = std::make_unique<core::Service>(*store_);
  }
  std::string Create(ResourceType type, const std::string& body) {
    return CreateIn(ctx_, type, body);
  }
  std::string CreateIn(const core::RequestContext& ctx, ResourceType type,
                       const std::string& body) {
    auto json = core::Json::Parse(body);
    auto input = json.ok() ? core::DecodeInput(type, *json, ctx.settings.decode)
                           : core::Result<core::InputResource>(json.status());
    if (!input.ok()) {
      ADD_FAILURE() << input.status().ToString();
      return "";
    }
    auto written = service_->Create(ctx, type, std::move(input).value());
    EXPECT_TRUE(written.ok()) << written.status().ToString();
    return written.ok() ? written->resource.id.ToString() : "";
  }
  Status Txn(const std::function<Status(core::Transaction&)>& body) {
    return RunTxn(*store_, ctx_.tenant, body);
  }

  TempDir dir_;
  std::unique_ptr<RocksStore> store_;
  core::RequestContext ctx_;
  std::unique_ptr<core::Service> service_;
};

TEST_F(ReindexTest, BackfillsMissingEntriesAndRemovesStaleOnes) {
  std::vector<ResourceId> users;
  for (int i = 0; i < 25; ++i) {
    const std::string n = std::to_string(i);
    std::string body = R"({"userName":"User)" + n + R"(","active":)" + (i % 2 ? "true" : "false") +
                       R"(,"emails":[{"value":"u)" + n + R"(@x.com"},{"value":"U)" + n +
                       R"(@Y.com"}])";
    if (i % 3 != 0) body += R"(,"name":{"familyName":"Fam)" + std::to_string(i % 4) + R"("})";
    if (i % 5 != 0) body += R"(,"externalId":"E)" + n + "\"";
    users.push_back(*ResourceId::Parse(Create(ResourceType::kUser, body + "}")));
  }
  Create(ResourceType::kGroup, R"({"displayName":"Admins","externalId":"g1"})");
  ASSERT_EQ(Held(*store_, ctx_.tenant), Derived(*store_, ctx_.tenant));

  // Data written before name.familyName was indexed: its entries are missing.
  const AttrId family =
      core::SchemaRegistry::Default().FindIndexed(ResourceType::kUser, "name.familyName")->id;
  std::vector<std::pair<IndexValue, ResourceId>> family_entries;
  ASSERT_TRUE(store_
                  ->ScanIndexEntries(ctx_.tenant, ResourceType::kUser, family,
                                     [&](const IndexValue& v, const ResourceId& id) {
                                       family_entries.emplace_back(v, id);
                                       return true;
                                     })
                  .ok());
  ASSERT_FALSE(family_entries.empty());
  ASSERT_TRUE(Txn([&](core::Transaction& txn) {
                for (const auto& [v, id] : family_entries) {
                  SCIMD_RETURN_IF_ERROR(txn.RemoveIndex(ResourceType::kUser, {family, v}, id));
                  SCIMD_RETURN_IF_ERROR(txn.RemovePresence(ResourceType::kUser, family, id));
                }
                return Status::Ok();
              }).ok());
  // And entries no resource derives: a value of a live user, entries of a user that does
  // not exist (value, presence, unique claim).
  const ResourceId ghost = Id(42);
  const AttrId user_name = 1;
  ASSERT_TRUE(Txn([&](core::Transaction& txn) {
                SCIMD_RETURN_IF_ERROR(txn.AddIndex(
                    ResourceType::kUser, {family, IndexValue::String("stale")}, users[1]));
                SCIMD_RETURN_IF_ERROR(txn.AddIndex(
                    ResourceType::kUser, {user_name, IndexValue::String("ghost")}, ghost));
                SCIMD_RETURN_IF_ERROR(txn.AddPresence(ResourceType::kUser, user_name, ghost));
                SCIMD_RETURN_IF_ERROR(txn.ClaimUnique(
                    ResourceType::kUser, {user_name, IndexValue::String("ghost")}, ghost));
                return Status::Ok();
              }).ok());
  ASSERT_NE(Held(*store_, ctx_.tenant), Derived(*store_, ctx_.tenant));

  core::ReindexStats stats;
  ASSERT_TRUE(core::Reindex(*store_, ctx_.tenant, &stats).ok());
  EXPECT_EQ(stats.resources, 26u);
  EXPECT_EQ(stats.stale_removed, 4u);
  EXPECT_EQ(Held(*store_, ctx_.tenant), Derived(*store_, ctx_.tenant));

  // Idempotent: a second run finds nothing stale and changes nothing.
  const auto before = Held(*store_, ctx_.tenant);
  ASSERT_TRUE(core::Reindex(*store_, ctx_.tenant, &stats).ok());
  EXPECT_EQ(stats.stale_removed, 0u);
  EXPECT_EQ(Held(*store_, ctx_.tenant), before);
}

TEST_F(ReindexTest, LeavesOtherTenantsAlone) {
  Create(ResourceType::kUser, R"({"userName":"a","name":{"familyName":"X"}})");
  auto other = store_->CreateTenant("other");
  ASSERT_TRUE(other.ok());
  core::RequestContext other_ctx = ctx_;
  other_ctx.tenant = other->id;
  ASSERT_FALSE(CreateIn(other_ctx, ResourceType::kUser, R"({"userName":"b"})").empty());
  const auto other_before = Held(*store_, other->id);
  ASSERT_TRUE(core::Reindex(*store_, ctx_.tenant, nullptr).ok());
  EXPECT_EQ(Held(*store_, other->id), other_before);
  EXPECT_EQ(Held(*store_, ctx_.tenant), Derived(*store_, ctx_.tenant));
}

TEST_F(ReindexTest, MoreResourcesThanOneBatch) {
  for (size_t i = 0; i < core::kReindexBatch + 7; ++i) {
    ASSERT_TRUE(Txn([&](core::Transaction& txn) {
                  const ResourceId id = Id(1000 + i);
                  core::Json attrs = core::Json::MakeObject();
                  attrs.Set("userName", core::Json::Str("bulk" + std::to_string(i)));
                  core::StoredHeader h;
                  h.version = 1;
                  return txn.PutResource(ResourceType::kUser, id, core::EncodeStored(h, attrs));
                }).ok());
  }
  core::ReindexStats stats;
  ASSERT_TRUE(core::Reindex(*store_, ctx_.tenant, &stats).ok());
  EXPECT_EQ(stats.resources, core::kReindexBatch + 7);
  EXPECT_EQ(Held(*store_, ctx_.tenant), Derived(*store_, ctx_.tenant));
}

TEST_F(ReindexTest, DescendingValueScanVisitsEachDistinctValueOnceLargestFirst) {
  const AttrId attr = 3;
  ASSERT_TRUE(Txn([&](core::Transaction& txn) {
                int n = 0;
                for (const std::string& v :
                     {std::string("b"), std::string("a"), std::string("b"), std::string(),
                      std::string("c\xff"), std::string("a\0x", 3), std::string("b")}) {
                  SCIMD_RETURN_IF_ERROR(txn.AddIndex(ResourceType::kUser,
                                                     {attr, IndexValue::String(v)}, Id(10 - n++)));
                }
                // Neighbours that must not show: another attribute, another kind, presence.
                SCIMD_RETURN_IF_ERROR(
                    txn.AddIndex(ResourceType::kUser, {attr + 1, IndexValue::String("z")}, Id(1)));
                SCIMD_RETURN_IF_ERROR(
                    txn.AddIndex(ResourceType::kUser, {attr, IndexValue::Boolean(true)}, Id(1)));
                return txn.AddPresence(ResourceType::kUser, attr, Id(1));
              }).ok());
  std::vector<std::pair<std::string, ResourceId>> seen;
  ASSERT_TRUE(store_
                  ->ScanIndexValuesDescending(ctx_.tenant, ResourceType::kUser, attr,
                                              IndexValue::Kind::kString,
                                              [&](const IndexValue& v, const ResourceId& id) {
                                                seen.emplace_back(v.string, id);
                                                return true;
                                              })
                  .ok());
  // "b" is held by ids 10, 8 and 4: the largest is 10. "a\0x" sorts after "a".
  const std::vector<std::pair<std::string, ResourceId>> want = {
      {"c\xff", Id(6)}, {"b", Id(10)}, {std::string("a\0x", 3), Id(5)}, {"a", Id(9)}, {"", Id(7)}};
  EXPECT_EQ(seen, want);
  // Stopping early.
  int visits = 0;
  ASSERT_TRUE(store_
                  ->ScanIndexValuesDescending(
                      ctx_.tenant, ResourceType::kUser, attr, IndexValue::Kind::kString,
                      [&](const IndexValue&, const ResourceId&) { return ++visits < 2; })
                  .ok());
  EXPECT_EQ(visits, 2);
}

}  // namespace
}  // namespace scimd::storage::testing
