// The operators' view of the filter compiler: X-Scimd-Explain: 1 on a list request answers
// with X-Scimd-Plan and X-Scimd-Rows-Examined, and `scimctl explain` prints the same plan
// with what running it cost. The filters Entra ID and Okta send to match users and groups
// must never plan a full scan, at any tenant size.
#include <string>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;

// Query parameters are percent-encoded with UrlEncode (scim_fixture.h).
std::string Encode(const std::string& s) { return UrlEncode(s); }

class ExplainTest : public ScimServerTest {
 protected:
  HttpResult Explained(const std::string& endpoint, const std::string& filter) {
    return Get(endpoint + "?filter=" + Encode(filter), {{"X-Scimd-Explain", "1"}});
  }
  void AddUsers(int from, int to) {
    for (int i = from; i < to; ++i) {
      const std::string n = std::to_string(i);
      CreateUser("user" + n + "@example.com",
                 R"(,"active":true,"externalId":"ext-)" + n + R"(","displayName":"User )" + n +
                     R"(","name":{"givenName":"G)" + n + R"(","familyName":"F)" + n +
                     R"("},"emails":[{"type":"work","value":"user)" + n + R"(@example.com"}])");
      HttpResult g =
          Post("/Groups", R"({"displayName":"Group )" + n + R"(","externalId":"g)" + n + "\"}");
      ASSERT_EQ(g.status, 201) << g.body;
    }
  }
};

struct Case {
  std::string endpoint;
  std::string filter;
  std::string plan;
};

// What the provisioning clients send to find an existing object before creating it.
const std::vector<Case> kClientFilters = {
    {"/Users", "userName eq \"user7@example.com\"",
     "UniqueLookup(User.userName = \"user7@example.com\")"},
    {"/Users", "externalId eq \"ext-7\"",
     "IndexEq(User.externalId = \"ext-7\") THEN CountFromIndex"},
    {"/Users", "emails[type eq \"work\"].value eq \"user7@example.com\"",
     "IndexEq(User.emails.value = \"user7@example.com\") AND "
     "residual(emails[((type eq \"work\") and (value eq \"user7@example.com\"))])"},
    {"/Groups", "displayName eq \"Group 7\"",
     "IndexEq(Group.displayName = \"group 7\") THEN CountFromIndex"},
    {"/Groups", "externalId eq \"g7\"", "IndexEq(Group.externalId = \"g7\") THEN CountFromIndex"},
    {"/Users", "name.familyName eq \"F7\"",
     "IndexEq(User.name.familyName = \"f7\") THEN CountFromIndex"},
    {"/Users", "userName eq \"user7@example.com\" and active eq true",
     "UniqueLookup(User.userName = \"user7@example.com\") AND residual(active eq true)"},
};

TEST_F(ExplainTest, ClientMatchingFiltersNeverPlanAFullScanAtAnyTenantSize) {
  int size = 0;
  for (int target : {0, 1, 10, 120}) {
    AddUsers(size, target);
    size = target;
    for (const auto& c : kClientFilters) {
      HttpResult r = Explained(c.endpoint, c.filter);
      ASSERT_EQ(r.status, 200) << c.filter << ": " << r.body;
      EXPECT_EQ(r.Header("x-scimd-plan").find("FullScan"), std::string::npos) << c.filter;
      EXPECT_EQ(r.Header("x-scimd-plan"), c.plan) << c.filter << " at " << size;
      const int64_t matches = Int(Parse(r), "totalResults");
      EXPECT_EQ(matches, size > 7 ? 1 : 0) << c.filter;
      // An indexed eq reads the one resource it finds, and nothing when there is none.
      EXPECT_EQ(r.Header("x-scimd-rows-examined"), std::to_string(matches)) << c.filter;
    }
  }
}

