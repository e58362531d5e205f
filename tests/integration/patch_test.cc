// PATCH over HTTP: Entra's and Okta's requests as they send them, atomicity, versions,
// response forms, and membership at scale under concurrency.
#include <atomic>
#include <thread>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;

constexpr char kPatchOp[] = R"("schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"])";

class PatchTest : public ScimServerTest {
 protected:
  HttpResult Patch(const std::string& path, const std::string& operations,
                   std::vector<std::pair<std::string, std::string>> h = {}) {
    return client_->Send("PATCH", "/scim/v2" + path,
                         std::string("{") + kPatchOp + ",\"Operations\":" + operations + "}",
                         Auth(std::move(h)));
  }
  std::string CreateGroup(const std::string& name) {
    HttpResult r = Post("/Groups", R"({"displayName":")" + name + "\"}");
    EXPECT_EQ(r.status, 201) << r.body;
    return Str(Parse(r), "id");
  }
};

TEST_F(PatchTest, EntraUserUpdateAsSent) {
  const std::string id = CreateUser(
      "entra.user@contoso.com",
      R"(,"active":true,"emails":[{"type":"work","value":"old@contoso.com","primary":true}])");
  HttpResult r = Patch("/Users/" + id, R"([
    {"op":"Replace","path":"active","value":"False"},
    {"op":"Replace","path":"displayName","value":"Entra User"},
    {"op":"Replace","path":"name.givenName","value":"Entra"},
    {"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@contoso.com"},
    {"op":"Add","path":"addresses[type eq \"work\"].streetAddress","value":"1 Microsoft Way"},
    {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"701984"},
    {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"mgr-id"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Parse(r);
  EXPECT_FALSE(j.Find("active")->as_bool());
  EXPECT_EQ(Str(j, "displayName"), "Entra User");
  EXPECT_EQ(Str(*j.Find("name"), "givenName"), "Entra");
  EXPECT_EQ(Str(j.Find("emails")->as_array()[0], "value"), "new@contoso.com");
  EXPECT_EQ(Str(j.Find("addresses")->as_array()[0], "streetAddress"), "1 Microsoft Way");
  const Json* ent = j.Find("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  ASSERT_NE(ent, nullptr);
  EXPECT_EQ(Str(*ent, "employeeNumber"), "701984");
  EXPECT_EQ(Str(*ent->Find("manager"), "value"), "mgr-id");
  EXPECT_EQ(Str(*j.Find("meta"), "version"), r.Header("etag"));
  // What was acknowledged is what is stored.
  EXPECT_EQ(Get("/Users/" + id).body, r.body);
  // Inactive users are still found by filters (clients look them up to re-enable).
  EXPECT_EQ(
      Int(Parse(Get("/Users?filter=userName%20eq%20%22entra.user@contoso.com%22")), "totalResults"),
      1);
}

TEST_F(PatchTest, OktaNoPathReplaceOfActive) {
  const std::string id = CreateUser("okta.user", R"(,"active":true)");
  HttpResult r = Patch("/Users/" + id, R"([{"op":"replace","value":{"active":false}}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(Parse(Get("/Users/" + id)).Find("active")->as_bool());
}

TEST_F(PatchTest, UserNameChangeMovesUniquenessAndIndexes) {
  const std::string id = CreateUser("before");
  CreateUser("taken");
  ExpectScimError(Patch("/Users/" + id, R"([{"op":"replace","path":"userName","value":"TAKEN"}])"),
                  409, "uniqueness");
  ASSERT_EQ(Patch("/Users/" + id, R"([{"op":"replace","path":"userName","value":"after"}])").status,
            200);
  EXPECT_EQ(Int(Parse(Get("/Users?filter=userName%20eq%20%22after%22")), "totalResults"), 1);
  EXPECT_EQ(Int(Parse(Get("/Users?filter=userName%20eq%20%22before%22")), "totalResults"), 0);
  EXPECT_EQ(Post("/Users", R"({"userName":"before"})").status, 201);
}

TEST_F(PatchTest, FailingOperationLeavesResourceUntouched) {
  const std::string id = CreateUser("atomic", R"(,"title":"T")");
  const std::string before = Get("/Users/" + id).body;
  ExpectScimError(Patch("/Users/" + id, R"([{"op":"replace","path":"title","value":"changed"},
                                           {"op":"remove","path":"userName"}])"),
                  400, "mutability");
  ExpectScimError(Patch("/Users/" + id, R"([{"op":"replace","path":"title","value":"changed"},
                                           {"op":"replace","path":"nope","value":1}])"),
                  400, "invalidPath");
  ExpectScimError(Patch("/Users/" + id, R"([{"op":"remove"}])"), 400, "noTarget");
  ExpectScimError(
      Patch("/Users/" + id, R"([{"op":"replace","path":"emails[type zz 1]","value":"x"}])"), 400,
      "invalidFilter");
  ExpectScimError(Patch("/Users/" + id, R"([{"op":"replace","path":"active","value":"maybe"}])"),
                  400, "invalidValue");
  EXPECT_EQ(Get("/Users/" + id).body, before);
}

TEST_F(PatchTest, MalformedRequestsAndPreconditions) {
  const std::string id = CreateUser("bad");
  ExpectScimError(client_->Send("PATCH", "/scim/v2/Users/" + id, "{", Auth()), 400,
                  "invalidSyntax");
  ExpectScimError(client_->Send("PATCH", "/scim/v2/Users/" + id, R"({"Operations":"x"})", Auth()),
                  400, "invalidSyntax");
  ExpectScimError(
      client_->Send("PATCH", "/scim/v2/Users/" + id,
                    R"({"Operations":[{"op":"upsert","path":"title","value":"x"}]})", Auth()),
      400, "invalidSyntax");
  ExpectScimError(Patch("/Users/01900000-0000-7000-8000-000000000009", R"([])"), 404);
  ExpectScimError(Patch("/Users/" + id, R"([{"op":"add","path":"title","value":"x"}])",
                        {{"If-Match", "W/\"999\""}}),
                  412);
  const std::string etag = Get("/Users/" + id).Header("etag");
  EXPECT_EQ(
      Patch("/Users/" + id, R"([{"op":"add","path":"title","value":"x"}])", {{"If-Match", etag}})
          .status,
      200);
}

TEST_F(PatchTest, NoChangeKeepsVersion) {
  const std::string id = CreateUser("same", R"(,"title":"T")");
  const std::string etag = Get("/Users/" + id).Header("etag");
  HttpResult r = Patch("/Users/" + id, R"([{"op":"replace","path":"title","value":"T"},
                                          {"op":"remove","path":"nickName"}])");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("etag"), etag);
  EXPECT_EQ(Get("/Users/" + id).Header("etag"), etag);
  const std::string g = CreateGroup("g");
  const std::string g_etag = Get("/Groups/" + g).Header("etag");
  // Removing a member that is not there, or adding one twice, changes nothing.
  EXPECT_EQ(
      Patch("/Groups/" + g, R"([{"op":"remove","path":"members[value eq \")" + id + R"(\"]"}])")
          .Header("etag"),
      g_etag);
  const std::string added =
      Patch("/Groups/" + g,
            R"([{"op":"add","path":"members","value":[{"value":")" + id + R"("}]}])")
          .Header("etag");
  EXPECT_NE(added, g_etag);
  EXPECT_EQ(Patch("/Groups/" + g,
                  R"([{"op":"add","path":"members","value":[{"value":")" + id + R"("}]}])")
                .Header("etag"),
            added);
}

