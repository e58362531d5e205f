// Token lifecycle end to end: scimctl issues, lists, rotates and revokes tokens, and a real
// scimd honours expiry, grace periods and read-only scopes. Time comes from a clock file
// (SCIMD_CLOCK_FILE, read by both programs), moved by the test: no sleeps.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

class TokenLifecycleTest : public ClockedServerTest {
 protected:
  std::string Scimctl(const std::vector<std::string>& args) { return MustScimctl(args); }
  int GetUsers(const std::string& token, const std::string& base = "/scim/v2") {
    return client_->Send("GET", base + "/Users?count=1", "", {{"Authorization", "Bearer " + token}})
        .status;
  }
};

TEST_F(TokenLifecycleTest, RotatedTokenKeepsWorkingForTheGracePeriodThen401) {
  StopServer();
  const std::string old = LastLine(Scimctl({"token", "issue", "acme", "--description", "ITSM"}));
  SetClock(kT0 + 5 * kDay);
  const std::string out = Scimctl({"token", "rotate", "acme", old.substr(6, 16), "--grace", "30d"});
  const std::string fresh = LastLine(out);
  EXPECT_NE(fresh, old);
  EXPECT_NE(out.find("keeps working until 2027-02-19T08:00:00Z"), std::string::npos) << out;
  StartServer();

  EXPECT_EQ(GetUsers(old), 200);
  EXPECT_EQ(GetUsers(old, "/scim"), 200);  // both base paths
  EXPECT_EQ(GetUsers(fresh), 200);
  SetClock(kT0 + 35 * kDay - 1);  // the last second of the grace period
  EXPECT_EQ(GetUsers(old), 200);
  SetClock(kT0 + 35 * kDay);
  HttpResult r = client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer " + old}});
  ExpectScimError(r, 401);
  EXPECT_NE(r.Header("www-authenticate").find("Bearer"), std::string::npos);
  EXPECT_NE(Str(Parse(r), "detail").find("expired"), std::string::npos) << r.body;
  EXPECT_EQ(GetUsers(fresh), 200);
}

TEST_F(TokenLifecycleTest, TokensExpireAMonthAfterIssueByTheTenantsDefault) {
  StopServer();
  Scimctl({"tenant", "set", "acme", "token-expiry=30d"});
  const std::string token = LastLine(Scimctl({"token", "issue", "acme"}));
  const std::string forever = LastLine(Scimctl({"token", "issue", "acme", "--expires", "never"}));
  StartServer();
  SetClock(kT0 + 30 * kDay - 1);
  EXPECT_EQ(GetUsers(token), 200);
  SetClock(kT0 + 30 * kDay);
  EXPECT_EQ(GetUsers(token), 401);
  EXPECT_EQ(GetUsers(forever), 200);

  // The expired token shows as such; one expiring within a week is flagged.
  StopServer();
  SetClock(kT0 + 30 * kDay);
  LastLine(Scimctl({"token", "issue", "acme", "--expires", "5d", "--description", "short"}));
  const std::string list = Scimctl({"token", "list", "acme"});
  EXPECT_NE(list.find("\texpired\t"), std::string::npos) << list;
  EXPECT_NE(list.find("\texpires within 7 days\tshort"), std::string::npos) << list;
  for (const std::string& secret : {token, forever, token_}) {
    EXPECT_EQ(list.find(secret.substr(24)), std::string::npos) << "a secret in the list";
  }
}

TEST_F(TokenLifecycleTest, AReadOnlyTokenReadsButEveryWriteIs403) {
  const std::string id = CreateUser("writer-made");
  StopServer();
  const std::string out =
      Scimctl({"token", "issue", "acme", "--scope", "scim:read", "--description", "reporting"});
  EXPECT_NE(out.find("scope scim:read"), std::string::npos) << out;
  const std::string reader = LastLine(out);
  StartServer();
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + reader}};
  EXPECT_EQ(client_->Send("GET", "/scim/v2/Users/" + id, "", auth).status, 200);
  EXPECT_EQ(
      client_
          ->Send("POST", "/scim/v2/Users/.search",
                 R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]})", auth)
          .status,
      200);
  ExpectScimError(client_->Send("POST", "/scim/v2/Users", R"({"userName":"x"})", auth), 403);
  ExpectScimError(client_->Send("PUT", "/scim/v2/Users/" + id, R"({"userName":"y"})", auth), 403);
  ExpectScimError(client_->Send("PATCH", "/scim/v2/Users/" + id,
                                R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                                R"("Operations":[{"op":"replace","path":"title","value":"z"}]})",
                                auth),
                  403);
  ExpectScimError(client_->Send("DELETE", "/scim/v2/Users/" + id, "", auth), 403);
  ExpectScimError(
      client_->Send("POST", "/scim/v2/Bulk",
                    R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],)"
                    R"("Operations":[]})",
                    auth),
      403);
  EXPECT_EQ(Get("/Users/" + id).status, 200);  // untouched
}

TEST_F(TokenLifecycleTest, RevokeIsImmediateAndLastUseIsRecorded) {
  StopServer();
  const std::string other = LastLine(Scimctl({"token", "issue", "acme"}));
  StartServer();
  SetClock(kT0 + 3600);
  EXPECT_EQ(GetUsers(token_), 200);
  StopServer();  // writes the uses noted in memory
  std::string list = Scimctl({"token", "list", "acme"});
  EXPECT_NE(list.find("2027-01-15T09:00:00Z"), std::string::npos) << list;  // last used
  Scimctl({"token", "revoke", "acme", other.substr(6, 16)});
  list = Scimctl({"token", "list", "acme"});
  EXPECT_EQ(list.find(other.substr(6, 16)), std::string::npos) << list;
  StartServer();
  EXPECT_EQ(GetUsers(other), 401);
  EXPECT_EQ(GetUsers(token_), 200);
}

}  // namespace
}  // namespace scimd::testing
