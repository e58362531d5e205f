// Process life cycle: durability across kill -9, graceful SIGTERM, scimctl against a
// running server, the demo tenant of `make run`.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;

class LifecycleTest : public ScimServerTest {};

TEST_F(LifecycleTest, AcknowledgedWritesSurviveKill9) {
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(CreateUser("durable" + std::to_string(i)));
  const std::string gid =
      Str(Parse(Post("/Groups", R"({"displayName":"D","members":[{"value":")" + ids[0] + "\"}]}")),
          "id");
  const std::string replaced = ids[1];
  ASSERT_EQ(Put("/Users/" + replaced, R"({"userName":"renamed"})").status, 200);
  ASSERT_EQ(Delete("/Users/" + ids[2]).status, 204);
  server_->Kill9();
  client_.reset();
  StartServer();
  EXPECT_EQ(Int(Parse(Get("/Users?count=0")), "totalResults"), 199);
  for (size_t i = 3; i < ids.size(); ++i) ASSERT_EQ(Get("/Users/" + ids[i]).status, 200) << i;
  EXPECT_EQ(Str(Parse(Get("/Users/" + replaced)), "userName"), "renamed");
  ExpectScimError(Get("/Users/" + ids[2]), 404);
  Json g = Parse(Get("/Groups/" + gid));
  ASSERT_NE(g.Find("members"), nullptr);
  EXPECT_EQ(Str(g.Find("members")->as_array()[0], "value"), ids[0]);
  ExpectScimError(Post("/Users", R"({"userName":"durable10"})"), 409, "uniqueness");
}

TEST_F(LifecycleTest, SigtermExitsCleanlyAndStoreReopens) {
  const std::string id = CreateUser("graceful");
  EXPECT_EQ(server_->Stop(), 0) << server_->Output();
  client_.reset();
  CommandResult list = RunCommand({ScimctlBin(), "--data", data_, "tenant", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("acme"), std::string::npos);
  StartServer();
  EXPECT_EQ(Get("/Users/" + id).status, 200);
}

TEST_F(LifecycleTest, ScimctlSaysClearlyWhenTheServerHoldsTheStore) {
  CommandResult r = RunCommand({ScimctlBin(), "--data", data_, "tenant", "create", "other"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("in use by a running scimd"), std::string::npos) << r.err;
}

TEST_F(LifecycleTest, ScimctlTokensAreShownOnceAndListedWithoutSecrets) {
  StopServer();
  CommandResult issue = RunCommand({ScimctlBin(), "--data", data_, "token", "issue", "acme"});
  ASSERT_EQ(issue.exit_code, 0) << issue.err;
  std::string out = issue.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  const std::string token = out.substr(out.rfind('\n') + 1);
  EXPECT_EQ(token.rfind("scimd_", 0), 0u);
  EXPECT_GE(token.size(), 6u + 16 + 1 + 43);  // 256-bit secret, base64url
  CommandResult list = RunCommand({ScimctlBin(), "--data", data_, "token", "list", "acme"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out.find(token), std::string::npos);
  EXPECT_EQ(list.out.find(token.substr(24)), std::string::npos);
  EXPECT_NE(list.out.find(token.substr(6, 16)), std::string::npos);  // the public id
  // Both tokens work; a token for an unknown tenant cannot be issued.
  CommandResult bad = RunCommand({ScimctlBin(), "--data", data_, "token", "issue", "nope"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("no tenant"), std::string::npos);
  CommandResult set_bad =
      RunCommand({ScimctlBin(), "--data", data_, "tenant", "set", "acme", "nope=1"});
  EXPECT_NE(set_bad.exit_code, 0);
  StartServer();
  EXPECT_EQ(
      client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer " + token}}).status,
      200);
  EXPECT_EQ(Get("/Users").status, 200);
}

TEST_F(LifecycleTest, UnknownAttributesCanBeIgnoredPerTenant) {
  ExpectScimError(Post("/Users", R"({"userName":"u1","adreses":[]})"), 400, "invalidSyntax");
  StopServer();
  CommandResult set = RunCommand(
      {ScimctlBin(), "--data", data_, "tenant", "set", "acme", "unknown-attributes=ignore"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  StartServer();
  HttpResult r = Post("/Users", R"({"userName":"u1","adreses":[]})");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body.find("adreses"), std::string::npos);
}

TEST_F(LifecycleTest, SoftDeletePolicyDeprovisionsInsteadOfDeleting) {
  SetTenant("delete-policy=soft");
  const std::string id = CreateUser("keepme", R"(,"active":true)");
  EXPECT_EQ(Delete("/Users/" + id).status, 204);
  Json j = Parse(Get("/Users/" + id));
  EXPECT_EQ(Str(j, "userName"), "keepme");
  EXPECT_FALSE(j.Find("active")->as_bool());
  EXPECT_EQ(Int(Parse(Get("/Users?filter=userName%20eq%20%22keepme%22")), "totalResults"), 1);
  ExpectScimError(Delete("/Users/01900000-0000-7000-8000-0000000000bb"), 404);
  // Groups are still removed.
  const std::string g = Str(Parse(Post("/Groups", R"({"displayName":"g"})")), "id");
  EXPECT_EQ(Delete("/Groups/" + g).status, 204);
  ExpectScimError(Get("/Groups/" + g), 404);
}

TEST_F(LifecycleTest, RateLimitAnswers429WithRetryAfter) {
  SetTenant("rate-limit=5");
  int ok = 0, limited = 0;
  std::string retry_after;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 30; ++i) {
    HttpResult r = Get("/Users?count=0");
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      retry_after = r.Header("retry-after");
      ExpectScimError(r, 429);
    }
  }
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A burst of one second's worth (5), then 5 per second of the loop's own duration
  // (slow machines and sanitizer builds take longer, and earn more).
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 5 + static_cast<int>(elapsed_s * 5) + 1) << elapsed_s << " s";
  EXPECT_GT(limited, 0);
  EXPECT_GE(std::atoi(retry_after.c_str()), 1);
  // Discovery is not limited (no tenant).
  EXPECT_EQ(client_->Send("GET", "/scim/v2/ServiceProviderConfig").status, 200);
}

// Unknown members are skipped by default (issue #17: common test clients send placeholder
// ids); a tenant that wants them refused says unknown-members=reject.
TEST_F(LifecycleTest, UnknownMembersAreSkippedUnlessTheTenantRejectsThem) {
  const std::string g = Str(Parse(Post("/Groups", R"({"displayName":"g"})")), "id");
  const std::string patch =
      R"({"Operations":[{"op":"add","path":"members","value":"string id 1"}]})";
  EXPECT_EQ(client_->Send("PATCH", "/scim/v2/Groups/" + g, patch, Auth()).status, 200);
  const std::string missing = "01900000-0000-7000-8000-0000000000cc";
  HttpResult r = Post("/Groups", R"({"displayName":"h","members":[{"value":")" + missing + "\"}]}");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Parse(r).Find("members"), nullptr);
  SetTenant("unknown-members=reject");
  ExpectScimError(client_->Send("PATCH", "/scim/v2/Groups/" + g, patch, Auth()), 400,
                  "invalidValue");
  r = Post("/Groups", R"({"displayName":"i","members":[{"value":")" + missing + "\"}]}");
  ExpectScimError(r, 400, "invalidValue");
  EXPECT_NE(r.body.find(missing), std::string::npos);
}