TEST_F(PatchTest, ResponseFormsPreferMinimalAttributes) {
  const std::string id = CreateUser("forms", R"(,"title":"T","displayName":"D")");
  HttpResult minimal = Patch("/Users/" + id, R"([{"op":"replace","path":"title","value":"T2"}])",
                             {{"Prefer", "return=minimal"}});
  EXPECT_EQ(minimal.status, 204);
  EXPECT_TRUE(minimal.body.empty());
  EXPECT_FALSE(minimal.Header("etag").empty());
  HttpResult projected =
      client_->Send("PATCH", "/scim/v2/Users/" + id + "?attributes=title",
                    std::string("{") + kPatchOp +
                        R"(,"Operations":[{"op":"replace","path":"title","value":"T3"}]})",
                    Auth());
  ASSERT_EQ(projected.status, 200);
  Json j = Parse(projected);
  EXPECT_EQ(Str(j, "title"), "T3");
  EXPECT_EQ(j.Find("displayName"), nullptr);
}

TEST_F(PatchTest, TenantSettingMakes204TheDefault) {
  StopServer();
  ASSERT_EQ(RunCommand({ScimctlBin(), "--data", data_, "tenant", "set", "acme",
                        "patch-response=no-content"})
                .exit_code,
            0);
  StartServer();
  const std::string id = CreateUser("ms");
  HttpResult r =
      Patch("/Users/" + id, R"([{"op":"Replace","path":"userName","value":"newusername"}])");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(Str(Parse(Get("/Users/" + id)), "userName"), "newusername");
}

