// scimctl import and export on a real RocksDB store and a real scimd: validation with line
// numbers, the tenant's policies, all-or-nothing (a bad file, kill -9 at any moment, a
// disk that fills up), member references by id, externalId and bulkId, the file formats,
// and export -> import round trips that reproduce a tenant exactly.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

std::string UserLine(int i, const std::string& extra = "") {
  return R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"user)" +
         std::to_string(i) + R"(@example.com","externalId":"ext-)" + std::to_string(i) +
         R"(","name":{"givenName":"Given)" + std::to_string(i) +
         R"(","familyName":"Family"},"emails":[{"value":"user)" + std::to_string(i) +
         R"(@example.com","type":"work","primary":true}],"active":true)" + extra + "}";
}

class ImportTest : public ScimServerTest {
 protected:
  void SetUp() override {
    ScimServerTest::SetUp();
    StopServer();  // imports below run on the stopped server's store unless they start it
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  CommandResult Scimctl(std::vector<std::string> args) {
    args.insert(args.begin(), {ScimctlBin(), "--data", data_});
    return RunCommand(args, 300);
  }
  std::string Export(const std::string& tenant) {
    CommandResult r = Scimctl({"export", tenant});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  uint64_t Count(const std::string& tenant, const std::string& what) {
    CommandResult r = Scimctl({"tenant", "show", tenant});
    const size_t at = r.out.find(what + ": ");
    return at == std::string::npos ? ~uint64_t{0} : std::stoull(r.out.substr(at + what.size() + 2));
  }
  // A file of `n` users, then two groups: one with every tenth user (by externalId), one
  // nested in it (by id).
  std::string BigFile(int n) {
    std::string text;
    text.reserve(static_cast<size_t>(n) * 300);
    for (int i = 0; i < n; ++i) text += UserLine(i) + "\n";
    text +=
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"01890000-0000-7000-8000-000000000001","displayName":"tenth","members":[)";
    for (int i = 0; i < n; i += 10) {
      text += std::string(i ? "," : "") + R"({"value":"ext-)" + std::to_string(i) + "\"}";
    }
    text += "]}\n";
    text +=
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"outer","members":[{"value":"01890000-0000-7000-8000-000000000001"}]})"
        "\n";
    return Write("big.ndjson", text);
  }
};

