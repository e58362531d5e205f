// Groups over HTTP: membership stored as edges, streamed reads, nested groups, deletes.
#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;

class GroupsTest : public ScimServerTest {
 protected:
  std::string CreateGroup(const std::string& name, const std::vector<std::string>& members = {}) {
    std::string body =
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":")" + name +
        R"(","members":[)";
    for (size_t i = 0; i < members.size(); ++i) {
      if (i > 0) body += ",";
      body += R"({"value":")" + members[i] + "\"}";
    }
    body += "]}";
    HttpResult r = Post("/Groups", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return Str(Parse(r), "id");
  }
};

TEST_F(GroupsTest, CreateWithMembersAndReadThemBack) {
  const std::string u1 = CreateUser("m1"), u2 = CreateUser("m2");
  HttpResult r = Post("/Groups", R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
      "displayName":"Sales","externalId":"g-ext","members":[{"value":")" +
                                     u1 + R"(","display":"M1","$ref":null},{"value":")" + u2 +
                                     R"(","type":"User"}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  Json created = Parse(r);
  const std::string gid = Str(created, "id");
  std::vector<std::string> want = {u1, u2};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(MemberIds(created), want);
  EXPECT_EQ(Str(*created.Find("meta"), "resourceType"), "Group");

  HttpResult g = Get("/Groups/" + gid);
  ASSERT_EQ(g.status, 200);
  Json j = Parse(g);
  EXPECT_EQ(Str(j, "displayName"), "Sales");
  EXPECT_EQ(Str(j, "externalId"), "g-ext");
  EXPECT_EQ(MemberIds(j), want);
  const Json& item = j.Find("members")->as_array()[0];
  EXPECT_EQ(Str(item, "type"), "User");
  // The client's display label is kept with the edge and returned.
  bool saw_display = false;
  for (const auto& m : j.Find("members")->as_array()) {
    if (Str(m, "value") == u1) {
      EXPECT_EQ(Str(m, "display"), "M1");
      saw_display = true;
    } else {
      EXPECT_EQ(m.Find("display"), nullptr);
    }
  }
  EXPECT_TRUE(saw_display);
  EXPECT_NE(Str(item, "$ref").find("/scim/v2/Users/"), std::string::npos);

  Json excluded = Parse(Get("/Groups/" + gid + "?excludedAttributes=members"));
  EXPECT_EQ(excluded.Find("members"), nullptr);
  EXPECT_EQ(Str(excluded, "displayName"), "Sales");
}

TEST_F(GroupsTest, EntraGroupWithExtraSchemaAndEmptyMembers) {
  HttpResult r = Post("/Groups", R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group",
      "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
      "displayName":"Entra Group","externalId":"e1","members":[]})");
  ASSERT_EQ(r.status, 201) << r.body;
  // Entra's test connection for groups.
  HttpResult t =
      Get("/Groups?excludedAttributes=members&filter=displayName+eq+%22b3f1c2d4-0000-4000-8000-"
          "000000000000%22");
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(Int(Parse(t), "totalResults"), 0);
  Json found =
      Parse(Get("/Groups?excludedAttributes=members&filter=displayName+eq+%22entra%20group%22"));
  EXPECT_EQ(Int(found, "totalResults"), 1);
  EXPECT_EQ(found.Find("Resources")->as_array()[0].Find("members"), nullptr);
  EXPECT_EQ(Int(Parse(Get("/Groups?filter=externalId+eq+%22e1%22")), "totalResults"), 1);
}

TEST_F(GroupsTest, MembersMustExistInTheTenant) {
  SetTenant("unknown-members=reject");  // the default skips them (LifecycleTest)
  const std::string missing = "01900000-0000-7000-8000-000000000001";
  HttpResult r = Post("/Groups", R"({"displayName":"G","members":[{"value":")" + missing + "\"}]}");
  ExpectScimError(r, 400, "invalidValue");
  EXPECT_NE(r.body.find(missing), std::string::npos);
  ExpectScimError(Post("/Groups", R"({"displayName":"G","members":[{"value":"junk"}]})"), 400,
                  "invalidValue");
  ExpectScimError(Post("/Groups", R"({"displayName":"G","members":[{"display":"no value"}]})"), 400,
                  "invalidValue");
  ExpectScimError(Post("/Groups", R"({"displayName":"G","members":"x"})"), 400, "invalidValue");
  ExpectScimError(Post("/Groups", R"({"members":[]})"), 400, "invalidValue");  // displayName
  EXPECT_EQ(Int(Parse(Get("/Groups?count=0")), "totalResults"), 0);
}

