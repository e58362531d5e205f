// Endpoints, base paths, authentication, tenant isolation, discovery and HTTP-level errors.
#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;

class ProtocolTest : public ScimServerTest {
 protected:
  std::vector<std::string> ServerArgs() override {
    return {"--base-path", "/api/scim", "--max-body-bytes", "65536"};
  }
};

TEST_F(ProtocolTest, SameApiUnderEveryBasePathCaseInsensitiveWithTrailingSlash) {
  const std::string id = CreateUser("paths");
  for (const std::string& prefix :
       std::vector<std::string>{"/scim/v2", "/scim", "/api/scim", "", "/SCIM/V2"}) {
    for (const std::string& users : std::vector<std::string>{"/Users", "/users", "/USERS/"}) {
      HttpResult r =
          client_->Send("GET", prefix + users + "?filter=userName%20eq%20%22paths%22", "", Auth());
      ASSERT_EQ(r.status, 200) << prefix << users << " " << r.body;
      EXPECT_EQ(Int(Parse(r), "totalResults"), 1) << prefix << users;
    }
    HttpResult one = client_->Send("GET", prefix + "/Users/" + id, "", Auth());
    ASSERT_EQ(one.status, 200) << prefix;
    // meta.location follows the path the client used.
    EXPECT_NE(Str(*Parse(one).Find("meta"), "location").find(prefix + "/Users/" + id),
              std::string::npos);
  }
}

TEST_F(ProtocolTest, MissingOrWrongTokenIs401WithChallenge) {
  HttpResult none = client_->Send("GET", "/scim/v2/Users");
  ExpectScimError(none, 401);
  EXPECT_NE(none.Header("www-authenticate").find("Bearer"), std::string::npos);
  for (const std::string& auth : std::vector<std::string>{
           "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer " + token_ + "x", "Bearer",
           "Bearer scimd_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    HttpResult r = client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", auth}});
    ExpectScimError(r, 401);
    EXPECT_EQ(r.body.find(token_), std::string::npos);
  }
  // The scheme name is case-insensitive.
  EXPECT_EQ(
      client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", "bearer " + token_}}).status,
      200);
  // No User-Agent (Entra) is fine: our client sends none.
  EXPECT_EQ(Get("/Users").status, 200);
}

