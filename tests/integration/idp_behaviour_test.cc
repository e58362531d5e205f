// shared/IDP-BEHAVIOUR.md, request by request, as Entra ID and Okta send them: the habits
// not already covered by the resource tests (see docs/COMPATIBILITY.md for the full map).
#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;

constexpr char kPatchOp[] = R"("schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"])";

class IdpBehaviourTest : public ScimServerTest {
 protected:
  HttpResult Patch(const std::string& path, const std::string& operations) {
    return client_->Send("PATCH", "/scim/v2" + path,
                         std::string("{") + kPatchOp + ",\"Operations\":" + operations + "}",
                         Auth());
  }
};

TEST_F(IdpBehaviourTest, PerCustomerHostNameAndProxySchemeAppearInLocations) {
  // `https://<customer>.example.com/scim` behind a TLS-terminating proxy.
  HttpResult r =
      client_->Send("POST", "/scim/Users", R"({"userName":"host.user"})",
                    Auth({{"Host", "acme.example.com"}, {"X-Forwarded-Proto", "https"}}));
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = Str(Parse(r), "id");
  EXPECT_EQ(r.Header("location"), "https://acme.example.com/scim/Users/" + id);
  EXPECT_EQ(Str(*Parse(r).Find("meta"), "location"), r.Header("location"));
  // A Host header that is not a host name is not reflected.
  HttpResult bad = client_->Send("GET", "/scim/v2/Users/" + id, "",
                                 Auth({{"Host", "evil.example.com\"><script>"}}));
  ASSERT_EQ(bad.status, 200);
  EXPECT_EQ(bad.body.find("evil"), std::string::npos);
}

TEST_F(IdpBehaviourTest, EntraSavesTheAppThenTestsTheConnection) {
  // Entra reads the discovery endpoints when the app is saved, with its token.
  for (const char* path : {"/Schemas", "/ResourceTypes", "/ServiceProviderConfig"}) {
    HttpResult r = Get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.Header("content-type"), "application/scim+json") << path;
  }
  HttpResult users = Get("/Users?filter=userName+eq+%2238a4b4c2-9d33-4d3f-9b8d-2a7b1c6f0e11%22");
  ASSERT_EQ(users.status, 200);
  Json u = Parse(users);
  EXPECT_EQ(Int(u, "totalResults"), 0);
  EXPECT_TRUE(u.Find("Resources")->as_array().empty());
  HttpResult groups =
      Get("/Groups?excludedAttributes=members&filter=displayName+eq+%2238a4b4c2-9d33-4d3f-9b8d-"
          "2a7b1c6f0e11%22");
  ASSERT_EQ(groups.status, 200);
  EXPECT_EQ(Int(Parse(groups), "totalResults"), 0);
}

TEST_F(IdpBehaviourTest, EntraOnConflictSearchesThenPatches) {
  const std::string id = CreateUser("Jane.Doe@contoso.com", R"(,"active":true)");
  // Entra's create collides (the user exists, possibly in another case)...
  HttpResult dup = Post("/Users", R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
      "userName":"jane.doe@CONTOSO.com","active":true})");
  ExpectScimError(dup, 409, "uniqueness");
  EXPECT_NE(Str(Parse(dup), "detail").find("userName"), std::string::npos);
  // ...so it matches on userName and PATCHes the user it found.
  Json found = Parse(Get("/Users?filter=userName+eq+%22jane.doe%40contoso.com%22"));
  ASSERT_EQ(Int(found, "totalResults"), 1);
  EXPECT_EQ(Str(found.Find("Resources")->as_array()[0], "id"), id);
  ASSERT_EQ(
      Patch("/Users/" + id, R"([{"op":"Replace","path":"displayName","value":"Jane"}])").status,
      200);
  EXPECT_EQ(Str(Parse(Get("/Users/" + id)), "displayName"), "Jane");
}