TEST_F(PatchTest, EntraGroupMembershipForms) {
  const std::string g = CreateGroup("Engineering");
  std::vector<std::string> users;
  for (int i = 0; i < 5; ++i) users.push_back(CreateUser("member" + std::to_string(i)));
  std::string add = R"([{"op":"Add","path":"members","value":[)";
  for (size_t i = 0; i < users.size(); ++i) {
    add += (i ? "," : "") + std::string(R"({"value":")") + users[i] +
           R"(","$ref":null,"display":"M)" + std::to_string(i) + "\"}";
  }
  add += "]}]";
  HttpResult r = Patch("/Groups/" + g, add);
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> all = users;
  std::sort(all.begin(), all.end());
  EXPECT_EQ(MemberIds(Parse(r)), all);
  // Remove only those listed.
  ASSERT_EQ(Patch("/Groups/" + g,
                  R"([{"op":"Remove","path":"members","value":[{"value":")" + users[0] + R"("}]}])")
                .status,
            200);
  // Remove by filter.
  ASSERT_EQ(Patch("/Groups/" + g,
                  R"([{"op":"Remove","path":"members[value eq \")" + users[1] + R"(\"]"}])")
                .status,
            200);
  std::vector<std::string> left = {users[2], users[3], users[4]};
  std::sort(left.begin(), left.end());
  Json group = Parse(Get("/Groups/" + g));
  EXPECT_EQ(MemberIds(group), left);
  for (const auto& m : group.Find("members")->as_array()) EXPECT_FALSE(Str(m, "display").empty());
  // A member that cannot be added (the group itself) fails the whole PATCH: nothing is
  // applied.
  HttpResult bad = Patch("/Groups/" + g, R"([{"op":"Replace","path":"displayName","value":"X"},
      {"op":"Add","path":"members","value":[{"value":")" +
                                             g + R"("}]}])");
  ExpectScimError(bad, 400, "invalidValue");
  EXPECT_EQ(Str(Parse(Get("/Groups/" + g)), "displayName"), "Engineering");
  // Remove all.
  ASSERT_EQ(Patch("/Groups/" + g, R"([{"op":"remove","path":"members"}])").status, 200);
  EXPECT_TRUE(MemberIds(Parse(Get("/Groups/" + g))).empty());
}

// Replacing or removing all members of a group with many (RemoveAllMembers' unindexed
// deletes), alone and between other member operations of the same request: the group's
// members and every user's groups are exact afterwards.
TEST_F(PatchTest, ReplaceAndRemoveAllMembersLeaveExactEdges) {
  constexpr int kMembers = 40;
  const std::string g = CreateGroup("Many");
  std::vector<std::string> users;
  std::string add = R"([{"op":"add","path":"members","value":[)";
  for (int i = 0; i < kMembers + 3; ++i) {
    users.push_back(CreateUser("many" + std::to_string(i)));
    if (i >= kMembers) continue;  // three users outside the group
    add += (i ? "," : "") + std::string(R"({"value":")") + users[i] + "\"}";
  }
  add += "]}]";
  ASSERT_EQ(Patch("/Groups/" + g, add).status, 200);
  auto groups_of = [&](const std::string& user) {
    std::vector<std::string> ids;
    const Json u = Parse(Get("/Users/" + user));
    if (const Json* gs = u.Find("groups")) {
      for (const auto& item : gs->as_array()) ids.push_back(Str(item, "value"));
    }
    return ids;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<std::string> in_g = {g}, none;

  // replace: one kept member, one new.
  HttpResult r =
      Patch("/Groups/" + g, R"([{"op":"replace","path":"members","value":[{"value":")" + users[0] +
                                R"("},{"value":")" + users[kMembers] + R"("}]}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(MemberIds(Parse(r)), sorted({users[0], users[kMembers]}));
  EXPECT_EQ(MemberIds(Parse(Get("/Groups/" + g))), sorted({users[0], users[kMembers]}));
  EXPECT_EQ(groups_of(users[0]), in_g);
  EXPECT_EQ(groups_of(users[1]), none);
  EXPECT_EQ(groups_of(users[kMembers - 1]), none);
  EXPECT_EQ(groups_of(users[kMembers]), in_g);

  // add x, remove all, add y (and x's edge from before the clear goes too).
  const std::string& x = users[kMembers + 1];
  const std::string& y = users[kMembers + 2];
  r = Patch("/Groups/" + g, R"([{"op":"add","path":"members","value":[{"value":")" + x +
                                R"("}]},{"op":"remove","path":"members"},)"
                                R"({"op":"add","path":"members","value":[{"value":")" +
                                y + R"("},{"value":")" + users[0] + R"("}]}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(MemberIds(Parse(Get("/Groups/" + g))), sorted({y, users[0]}));
  EXPECT_EQ(groups_of(x), none);
  EXPECT_EQ(groups_of(y), in_g);
  EXPECT_EQ(groups_of(users[0]), in_g);
  EXPECT_EQ(groups_of(users[kMembers]), none);
  EXPECT_EQ(Int(Parse(Get("/Groups?filter=members%20eq%20%22" + x + "%22")), "totalResults"), 0);

  // remove path members: the attribute is then unassigned; removing again changes nothing.
  r = Patch("/Groups/" + g, R"([{"op":"remove","path":"members"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string etag = r.Header("etag");
  Json empty = Parse(Get("/Groups/" + g));
  EXPECT_EQ(empty.Find("members"), nullptr);
  EXPECT_EQ(groups_of(y), none);
  EXPECT_EQ(groups_of(users[0]), none);
  EXPECT_EQ(Patch("/Groups/" + g, R"([{"op":"remove","path":"members"}])").Header("etag"), etag);
  // The group takes members again.
  ASSERT_EQ(Patch("/Groups/" + g, add).status, 200);
  EXPECT_EQ(MemberIds(Parse(Get("/Groups/" + g))).size(), static_cast<size_t>(kMembers));
  EXPECT_EQ(groups_of(users[kMembers - 1]), in_g);
}

