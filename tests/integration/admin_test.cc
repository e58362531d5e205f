// The admin API and `scimctl --server` against a real scimd: the admin token (and that a
// SCIM token is none), tenants, settings that apply at once, tokens, activity, stats, an
// index built in the background while the server serves, tenant deletion, and the same
// output from scimctl whether it reads the data directory or the running server.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;

constexpr char kAdminToken[] = "admin-token-for-tests-0123456789abcdef";

class AdminApiTest : public ClockedServerTest {
 protected:
  void SetUp() override {
    setenv("SCIMD_ADMIN_TOKEN", kAdminToken, 1);
    ClockedServerTest::SetUp();
  }
  void TearDown() override {
    ClockedServerTest::TearDown();
    unsetenv("SCIMD_ADMIN_TOKEN");
  }
  std::vector<std::string> ServerArgs() override {
    return {"--admin-listen", "127.0.0.1:0", "--admin-port-file", dir_.path() + "/admin.port"};
  }
  int AdminPort() {
    std::ifstream f(dir_.path() + "/admin.port");
    int port = 0;
    f >> port;
    return port;
  }
  std::string AdminUrl() { return "http://127.0.0.1:" + std::to_string(AdminPort()); }
  HttpResult Admin(const std::string& method, const std::string& path, const std::string& body = "",
                   const std::string& token = kAdminToken) {
    HttpClient admin(AdminPort());
    return admin.Send(method, "/admin/v1" + path, body, {{"Authorization", "Bearer " + token}});
  }
  // scimctl through the admin API.
  CommandResult Online(std::vector<std::string> args) {
    args.insert(args.begin(), {ScimctlBin(), "--server", AdminUrl()});
    return RunCommand(args);
  }
  std::string MustOnline(const std::vector<std::string>& args) {
    CommandResult r = Online(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
};

TEST_F(AdminApiTest, OnlyTheAdminTokenOpensIt) {
  EXPECT_EQ(Admin("GET", "/tenants").status, 200);
  HttpResult none = Admin("GET", "/tenants", "", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.Header("content-type"), "application/json");
  EXPECT_EQ(Admin("GET", "/tenants", "", "admin-token-for-tests-0123456789abcdeX").status, 401);
  EXPECT_EQ(Admin("GET", "/tenants", "", token_).status, 401);  // a SCIM token is not one
  // ... nor is the admin token a SCIM token.
  EXPECT_EQ(client_
                ->Send("GET", "/scim/v2/Users", "",
                       {{"Authorization", std::string("Bearer ") + kAdminToken}})
                .status,
            401);
  unsetenv("SCIMD_ADMIN_TOKEN");
  CommandResult no_token = Online({"tenant", "list"});
  EXPECT_EQ(no_token.exit_code, 2);
  setenv("SCIMD_ADMIN_TOKEN", "wrong-wrong-wrong-wrong-wrong-wrong-wrong", 1);
  CommandResult wrong = Online({"tenant", "list"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("admin token"), std::string::npos) << wrong.err;
}

TEST_F(AdminApiTest, TenantsTokensAndSettingsWhileTheServerServes) {
  EXPECT_NE(MustOnline({"tenant", "create", "acme.qa"}).find("created tenant acme.qa"),
            std::string::npos);
  EXPECT_NE(Online({"tenant", "create", "bad name"}).exit_code, 0);
  const std::string qa = LastLine(
      MustOnline({"token", "issue", "acme.qa", "--description", "QA sync", "--expires", "30d"}));
  EXPECT_EQ(client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer " + qa}}).status,
            200);

  // A setting applies to the next request, without a restart.
  EXPECT_EQ(Post("/Users", R"({"userName":"no-email"})").status, 201);
  MustOnline({"tenant", "set", "acme", "required=userName,emails"});
  ExpectScimError(Post("/Users", R"({"userName":"no-email-2"})"), 400, "invalidValue");
  MustOnline({"tenant", "set", "acme", "required="});
  EXPECT_EQ(Post("/Users", R"({"userName":"no-email-3"})").status, 201);
  EXPECT_NE(Online({"tenant", "set", "acme", "profile=sloppy"}).exit_code, 0);
  // Several at once: all of them, or none when one is refused.
  EXPECT_NE(
      Online({"tenant", "set", "acme", "required=userName,emails", "profile=sloppy"}).exit_code, 0);
  EXPECT_EQ(Post("/Users", R"({"userName":"no-email-4"})").status, 201);
  MustOnline({"tenant", "set", "acme", "required=userName,emails", "rate-limit=0"});
  ExpectScimError(Post("/Users", R"({"userName":"no-email-5"})"), 400, "invalidValue");
  MustOnline({"tenant", "set", "acme", "required="});

  const std::string shown = MustOnline({"tenant", "show", "acme"});
  EXPECT_NE(shown.find("users: 3"), std::string::npos) << shown;
  EXPECT_NE(shown.find("tokens: 1"), std::string::npos) << shown;

  // Rotation and revocation online; the old token answers 401 once revoked.
  const std::string rotated = MustOnline({"token", "rotate", "acme.qa", "--grace", "1d"});
  const std::string fresh = LastLine(rotated);
  EXPECT_EQ(
      client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer " + fresh}}).status,
      200);
  MustOnline({"token", "revoke", "acme.qa", qa.substr(6, 16)});
  EXPECT_EQ(client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer " + qa}}).status,
            401);
  const std::string tokens = MustOnline({"token", "list", "acme.qa"});
  EXPECT_EQ(tokens.find(qa.substr(6, 16)), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("QA sync"), std::string::npos) << tokens;
  EXPECT_EQ(tokens.find(fresh.substr(23)), std::string::npos) << "a secret in a list";

  // Activity and stats of the running server.
  const std::string activity = MustOnline({"activity", "acme", "--failed"});
  EXPECT_NE(activity.find("POST /Users 400"), std::string::npos) << activity;
  EXPECT_NE(activity.find("invalidValue: attribute \"emails\" is required"), std::string::npos)
      << activity;
  const std::string stats = MustOnline({"stats", "acme"});
  EXPECT_NE(stats.find("requests: 5"), std::string::npos) << stats;  // the five POSTs above
  EXPECT_NE(stats.find("errors: 2"), std::string::npos) << stats;
  EXPECT_NE(Scimctl({"stats", "acme"}).exit_code, 0);  // counters live in the server
}

// Each reactor thread keeps the records of the tokens it saw (core::Gate): a token revoked
// or rotated through the admin API is refused at once on every connection, also right
// after it was used there (the test clock stands still, so nothing here expires by itself).
TEST_F(AdminApiTest, RevokedAndRotatedTokensAreRefusedAtOnceOnEveryConnection) {
  const std::string a = LastLine(MustOnline({"token", "issue", "acme"}));
  const std::string b = LastLine(MustOnline({"token", "issue", "acme"}));
  std::vector<std::unique_ptr<HttpClient>> conns;  // spread over both reactor threads
  for (int i = 0; i < 6; ++i) conns.push_back(std::make_unique<HttpClient>(server_->port()));
  auto get = [](HttpClient& c, const std::string& token) {
    return c.Send("GET", "/scim/v2/Users?count=1", "", {{"Authorization", "Bearer " + token}})
        .status;
  };
  for (auto& c : conns) {
    EXPECT_EQ(get(*c, a), 200);
    EXPECT_EQ(get(*c, b), 200);
  }
  MustOnline({"token", "revoke", "acme", a.substr(6, 16)});
  for (auto& c : conns) {
    EXPECT_EQ(get(*c, a), 401);
    EXPECT_EQ(get(*c, b), 200);  // known again to every thread before the rotation
  }

  // b rotated with 2 s of grace: still valid, then refused once they are past (sooner
  // than a thread would read the record again by itself), though every thread knew it
  // as a token that never expires.
  const std::string fresh =
      LastLine(MustOnline({"token", "rotate", "acme", b.substr(6, 16), "--grace", "2s"}));
  for (auto& c : conns) {
    EXPECT_EQ(get(*c, b), 200);
    EXPECT_EQ(get(*c, fresh), 200);
  }
  SetClock(kT0 + 3);
  for (auto& c : conns) {
    EXPECT_EQ(get(*c, b), 401);
    EXPECT_EQ(get(*c, fresh), 200);
  }
}

// The storage engine's backlog for an operator: compaction debt, level-0 files, memtables,
// running work and stalls, from the admin API and from scimctl (online and offline).
TEST_F(AdminApiTest, TheStoreShowsTheEnginesBacklog) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Post("/Users", R"({"userName":"backlog-)" + std::to_string(i) + R"("})").status, 201);
  }
  HttpResult r = Admin("GET", "/store");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json::Parse(r.body);
  ASSERT_TRUE(j.ok()) << r.body;
  for (const char* field : {"pendingCompactionBytes", "level0Files", "memtableBytes",
                            "runningCompactions", "runningFlushes", "delayedWriteRate"}) {
    const Json* v = j->Find(field);
    ASSERT_NE(v, nullptr) << field;
    EXPECT_TRUE(v->is_int() && v->as_int() >= 0) << field;
  }
  EXPECT_GT(j->Find("memtableBytes")->as_int(), 0);  // the users just written
  ASSERT_NE(j->Find("writesStopped"), nullptr);
  EXPECT_EQ(j->Find("writesStopped")->as_bool(), false);
  EXPECT_EQ(Admin("GET", "/store", "", token_).status, 401);  // a SCIM token is no admin token
  const std::string online = MustOnline({"store"});
  EXPECT_NE(online.find("pending compaction bytes: "), std::string::npos) << online;
  EXPECT_NE(online.find("writes stopped: no"), std::string::npos) << online;
  StopServer();
  const std::string offline = MustScimctl({"store"});
  EXPECT_NE(offline.find("level-0 files: "), std::string::npos) << offline;
  StartServer();
}

