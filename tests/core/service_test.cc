// The typed use cases of core/usecase/service.h over the in-memory store (storage/mem_store.h,
// which passes the same contract tests as RocksStore): what each returns, versions, changed
// attributes, the injected clock, preconditions, the delete policy, searches, /Bulk through
// the typed layer, and the retry policy on and off the reactor.
#include "core/usecase/service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/base/clock.h"
#include "core/base/json.h"
#include "core/resource/required.h"
#include "core/scim/bulk.h"
#include "core/scim/scim_render.h"
#include "core/tenancy/tenant_settings.h"
#include "storage/mem_store.h"

namespace scimd::core {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000'000;  // 2027-01-15, in microseconds

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tenant = store_.CreateTenant("acme");
    ASSERT_TRUE(tenant.ok()) << tenant.status().ToString();
    ctx_.tenant = tenant->id;
    ctx_.clock = &clock_;
  }

  InputResource Input(ResourceType type, const std::string& json) {
    auto parsed = Json::Parse(json);
    EXPECT_TRUE(parsed.ok()) << json;
    auto input =
        DecodeInput(type, parsed.ok() ? *parsed : Json::MakeObject(), ctx_.settings.decode);
    EXPECT_TRUE(input.ok()) << input.status().ToString();
    return input.ok() ? std::move(input).value() : InputResource();
  }
  WriteResult MustCreate(ResourceType type, const std::string& json) {
    auto r = service_.Create(ctx_, type, Input(type, json));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : WriteResult();
  }
  static std::vector<PatchOperation> Ops(const std::string& operations) {
    auto json = Json::Parse(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                            R"("Operations":)" +
                            operations + "}");
    EXPECT_TRUE(json.ok());
    auto ops = ParsePatchRequest(*json);
    EXPECT_TRUE(ops.ok()) << ops.status().ToString();
    return ops.ok() ? std::move(ops).value() : std::vector<PatchOperation>();
  }
  static Json Attrs(const StoredResource& r) {
    auto j = Json::Parse(r.AttrsJson());
    EXPECT_TRUE(j.ok());
    return j.ok() ? std::move(j).value() : Json::MakeObject();
  }

  storage::MemStore store_;
  Service service_{store_};
  ManualClock clock_{kT0};
  RequestContext ctx_;
};

TEST_F(ServiceTest, CreateReturnsTheStoredResourceAndWhatItSet) {
  const WriteResult w = MustCreate(ResourceType::kUser, R"({"userName":"ann","active":true,
      "name":{"givenName":"Ann"},"password":"s3cret!",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"}})");
  EXPECT_TRUE(w.changed);
  EXPECT_EQ(w.resource.type, ResourceType::kUser);
  EXPECT_EQ(w.resource.header.version, 1u);
  EXPECT_EQ(w.resource.header.created_us, kT0);  // the context's clock, not the system's
  EXPECT_EQ(w.resource.header.modified_us, kT0);
  EXPECT_FALSE(w.resource.header.password_hash.empty());
  EXPECT_EQ(w.resource.Etag(), "W/\"1\"");
  EXPECT_EQ(
      w.changed_attributes,
      (std::vector<std::string>{
          "active", "name", "password",
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "userName"}));
  // The stored attribute JSON never holds the password.
  EXPECT_EQ(w.resource.AttrsJson().find("s3cret"), std::string_view::npos);
  auto got = service_.Get(ctx_, ResourceType::kUser, w.resource.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value, w.resource.value);
  auto count = store_.CountResources(ctx_.tenant, ResourceType::kUser);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1u);
}

TEST_F(ServiceTest, ReplaceBumpsTheVersionOnlyWhenSomethingChanged) {
  const WriteResult w = MustCreate(ResourceType::kUser, R"({"userName":"bob","title":"Eng"})");
  clock_.Advance(1000);
  auto same =
      service_.Replace(ctx_, ResourceType::kUser, w.resource.id,
                       Input(ResourceType::kUser, R"({"userName":"bob","title":"Eng"})"), "");
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_FALSE(same->changed);
  EXPECT_TRUE(same->changed_attributes.empty());
  EXPECT_EQ(same->resource.header.version, 1u);
  EXPECT_EQ(same->resource.header.modified_us, kT0);

  auto changed = service_.Replace(
      ctx_, ResourceType::kUser, w.resource.id,
      Input(ResourceType::kUser, R"({"userName":"bob","displayName":"Bob"})"), "W/\"1\"");
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_TRUE(changed->changed);
  EXPECT_EQ(changed->changed_attributes, (std::vector<std::string>{"displayName", "title"}));
  EXPECT_EQ(changed->resource.header.version, 2u);
  EXPECT_EQ(changed->resource.header.modified_us, kT0 + 1000);
  EXPECT_EQ(changed->resource.header.created_us, kT0);

  // A stale If-Match changes nothing.
  auto stale = service_.Replace(ctx_, ResourceType::kUser, w.resource.id,
                                Input(ResourceType::kUser, R"({"userName":"x"})"), "W/\"1\"");
  EXPECT_TRUE(stale.status().Is(Status::Code::kPreconditionFailed)) << stale.status().ToString();
  auto got = service_.Get(ctx_, ResourceType::kUser, w.resource.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->header.version, 2u);
}