TEST_F(GroupsTest, DeletingAUserRemovesItFromItsGroups) {
  const std::string u1 = CreateUser("d1"), u2 = CreateUser("d2");
  const std::string g1 = CreateGroup("A", {u1, u2}), g2 = CreateGroup("B", {u1});
  ASSERT_EQ(Delete("/Users/" + u1).status, 204);
  EXPECT_EQ(MemberIds(Parse(Get("/Groups/" + g1))), std::vector<std::string>{u2});
  EXPECT_TRUE(MemberIds(Parse(Get("/Groups/" + g2))).empty());
}

TEST_F(GroupsTest, PutReplacesMembership) {
  const std::string u1 = CreateUser("p1"), u2 = CreateUser("p2"), u3 = CreateUser("p3");
  const std::string g = CreateGroup("Put", {u1, u2});
  HttpResult r = Put("/Groups/" + g, R"({"displayName":"Put2","members":[{"value":")" + u3 +
                                         R"("},{"value":")" + u2 + "\"}]}");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> want = {u2, u3};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(MemberIds(Parse(r)), want);
  EXPECT_EQ(MemberIds(Parse(Get("/Groups/" + g))), want);
  // PUT without members clears them (RFC 7644 §3.5.1 replaces the whole resource).
  ASSERT_EQ(Put("/Groups/" + g, R"({"displayName":"Put3"})").status, 200);
  EXPECT_TRUE(MemberIds(Parse(Get("/Groups/" + g))).empty());
  // A bad member (the group itself) leaves the group as it was.
  ExpectScimError(Put("/Groups/" + g, R"({"displayName":"Bad","members":[{"value":")" + u1 +
                                          R"("},{"value":")" + g + "\"}]}"),
                  400, "invalidValue");
  EXPECT_EQ(Str(Parse(Get("/Groups/" + g)), "displayName"), "Put3");
}

TEST_F(GroupsTest, PutOverManyMembersLeavesExactEdges) {
  constexpr int kMembers = 40;
  std::vector<std::string> users;
  for (int i = 0; i < kMembers + 1; ++i) users.push_back(CreateUser("pm" + std::to_string(i)));
  const std::string g =
      CreateGroup("Before", std::vector<std::string>(users.begin(), users.begin() + kMembers));
  const std::string other = CreateGroup("Other", {users[1]});
  auto groups_of = [&](const std::string& user) {
    std::vector<std::string> ids;
    const Json u = Parse(Get("/Users/" + user));
    if (const Json* gs = u.Find("groups")) {
      for (const auto& item : gs->as_array()) ids.push_back(Str(item, "value"));
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  // Keeps users[0], drops the rest, adds users[kMembers].
  HttpResult r = Put("/Groups/" + g, R"({"displayName":"After","members":[{"value":")" +
                                         users[kMembers] + R"("},{"value":")" + users[0] + "\"}]}");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> want = {users[0], users[kMembers]};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(MemberIds(Parse(Get("/Groups/" + g))), want);
  EXPECT_EQ(groups_of(users[0]), std::vector<std::string>{g});
  EXPECT_EQ(groups_of(users[1]), std::vector<std::string>{other});
  EXPECT_TRUE(groups_of(users[kMembers - 1]).empty());
  EXPECT_EQ(groups_of(users[kMembers]), std::vector<std::string>{g});
  EXPECT_EQ(MemberIds(Parse(Get("/Groups/" + other))), std::vector<std::string>{users[1]});
  // The same membership again: still exactly those two.
  ASSERT_EQ(Put("/Groups/" + g, R"({"displayName":"After","members":[{"value":")" + users[0] +
                                    R"("},{"value":")" + users[kMembers] + "\"}]}")
                .status,
            200);
  EXPECT_EQ(MemberIds(Parse(Get("/Groups/" + g))), want);
  EXPECT_EQ(groups_of(users[kMembers]), std::vector<std::string>{g});
}