// Every byte the server wrote to its data directory, concatenated.
std::string ReadDataDir(const std::string& dir) {
  std::string all;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  return all;
}

TEST_F(LifecycleTest, PasswordsAreStoredOnlyAsSaltedHashes) {
  const std::string id = CreateUser("pw.user", R"(,"password":"Plaintext-Secret-1")");
  HttpResult patched = client_->Send(
      "PATCH", "/scim/v2/Users/" + id,
      R"({"Operations":[{"op":"replace","path":"password","value":"Plaintext-Secret-2"}]})",
      Auth());
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.body.find("Plaintext"), std::string::npos);
  EXPECT_EQ(patched.body.find("password"), std::string::npos);
  // A PUT without a password keeps it; the version moved on for the password change.
  ASSERT_EQ(Put("/Users/" + id, R"({"userName":"pw.user","title":"t"})").status, 200);
  EXPECT_EQ(Get("/Users/" + id + "?attributes=password").body.find("Plaintext"), std::string::npos);
  StopServer();
  const std::string bytes = ReadDataDir(data_);
  EXPECT_EQ(bytes.find("Plaintext-Secret"), std::string::npos);
  EXPECT_NE(bytes.find("$argon2id$"), std::string::npos);
  StartServer();
}

TEST(DemoTenantTest, FirstStartCreatesDemoTenantAndPrintsUrlAndTokenOnce) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::string token;
  {
    ScimdProcess server(data, {"--demo-tenant", "demo"});
    std::string out;
    for (int i = 0; i < 200 && out.find("token") == std::string::npos; ++i) {
      out = server.Output();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const size_t at = out.find("scimd_");
    ASSERT_NE(at, std::string::npos) << out;
    token = out.substr(at, out.find_first_of(" \n", at) - at);
    EXPECT_NE(out.find("http://127.0.0.1:" + std::to_string(server.port()) + "/scim/v2"),
              std::string::npos)
        << out;
    HttpClient c(server.port());
    EXPECT_EQ(c.Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer " + token}}).status,
              200);
  }
  ScimdProcess again(data, {"--demo-tenant", "demo"});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(again.Output().find("scimd_"), std::string::npos) << again.Output();
  HttpClient c(again.port());
  EXPECT_EQ(c.Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer " + token}}).status,
            200);
}

}  // namespace
}  // namespace scimd::testing