TEST_F(AdminApiTest, AnIndexIsBuiltInTheBackgroundAndUsedOnceComplete) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Post("/Users", R"({"userName":"u)" + std::to_string(i) + R"(","title":")" +
                                 (i % 5 == 0 ? "Engineer" : "Other") + "\"}")
                  .status,
              201);
  }
  const std::string added = MustOnline({"index", "add", "acme", "Users", "title"});
  EXPECT_NE(added.find("building the index of User title"), std::string::npos) << added;
  // Writes during the build keep the new index.
  ASSERT_EQ(Post("/Users", R"({"userName":"late","title":"Engineer"})").status, 201);
  std::string list;
  for (int i = 0; i < 200; ++i) {  // at most 20 s (a 3 s grace, then the backfill)
    list = MustOnline({"index", "list", "acme"});
    if (list.find("title") != std::string::npos && list.find("building") == std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(list.find("User\ttitle\t100\ttenant"), std::string::npos) << list;
  EXPECT_EQ(list.find("building"), std::string::npos) << list;
  ASSERT_EQ(Post("/Users", R"({"userName":"after","title":"Engineer"})").status, 201);
  HttpResult r =
      Get("/Users?filter=title%20eq%20%22engineer%22&count=0", {{"X-Scimd-Explain", "1"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Int(Parse(r), "totalResults"), 12);  // 10 before, one during, one after
  EXPECT_EQ(r.Header("x-scimd-plan"), "IndexEq(User.title = \"engineer\") THEN CountFromIndex");
  EXPECT_EQ(r.Header("x-scimd-rows-examined"), "0");  // count=0: the index's count alone
  // explain through the API agrees.
  const std::string explained = MustOnline({"explain", "acme", "Users", "title eq \"Engineer\""});
  EXPECT_NE(explained.find("matches: 12"), std::string::npos) << explained;
  MustOnline({"index", "drop", "acme", "Users", "title"});
  r = Get("/Users?filter=title%20eq%20%22engineer%22&count=0", {{"X-Scimd-Explain", "1"}});
  EXPECT_EQ(Int(Parse(r), "totalResults"), 12);
  EXPECT_NE(r.Header("x-scimd-plan").find("FullScan"), std::string::npos)
      << r.Header("x-scimd-plan");
}

TEST_F(AdminApiTest, DeletingATenantRemovesEverything) {
  MustOnline({"tenant", "create", "gone"});
  const std::string token = LastLine(MustOnline({"token", "issue", "gone"}));
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + token}};
  ASSERT_EQ(client_->Send("POST", "/scim/v2/Users", R"({"userName":"x"})", auth).status, 201);
  MustOnline({"tenant", "delete", "gone"});
  EXPECT_EQ(client_->Send("GET", "/scim/v2/Users", "", auth).status, 401);
  EXPECT_NE(Online({"tenant", "show", "gone"}).exit_code, 0);
  EXPECT_EQ(MustOnline({"tenant", "list"}).find("gone"), std::string::npos);
  // The name is free again, and the new tenant starts empty.
  MustOnline({"tenant", "create", "gone"});
  EXPECT_NE(MustOnline({"tenant", "show", "gone"}).find("users: 0"), std::string::npos);
}

// One User as a line of NDJSON; `quoted` false writes the userName as a number.
std::string UserLine(const std::string& name, bool quoted = true) {
  const std::string q = quoted ? "\"" : "";
  return R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":)" + q + name + q +
         "}\n";
}

// The users u0..u{n-1} (and, with `group`, one group of all of them by externalId) as NDJSON.
std::string UsersFile(int n, bool group) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u)" +
           std::to_string(i) + R"(","externalId":"x)" + std::to_string(i) +
           R"(","title":"Engineer"})" + "\n";
  }
  if (group) {
    out += R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"all",)"
           R"("members":[)";
    for (int i = 0; i < n; ++i)
      out += (i ? "," : "") + (R"({"value":"x)" + std::to_string(i) + "\"}");
    out += "]}\n";
  }
  return out;
}