TEST_F(GroupsTest, NestedGroupsWithoutCycles) {
  const std::string u = CreateUser("n1");
  const std::string inner = CreateGroup("Inner", {u});
  const std::string outer = CreateGroup("Outer", {inner});
  Json o = Parse(Get("/Groups/" + outer));
  ASSERT_EQ(MemberIds(o), std::vector<std::string>{inner});
  EXPECT_EQ(Str(o.Find("members")->as_array()[0], "type"), "Group");
  // Inner cannot contain Outer (cycle), nor itself.
  ExpectScimError(
      Put("/Groups/" + inner, R"({"displayName":"Inner","members":[{"value":")" + outer + "\"}]}"),
      400, "invalidValue");
  ExpectScimError(
      Put("/Groups/" + inner, R"({"displayName":"Inner","members":[{"value":")" + inner + "\"}]}"),
      400, "invalidValue");
  // Deleting the inner group removes it from the outer one.
  ASSERT_EQ(Delete("/Groups/" + inner).status, 204);
  EXPECT_TRUE(MemberIds(Parse(Get("/Groups/" + outer))).empty());
}

TEST_F(GroupsTest, UserGroupsAttributeIsComputedDirectAndIndirect) {
  const std::string u = CreateUser("grouped");
  EXPECT_EQ(Parse(Get("/Users/" + u)).Find("groups"), nullptr);  // in no group: unassigned
  const std::string inner = CreateGroup("Inner Team", {u});
  const std::string outer = CreateGroup("Whole Org", {inner});
  Json user = Parse(Get("/Users/" + u));
  const Json* groups = user.Find("groups");
  ASSERT_NE(groups, nullptr) << Get("/Users/" + u).body;
  ASSERT_EQ(groups->as_array().size(), 2u);
  const Json& direct = groups->as_array()[0];
  const Json& indirect = groups->as_array()[1];
  EXPECT_EQ(Str(direct, "value"), inner);
  EXPECT_EQ(Str(direct, "display"), "Inner Team");
  EXPECT_EQ(Str(direct, "type"), "direct");
  EXPECT_NE(Str(direct, "$ref").find("/Groups/" + inner), std::string::npos);
  EXPECT_EQ(Str(indirect, "value"), outer);
  EXPECT_EQ(Str(indirect, "type"), "indirect");
  EXPECT_EQ(Parse(Get("/Users/" + u + "?excludedAttributes=groups")).Find("groups"), nullptr);
  EXPECT_EQ(Parse(Get("/Users/" + u + "?attributes=userName")).Find("groups"), nullptr);
  EXPECT_NE(Parse(Get("/Users/" + u + "?attributes=groups")).Find("groups"), nullptr);
  Json list = Parse(Get("/Users?filter=userName%20eq%20%22grouped%22"));
  EXPECT_NE(list.Find("Resources")->as_array()[0].Find("groups"), nullptr);
  // groups is read-only: ignored on input.
  HttpResult put = Put("/Users/" + u, R"({"userName":"grouped","groups":[{"value":"x"}]})");
  ASSERT_EQ(put.status, 200);
  EXPECT_EQ(Parse(put).Find("groups")->as_array().size(), 2u);
  // Leaving the inner group removes both.
  ASSERT_EQ(Put("/Groups/" + inner, R"({"displayName":"Inner Team"})").status, 200);
  EXPECT_EQ(Parse(Get("/Users/" + u)).Find("groups"), nullptr);
}

