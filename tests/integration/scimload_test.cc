// scimload against a real scimd: each profile at a small size exits 0 with the request
// counts its workload implies, and what it says it wrote is what the SCIM API returns
// (users, groups, members, disabled users), also when scimd injects faults on purpose. A wrong
// token, a base path that does not exist and a server that is gone each make it exit non-zero.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

constexpr int kUsers = 200;
constexpr int kGroups = 5;
constexpr int kGroupSize = 40;

std::string ScimloadBin() {
  if (const char* p = std::getenv("SCIMLOAD_BIN")) return p;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "tools" / "scimload").string();
}

class ScimloadTest : public ScimServerTest {
 protected:
  std::string BaseUrl() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/scim/v2";
  }

  // Runs scimload PROFILE at the test size; returns its exit code, keeps its JSON report.
  int Run(const std::string& profile, std::vector<std::string> extra = {}, std::string url = "",
          std::string token = "") {
    const std::string json_path = dir_.path() + "/report-" + profile + ".json";
    std::vector<std::string> argv = {ScimloadBin(),   profile,
                                     "--url",         url.empty() ? BaseUrl() : url,
                                     "--token",       token.empty() ? token_ : token,
                                     "--users",       std::to_string(kUsers),
                                     "--groups",      std::to_string(kGroups),
                                     "--group-size",  std::to_string(kGroupSize),
                                     "--connections", "4",
                                     "--duration",    "20",
                                     "--json",        json_path,
                                     "--quiet"};
    for (auto& a : extra) argv.push_back(std::move(a));
    last_ = RunCommand(argv, 60);
    std::ifstream in(json_path);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = core::Json::Parse(text.str());
    report_ = parsed.ok() ? std::move(parsed).value() : core::Json::MakeObject();
    return last_.exit_code;
  }

  // The count of a request kind in the last report (0 when the kind is absent).
  int64_t Count(const std::string& kind) const {
    const core::Json* kinds = report_.Find("kinds");
    const core::Json* k = kinds != nullptr ? kinds->Find(kind) : nullptr;
    return k != nullptr ? Int(*k, "count") : 0;
  }
  int64_t Directory(const std::string& field) const {
    const core::Json* d = report_.Find("directory");
    return d != nullptr ? Int(*d, field) : -1;
  }
  std::string Diagnostics() const { return last_.out + last_.err; }

  int64_t Total(const std::string& query) {
    HttpResult r = Get(query);
    EXPECT_EQ(r.status, 200) << r.body;
    return Int(Parse(r), "totalResults");
  }

  // Every group of the report exists with its displayName and exactly the members the
  // report lists; returns how many members they hold in all.
  size_t ExpectGroupsAsReported() {
    const core::Json* groups = report_.Find("groups");
    EXPECT_TRUE(groups != nullptr && groups->is_array());
    if (groups == nullptr || !groups->is_array()) return 0;
    EXPECT_EQ(groups->as_array().size(), static_cast<size_t>(kGroups));
    size_t members = 0;
    for (const core::Json& g : groups->as_array()) {
      const std::string id = Str(g, "id");
      HttpResult r = Get("/Groups/" + id);
      EXPECT_EQ(r.status, 200) << id << ": " << r.body;
      const core::Json group = Parse(r);
      EXPECT_EQ(Str(group, "displayName"), Str(g, "displayName"));
      std::vector<std::string> reported;
      const core::Json* ids = g.Find("member_ids");
      EXPECT_TRUE(ids != nullptr && ids->is_array()) << "member_ids for " << id;
      if (ids != nullptr && ids->is_array()) {
        for (const auto& m : ids->as_array()) reported.push_back(m.as_string());
      }
      std::sort(reported.begin(), reported.end());
      EXPECT_EQ(MemberIds(group), reported) << Str(g, "displayName");
      EXPECT_EQ(static_cast<int64_t>(reported.size()), Int(g, "member_count"));
      members += reported.size();
    }
    return members;
  }

  // Sets tenant acme's settings (name=value ...) on the stopped server and restarts it.
  void SetSettings(const std::vector<std::string>& settings) {
    StopServer();
    std::vector<std::string> argv = {ScimctlBin(), "--data", data_, "tenant", "set", "acme"};
    argv.insert(argv.end(), settings.begin(), settings.end());
    CommandResult r = RunCommand(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    StartServer();
  }

  CommandResult last_;
  core::Json report_;
};