TEST_F(ExplainTest, SubstringFiltersPlanAFullScanAndSayHowManyRowsTheyRead) {
  AddUsers(0, 30);
  HttpResult r = Explained("/Users", "userName co \"er1\"");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-scimd-plan"), "FullScan(User) AND residual(userName co \"er1\")");
  EXPECT_EQ(r.Header("x-scimd-rows-examined"), "30");
  EXPECT_EQ(Int(Parse(r), "totalResults"), 11);  // user1, user10-19
  // sw has an index form.
  r = Explained("/Users", "userName sw \"USER1\"");
  EXPECT_EQ(r.Header("x-scimd-plan"),
            "IndexPrefix(User.userName sw \"user1\") THEN CountFromIndex");
  EXPECT_EQ(r.Header("x-scimd-rows-examined"), "11");
  // Counted from the index: only the page's rows are read, totalResults is every match.
  r = Get("/Users?count=3&startIndex=5&filter=" + Encode("userName sw \"USER1\""),
          {{"X-Scimd-Explain", "1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-scimd-rows-examined"), "3");
  EXPECT_EQ(Int(Parse(r), "totalResults"), 11);
  EXPECT_EQ(Parse(r).Find("Resources")->as_array().size(), 3u);
  // No filter: the page is read in id order.
  r = Get("/Users?count=5", {{"X-Scimd-Explain", "1"}});
  EXPECT_EQ(r.Header("x-scimd-plan"), "FullScan(User)");
  EXPECT_EQ(r.Header("x-scimd-rows-examined"), "5");
}

TEST_F(ExplainTest, OnlyWhenAskedAndAlsoForSearchRequests) {
  AddUsers(0, 3);
  HttpResult r = Get("/Users?filter=" + Encode("userName eq \"user1@example.com\""));
  EXPECT_EQ(r.Header("x-scimd-plan"), "");
  EXPECT_EQ(r.Header("x-scimd-rows-examined"), "");
  r = Get("/Users?filter=" + Encode("userName eq \"user1@example.com\""),
          {{"X-Scimd-Explain", "0"}});
  EXPECT_EQ(r.Header("x-scimd-plan"), "");
  r = client_->Send("POST", "/scim/v2/Users/.search",
                    R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],)"
                    R"("filter":"externalId eq \"ext-2\""})",
                    Auth({{"X-Scimd-Explain", "1"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-scimd-plan"), "IndexEq(User.externalId = \"ext-2\") THEN CountFromIndex");
  EXPECT_EQ(r.Header("x-scimd-rows-examined"), "1");
}

TEST_F(ExplainTest, PlanHeaderCannotBeSplitByFilterLiterals) {
  AddUsers(0, 2);
  // A JSON-escaped CR LF inside a literal becomes a real CR LF in the bound filter.
  HttpResult r = Explained("/Users", "title co \"a\\r\\nX-Evil: 1\\r\\n\\r\\n\" or nickName pr");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string plan = r.Header("x-scimd-plan");
  EXPECT_NE(plan.find("FullScan(User)"), std::string::npos) << plan;
  EXPECT_EQ(plan.find('\r'), std::string::npos);
  EXPECT_EQ(plan.find('\n'), std::string::npos);
  EXPECT_EQ(r.Header("x-evil"), "");
  EXPECT_EQ(Int(Parse(r), "totalResults"), 0);
}

TEST_F(ExplainTest, ScimctlExplainPrintsThePlanAndWhatRunningItCost) {
  AddUsers(0, 12);
  StopServer();  // scimctl opens the data directory itself
  CommandResult c = RunCommand({ScimctlBin(), "--data", data_, "explain", "acme", "users",
                                "userName eq \"user3@example.com\""});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out,
            "plan: UniqueLookup(User.userName = \"user3@example.com\")\n"
            "candidates: 1\nrows examined: 1\nmatches: 1\n");
  c = RunCommand(
      {ScimctlBin(), "--data", data_, "explain", "acme", "Groups", "displayName co \"1\""});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out,
            "plan: FullScan(Group) AND residual(displayName co \"1\")\n"
            "candidates: 12\nrows examined: 12\nmatches: 3\n");  // 1, 10, 11
  c = RunCommand({ScimctlBin(), "--data", data_, "explain", "acme", "Widgets", "a pr"});
  EXPECT_EQ(c.exit_code, 2);
  c = RunCommand({ScimctlBin(), "--data", data_, "explain", "acme", "Users", "nope eq 1"});
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.err.find("nope"), std::string::npos) << c.err;
  // And reindex: nothing stale in a store written by this version.
  c = RunCommand({ScimctlBin(), "--data", data_, "reindex", "acme"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out.rfind("tenant acme: reindexed 24 resources (", 0), 0u) << c.out;
  EXPECT_NE(c.out.find(" entries written, 0 stale entries removed)\n"), std::string::npos) << c.out;
  StartServer();
  HttpResult r = Get("/Users?filter=" + Encode("name.familyName eq \"f3\""));
  EXPECT_EQ(Int(Parse(r), "totalResults"), 1);
}

}  // namespace
}  // namespace scimd::testing