TEST_F(GroupsTest, LargeGroupStreamsEveryMember) {
  constexpr int kMembers = 3000;  // above the inline limit: sent chunked
  std::vector<std::string> ids;
  std::string body = R"({"displayName":"Big","members":[)";
  for (int i = 0; i < kMembers; ++i) {
    ids.push_back(CreateUser("big" + std::to_string(i)));
    if (i > 0) body += ",";
    body += R"({"value":")" + ids.back() + "\"}";
  }
  body += "]}";
  HttpResult created = Post("/Groups", body);
  ASSERT_EQ(created.status, 201);
  const std::string gid = Str(Parse(created), "id");
  HttpResult g = Get("/Groups/" + gid);
  ASSERT_EQ(g.status, 200);
  EXPECT_TRUE(g.chunked);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(MemberIds(Parse(g)), ids);
  HttpResult excluded = Get("/Groups/" + gid + "?excludedAttributes=members");
  EXPECT_FALSE(excluded.chunked);
  EXPECT_LT(excluded.body.size(), 1000u);
  Json list = Parse(Get("/Groups"));
  ASSERT_EQ(list.Find("Resources")->as_array().size(), 1u);
  EXPECT_EQ(MemberIds(list.Find("Resources")->as_array()[0]), ids);

  // A PATCH of a group this large is answered 204: a 200 would carry every member for a
  // one-member change. Naming attributes or excludedAttributes still gets a 200.
  const std::string extra = CreateUser("big-extra");
  const std::string add =
      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":")" +
      extra + R"("}]}]})";
  HttpResult patched = client_->Send("PATCH", "/scim/v2/Groups/" + gid, add, Auth());
  EXPECT_EQ(patched.status, 204) << patched.body;
  EXPECT_TRUE(patched.body.empty());
  EXPECT_FALSE(patched.Header("etag").empty());
  patched =
      client_->Send("PATCH", "/scim/v2/Groups/" + gid + "?excludedAttributes=members", add, Auth());
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Str(Parse(patched), "displayName"), "Big");
  EXPECT_EQ(Parse(patched).Find("members"), nullptr);
  EXPECT_EQ(MemberIds(Parse(Get("/Groups/" + gid))).size(), ids.size() + 1);
}

TEST_F(GroupsTest, DeletingALargeGroupRemovesEveryEdge) {
  // More members than one batch of the batched removal this replaced (5,000).
  constexpr int kMembers = 5500;
  std::vector<std::string> ids;
  std::string body = R"({"displayName":"Huge","members":[)";
  for (int i = 0; i < kMembers; ++i) {
    ids.push_back(CreateUser("huge" + std::to_string(i)));
    if (i > 0) body += ",";
    body += R"({"value":")" + ids.back() + "\"}";
  }
  body += "]}";
  const std::string keep = CreateGroup("Kept", {ids[0], ids[kMembers - 1]});
  HttpResult created = Post("/Groups", body);
  ASSERT_EQ(created.status, 201);
  const std::string gid = Str(Parse(created), "id");
  ASSERT_EQ(Delete("/Groups/" + gid).status, 204);
  ExpectScimError(Get("/Groups/" + gid), 404);
  // No user still belongs to the deleted group; the other group is untouched.
  for (const std::string& u : {ids[0], ids[2500], ids[kMembers - 1]}) {
    Json user = Parse(Get("/Users/" + u));
    const Json* groups = user.Find("groups");
    if (u == ids[2500]) {
      EXPECT_EQ(groups, nullptr);
    } else {
      ASSERT_NE(groups, nullptr);
      ASSERT_EQ(groups->as_array().size(), 1u);
      EXPECT_EQ(Str(groups->as_array()[0], "value"), keep);
    }
  }
  EXPECT_EQ(
      Int(Parse(Get("/Groups?filter=members%20eq%20%22" + ids[2500] + "%22")), "totalResults"), 0);
  EXPECT_EQ(MemberIds(Parse(Get("/Groups/" + keep))).size(), 2u);
}

TEST_F(GroupsTest, DeleteGroupThen404) {
  const std::string g = CreateGroup("Del");
  EXPECT_EQ(Delete("/Groups/" + g).status, 204);
  ExpectScimError(Get("/Groups/" + g), 404);
  EXPECT_EQ(Int(Parse(Get("/Groups?count=0")), "totalResults"), 0);
}

}  // namespace
}  // namespace scimd::testing