TEST_F(ScimloadTest, EntraInitialSyncCreatesEveryUserAndGroup) {
  ASSERT_EQ(Run("entra-initial"), 0) << Diagnostics();
  EXPECT_EQ(Str(report_, "profile"), "entra-initial");
  EXPECT_TRUE(report_.Find("complete")->as_bool());
  EXPECT_EQ(Int(report_, "wrong_answers"), 0);
  EXPECT_EQ(Count("GET probe"), 3);
  EXPECT_EQ(Count("GET filter userName"), kUsers);
  EXPECT_EQ(Count("POST /Users"), kUsers);
  EXPECT_EQ(Count("POST /Users conflict"), kUsers / 100);  // one in 100 created twice: 409
  EXPECT_EQ(Count("GET verify userName"), kUsers / 10);
  EXPECT_EQ(Count("PATCH /Users"), 0);
  EXPECT_EQ(Count("GET filter displayName"), kGroups);
  EXPECT_EQ(Count("POST /Groups"), kGroups);
  EXPECT_EQ(Count("PATCH /Groups members"), kGroups);  // 40 members: one batch each
  EXPECT_EQ(Directory("users_created"), kUsers);
  EXPECT_EQ(Directory("members_added"), kGroups * kGroupSize);

  EXPECT_EQ(Total("/Users?count=0"), kUsers);
  EXPECT_EQ(Total("/Groups?count=0"), kGroups);
  EXPECT_EQ(Total("/Users?filter=" + UrlEncode("userName eq \"u17.s1@scimload.example.com\"")), 1);
  EXPECT_EQ(ExpectGroupsAsReported(), static_cast<size_t>(kGroups * kGroupSize));

  // Entra's second cycle finds every user and group and PATCHes instead.
  ASSERT_EQ(Run("entra-initial"), 0) << Diagnostics();
  EXPECT_EQ(Count("POST /Users"), 0);
  EXPECT_EQ(Count("PATCH /Users"), kUsers);
  EXPECT_EQ(Directory("users_found"), kUsers);
  EXPECT_EQ(Directory("groups_found"), kGroups);
  EXPECT_EQ(Total("/Users?count=0"), kUsers);
  EXPECT_EQ(ExpectGroupsAsReported(), static_cast<size_t>(kGroups * kGroupSize));
}

// scimd's fault injection (core/tenancy/faults.h) as scimload meets it: every kind is
// reported apart from the server's errors and retried, the run still exits 0, and since
// an injected fault never runs its request, the retries leave the directory the report
// describes.
TEST_F(ScimloadTest, InjectedFaultsAreReportedApartAndTheSyncStillCompletes) {
  SetSettings({"fault-429=0.05", "fault-500=0.03", "fault-503=0.02", "fault-drop=0.02",
               // Back off as without Retry-After: 100 ms, doubling.
               "fault-retry-after=0", "fault-latency=0..3ms"});
  ASSERT_EQ(Run("entra-initial"), 0) << Diagnostics();
  EXPECT_TRUE(report_.Find("complete")->as_bool());
  EXPECT_EQ(Int(report_, "wrong_answers"), 0);
  EXPECT_EQ(Int(report_, "connection_failures"), 0);
  EXPECT_EQ(Int(report_, "abandoned"), 0);
  const core::Json* injected = report_.Find("injected");
  ASSERT_NE(injected, nullptr);
  // Each kind's expected count over the run's ~650 requests is 13 or more.
  int64_t total = 0;
  for (const char* kind : {"429", "500", "503", "dropped"}) {
    EXPECT_GE(Int(*injected, kind), 1) << kind << " in " << injected->Serialize();
    total += std::max<int64_t>(0, Int(*injected, kind));
  }
  EXPECT_EQ(Int(report_, "retries"), total);
  const core::Json* errors = report_.Find("errors_by_status");
  ASSERT_NE(errors, nullptr);
  for (const char* status : {"429", "500", "503"}) EXPECT_EQ(Int(*errors, status), -1) << status;

  // The checks below read without faults.
  SetSettings({"fault-429=", "fault-500=", "fault-503=", "fault-drop="});
  EXPECT_EQ(Directory("users_created"), kUsers);
  EXPECT_EQ(Total("/Users?count=0"), kUsers);
  EXPECT_EQ(Total("/Groups?count=0"), kGroups);
  EXPECT_EQ(ExpectGroupsAsReported(), static_cast<size_t>(kGroups * kGroupSize));
}