TEST_F(ServiceTest, PatchReportsChangedAttributesAndMembers) {
  const WriteResult user = MustCreate(ResourceType::kUser, R"({"userName":"cy"})");
  const WriteResult group = MustCreate(ResourceType::kGroup, R"({"displayName":"Ops"})");
  auto patched = service_.Patch(ctx_, ResourceType::kGroup, group.resource.id,
                                Ops(R"([{"op":"replace","path":"displayName","value":"Ops team"},
              {"op":"add","path":"members","value":[{"value":")" +
                                    user.resource.id.ToString() + R"("}]}])"),
                                "");
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ(patched->changed_attributes, (std::vector<std::string>{"displayName", "members"}));
  EXPECT_EQ(patched->resource.header.version, 2u);
  auto members = service_.CountMembers(ctx_, group.resource.id);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(*members, 1u);
  auto groups = service_.GroupsOf(ctx_, user.resource.id);
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].display, "Ops team");
  EXPECT_TRUE((*groups)[0].direct);

  // Adding a present member again changes nothing: no new version.
  auto again = service_.Patch(ctx_, ResourceType::kGroup, group.resource.id,
                              Ops(R"([{"op":"add","path":"members","value":[{"value":")" +
                                  user.resource.id.ToString() + R"("}]}])"),
                              "");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->resource.header.version, 2u);
}

TEST_F(ServiceTest, DeleteRemovesOrUnderSoftPolicyDeactivates) {
  const WriteResult kept = MustCreate(ResourceType::kUser, R"({"userName":"dee","active":true})");
  ctx_.settings.soft_delete = true;
  auto soft = service_.Delete(ctx_, ResourceType::kUser, kept.resource.id, "");
  ASSERT_TRUE(soft.ok()) << soft.status().ToString();
  EXPECT_TRUE(soft->soft);
  auto got = service_.Get(ctx_, ResourceType::kUser, kept.resource.id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(Attrs(*got).Find("active")->as_bool());
  EXPECT_EQ(got->header.version, 2u);

  ctx_.settings.soft_delete = false;
  auto hard = service_.Delete(ctx_, ResourceType::kUser, kept.resource.id, "W/\"2\"");
  ASSERT_TRUE(hard.ok()) << hard.status().ToString();
  EXPECT_FALSE(hard->soft);
  EXPECT_TRUE(service_.Get(ctx_, ResourceType::kUser, kept.resource.id)
                  .status()
                  .Is(Status::Code::kNotFound));
  EXPECT_TRUE(service_.Delete(ctx_, ResourceType::kUser, kept.resource.id, "")
                  .status()
                  .Is(Status::Code::kNotFound));
}

TEST_F(ServiceTest, UniquenessIsATypedError) {
  MustCreate(ResourceType::kUser, R"({"userName":"Eve"})");
  auto dup = service_.Create(ctx_, ResourceType::kUser,
                             Input(ResourceType::kUser, R"({"userName":"eve"})"));
  EXPECT_TRUE(dup.status().Is(Status::Code::kUniqueness)) << dup.status().ToString();
}

TEST_F(ServiceTest, SearchFiltersSortsAndPages) {
  for (const char* name : {"kim", "al", "jo", "bo", "ed"}) {
    MustCreate(ResourceType::kUser, std::string(R"({"userName":")") + name + "\"}");
  }
  SearchQuery q;
  q.types = {ResourceType::kUser};
  q.sort_by = "userName";
  q.SetPage(2, 2);
  auto page = service_.Search(ctx_, q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->total, 5u);
  ASSERT_EQ(page->page.size(), 2u);
  EXPECT_EQ(Attrs(page->page[0]).Find("userName")->as_string(), "bo");
  EXPECT_EQ(Attrs(page->page[1]).Find("userName")->as_string(), "ed");
  EXPECT_TRUE(page->plans.empty());  // only with explain

  q.filter = R"(userName sw "k" or userName eq "jo")";
  q.sort_by = "";
  q.SetPage(1, 10);
  q.explain = true;
  auto filtered = service_.Search(ctx_, q);
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  EXPECT_EQ(filtered->total, 2u);
  EXPECT_EQ(filtered->page.size(), 2u);
  ASSERT_EQ(filtered->plans.size(), 1u);
  EXPECT_NE(filtered->plans[0].find("Union"), std::string::npos) << filtered->plans[0];

  q.filter = "nosuch eq 1";
  EXPECT_TRUE(service_.Search(ctx_, q).status().Is(Status::Code::kInvalidFilter));
}

TEST_F(ServiceTest, SetPageClampsAsClientsSendIt) {
  SearchQuery q;
  q.SetPage(-5, -1);
  EXPECT_EQ(q.start_index, 1u);
  EXPECT_EQ(q.count, 0u);
  q.SetPage(std::nullopt, 1'000'000);
  EXPECT_EQ(q.start_index, 1u);
  EXPECT_EQ(q.count, kMaxPageSize);
  q.SetPage(7, std::nullopt);
  EXPECT_EQ(q.start_index, 7u);
  EXPECT_EQ(q.count, kMaxPageSize);
}

// A lock held by another transaction: on a reactor the write gives up at once (Busy, for the
// router to move it); where waiting is allowed it waits for the holder.
TEST_F(ServiceTest, ALostLockRaceIsBusyOnTheReactorAndWaitedForElsewhere) {
  const WriteResult w = MustCreate(ResourceType::kUser, R"({"userName":"fay"})");
  auto holder = store_.Begin(ctx_.tenant);
  ASSERT_TRUE(holder->GetResourceForUpdate(ResourceType::kUser, w.resource.id).ok());

  const auto ops = Ops(R"([{"op":"replace","path":"title","value":"Dr"}])");
  ctx_.may_wait = false;
  auto busy = service_.Patch(ctx_, ResourceType::kUser, w.resource.id, ops, "");
  ASSERT_TRUE(busy.status().Is(Status::Code::kBusy)) << busy.status().ToString();
  EXPECT_EQ(busy.status().retry_after(), 1);

  ctx_.may_wait = true;
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    holder.reset();  // rolls back and lets go of the lock
  });
  auto waited = service_.Patch(ctx_, ResourceType::kUser, w.resource.id, ops, "");
  release.join();
  ASSERT_TRUE(waited.ok()) << waited.status().ToString();
  EXPECT_EQ(waited->changed_attributes, (std::vector<std::string>{"title"}));
}

