// /Bulk's batched creates over the in-memory store: Service::CreateMany (one commit, each
// input failing on its own, failOnErrors) and RunBulk's use of it (per-operation results,
// bulkId references from a group to users of the same batch, counts and searches after),
// and a single POST racing a batch for the same userNames (exactly one winner each).
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/base/clock.h"
#include "core/base/json.h"
#include "core/scim/bulk.h"
#include "core/usecase/service.h"
#include "storage/mem_store.h"

namespace scimd::core {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000'000;
constexpr AttrId kUserNameAttr = 1;  // User userName (SchemaRegistry; persisted, never changes)

class BulkBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tenant = store_.CreateTenant("acme");
    ASSERT_TRUE(tenant.ok()) << tenant.status().ToString();
    ctx_.tenant = tenant->id;
    ctx_.clock = &clock_;
    ctx_.may_wait = true;  // /Bulk runs on the blocking pool
  }
  Result<InputResource> Input(const std::string& json) {
    auto parsed = Json::Parse(json);
    EXPECT_TRUE(parsed.ok()) << json;
    return DecodeInput(ResourceType::kUser, parsed.ok() ? *parsed : Json::MakeObject(),
                       ctx_.settings.decode);
  }
  Result<InputResource> User(const std::string& user_name) {
    return Input(R"({"userName":")" + user_name + R"(","emails":[{"value":")" + user_name +
                 R"(@example.com"}]})");
  }
  uint64_t Total(const std::string& filter) {
    SearchQuery q;
    q.types = {ResourceType::kUser};
    q.filter = filter;
    auto r = service_.Search(ctx_, q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->total : 0;
  }
  uint64_t Count(ResourceType type) {
    auto n = store_.CountResources(ctx_.tenant, type);
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : 0;
  }
  std::string RunBulkJson(const std::string& operations, const std::string& extra = "") {
    auto request =
        ParseBulkRequest(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],)" +
                             extra + R"("Operations":[)" + operations + "]}",
                         BulkLimits{});
    EXPECT_TRUE(request.ok()) << request.status().ToString();
    if (!request.ok()) return "";
    return RunBulk(service_, ctx_, *request, "https://h/scim/v2");
  }
  static std::vector<Json> Ops(const std::string& body) {
    auto json = Json::Parse(body);
    EXPECT_TRUE(json.ok()) << body;
    if (!json.ok() || json->Find("Operations") == nullptr) return {};
    return json->Find("Operations")->as_array();
  }
  static std::string StatusOf(const Json& op) { return op.Find("status")->as_string(); }
  static std::string UserPost(const std::string& bulk_id, const std::string& user_name) {
    return R"({"method":"POST","path":"/Users","bulkId":")" + bulk_id +
           R"(","data":{"userName":")" + user_name + R"("}})";
  }

  storage::MemStore store_;
  Service service_{store_};
  ManualClock clock_{kT0};
  RequestContext ctx_;
};

TEST_F(BulkBatchTest, CreateManyCommitsOnceAndEachInputFailsAlone) {
  ASSERT_TRUE(service_.Create(ctx_, ResourceType::kUser, std::move(User("taken")).value()).ok());
  const uint64_t commits = store_.commits();
  std::vector<Result<InputResource>> inputs;
  inputs.push_back(User("ann"));
  inputs.push_back(Status::InvalidValue("Operations[1]: bad"));  // failed to decode
  inputs.push_back(User("ANN"));                                 // ann, earlier in the batch
  inputs.push_back(User("Taken"));                               // in the store already
  inputs.push_back(Input(R"({"userName":"bob","password":"s3cret!"})"));
  auto out = service_.CreateMany(ctx_, ResourceType::kUser, std::move(inputs));
  EXPECT_EQ(store_.commits(), commits + 1);
  ASSERT_EQ(out.size(), 5u);
  ASSERT_TRUE(out[0].ok()) << out[0].status().ToString();
  EXPECT_TRUE(out[1].status().Is(Status::Code::kInvalidValue));
  EXPECT_TRUE(out[2].status().Is(Status::Code::kUniqueness)) << out[2].status().ToString();
  EXPECT_NE(out[2].status().detail().find("userName \"ANN\""), std::string::npos)
      << out[2].status().detail();
  EXPECT_TRUE(out[3].status().Is(Status::Code::kUniqueness));
  ASSERT_TRUE(out[4].ok()) << out[4].status().ToString();
  EXPECT_EQ(out[0]->resource.Etag(), "W/\"1\"");
  EXPECT_EQ(out[0]->resource.header.created_us, kT0);
  EXPECT_EQ(out[0]->changed_attributes, (std::vector<std::string>{"emails", "userName"}));
  EXPECT_EQ(out[4]->changed_attributes, (std::vector<std::string>{"password", "userName"}));
  EXPECT_FALSE(out[4]->resource.header.password_hash.empty());

  // The count, the unique entries and the indexes agree with what was created.
  EXPECT_EQ(Count(ResourceType::kUser), 3u);
  auto ann = store_.LookupUnique(ctx_.tenant, ResourceType::kUser,
                                 IndexTerm{kUserNameAttr, IndexValue::String("ann")});
  ASSERT_TRUE(ann.ok() && ann->has_value());
  EXPECT_EQ(**ann, out[0]->resource.id);
  EXPECT_EQ(Total(R"(userName eq "ANN")"), 1u);
  EXPECT_EQ(Total(R"(emails.value eq "ann@example.com")"), 1u);
  EXPECT_EQ(Total(R"(userName eq "bob")"), 1u);
  EXPECT_EQ(Total(""), 3u);
  auto got = service_.Get(ctx_, ResourceType::kUser, out[4]->resource.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value, out[4]->resource.value);
}

