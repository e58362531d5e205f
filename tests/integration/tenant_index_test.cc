// Per-tenant indexed attributes end to end: `scimctl index add` backfills an index of an
// attribute the built-ins do not cover, scimd then plans filters with it and keeps it
// exact on every write (POST, PUT, PATCH, DELETE), `scimctl index drop` removes it, and
// answers are the same with and without the index.
#include <algorithm>
#include <string>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

constexpr char kDept[] = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";

class TenantIndexTest : public ScimServerTest {
 protected:
  HttpResult Explained(const std::string& filter) {
    return Get("/Users?count=1000&filter=" + UrlEncode(filter), {{"X-Scimd-Explain", "1"}});
  }
  // The userNames a filter finds, sorted.
  std::vector<std::string> Names(const HttpResult& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    core::Json j = Parse(r);
    if (const core::Json* res = j.Find("Resources"); res != nullptr && res->is_array()) {
      for (const auto& u : res->as_array()) out.push_back(Str(u, "userName"));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  CommandResult Scimctl(std::vector<std::string> args) {
    args.insert(args.begin(), {ScimctlBin(), "--data", data_});
    return RunCommand(args);
  }
  std::string AddUser(int i, const std::string& title, const std::string& dept) {
    return CreateUser(
        "u" + std::to_string(i),
        R"(,"title":")" + title +
            R"(","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":")" +
            dept + R"("})");
  }
};

TEST_F(TenantIndexTest, AddedIndexIsPlannedAndKeptExactByEveryWrite) {
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    ids.push_back(AddUser(i, i % 4 == 0 ? "Engineer" : "Sales Rep", i % 5 == 0 ? "R&D" : "Ops"));
  }
  HttpResult before = Explained("title eq \"engineer\"");
  EXPECT_EQ(before.Header("x-scimd-plan"), "FullScan(User) AND residual(title eq \"engineer\")");
  const std::vector<std::string> engineers = Names(before);
  ASSERT_EQ(engineers.size(), 10u);

  StopServer();
  CommandResult c = Scimctl({"index", "add", "acme", "Users", "Title"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out,
            "tenant acme: indexed User title (attribute 100): 80 entries for 40 resources\n");
  c = Scimctl({"index", "add", "acme", "Users", kDept});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("(attribute 101)"), std::string::npos) << c.out;
  // Refusals: already indexed, built in, never returned, complex, unknown, and the
  // setting cannot be written by hand (it would skip the backfill).
  for (const char* attr : {"title", "userName", "password", "name", "nope"}) {
    c = Scimctl({"index", "add", "acme", "Users", attr});
    EXPECT_NE(c.exit_code, 0) << attr;
    EXPECT_FALSE(c.err.empty()) << attr;
  }
  c = Scimctl({"tenant", "set", "acme", "indexed-attributes=User/title=100"});
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.err.find("scimctl index add"), std::string::npos) << c.err;
  c = Scimctl({"index", "list", "acme"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("User\ttitle\t100\ttenant\n"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("User\tuserName\t1\tbuilt-in, unique\n"), std::string::npos) << c.out;
  StartServer();

  HttpResult after = Explained("title eq \"ENGINEER\"");
  EXPECT_EQ(after.Header("x-scimd-plan"), "IndexEq(User.title = \"engineer\") THEN CountFromIndex");
  EXPECT_EQ(Names(after), engineers);
  EXPECT_EQ(after.Header("x-scimd-rows-examined"), "10");
  after = Explained("title sw \"sales\"");
  EXPECT_EQ(after.Header("x-scimd-plan"),
            "IndexPrefix(User.title sw \"sales\") THEN CountFromIndex");
  EXPECT_EQ(Names(after).size(), 30u);
  // Two tenant indexes in one `and`: the smaller, as counted, drives.
  after = Explained(std::string("title eq \"sales rep\" and ") + kDept + " eq \"r&d\"");
  EXPECT_EQ(after.Header("x-scimd-plan"),
            std::string("Intersect(IndexEq(User.") + kDept +
                " = \"r&d\")[~8], IndexEq(User.title = \"sales rep\")[16+]) THEN CountFromIndex");
  EXPECT_EQ(Names(after).size(), 6u);  // i % 5 == 0 and i % 4 != 0
  EXPECT_EQ(after.Header("x-scimd-rows-examined"), "6");

  // Writes keep the index exact: PATCH, PUT, POST, DELETE.
  HttpResult p = client_->Send(
      "PATCH", "/scim/v2/Users/" + ids[1],
      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Engineer"}]})",
      Auth());
  ASSERT_EQ(p.status, 200) << p.body;
  p = Put("/Users/" + ids[0],
          R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u0"})");
  ASSERT_EQ(p.status, 200) << p.body;
  AddUser(100, "engineer", "R&D");
  ASSERT_EQ(Delete("/Users/" + ids[4]).status, 204);
  std::vector<std::string> want = {"u1",  "u100", "u12", "u16", "u20",
                                   "u24", "u28",  "u32", "u36", "u8"};
  after = Explained("title eq \"Engineer\"");
  EXPECT_EQ(after.Header("x-scimd-plan"), "IndexEq(User.title = \"engineer\") THEN CountFromIndex");
  EXPECT_EQ(Names(after), want);
  EXPECT_EQ(after.Header("x-scimd-rows-examined"), std::to_string(want.size()));
  // A value too long for an index is refused for an indexed attribute only.
  const std::string long_title(3000, 'x');
  HttpResult too_long = Post("/Users", R"({"userName":"long","title":")" + long_title + "\"}");
  ExpectScimError(too_long, 400, "invalidValue");
  EXPECT_EQ(Post("/Users", R"({"userName":"long","nickName":")" + long_title + "\"}").status, 201);

  StopServer();
  c = Scimctl({"index", "drop", "acme", "Users", "title"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  // A value and a presence entry for each of the 39 users with a title.
  EXPECT_EQ(c.out, "tenant acme: dropped the index of User title (78 entries removed)\n");
  c = Scimctl({"index", "drop", "acme", "Users", "title"});
  EXPECT_NE(c.exit_code, 0);
  c = Scimctl({"index", "drop", "acme", "Users", "userName"});
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.err.find("built-in"), std::string::npos) << c.err;
  c = Scimctl({"reindex", "acme"});  // rebuilds the built-ins and the department index
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find(", 0 stale entries removed)"), std::string::npos) << c.out;
  StartServer();
  after = Explained("title eq \"Engineer\"");
  EXPECT_EQ(after.Header("x-scimd-plan"), "FullScan(User) AND residual(title eq \"Engineer\")");
  EXPECT_EQ(Names(after), want);
  after = Explained(std::string(kDept) + " eq \"R&D\"");
  EXPECT_EQ(after.Header("x-scimd-plan"),
            std::string("IndexEq(User.") + kDept + " = \"r&d\") THEN CountFromIndex");
  EXPECT_EQ(Names(after).size(), 8u);  // 8 of the first 40, less u0 (PUT without it), + u100
}

}  // namespace
}  // namespace scimd::testing