TEST_F(IdpBehaviourTest, EntraNoPathReplaceWithDottedAndUrnKeys) {
  const std::string id = CreateUser("nopath", R"(,"active":true,"name":{"familyName":"F"})");
  HttpResult r = Patch("/Users/" + id, R"([{"op":"replace","value":{"active":false,
      "name.givenName":"A","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"X"}}])");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Parse(Get("/Users/" + id));
  EXPECT_FALSE(j.Find("active")->as_bool());
  EXPECT_EQ(Str(*j.Find("name"), "givenName"), "A");
  EXPECT_EQ(Str(*j.Find("name"), "familyName"), "F");
  EXPECT_EQ(
      Str(*j.Find("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), "department"),
      "X");
}

TEST_F(IdpBehaviourTest, EntraManagerInAllThreeForms) {
  const std::string id = CreateUser("report");
  const std::string mgr = CreateUser("boss");
  const std::string path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
  auto manager_of = [&] {
    Json j = Parse(Get("/Users/" + id));
    const Json* ext = j.Find("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
    return ext == nullptr || ext->Find("manager") == nullptr ? std::string()
                                                             : Str(*ext->Find("manager"), "value");
  };
  for (const std::string& value :
       {"\"" + mgr + "\"", R"({"value":")" + mgr + "\"}", R"([{"value":")" + mgr + "\"}]"}) {
    ASSERT_EQ(Patch("/Users/" + id,
                    R"([{"op":"Replace","path":")" + path + "\",\"value\":" + value + "}]")
                  .status,
              200)
        << value;
    EXPECT_EQ(manager_of(), mgr) << value;
    ASSERT_EQ(Patch("/Users/" + id, R"([{"op":"Remove","path":")" + path + "\"}]").status, 200);
    EXPECT_EQ(manager_of(), "");
  }
  // Entra clears the manager with an empty value.
  ASSERT_EQ(
      Patch("/Users/" + id, R"([{"op":"Add","path":")" + path + "\",\"value\":\"" + mgr + "\"}]")
          .status,
      200);
  ASSERT_EQ(
      Patch("/Users/" + id, R"([{"op":"Replace","path":")" + path + "\",\"value\":\"\"}]").status,
      200);
  EXPECT_EQ(manager_of(), "");
}

TEST_F(IdpBehaviourTest, HundredsOfMemberOperationsInOnePatch) {
  HttpResult g = Post("/Groups", R"({"displayName":"Big batch"})");
  const std::string gid = Str(Parse(g), "id");
  std::vector<std::string> ids;
  std::string ops = "[";
  for (int i = 0; i < 300; ++i) {
    ids.push_back(CreateUser("batch" + std::to_string(i)));
    if (i > 0) ops += ",";
    ops +=
        R"({"op":"Add","path":"members","value":[{"value":")" + ids.back() + R"(","$ref":null}]})";
  }
  // ...and Entra's removal of a few listed members in the same request.
  for (int i = 0; i < 10; ++i) {
    ops += R"(,{"op":"Remove","path":"members","value":[{"value":")" + ids[i] + "\"}]}";
  }
  ops += "]";
  HttpResult r = Patch("/Groups/" + gid + "?excludedAttributes=members", ops);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Parse(r).Find("members"), nullptr);
  Json group = Parse(Get("/Groups/" + gid));
  EXPECT_EQ(group.Find("members")->as_array().size(), 290u);
}

TEST_F(IdpBehaviourTest, DisabledUsersStayFindableAndCanBeReEnabled) {
  const std::string id = CreateUser("leaver@contoso.com", R"(,"externalId":"E-1","active":true)");
  ASSERT_EQ(Patch("/Users/" + id, R"([{"op":"Replace","path":"active","value":"False"}])").status,
            200);
  EXPECT_FALSE(Parse(Get("/Users/" + id)).Find("active")->as_bool());
  Json by_ext = Parse(Get("/Users?filter=externalId+eq+%22E-1%22"));
  ASSERT_EQ(Int(by_ext, "totalResults"), 1);
  EXPECT_FALSE(by_ext.Find("Resources")->as_array()[0].Find("active")->as_bool());
  ASSERT_EQ(Patch("/Users/" + id, R"([{"op":"Replace","path":"active","value":"True"}])").status,
            200);
  EXPECT_TRUE(Parse(Get("/Users/" + id)).Find("active")->as_bool());
}

TEST_F(IdpBehaviourTest, OktaPutsUsersAndPagesWithStartIndexOne) {
  const std::string id =
      CreateUser("okta@example.com", R"(,"name":{"givenName":"O","familyName":"K"},"active":true)");
  // Okta PUTs the whole user, with password and groups it does not expect back.
  HttpResult put =
      Put("/Users/" + id,
          R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
      "id":")" +
              id + R"(","userName":"okta@example.com","name":{"givenName":"Olga","familyName":"K"},
      "emails":[{"primary":true,"value":"okta@example.com","type":"work"}],"active":true,
      "password":"Pa55word!","groups":[]})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.body.find("Pa55word"), std::string::npos);
  EXPECT_EQ(Str(*Parse(put).Find("name"), "givenName"), "Olga");
  HttpResult found =
      Get("/Users?filter=userName+eq+%22OKTA%40EXAMPLE.COM%22&startIndex=1&count=100");
  ASSERT_EQ(found.status, 200);
  Json j = Parse(found);
  EXPECT_EQ(Int(j, "totalResults"), 1);
  EXPECT_EQ(Int(j, "startIndex"), 1);
  EXPECT_EQ(Int(j, "itemsPerPage"), 1);
}

}  // namespace
}  // namespace scimd::testing