TEST_F(BulkBatchTest, CreateManyStopsAfterMaxFailures) {
  ASSERT_TRUE(service_.Create(ctx_, ResourceType::kUser, std::move(User("x")).value()).ok());
  std::vector<Result<InputResource>> inputs;
  for (const char* name : {"a", "x", "b", "x", "c"}) inputs.push_back(User(name));
  auto out = service_.CreateMany(ctx_, ResourceType::kUser, std::move(inputs), 2);
  ASSERT_EQ(out.size(), 4u);  // the second failure ends it: "c" never ran
  EXPECT_TRUE(out[0].ok());
  EXPECT_FALSE(out[1].ok());
  EXPECT_TRUE(out[2].ok());
  EXPECT_FALSE(out[3].ok());
  EXPECT_EQ(Count(ResourceType::kUser), 3u);
  EXPECT_EQ(Total(R"(userName eq "c")"), 0u);
}

TEST_F(BulkBatchTest, NothingToWriteCommitsNothing) {
  const uint64_t commits = store_.commits();
  std::vector<Result<InputResource>> inputs;
  inputs.push_back(Status::InvalidValue("bad"));
  auto out = service_.CreateMany(ctx_, ResourceType::kUser, std::move(inputs));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].ok());
  EXPECT_EQ(store_.commits(), commits);
  EXPECT_TRUE(service_.CreateMany(ctx_, ResourceType::kUser, {}).empty());
}

TEST_F(BulkBatchTest, ALostLockRaceRetriesTheWholeBatch) {
  // Another writer holds the unique key of "held": the batch waits for it (RunTransaction's
  // policy), then creates what is free and reports the value taken by the winner.
  auto holder = store_.Begin(ctx_.tenant);
  const ResourceId other = ResourceId::Generate();
  ASSERT_TRUE(holder
                  ->ClaimUnique(ResourceType::kUser,
                                IndexTerm{kUserNameAttr, IndexValue::String("held")}, other)
                  .ok());
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    ASSERT_TRUE(holder->Commit().ok());
  });
  std::vector<Result<InputResource>> inputs;
  for (const char* name : {"a", "held", "b"}) inputs.push_back(User(name));
  auto out = service_.CreateMany(ctx_, ResourceType::kUser, std::move(inputs));
  release.join();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].ok());
  EXPECT_TRUE(out[1].status().Is(Status::Code::kUniqueness)) << out[1].status().ToString();
  EXPECT_TRUE(out[2].ok());
  EXPECT_EQ(Count(ResourceType::kUser), 2u);
}

TEST_F(BulkBatchTest, MixedBulkGivesPerOperationResultsAndOneCommitPerRunOfPosts) {
  ASSERT_TRUE(service_.Create(ctx_, ResourceType::kUser, std::move(User("old")).value()).ok());
  const uint64_t commits = store_.commits();
  const std::string body = RunBulkJson(
      UserPost("u1", "ann") + "," + UserPost("u2", "bob") + "," +
      R"({"method":"POST","path":"/Users","bulkId":"bad","data":{"userName":7}},)" +
      UserPost("dup", "Ann") + "," + UserPost("old", "OLD") + "," +
      R"({"method":"POST","path":"/Groups","bulkId":"e","data":{"displayName":"Empty"}},)" +
      R"({"method":"POST","path":"/Groups","bulkId":"g","data":{"displayName":"G",)"
      R"("members":[{"value":"bulkId:u1"},{"value":"bulkId:u2"}]}},)" +
      UserPost("u3", "cy"));
  std::vector<Json> ops = Ops(body);
  ASSERT_EQ(ops.size(), 8u) << body;
  EXPECT_EQ(StatusOf(ops[0]), "201");
  EXPECT_EQ(StatusOf(ops[1]), "201");
  EXPECT_EQ(StatusOf(ops[2]), "400") << ops[2].Serialize();
  EXPECT_EQ(StatusOf(ops[3]), "409");
  EXPECT_EQ(ops[3].Find("response")->Find("scimType")->as_string(), "uniqueness");
  EXPECT_EQ(StatusOf(ops[4]), "409");
  EXPECT_EQ(StatusOf(ops[5]), "201");  // a group without members joins the batch
  EXPECT_EQ(StatusOf(ops[6]), "201");
  EXPECT_EQ(StatusOf(ops[7]), "201");
  EXPECT_EQ(ops[0].Find("version")->as_string(), "W/\"1\"");
  EXPECT_EQ(ops[0].Find("bulkId")->as_string(), "u1");
  // Users 0-4 are one commit and the empty group a second (another type); the group with
  // members runs alone after them, then u3 is the last batch.
  EXPECT_EQ(store_.commits(), commits + 4);

  EXPECT_EQ(Count(ResourceType::kUser), 4u);  // old, ann, bob, cy
  EXPECT_EQ(Count(ResourceType::kGroup), 2u);
  const std::string loc = ops[6].Find("location")->as_string();
  auto group = ResourceId::Parse(loc.substr(loc.rfind('/') + 1));
  ASSERT_TRUE(group.ok());
  auto members = store_.CountMembers(ctx_.tenant, *group);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(*members, 2u);
  const std::string uloc = ops[0].Find("location")->as_string();
  auto ann = ResourceId::Parse(uloc.substr(uloc.rfind('/') + 1));
  ASSERT_TRUE(ann.ok());
  auto groups = service_.GroupsOf(ctx_, *ann);
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ(groups->at(0).group, *group);
}