TEST_F(ServiceTest, BulkRunsThroughTheTypedLayer) {
  auto request =
      ParseBulkRequest(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
      "Operations":[
        {"method":"POST","path":"/Users","bulkId":"u","data":{"userName":"gus"}},
        {"method":"POST","path":"/Groups","bulkId":"g","data":{"displayName":"G",
           "members":[{"value":"bulkId:u"}]}},
        {"method":"PATCH","path":"/Users/bulkId:u","data":{
           "schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations":[{"op":"replace","path":"title","value":"Boss"}]}},
        {"method":"DELETE","path":"/Users/not-an-id"}]})",
                       BulkLimits{});
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  ctx_.may_wait = true;
  const std::string body = RunBulk(service_, ctx_, *request, "https://h/scim/v2");
  auto json = Json::Parse(body);
  ASSERT_TRUE(json.ok()) << body;
  const auto& ops = json->Find("Operations")->as_array();
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[0].Find("status")->as_string(), "201");
  const std::string location = ops[0].Find("location")->as_string();
  const std::string uid = location.substr(location.rfind('/') + 1);
  EXPECT_EQ(location, "https://h/scim/v2/Users/" + uid);
  EXPECT_EQ(ops[0].Find("version")->as_string(), "W/\"1\"");
  EXPECT_EQ(ops[1].Find("status")->as_string(), "201");
  EXPECT_EQ(ops[2].Find("status")->as_string(), "200");
  EXPECT_EQ(ops[2].Find("version")->as_string(), "W/\"2\"");  // the store's version after it
  EXPECT_EQ(ops[3].Find("status")->as_string(), "404");
  EXPECT_EQ(ops[3].Find("location")->as_string(), "https://h/scim/v2/Users/not-an-id");

  auto id = ResourceId::Parse(uid);
  ASSERT_TRUE(id.ok());
  auto user = service_.Get(ctx_, ResourceType::kUser, *id);
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->Etag(), "W/\"2\"");
  EXPECT_EQ(Attrs(*user).Find("title")->as_string(), "Boss");
  auto groups = service_.GroupsOf(ctx_, *id);
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(groups->size(), 1u);
}