TEST_F(ScimloadTest, EntraIncrementalChangesDisablesAndMovesMembers) {
  ASSERT_EQ(Run("entra-incremental", {"--change-percent", "5"}), 0) << Diagnostics();
  EXPECT_EQ(Int(report_, "wrong_answers"), 0);
  // Nothing existed: the lookups created every user and group first.
  EXPECT_EQ(Count("POST /Users"), kUsers);
  EXPECT_EQ(Count("POST /Groups"), kGroups);
  // 5% of 200 users: 10 PATCHes, every fifth a disable (checked by a filter GET).
  EXPECT_EQ(Count("PATCH /Users"), 10);
  EXPECT_EQ(Directory("users_changed"), 8);
  EXPECT_EQ(Directory("users_disabled"), 2);
  const int64_t moved = Directory("members_moved");
  EXPECT_EQ(moved, 2);
  EXPECT_EQ(Directory("members_removed"), moved);
  EXPECT_EQ(Count("PATCH /Groups members"), kGroups + 2 * moved);  // a Remove and an Add each

  EXPECT_EQ(Total("/Users?count=0"), kUsers);
  EXPECT_EQ(Total("/Users?count=0&filter=" + UrlEncode("active eq false")), 2);
  EXPECT_EQ(Total("/Users?count=0&filter=" + UrlEncode("name.givenName ew \"-changed\"")), 2);
  EXPECT_EQ(ExpectGroupsAsReported(), static_cast<size_t>(kGroups * kGroupSize));
}

TEST_F(ScimloadTest, OktaCreatesUpdatesPushesGroupsAndPages) {
  ASSERT_EQ(Run("okta"), 0) << Diagnostics();
  EXPECT_EQ(Int(report_, "wrong_answers"), 0);
  EXPECT_EQ(Count("GET filter userName"), kUsers);
  EXPECT_EQ(Count("POST /Users"), kUsers);
  EXPECT_EQ(Count("PUT /Users"), 8);    // 5% of 200, four in five by PUT
  EXPECT_EQ(Count("PATCH /Users"), 2);  // and one in five deactivated
  EXPECT_EQ(Count("POST /Groups"), kGroups);
  // One add per group (40 members) and one remove by members[value eq ...].
  EXPECT_EQ(Count("PATCH /Groups members"), 2 * kGroups);
  EXPECT_EQ(Directory("members_removed"), kGroups);
  // The import walk: 200 users in pages of 100, and one page of groups.
  EXPECT_EQ(Count("GET list page"), 3);

  EXPECT_EQ(Total("/Users?count=0&filter=" + UrlEncode("title pr")), 8);
  EXPECT_EQ(Total("/Users?count=0&filter=" + UrlEncode("active eq false")), 2);
  EXPECT_EQ(ExpectGroupsAsReported(), static_cast<size_t>(kGroups * (kGroupSize - 1)));
}

TEST_F(ScimloadTest, AWrongTokenIsAFailure) {
  EXPECT_EQ(Run("entra-initial", {}, "", "scimd_0123456789abcdef_" + std::string(43, 'A')), 1)
      << Diagnostics();
  EXPECT_GE(Int(report_, "wrong_answers"), 1);
  const core::Json* errors = report_.Find("errors_by_status");
  ASSERT_NE(errors, nullptr);
  EXPECT_GE(Int(*errors, "401"), 1);
  EXPECT_NE(last_.out.find("401"), std::string::npos) << last_.out;
  EXPECT_EQ(Count("POST /Users"), 0);  // no sync after a failed test connection
  EXPECT_EQ(Total("/Users?count=0"), 0);
}

TEST_F(ScimloadTest, ABasePathThatDoesNotExistIsAFailure) {
  const std::string url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/nope/v9";
  EXPECT_EQ(Run("okta", {}, url), 1) << Diagnostics();
  EXPECT_GE(Int(report_, "wrong_answers"), 1);
}

TEST_F(ScimloadTest, AServerThatIsGoneIsAFailure) {
  const std::string url = BaseUrl();
  StopServer();
  EXPECT_EQ(Run("entra-initial", {}, url), 1) << Diagnostics();
  EXPECT_GE(Int(report_, "connection_failures"), 1);
  EXPECT_EQ(Count("POST /Users"), 0);  // no sync without a test connection
}

}  // namespace
}  // namespace scimd::testing