TEST_F(PatchTest, GroupRenameAndMembersInOneRequestAndFilterByMember) {
  const std::string g = CreateGroup("Old");
  const std::string u = CreateUser("gm");
  ASSERT_EQ(Patch("/Groups/" + g, R"([{"op":"Replace","path":"displayName","value":"New"},
      {"op":"Add","path":"members","value":[{"value":")" +
                                      u + R"("}]}])")
                .status,
            200);
  EXPECT_EQ(Int(Parse(Get("/Groups?filter=displayName%20eq%20%22new%22")), "totalResults"), 1);
  EXPECT_EQ(Int(Parse(Get("/Groups?filter=displayName%20eq%20%22old%22")), "totalResults"), 0);
}

TEST_F(PatchTest, ConcurrentMemberAddsAreNeverLost) {
  // 32 connections each add 1,000 distinct members to one group, in batches of 100.
  constexpr int kClients = 32, kPerClient = 1000, kBatch = 100;
  std::vector<std::vector<std::string>> ids(kClients);
  {
    std::vector<std::thread> creators;
    for (int c = 0; c < kClients; ++c) {
      creators.emplace_back([&, c] {
        HttpClient http(server_->port());
        for (int i = 0; i < kPerClient; ++i) {
          HttpResult r = http.Send(
              "POST", "/scim/v2/Users",
              R"({"userName":"c)" + std::to_string(c) + "-" + std::to_string(i) + "\"}", Auth());
          ASSERT_EQ(r.status, 201) << r.body;
          ids[c].push_back(Str(Parse(r), "id"));
        }
      });
    }
    for (auto& t : creators) t.join();
  }
  const std::string g = CreateGroup("big");
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int c = 0; c < kClients; ++c) {
    writers.emplace_back([&, c] {
      HttpClient http(server_->port());
      for (int start = 0; start < kPerClient; start += kBatch) {
        std::string ops = std::string("{") + kPatchOp +
                          R"(,"Operations":[{"op":"Add","path":"members","value":[)";
        for (int i = start; i < start + kBatch; ++i) {
          ops += (i > start ? "," : "") + std::string(R"({"value":")") + ids[c][i] + "\"}";
        }
        ops += "]}]}";
        HttpResult r =
            http.Send("PATCH", "/scim/v2/Groups/" + g + "?excludedAttributes=members", ops, Auth());
        if (r.status != 200) {
          ++failures;
          ADD_FAILURE() << r.status << " " << r.body;
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  Json group = Parse(Get("/Groups/" + g));
  EXPECT_EQ(group.Find("members")->as_array().size(), static_cast<size_t>(kClients * kPerClient));
  std::vector<std::string> want;
  for (const auto& v : ids) want.insert(want.end(), v.begin(), v.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(MemberIds(group), want);
}

}  // namespace
}  // namespace scimd::testing