TEST_F(ImportTest, BadRecordsAreNamedByLineAndNothingIsLoaded) {
  ASSERT_EQ(Scimctl({"tenant", "set", "acme", "required=userName,emails"}).exit_code, 0);
  const std::string file = Write(
      "bad.ndjson",
      UserLine(1) + "\n" +      // 1 good
          "{not json\n" +       // 2
          UserLine(1) + "\n" +  // 3 same userName
          R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x"})"
          "\n"  // 4 no emails
          R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"y","emails":[{"value":"y@x"}],"shoeSize":3})"
          "\n"  // 5 unknown attribute
          R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"00u1abc","userName":"z","emails":[{"value":"z@x"}]})"
          "\n"  // 6 foreign id
          R"({"displayName":"no schemas"})"
          "\n" +  // 7
          UserLine(2) +
          "\n");  // 8 good

  // Default: the first bad record stops the import, named on stderr; nothing is loaded.
  CommandResult r = Scimctl({"import", "acme", file});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing was loaded"), std::string::npos) << r.err;
  EXPECT_EQ(Count("acme", "users"), 0u);

  // With room for errors, each bad record is reported with its line and the rest load.
  r = Scimctl({"import", "acme", file, "--max-errors", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* expected : {"line 2 rejected: not JSON",
                               "line 3 rejected: \"user1@example.com\" is already used by "
                               "the record on line 1",
                               "line 4 rejected: attribute \"emails\" is required",
                               "line 5 rejected:", "line 6 rejected: id \"00u1abc\" is not a UUID",
                               "line 7 rejected: neither a User nor"}) {
    EXPECT_NE(r.err.find(expected), std::string::npos) << expected << "\n" << r.err;
  }
  EXPECT_NE(r.out.find("imported 2 users"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("6 rejected"), std::string::npos) << r.out;
  EXPECT_EQ(Count("acme", "users"), 2u);

  // Too many errors for the limit: nothing, again.
  r = Scimctl({"import", "acme", Write("dup.ndjson", UserLine(1) + "\n" + UserLine(3) + "\n"),
               "--max-errors", "0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("line 1: \"user1@example.com\" is already used by"), std::string::npos)
      << r.err;
  EXPECT_EQ(Count("acme", "users"), 2u);  // user3 was not loaded either
}

TEST_F(ImportTest, ImportedDataServesLikeWrittenData) {
  CommandResult r = Scimctl({"import", "acme", BigFile(500)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("imported 500 users and 2 groups (51 members)"), std::string::npos) << r.out;
  StartServer();
  // Indexes: filters find imported users; totals count them.
  HttpResult found = Get("/Users?filter=userName%20eq%20%22USER42@example.com%22");
  ASSERT_EQ(found.status, 200);
  EXPECT_EQ(Int(Parse(found), "totalResults"), 1) << found.body;
  EXPECT_EQ(Int(Parse(Get("/Users?filter=name.givenName%20sw%20%22Given49%22")), "totalResults"),
            1 + 10);  // Given49 and Given490..499
  EXPECT_EQ(Int(Parse(Get("/Users?count=0")), "totalResults"), 500);
  // Uniqueness holds against imported users.
  ExpectScimError(Post("/Users", R"({"userName":"user7@example.com"})"), 409, "uniqueness");
  // Members resolved by externalId and by id, with counts; a user's groups computed.
  HttpResult tenth = Get("/Groups/01890000-0000-7000-8000-000000000001");
  ASSERT_EQ(tenth.status, 200) << tenth.body;
  EXPECT_EQ(MemberIds(Parse(tenth)).size(), 50u);
  core::Json outer = Parse(Get("/Groups?filter=displayName%20eq%20%22outer%22"));
  const std::string user10 = Str(
      Parse(Get("/Users?filter=externalId%20eq%20%22ext-10%22")).Find("Resources")->as_array()[0],
      "id");
  HttpResult user = Get("/Users/" + user10);
  EXPECT_NE(user.body.find("\"display\":\"outer\""), std::string::npos) << user.body;  // indirect
  // Imported resources change like any other.
  HttpResult patched = client_->Send(
      "PATCH", "/scim/v2/Users/" + user10,
      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]})",
      Auth());
  EXPECT_EQ(patched.status, 200) << patched.body;
  EXPECT_NE(patched.body.find("W/\\\"2\\\""), std::string::npos) << patched.body;
}