TEST_F(ServiceTest, RequiredAttributesOnEveryWrite) {
  auto settings = TenantSettings::FromMap({{"required", "userName, emails, externalId"}});
  ASSERT_TRUE(settings.ok()) << settings.status().ToString();
  ctx_.settings = *settings;
  auto missing =
      service_.Create(ctx_, ResourceType::kUser,
                      Input(ResourceType::kUser, R"({"userName":"a","externalId":"x"})"));
  ASSERT_TRUE(missing.status().Is(Status::Code::kInvalidValue));
  EXPECT_NE(missing.status().detail().find("\"emails\""), std::string::npos);
  const WriteResult w = MustCreate(
      ResourceType::kUser, R"({"userName":"a","externalId":"x","emails":[{"value":"a@x"}]})");
  // PUT without one, PATCH removing one, PATCH emptying one: refused, nothing written.
  EXPECT_TRUE(
      service_
          .Replace(ctx_, ResourceType::kUser, w.resource.id,
                   Input(ResourceType::kUser, R"({"userName":"a","emails":[{"value":"a@x"}]})"), "")
          .status()
          .Is(Status::Code::kInvalidValue));
  EXPECT_TRUE(service_
                  .Patch(ctx_, ResourceType::kUser, w.resource.id,
                         Ops(R"([{"op":"remove","path":"externalId"}])"), "")
                  .status()
                  .Is(Status::Code::kInvalidValue));
  EXPECT_TRUE(service_
                  .Patch(ctx_, ResourceType::kUser, w.resource.id,
                         Ops(R"([{"op":"replace","path":"emails","value":[]}])"), "")
                  .status()
                  .Is(Status::Code::kInvalidValue));
  auto got = service_.Get(ctx_, ResourceType::kUser, w.resource.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->header.version, 1u);
  // Other changes pass; groups have no required attributes; a soft delete is not blocked.
  EXPECT_TRUE(service_
                  .Patch(ctx_, ResourceType::kUser, w.resource.id,
                         Ops(R"([{"op":"replace","path":"title","value":"t"}])"), "")
                  .ok());
  MustCreate(ResourceType::kGroup, R"({"displayName":"g"})");
  EXPECT_FALSE(ParseRequiredAttributes("userName,nosuch").ok());
  EXPECT_FALSE(ParseRequiredAttributes("meta").ok());  // read-only
  EXPECT_FALSE(ParseRequiredAttributes("password").ok());
  EXPECT_TRUE(ParseRequiredAttributes(
                  "name.givenName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
                  "employeeNumber")
                  .ok());
}

TEST_F(ServiceTest, UnknownMembersAreSkippedWithAWarningOrRefused) {
  const WriteResult user = MustCreate(ResourceType::kUser, R"({"userName":"m"})");
  const std::string missing = "01900000-0000-7000-8000-0000000000ee";
  auto json = R"({"displayName":"G","members":[{"value":")" + user.resource.id.ToString() +
              R"("},{"value":")" + missing + R"("},{"value":"not an id"}]})";
  const WriteResult g = MustCreate(ResourceType::kGroup, json);  // tenants skip by default
  ASSERT_EQ(g.warnings.size(), 2u);
  EXPECT_NE(g.warnings[0].find(missing), std::string::npos);
  EXPECT_NE(g.warnings[1].find("not an id"), std::string::npos);
  EXPECT_EQ(*service_.CountMembers(ctx_, g.resource.id), 1u);
  // Many placeholders: the warnings stay bounded and count the rest.
  std::string many = R"([{"op":"add","path":"members","value":[)";
  for (int i = 0; i < 100; ++i)
    many += std::string(i ? "," : "") + R"({"value":"x)" + std::to_string(i) + "\"}";
  auto patched = service_.Patch(ctx_, ResourceType::kGroup, g.resource.id, Ops(many + "]}]"), "");
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  ASSERT_EQ(patched->warnings.size(), kMaxWriteWarnings);
  EXPECT_EQ(patched->warnings.back(), "and 81 more members skipped");
  auto strict = TenantSettings::FromMap({{"profile", "strict"}});
  ASSERT_TRUE(strict.ok());
  ctx_.settings = *strict;
  EXPECT_FALSE(DecodeInput(ResourceType::kGroup, *Json::Parse(json), ctx_.settings.decode).ok());
}

TEST_F(ServiceTest, RendererStreamsOnlyLargeGroups) {
  const WriteResult group = MustCreate(ResourceType::kGroup, R"({"displayName":"Small"})");
  ScimRenderer renderer(service_);
  auto body = renderer.Resource(ctx_, "http://h/scim/v2", group.resource, Projection{});
  ASSERT_TRUE(body.ok());
  EXPECT_FALSE(body->stream);
  auto json = Json::Parse(body->text);
  ASSERT_TRUE(json.ok()) << body->text;
  EXPECT_EQ(json->Find("id")->as_string(), group.resource.id.ToString());
  EXPECT_EQ(json->Find("meta")->Find("location")->as_string(),
            "http://h/scim/v2/Groups/" + group.resource.id.ToString());
  auto with_body = renderer.PatchAnswersWithResource(ctx_, group.resource, false, false);
  ASSERT_TRUE(with_body.ok());
  EXPECT_TRUE(*with_body);
  with_body = renderer.PatchAnswersWithResource(ctx_, group.resource, true, false);
  EXPECT_FALSE(*with_body);
}

}  // namespace
}  // namespace scimd::core