TEST_F(BulkBatchTest, AThousandPostsAreOneCommit) {
  std::string ops;
  for (int i = 0; i < 1000; ++i) {
    ops += (i > 0 ? "," : "") + UserPost("u" + std::to_string(i), "user" + std::to_string(i));
  }
  const uint64_t commits = store_.commits();
  std::vector<Json> results = Ops(RunBulkJson(ops));
  ASSERT_EQ(results.size(), 1000u);
  for (const auto& r : results) ASSERT_EQ(StatusOf(r), "201") << r.Serialize();
  EXPECT_EQ(store_.commits(), commits + 1);
  EXPECT_EQ(Count(ResourceType::kUser), 1000u);
  EXPECT_EQ(Total(R"(userName sw "user99")"), 11u);  // user99, user990..user999
}

TEST_F(BulkBatchTest, FailOnErrorsInsideABatchCommitsWhatRanBeforeTheLimit) {
  ASSERT_TRUE(service_.Create(ctx_, ResourceType::kUser, std::move(User("x")).value()).ok());
  std::vector<Json> ops =
      Ops(RunBulkJson(UserPost("a", "a") + "," + UserPost("b", "x") + "," + UserPost("c", "c"),
                      R"("failOnErrors":1,)"));
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(StatusOf(ops[0]), "201");
  EXPECT_EQ(StatusOf(ops[1]), "409");
  EXPECT_EQ(Total(R"(userName eq "a")"), 1u);
  EXPECT_EQ(Total(R"(userName eq "c")"), 0u);
  EXPECT_EQ(Count(ResourceType::kUser), 2u);
}

TEST_F(BulkBatchTest, ASinglePostRacingABatchLeavesExactlyOneWinnerPerUserName) {
  // One thread sends /Bulk batches of users n0..n(N-1); another POSTs the same names one by
  // one in reverse order. Whatever interleaving: each name is created once.
  constexpr int kN = 400;
  std::vector<std::string> bulk_status(kN);
  std::vector<bool> single_ok(kN, false);
  std::thread bulk([&] {
    for (int start = 0; start < kN; start += 100) {
      std::string ops;
      for (int i = start; i < start + 100; ++i) {
        ops += (i > start ? "," : "") + UserPost("b" + std::to_string(i), "n" + std::to_string(i));
      }
      std::vector<Json> results = Ops(RunBulkJson(ops));
      ASSERT_EQ(results.size(), 100u);
      for (int i = 0; i < 100; ++i) bulk_status[start + i] = StatusOf(results[i]);
    }
  });
  std::thread single([&] {
    for (int i = kN - 1; i >= 0; --i) {
      auto r = service_.Create(ctx_, ResourceType::kUser,
                               std::move(User("n" + std::to_string(i))).value());
      ASSERT_TRUE(r.ok() || r.status().Is(Status::Code::kUniqueness)) << r.status().ToString();
      single_ok[i] = r.ok();
    }
  });
  bulk.join();
  single.join();
  for (int i = 0; i < kN; ++i) {
    ASSERT_TRUE(bulk_status[i] == "201" || bulk_status[i] == "409") << i << bulk_status[i];
    EXPECT_NE(bulk_status[i] == "201", single_ok[i]) << "n" << i;
  }
  EXPECT_EQ(Count(ResourceType::kUser), static_cast<uint64_t>(kN));
  EXPECT_EQ(Total(""), static_cast<uint64_t>(kN));
}

}  // namespace
}  // namespace scimd::core