TEST_F(AdminApiTest, AnOnlineImportHoldsWritesAndLoadsAllOrNothing) {
  ASSERT_EQ(Post("/Users", R"({"userName":"before"})").status, 201);
  const std::string file = UsersFile(1500, true);
  HttpResult created = Admin("POST", "/tenants/acme/imports");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Str(Parse(created), "id");
  const std::string at = "/tenants/acme/imports/" + id;
  // Two pieces; a piece at the wrong offset is refused with the offset to resume from.
  const size_t half = file.size() / 2;
  ASSERT_EQ(Admin("PUT", at + "/data?offset=0", file.substr(0, half)).status, 200);
  HttpResult wrong = Admin("PUT", at + "/data?offset=0", file.substr(half));
  EXPECT_EQ(wrong.status, 409);
  EXPECT_NE(wrong.body.find("offset=" + std::to_string(half)), std::string::npos) << wrong.body;
  ASSERT_EQ(Admin("PUT", at + "/data?offset=" + std::to_string(half), file.substr(half)).status,
            200);
  EXPECT_EQ(Admin("PUT", "/tenants/acme/imports/nope/data?offset=0", "x").status, 404);
  HttpResult started = Admin("POST", at + "/start", R"({"maxErrors":0})");
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_EQ(Admin("PUT", at + "/data?offset=" + std::to_string(file.size()), "x").status, 409);

  // While it runs: the tenant cannot be deleted, writes are told to come back later,
  // reads go on.
  EXPECT_EQ(Admin("DELETE", "/tenants/acme").status, 409);
  HttpResult held = Post("/Users", R"({"userName":"during"})");
  ExpectScimError(held, 503);
  EXPECT_EQ(held.Header("retry-after"), "10");
  EXPECT_EQ(Int(Parse(Get("/Users?count=0")), "totalResults"), 1);

  core::Json state;
  for (int i = 0; i < 600; ++i) {  // at most a minute
    state = Parse(Admin("GET", at));
    if (Str(state, "state") == "done" || Str(state, "state") == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(Str(state, "state"), "done") << state.Serialize();
  EXPECT_EQ(Int(state, "users"), 1500);
  EXPECT_EQ(Int(state, "groups"), 1);
  EXPECT_EQ(Int(state, "members"), 1500);
  EXPECT_EQ(Int(state, "uploaded"), static_cast<int64_t>(file.size()));

  // Served at once: searches, counts, uniqueness against the imported users, members.
  EXPECT_EQ(Int(Parse(Get("/Users?count=0")), "totalResults"), 1501);
  EXPECT_EQ(Int(Parse(Get("/Users?filter=userName%20eq%20%22u1499%22")), "totalResults"), 1);
  ExpectScimError(Post("/Users", R"({"userName":"U7"})"), 409, "uniqueness");
  EXPECT_EQ(Post("/Users", R"({"userName":"after"})").status, 201);
  const core::Json groups = Parse(Get("/Groups?filter=displayName%20eq%20%22all%22"));
  ASSERT_EQ(Int(groups, "totalResults"), 1);
  EXPECT_EQ(Int(Parse(Get("/Groups?filter=members.value%20pr&count=0")), "totalResults"), 1);
  EXPECT_NE(MustOnline({"activity", "acme"}).find("IMPORT /import 200"), std::string::npos);

  // A file with a bad record on line 3 loads nothing, says why, and frees the writes.
  const std::string bad =
      UserLine("new-1") + UserLine("new-2") + UserLine("5", false) + UserLine("fine");
  const std::string bad_id = Str(Parse(Admin("POST", "/tenants/acme/imports")), "id");
  const std::string bad_at = "/tenants/acme/imports/" + bad_id;
  ASSERT_EQ(Admin("PUT", bad_at + "/data?offset=0", bad).status, 200);
  ASSERT_EQ(Admin("POST", bad_at + "/start").status, 202);
  for (int i = 0; i < 600; ++i) {
    state = Parse(Admin("GET", bad_at));
    if (Str(state, "state") == "done" || Str(state, "state") == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(Str(state, "state"), "failed") << state.Serialize();
  EXPECT_EQ(Int(state, "errorStatus"), 400);
  EXPECT_NE(Str(state, "error").find("line 3"), std::string::npos) << state.Serialize();
  EXPECT_EQ(Int(Parse(Get("/Users?count=0")), "totalResults"), 1502);
  EXPECT_EQ(Post("/Users", R"({"userName":"after-failed"})").status, 201);
  // Finished imports are listed; an upload that was never started can be dropped.
  const std::string listed = Admin("GET", "/tenants/acme/imports").body;
  EXPECT_NE(listed.find(id), std::string::npos);
  EXPECT_NE(listed.find(bad_id), std::string::npos);
  const std::string idle = Str(Parse(Admin("POST", "/tenants/acme/imports")), "id");
  EXPECT_EQ(Admin("DELETE", "/tenants/acme/imports/" + idle).status, 200);
  EXPECT_EQ(Admin("GET", "/tenants/acme/imports/" + idle).status, 404);
}

// An upload left unstarted by a client that gave up goes, file and all, a day after its
// last piece; one that keeps receiving pieces, or has finished, stays.
TEST_F(AdminApiTest, AnUploadLeftIdleForADayIsDropped) {
  const std::string staging = data_ + "/imports";
  auto files = [&] {
    return std::distance(std::filesystem::directory_iterator(staging),
                         std::filesystem::directory_iterator());
  };
  const std::string idle = Str(Parse(Admin("POST", "/tenants/acme/imports")), "id");
  ASSERT_EQ(Admin("PUT", "/tenants/acme/imports/" + idle + "/data?offset=0", "{}\n").status, 200);
  const std::string busy = Str(Parse(Admin("POST", "/tenants/acme/imports")), "id");
  EXPECT_EQ(files(), 2);

  SetClock(kT0 + kDay - 60);  // a piece to `busy` just before the day is out
  ASSERT_EQ(Admin("PUT", "/tenants/acme/imports/" + busy + "/data?offset=0", "{}\n").status, 200);
  EXPECT_EQ(Admin("GET", "/tenants/acme/imports/" + idle).status, 200);  // not yet

  SetClock(kT0 + kDay + 60);
  EXPECT_EQ(Admin("GET", "/tenants/acme/imports/" + idle).status, 404);
  EXPECT_EQ(Admin("GET", "/tenants/acme/imports/" + busy).status, 200);
  EXPECT_EQ(files(), 1);

  SetClock(kT0 + 2 * kDay + 60);
  EXPECT_EQ(Admin("GET", "/tenants/acme/imports").body.find(busy), std::string::npos);
  EXPECT_EQ(files(), 0);
}

TEST_F(AdminApiTest, ScimctlImportsAndExportsOnlineAsOffline) {
  MustOnline({"tenant", "create", "copy"});
  const std::string path = dir_.path() + "/in.ndjson";
  {
    std::ofstream f(path);
    f << UsersFile(800, true);
  }
  const std::string imported = MustOnline({"import", "acme", path});
  EXPECT_NE(imported.find("imported 800 users and 1 groups (800 members) into acme"),
            std::string::npos)
      << imported;
  // A rejected file exits non-zero and names the line, as offline.
  const std::string bad = dir_.path() + "/bad.ndjson";
  {
    std::ofstream f(bad);
    f << UserLine("ok-1") << UserLine("u5");
  }
  CommandResult refused = Online({"import", "acme", bad});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("line 2"), std::string::npos) << refused.err << refused.out;

  // Export online while the server keeps serving, then offline: the same bytes.
  const std::string online = dir_.path() + "/online.ndjson";
  CommandResult exported = Online({"export", "acme", "--out", online});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.err.find("exported 800 users and 1 groups (800 members)"), std::string::npos)
      << exported.err;
  const std::string users_only = MustOnline({"export", "acme", "--resource", "Users"});
  EXPECT_EQ(Get("/Users?count=0").status, 200);
  // ... and into another tenant, online: the same again.
  MustOnline({"import", "copy", online});
  const std::string copied = dir_.path() + "/copied.ndjson";
  ASSERT_EQ(Online({"export", "copy", "--out", copied}).exit_code, 0);
  StopServer();
  const std::string offline = dir_.path() + "/offline.ndjson";
  MustScimctl({"export", "acme", "--out", offline});
  auto read = [](const std::string& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(read(online), read(offline));
  EXPECT_EQ(read(copied), read(offline));
  EXPECT_EQ(MustScimctl({"export", "acme", "--resource", "Users"}), users_only);
  EXPECT_EQ(std::count(users_only.begin(), users_only.end(), '\n'), 800);
}

TEST_F(AdminApiTest, ScimctlSaysTheSameOnlineAndOffline) {
  MustOnline({"tenant", "create", "acme.qa"});
  MustOnline({"tenant", "set", "acme.qa", "profile=okta"});
  LastLine(MustOnline({"token", "issue", "acme", "--description", "entra", "--expires", "5d"}));
  ASSERT_EQ(Post("/Users", R"({"userName":"a"})").status, 201);
  ExpectScimError(Post("/Users", R"({"userName":"A"})"), 409, "uniqueness");
  EXPECT_EQ(Get("/Users?count=0").status, 200);  // marks the token used
  // The API flags the 5-day token as expiring within 7 days, the demo token as valid.
  const HttpResult listed = Admin("GET", "/tenants/acme/tokens");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_NE(listed.body.find(R"("state":"expires within 7 days")"), std::string::npos)
      << listed.body;
  EXPECT_NE(listed.body.find(R"("state":"valid")"), std::string::npos) << listed.body;
  const std::vector<std::vector<std::string>> commands = {
      {"tenant", "list"},
      {"tenant", "show", "acme"},
      {"tenant", "show", "acme.qa"},
      {"token", "list", "acme"},
      {"index", "list", "acme"},
      {"activity", "acme"},
      {"activity", "acme", "--json", "--failed"}};
  std::vector<std::string> online;
  for (const auto& c : commands) online.push_back(MustOnline(c));
  StopServer();
  for (size_t i = 0; i < commands.size(); ++i) {
    EXPECT_EQ(MustScimctl(commands[i]), online[i]) << commands[i][0] << " " << commands[i][1];
  }
}

}  // namespace
}  // namespace scimd::testing