TEST_F(ImportTest, ExportThenImportReproducesATenant) {
  StartServer();
  // A tenant written through the API: users with the enterprise extension, a manager, a
  // password, nested groups with displays.
  const std::string boss = CreateUser("boss", R"(,"externalId":"b1","title":"CEO")");
  const std::string ann = CreateUser(
      "ann",
      R"(,"password":"S3cret!pw","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","manager":{"value":")" +
          boss + R"("}},"emails":[{"value":"ann@x.com","type":"work"}])");
  HttpResult inner = Post("/Groups", R"({"displayName":"inner","members":[{"value":")" + ann +
                                         R"(","display":"Ann"}]})");
  ASSERT_EQ(inner.status, 201);
  ASSERT_EQ(Post("/Groups", R"({"displayName":"outer","externalId":"o","members":[{"value":")" +
                                Str(Parse(inner), "id") + R"("},{"value":")" + boss + R"("}]})")
                .status,
            201);
  HttpResult before_ann = Get("/Users/" + ann);
  const std::string old_port = ":" + std::to_string(server_->port()) + "/";
  StopServer();

  const std::string exported = Export("acme");
  ASSERT_EQ(std::count(exported.begin(), exported.end(), '\n'), 4);
  EXPECT_EQ(exported.find("S3cret"), std::string::npos);  // never a password
  ASSERT_EQ(Scimctl({"tenant", "create", "copy"}).exit_code, 0);
  const std::string file = Write("acme.ndjson", exported);
  CommandResult r = Scimctl({"import", "copy", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Same ids, attributes, members, meta: the export of the copy is the same bytes.
  EXPECT_EQ(Export("copy"), exported);
  // And through the API the copy answers as the original did (apart from where it lives).
  const std::string copy_token = CreateTenantWithToken(data_, "copy2");
  ASSERT_EQ(Scimctl({"import", "copy2", file}).exit_code, 0);
  StartServer();
  HttpResult after_ann = client_->Send("GET", "/scim/v2/Users/" + ann, "",
                                       {{"Authorization", "Bearer " + copy_token}});
  std::string expected = before_ann.body;  // apart from the new server's port
  for (size_t at; (at = expected.find(old_port)) != std::string::npos;) {
    expected.replace(at, old_port.size(), ":" + std::to_string(server_->port()) + "/");
  }
  EXPECT_EQ(after_ann.body, expected);
  EXPECT_EQ(after_ann.Header("etag"), before_ann.Header("etag"));
}

TEST_F(ImportTest, ListResponseBulkRequestGzipAndStdin) {
  // A ListResponse spread over lines (pretty-printed): line numbers still point at records.
  const std::string list =
      Write("list.json",
            "{\n \"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],\n "
            "\"Resources\": [\n  " +
                UserLine(1) + ",\n  " + UserLine(1) + "\n ]\n}\n");
  CommandResult r = Scimctl({"import", "acme", list});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("line 5:"), std::string::npos) << r.err;
  // A Bulk request whose group names its members by bulkId.
  const std::string bulk = Write(
      "bulk.json",
      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[)"
      R"({"method":"POST","path":"/Users","bulkId":"u1","data":)" +
          UserLine(1) +
          "},"
          R"({"method":"POST","path":"/Users","bulkId":"u2","data":)" +
          UserLine(2) +
          "},"
          R"({"method":"POST","path":"/Groups","bulkId":"g","data":{"displayName":"both","members":[{"value":"bulkId:u1"},{"value":"bulkId:u2"}]}}]})");
  r = Scimctl({"import", "acme", bulk});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("imported 2 users and 1 groups (2 members)"), std::string::npos) << r.out;
  // gzip, detected; and stdin.
  const std::string plain = Write("more.ndjson", UserLine(3) + "\n" + UserLine(4) + "\n");
  ASSERT_EQ(RunCommand({"/bin/sh", "-c", "gzip -k " + plain}).exit_code, 0);
  ASSERT_EQ(Scimctl({"import", "acme", plain + ".gz"}).exit_code, 0);
  CommandResult piped = RunCommand(
      {"/bin/sh", "-c", ScimctlBin() + " --data " + data_ + " import acme - < " + plain});
  EXPECT_NE(piped.exit_code, 0);  // the same users again: refused, named by line
  EXPECT_NE(piped.err.find("line 1:"), std::string::npos) << piped.err;
  EXPECT_EQ(Count("acme", "users"), 4u);
  EXPECT_EQ(Count("acme", "groups"), 1u);
}