TEST_F(ProtocolTest, DiscoveryEndpoints) {
  Json spc = Parse(client_->Send("GET", "/scim/v2/ServiceProviderConfig"));
  EXPECT_TRUE(spc.Find("etag")->Find("supported")->as_bool());
  EXPECT_TRUE(spc.Find("filter")->Find("supported")->as_bool());
  EXPECT_EQ(Int(*spc.Find("filter"), "maxResults"), 1000);
  EXPECT_TRUE(spc.Find("patch")->Find("supported")->as_bool());
  EXPECT_TRUE(spc.Find("bulk")->Find("supported")->as_bool());
  EXPECT_GT(Int(*spc.Find("bulk"), "maxOperations"), 0);
  EXPECT_GT(Int(*spc.Find("bulk"), "maxPayloadSize"), 0);
  EXPECT_EQ(Str(spc.Find("authenticationSchemes")->as_array()[0], "type"), "oauthbearertoken");

  Json rts = Parse(Get("/ResourceTypes"));
  ASSERT_EQ(Int(rts, "totalResults"), 2);
  const auto& user_rt = rts.Find("Resources")->as_array()[0];
  EXPECT_EQ(Str(user_rt, "endpoint"), "/Users");
  EXPECT_EQ(Str(user_rt, "schema"), "urn:ietf:params:scim:schemas:core:2.0:User");
  EXPECT_EQ(Str(user_rt.Find("schemaExtensions")->as_array()[0], "schema"),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  EXPECT_EQ(Get("/ResourceTypes/Group").status, 200);
  ExpectScimError(Get("/ResourceTypes/Nope"), 404);

  HttpResult schemas = Get("/Schemas");
  ASSERT_EQ(schemas.status, 200);
  EXPECT_NE(schemas.body.find("User Account"), std::string::npos);
  Json s = Parse(schemas);
  EXPECT_EQ(Int(s, "totalResults"), 3);
  Json user = Parse(Get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"));
  std::vector<std::string> names;
  for (const auto& a : user.Find("attributes")->as_array()) names.push_back(Str(a, "name"));
  for (const char* want : {"userName",        "name",         "displayName",  "nickName",
                           "profileUrl",      "title",        "userType",     "preferredLanguage",
                           "locale",          "timezone",     "active",       "password",
                           "emails",          "phoneNumbers", "ims",          "photos",
                           "addresses",       "groups",       "entitlements", "roles",
                           "x509Certificates"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  for (const auto& a : user.Find("attributes")->as_array()) {
    if (Str(a, "name") == "password") {
      EXPECT_EQ(Str(a, "mutability"), "writeOnly");
      EXPECT_EQ(Str(a, "returned"), "never");
    }
    if (Str(a, "name") == "userName") {
      EXPECT_EQ(Str(a, "uniqueness"), "server");
      EXPECT_TRUE(a.Find("required")->as_bool());
    }
  }
  Json ent = Parse(Get("/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
  EXPECT_EQ(ent.Find("attributes")->as_array().size(), 6u);
  Json group = Parse(Get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group"));
  EXPECT_EQ(Str(group, "name"), "Group");
  ExpectScimError(Get("/Schemas/urn:nope"), 404);
}

TEST_F(ProtocolTest, TenantsNeverSeeEachOther) {
  const std::string a_id = CreateUser("shared-name", R"(,"externalId":"x1")");
  StopServer();
  const std::string token_b = CreateTenantWithToken(data_, "globex");
  StartServer();
  auto as_b = [&](const std::string& method, const std::string& path,
                  const std::string& body = "") {
    return client_->Send(method, "/scim/v2" + path, body, {{"Authorization", "Bearer " + token_b}});
  };
  ExpectScimError(as_b("GET", "/Users/" + a_id), 404);
  ExpectScimError(as_b("PUT", "/Users/" + a_id, R"({"userName":"hijack"})"), 404);
  ExpectScimError(as_b("DELETE", "/Users/" + a_id), 404);
  EXPECT_EQ(Int(Parse(as_b("GET", "/Users")), "totalResults"), 0);
  EXPECT_EQ(
      Int(Parse(as_b("GET", "/Users?filter=userName%20eq%20%22shared-name%22")), "totalResults"),
      0);
  EXPECT_EQ(Int(Parse(as_b("GET", "/Users?filter=externalId%20eq%20%22x1%22")), "totalResults"), 0);
  EXPECT_EQ(Int(Parse(as_b("GET", "/Users?filter=id%20eq%20%22" + a_id + "%22")), "totalResults"),
            0);
  // The same userName is free in another tenant, and a group there cannot take A's user:
  // to B it does not exist (skipped, as any unknown member is by default).
  HttpResult b_user = as_b("POST", "/Users", R"({"userName":"shared-name"})");
  EXPECT_EQ(b_user.status, 201);
  HttpResult b_group =
      as_b("POST", "/Groups", R"({"displayName":"g","members":[{"value":")" + a_id + "\"}]}");
  EXPECT_EQ(b_group.status, 201) << b_group.body;
  EXPECT_EQ(Parse(b_group).Find("members"), nullptr);
  // A's view is unchanged.
  EXPECT_EQ(Str(Parse(Get("/Users/" + a_id)), "userName"), "shared-name");
  EXPECT_EQ(Int(Parse(Get("/Users")), "totalResults"), 1);
  ExpectScimError(Get("/Users/" + Str(Parse(b_user), "id")), 404);
}

TEST_F(ProtocolTest, UnknownEndpointsMethodsAndUnsupportedFeatures) {
  ExpectScimError(Get("/Widgets"), 404);
  ExpectScimError(Get("/Users/a/b"), 404);
  ExpectScimError(client_->Send("GET", "/"), 404);
  HttpResult del_all = client_->Send("DELETE", "/scim/v2/Users", "", Auth());
  ExpectScimError(del_all, 405);
  EXPECT_EQ(del_all.Header("allow"), "GET, POST");
  ExpectScimError(client_->Send("POST", "/scim/v2/ServiceProviderConfig", "{}", Auth()), 405);
  ExpectScimError(client_->Send("POST", "/scim/v2/Users/x", "{}", Auth()), 405);
  ExpectScimError(Get("/Me"), 501);
  ExpectScimError(client_->Send("PUT", "/scim/v2/.search", "{}", Auth()), 405);
}

TEST_F(ProtocolTest, NoTokenEndpointUnlessAskedFor) {
  ExpectScimError(client_->Send("GET", "/scim/v2/Token"), 404);  // just an unknown endpoint
  StopServer();
  server_ = std::make_unique<ScimdProcess>(
      data_, std::vector<std::string>{"--insecure-token-endpoint", "acme"});
  client_ = std::make_unique<HttpClient>(server_->port());
  HttpResult t = client_->Send("GET", "/scim/v2/Token");
  ASSERT_EQ(t.status, 200) << t.body;
  const std::string token = Str(Parse(t), "token");
  EXPECT_EQ(token.rfind("scimd_", 0), 0u);
  EXPECT_EQ(
      client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer " + token}}).status,
      200);
  EXPECT_NE(server_->Output().find("WARNING"), std::string::npos);
  EXPECT_EQ(server_->Output().find(token), std::string::npos);  // never logged
}

TEST_F(ProtocolTest, OversizedBodyIs413) {
  std::string big = R"({"userName":"big","displayName":")" + std::string(70000, 'a') + "\"}";
  HttpResult r = Post("/Users", big);
  ExpectScimError(r, 413);
  HttpClient fresh(server_->port());
  EXPECT_EQ(fresh.Send("GET", "/scim/v2/Users", "", Auth()).status, 200);  // server fine
  EXPECT_EQ(Int(Parse(fresh.Send("GET", "/scim/v2/Users?count=0", "", Auth())), "totalResults"), 0);
}

TEST_F(ProtocolTest, MalformedHttpIs400AndServerKeepsServing) {
  HttpClient raw(server_->port());
  HttpResult r = raw.SendRaw("GARBAGE\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  HttpClient ok(server_->port());
  EXPECT_EQ(ok.Send("GET", "/scim/v2/ServiceProviderConfig").status, 200);
}

TEST_F(ProtocolTest, HeadAndKeepAliveAcrossManyRequests) {
  const std::string id = CreateUser("head");
  HttpResult h = client_->Send("HEAD", "/scim/v2/Users/" + id, "", Auth());
  EXPECT_EQ(h.status, 200);
  EXPECT_TRUE(h.body.empty());
  for (int i = 0; i < 200; ++i) ASSERT_EQ(Get("/Users/" + id).status, 200);
}

}  // namespace
}  // namespace scimd::testing
