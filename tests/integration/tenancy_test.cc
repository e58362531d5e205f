// Hosted tenancy as three kinds of provider set it up (issue #17), each end to end with
// scimctl and a real scimd: a rotating ITSM-style provider with a QA tenant beside
// production, scoped tokens under /api/scim, and a host name per customer with required
// attributes. Time comes from a clock file (SCIMD_CLOCK_FILE), moved by the test.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;

using Headers = std::vector<std::pair<std::string, std::string>>;

class TenancyTest : public ClockedServerTest {
 protected:
  HttpResult As(const std::string& token, const std::string& method, const std::string& target,
                const std::string& body = "", Headers extra = {}) {
    extra.emplace_back("Authorization", "Bearer " + token);
    return client_->Send(method, target, body, extra);
  }
};

// An ITSM-style provider: the endpoint under /scim and /scim/v2, tokens that expire a month
// after issue and are rotated with a 30-day grace, a QA tenant beside production, and
// DELETE that deactivates.
TEST_F(TenancyTest, RotatingProviderWithQaBesideProduction) {
  StopServer();
  MustScimctl({"token", "revoke", "acme", token_.substr(6, 16)});  // one token per tenant
  MustScimctl({"tenant", "create", "acme.qa"});
  MustScimctl({"tenant", "set", "acme", "token-expiry=30d", "delete-policy=soft"});
  MustScimctl({"tenant", "copy-config", "acme", "acme.qa"});  // as README.md shows
  const std::string prod = LastLine(MustScimctl({"token", "issue", "acme"}));
  const std::string qa = LastLine(MustScimctl({"token", "issue", "acme.qa"}));
  StartServer();

  HttpResult created = As(prod, "POST", "/scim/Users", R"({"userName":"jo","active":true})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Str(Parse(created), "id");
  EXPECT_EQ(As(prod, "GET", "/scim/v2/Users/" + id).status, 200);
  EXPECT_EQ(As(qa, "GET", "/scim/v2/Users/" + id).status, 404);  // QA sees nothing of prod
  EXPECT_EQ(As(qa, "POST", "/scim/v2/Users", R"({"userName":"jo"})").status, 201);

  // DELETE never removes a user: it stays, inactive, and is still found.
  EXPECT_EQ(As(prod, "DELETE", "/scim/v2/Users/" + id).status, 204);
  HttpResult kept = As(prod, "GET", "/scim/v2/Users/" + id);
  ASSERT_EQ(kept.status, 200);
  EXPECT_FALSE(Parse(kept).Find("active")->as_bool());

  // Rotation on day 10: the old token keeps working until it expires (day 30, a month after
  // its issue, sooner than the 30-day grace); the new one expires a month after its own.
  StopServer();
  SetClock(kT0 + 10 * kDay);
  const std::string fresh = LastLine(MustScimctl({"token", "rotate", "acme"}));
  StartServer();
  SetClock(kT0 + 30 * kDay - 1);
  EXPECT_EQ(As(prod, "GET", "/scim/v2/Users?count=0").status, 200);
  SetClock(kT0 + 30 * kDay);
  EXPECT_EQ(As(prod, "GET", "/scim/v2/Users?count=0").status, 401);
  EXPECT_EQ(As(fresh, "GET", "/scim/v2/Users?count=0").status, 200);
  EXPECT_EQ(As(qa, "GET", "/scim/v2/Users?count=0").status, 401);  // issued day 0 too
  SetClock(kT0 + 40 * kDay);
  EXPECT_EQ(As(fresh, "GET", "/scim/v2/Users?count=0").status, 401);

  // QA's configuration goes to production in one step, never its data or tokens.
  StopServer();
  MustScimctl({"tenant", "set", "acme.qa", "required=userName,externalId"});
  MustScimctl({"index", "add", "acme.qa", "Users", "title"});
  const std::string copied = MustScimctl({"tenant", "copy-config", "acme.qa", "acme"});
  EXPECT_NE(copied.find("required=userName,externalId"), std::string::npos) << copied;
  EXPECT_NE(copied.find("index added: User title"), std::string::npos) << copied;
  const std::string shown = MustScimctl({"tenant", "show", "acme"});
  EXPECT_NE(shown.find("required=userName,externalId"), std::string::npos) << shown;
  EXPECT_NE(MustScimctl({"index", "list", "acme"}).find("title"), std::string::npos);
  EXPECT_EQ(MustScimctl({"token", "list", "acme"}).find(qa.substr(6, 16)), std::string::npos);
}

// A process-mapping-style provider: a token with a description and the scope "scim", seen
// exactly once, and the endpoint under /api/scim.
TEST_F(TenancyTest, ScopedTokensUnderApiScim) {
  StopServer();
  const std::string out =
      MustScimctl({"token", "issue", "acme", "--scope", "scim", "--description", "process miner"});
  const std::string token = LastLine(out);
  EXPECT_EQ(token.rfind("scimd_", 0), 0u);
  EXPECT_NE(out.find("scope scim"), std::string::npos) << out;
  EXPECT_NE(out.find("shown only once"), std::string::npos) << out;
  const std::string list = MustScimctl({"token", "list", "acme"});
  EXPECT_NE(list.find("\tscim\t"), std::string::npos) << list;
  EXPECT_NE(list.find("process miner"), std::string::npos) << list;
  EXPECT_EQ(list.find(token.substr(23)), std::string::npos) << "the secret is shown once only";
  StartServer();
  HttpResult created = As(token, "POST", "/api/scim/Users", R"({"userName":"pm"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Str(*Parse(created).Find("meta"), "location").find("/api/scim/Users/"),
            std::string("http://127.0.0.1:").size() + std::to_string(server_->port()).size());
  EXPECT_EQ(As(token, "GET", "/api/scim/Users?filter=userName%20eq%20%22pm%22").status, 200);
}

// A policy-SaaS-style provider: each customer at its own host name, userName, emails and
// externalId required, no hard delete; the same tenant also by path.
TEST_F(TenancyTest, PerCustomerHostWithRequiredAttributes) {
  StopServer();
  MustScimctl({"tenant", "create", "demo0-qa"});
  MustScimctl({"tenant", "set", "demo0-qa", "host=demo0-qa.policies.example"});
  MustScimctl({"tenant", "set", "demo0-qa", "required=userName,emails,externalId"});
  MustScimctl({"tenant", "set", "demo0-qa", "delete-policy=soft"});
  // A host belongs to one tenant.
  CommandResult taken = Scimctl({"tenant", "set", "acme", "host=DEMO0-QA.policies.example"});
  EXPECT_NE(taken.exit_code, 0);
  EXPECT_NE(taken.err.find("belongs to tenant demo0-qa"), std::string::npos) << taken.err;
  const std::string demo = LastLine(MustScimctl({"token", "issue", "demo0-qa"}));
  StartServer();
  const Headers at_host = {{"Host", "demo0-qa.policies.example:8443"},
                           {"X-Forwarded-Proto", "https"}};

  HttpResult missing =
      As(demo, "POST", "/scim/v2/Users", R"({"userName":"u1","externalId":"e1"})", at_host);
  ExpectScimError(missing, 400, "invalidValue");
  EXPECT_NE(Str(Parse(missing), "detail").find("\"emails\""), std::string::npos);
  HttpResult created =
      As(demo, "POST", "/scim/v2/Users",
         R"({"userName":"u1","externalId":"e1","emails":[{"value":"u1@x"}]})", at_host);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Str(Parse(created), "id");
  EXPECT_EQ(created.Header("location"),
            "https://demo0-qa.policies.example:8443/scim/v2/Users/" + id);
  // A PATCH that would remove a required attribute is refused, and leaves the user as is.
  ExpectScimError(As(demo, "PATCH", "/scim/v2/Users/" + id,
                     R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                     R"("Operations":[{"op":"remove","path":"externalId"}]})",
                     at_host),
                  400, "invalidValue");
  // Another tenant's token is refused at this host, and at this tenant's path.
  ExpectScimError(As(token_, "GET", "/scim/v2/Users", "", at_host), 401);
  EXPECT_EQ(As(demo, "GET", "/t/demo0-qa/scim/v2/Users/" + id).status, 200);
  ExpectScimError(As(token_, "GET", "/t/demo0-qa/scim/v2/Users"), 401);
  ExpectScimError(As(demo, "GET", "/t/acme/scim/v2/Users"), 401);
  EXPECT_EQ(As(token_, "GET", "/t/acme/scim/v2/Users").status, 200);
  HttpResult by_path = As(demo, "GET", "/t/demo0-qa/scim/v2/Users/" + id);
  EXPECT_NE(Str(*Parse(by_path).Find("meta"), "location").find("/t/demo0-qa/scim/v2/Users/"),
            std::string::npos);

  // No hard delete; an admin purges the kept users once they are old enough.
  EXPECT_EQ(As(demo, "DELETE", "/scim/v2/Users/" + id, "", at_host).status, 204);
  EXPECT_EQ(As(demo, "GET", "/scim/v2/Users/" + id, "", at_host).status, 200);
  StopServer();
  SetClock(kT0 + 10 * kDay);
  EXPECT_NE(MustScimctl({"tenant", "purge", "demo0-qa", "--older-than", "30d"}).find("purged 0"),
            std::string::npos);
  SetClock(kT0 + 31 * kDay);
  EXPECT_NE(MustScimctl({"tenant", "purge", "demo0-qa", "--older-than", "30d"}).find("purged 1"),
            std::string::npos);
  StartServer();
  EXPECT_EQ(As(demo, "GET", "/scim/v2/Users/" + id, "", at_host).status, 404);
}

}  // namespace
}  // namespace scimd::testing