TEST_F(ImportTest, UnknownMembersFollowTheTenantsPolicy) {
  const std::string file = Write(
      "g.ndjson",
      UserLine(1) + "\n" +
          R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g","members":[{"value":"ext-1"},{"value":"nobody"}]})"
          "\n");
  // Default: skipped, with a warning.
  CommandResult r = Scimctl({"import", "acme", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: line 2: member \"nobody\""), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("(1 members)"), std::string::npos) << r.out;
  // strict: the group is rejected.
  ASSERT_EQ(Scimctl({"tenant", "create", "strict"}).exit_code, 0);
  ASSERT_EQ(Scimctl({"tenant", "set", "strict", "profile=strict"}).exit_code, 0);
  r = Scimctl({"import", "strict", file});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("line 2: member \"nobody\""), std::string::npos) << r.err;
  // A cycle among the file's groups is refused whatever the policy.
  r = Scimctl(
      {"import", "strict",
       Write(
           "cycle.ndjson",
           R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"a","externalId":"a","members":[{"value":"b"}]})"
           "\n"
           R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"b","externalId":"b","members":[{"value":"a"}]})"
           "\n")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("line 2: its members make a cycle"), std::string::npos) << r.err;
}

// Runs scimctl import in a child whose stdout/stderr go to files; `fsize` limits the bytes
// any file it writes may have (a disk that fills up), 0 for none.
pid_t SpawnImport(const std::string& data, const std::string& file, const std::string& log,
                  rlim_t fsize, const char* tenant = "acme") {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, 1);
  dup2(fd, 2);
  if (fsize > 0) {
    signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
    rlimit limit{fsize, fsize};
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  const std::string bin = ScimctlBin();
  execl(bin.c_str(), bin.c_str(), "--data", data.c_str(), "import", tenant, file.c_str(),
        static_cast<char*>(nullptr));
  _exit(127);
}

TEST_F(ImportTest, KilledOrOutOfDiskImportsLeaveTheTenantAsItWas) {
  ASSERT_EQ(Scimctl({"import", "acme", Write("first.ndjson", UserLine(-1) + "\n")}).exit_code, 0);
  const std::string before = Export("acme");
  const std::string file = BigFile(60000);
  const std::string log = dir_.path() + "/import.log";

  // kill -9 at several moments: reading, sorting, writing. Whenever it died, the tenant
  // is exactly as before, or the whole file is there (the kill came after the ingest, which
  // the process cannot tell apart from before it: checked by what the store holds, not by
  // whether the process was still running): never a part.
  for (int delay_ms : {150, 600, 1500}) {
    const pid_t pid = SpawnImport(data_, file, log, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    const bool killed = WIFSIGNALED(status);
    if (Export("acme") == before) {
      std::printf("kill -9 after %d ms: %s, nothing loaded\n", delay_ms,
                  killed ? "killed" : "exited");
      EXPECT_TRUE(killed) << "an import that exited by itself loaded nothing";
      EXPECT_FALSE(std::filesystem::exists(data_ + "/bulk-load") &&
                   !std::filesystem::is_empty(data_ + "/bulk-load"));  // cleaned at open
      continue;
    }
    std::printf("kill -9 after %d ms: %s, all loaded\n", delay_ms, killed ? "killed" : "exited");
    EXPECT_EQ(Count("acme", "users"), 60001u) << delay_ms;
    EXPECT_EQ(Count("acme", "groups"), 2u) << delay_ms;
    break;  // loaded: later kills would find it loaded too
  }

  // A disk that fills up: every file write past 1 MB fails (the file's SST files are
  // larger; its index partitions alone are not). Into a tenant of its own, since the kills
  // above may have ended with the file loaded into acme.
  ASSERT_EQ(Scimctl({"tenant", "create", "full"}).exit_code, 0);
  ASSERT_EQ(Scimctl({"import", "full", Write("one.ndjson", UserLine(-1) + "\n")}).exit_code, 0);
  const std::string before_full = Export("full");
  const pid_t pid = SpawnImport(data_, file, log, 1 << 20, "full");
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(log);
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << out;
  EXPECT_NE(out.find("nothing was loaded"), std::string::npos) << out;
  EXPECT_EQ(Export("full"), before_full);
  // And with room, the same file loads whole.
  CommandResult r = Scimctl({"import", "full", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count("full", "users"), 60001u);
  EXPECT_EQ(Count("full", "groups"), 2u);
}

}  // namespace
}  // namespace scimd::testing
