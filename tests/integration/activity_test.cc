// The activity log end to end: a real scimd records every write and every failed request
// of a tenant (with the token id, client, outcome, duration and the names of what changed,
// never a value), /Bulk operation by operation, and refusals of a known tenant's token;
// scimctl activity reads it back with its filters.
#include <string>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;

class ActivityLogTest : public ClockedServerTest {
 protected:
  // The lines of `scimctl activity acme ARGS...` (the server stopped: its last entries
  // are written when it stops).
  std::vector<std::string> Activity(std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"activity", "acme"});
    const std::string out = MustScimctl(args);
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < out.size()) {
      const size_t nl = out.find('\n', start);
      lines.push_back(out.substr(start, nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    return lines;
  }
};

TEST_F(ActivityLogTest, WritesAndFailuresAreRecordedNeverValues) {
  HttpResult created = Post("/Users", R"({"userName":"ada","password":"Sup3r-Secret!",
      "name":{"givenName":"Ada"}})");
  ASSERT_EQ(created.status, 201);
  const std::string id = Str(Parse(created), "id");
  ASSERT_EQ(client_
                ->Send("PATCH", "/scim/v2/Users/" + id,
                       R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                       R"("Operations":[{"op":"replace","path":"title","value":"CTO"}]})",
                       Auth())
                .status,
            200);
  ExpectScimError(Post("/Users", R"({"userName":"ADA"})"), 409, "uniqueness");
  EXPECT_EQ(Get("/Users/" + id).status, 200);                                // a read: not recorded
  ExpectScimError(Get("/Users/01900000-0000-7000-8000-000000000001"), 404);  // a failed read is
  HttpResult group =
      Post("/Groups", R"({"displayName":"g","members":[{"value":")" + id +
                          R"("},{"value":"01900000-0000-7000-8000-0000000000aa"}]})");
  ASSERT_EQ(group.status, 201) << group.body;
  HttpResult bulk =
      Post("/Bulk", R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
      "Operations":[{"method":"POST","path":"/Users","bulkId":"b","data":{"userName":"bee"}},
                    {"method":"DELETE","path":"/Users/)" +
                        id + R"("}]})");
  ASSERT_EQ(bulk.status, 200) << bulk.body;
  StopServer();

  const std::vector<std::string> lines = Activity();
  ASSERT_EQ(lines.size(), 7u) << MustScimctl({"activity", "acme"});
  const std::string token_id = token_.substr(6, 16);
  // Newest first: the two bulk operations, the group, the 404, the 409, the PATCH, the POST.
  EXPECT_NE(lines[0].find("bulk DELETE /Bulk 204"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("id " + id), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("bulk POST /Bulk 201"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("POST /Groups 201"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("changed displayName,members"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("warning: member \"01900000-0000-7000-8000-0000000000aa\" does not "
                          "exist; skipped"),
            std::string::npos)
      << lines[2];
  EXPECT_NE(lines[3].find("GET /Users/01900000-0000-7000-8000-000000000001 404"), std::string::npos)
      << lines[3];
  EXPECT_NE(lines[4].find("POST /Users 409"), std::string::npos) << lines[4];
  EXPECT_NE(lines[4].find("uniqueness: userName \"ADA\" is already in use"), std::string::npos)
      << lines[4];
  EXPECT_NE(lines[5].find("PATCH /Users/" + id + " 200"), std::string::npos) << lines[5];
  EXPECT_NE(lines[5].find("changed title"), std::string::npos) << lines[5];
  EXPECT_NE(lines[6].find("POST /Users 201"), std::string::npos) << lines[6];
  EXPECT_NE(lines[6].find("changed name,password,userName"), std::string::npos) << lines[6];
  for (const auto& line : lines) {
    EXPECT_NE(line.find("token " + token_id + " from 127.0.0.1"), std::string::npos) << line;
    EXPECT_EQ(line.find("Sup3r-Secret"), std::string::npos) << "a password in the log";
    EXPECT_EQ(line.find(token_.substr(23)), std::string::npos) << "a token secret in the log";
    EXPECT_EQ(line.find("CTO"), std::string::npos) << "a value in the log";
  }

  // Filters: failed only, one resource, JSON lines, pages.
  EXPECT_EQ(Activity({"--failed"}).size(), 2u);
  EXPECT_EQ(Activity({"--resource", id}).size(), 3u);  // POST, PATCH, bulk DELETE
  const std::vector<std::string> json = Activity({"--json", "--limit", "2"});
  ASSERT_EQ(json.size(), 2u);
  auto first = Json::Parse(json[0]);
  ASSERT_TRUE(first.ok()) << json[0];
  EXPECT_EQ(first->Find("status")->as_int(), 204);
  EXPECT_TRUE(first->Find("bulk")->as_bool());
  const int64_t seq = first->Find("sequence")->as_int();
  const std::vector<std::string> next =
      Activity({"--limit", "1", "--before", std::to_string(seq - 1)});
  ASSERT_EQ(next.size(), 1u);
  EXPECT_NE(next[0].find("POST /Groups"), std::string::npos) << next[0];
  SetClock(kT0 + 3 * kDay);
  EXPECT_TRUE(Activity({"--since", "2d"}).empty());
  EXPECT_EQ(Activity({"--since", "4d"}).size(), 7u);
}

TEST_F(ActivityLogTest, ATokenRefusedForAKnownTenantIsRecorded) {
  StopServer();
  const std::string reader =
      LastLine(MustScimctl({"token", "issue", "acme", "--scope", "scim:read", "--expires", "1d"}));
  StartServer();
  ExpectScimError(client_->Send("POST", "/scim/v2/Users", R"({"userName":"x"})",
                                {{"Authorization", "Bearer " + reader}}),
                  403);
  SetClock(kT0 + 2 * kDay);
  ExpectScimError(
      client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer " + reader}}), 401);
  // A token nobody knows belongs to no tenant: nothing to record.
  ExpectScimError(client_->Send("GET", "/scim/v2/Users", "",
                                {{"Authorization", "Bearer scimd_0000000000000000_x"}}),
                  401);
  StopServer();
  const std::vector<std::string> lines = Activity();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("GET /Users 401"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("expired"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("POST /Users 403"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("read-only"), std::string::npos) << lines[1];

  // A tenant can turn its log off.
  MustScimctl({"tenant", "set", "acme", "activity=off"});
  StartServer();
  ASSERT_EQ(Post("/Users", R"({"userName":"quiet"})").status, 201);
  StopServer();
  EXPECT_EQ(Activity().size(), 2u);
}

}  // namespace
}  // namespace scimd::testing
